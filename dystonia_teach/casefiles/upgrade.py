"""Upgrade case data written for an older ``schema_version`` to the current one.

Version 1 listed NSAID contraindications (``contraindications: [ckd, anticoagulation]``);
version 2 states the patient's conditions once (``conditions:``) and the knowledge base applies
them to every step. Old files keep loading: their data are upgraded before validation.
"""

from __future__ import annotations

import copy
from typing import Any

#: Version 1 contraindication -> version 2 condition.
V1_CONTRAINDICATIONS: dict[str, str | dict[str, Any]] = {
    "ckd": "ckd",  # no stage given: counts as severe, as version 1 meant
    "gi_bleed_history": "gi_bleed_history",
    "anticoagulation": "anticoagulant",
    "heart_failure": "heart_failure",
    "nsaid_allergy": "nsaid_allergy",
    "pregnancy_third_trimester": {"name": "pregnancy", "weeks": 28},  # the third trimester's start
}


def upgrade(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` (plain dicts) brought to the current schema version; the input is not changed.
    Values the old version did not know are passed on for the validator to report."""
    if data.get("schema_version") != 1:
        return data
    new = copy.deepcopy(data)
    new["schema_version"] = 2
    if "contraindications" in new:
        old = new.pop("contraindications")
        new["conditions"] = ([V1_CONTRAINDICATIONS.get(c, c) if isinstance(c, str) else c
                              for c in old] if isinstance(old, list) else old)
    return new
