"""Malformed actions raise ActionError with a clear message; they never become findings."""

from __future__ import annotations

import pytest

from dystonia_teach import ActionError, evaluate

from .conftest import make_case


@pytest.mark.parametrize(("action", "message"), [
    ("naproxin", "did you mean 'naproxen'"),
    ("mri_lumbar", "did you mean .*'mri_lumbar_noncontrast'"),
    ({"step": "naproxen", "dose": 500}, "unknown key 'dose'"),
    ({"step": "naproxen", "dose_mg_per_day": "500 mg"}, "must be a number of mg per day"),
    ({"step": "naproxen", "dose_mg_per_day": -5}, "must be positive"),
    ({"step": "naproxen", "dose_mg_per_day": float("nan")}, "must be a number"),
    ({"step": "naproxen", "dose_mg_per_day": 10**400}, "not finite, or too large"),
    ({"step": 10**5000}, "unknown step id <int>"),
    ({10**5000: "naproxen", "step": "naproxen"}, "unknown key <int>"),
    ({"step": "physical_therapy", "dose_mg_per_day": 10}, "not a dosed drug"),
    ({"dose_mg_per_day": 10}, "missing 'step'"),
    (42, "expected a step id"),
])
def test_bad_action_is_a_clear_error(action, message) -> None:
    with pytest.raises(ActionError, match=message):
        evaluate(make_case(), [action])


def test_unknown_working_diagnosis_is_an_error() -> None:
    with pytest.raises(ActionError, match="did you mean 'functional_dystonia'"):
        evaluate(make_case(), [], working_diagnosis="functional_dystonai")
