"""A learner's calibration from the attempt store: how often they were right at each certainty
level, over every submission saved with its reasoning (``core.calibration``), read through the
store's API only (no DataFrame: it runs in a learner's kernel)::

    with open_store() as store:
        print(calibration_text(learner_calibration(store, "owl_7")))
"""

from __future__ import annotations

from dystonia_teach.core.calibration import Calibration, calibration
from dystonia_teach.store import AttemptStore


def learner_calibration(store: AttemptStore, learner: str, case_id: str | None = None
                        ) -> Calibration:
    """The learner's calibration across their saved attempts (at one case, or at all)."""
    return calibration(a.record for a in store.attempts(learner, case_id))
