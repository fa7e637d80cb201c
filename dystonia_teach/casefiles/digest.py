"""The digest of a case: what a grade records about the case it was judged on.

A SHA-256 over the case model's canonical JSON (every field, keys sorted, no spacing), so any
change to the facts changes it, while what the model does not keep (YAML comments, key order,
quoting, blank lines) does not.
"""

from __future__ import annotations

import hashlib
import json

from dystonia_teach.core.case_model import Case


def case_digest(case: Case) -> str:
    """64 hex digits of SHA-256 of the case's canonical JSON."""
    canonical = json.dumps(case.model_dump(mode="json"), sort_keys=True, separators=(",", ":"),
                           ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()
