"""Feedback wording: the verb after a step's label agrees with it ("... are needed now")."""

from __future__ import annotations

import pytest

from dystonia_teach import evaluate
from dystonia_teach.core.engine import _build_finding
from dystonia_teach.core.knowledge import knowledge
from dystonia_teach.core.wording import PLURAL_VERBS, with_subject

from .conftest import make_case


@pytest.mark.parametrize(("template", "singular", "plural"), [
    ("Red flags are present: {step} is needed now", "Red flags are present: X is needed now",
     "Red flags are present: X are needed now"),
    ("{step} was skipped", "X was skipped", "X were skipped"),
    ("{step} does not fit this pathology", "X does not fit this pathology",
     "X do not fit this pathology"),
    ("{step} needs care for this patient", "X needs care for this patient",
     "X need care for this patient"),
    ("{step} treats symptoms only", "X treats symptoms only", "X treat symptoms only"),
    ("{step}: a caution for this patient", "X: a caution for this patient",
     "X: a caution for this patient"),
    ("{step} before an adequate trial", "X before an adequate trial",
     "X before an adequate trial"),
    ("No step here is plural", "No step here is plural", "No step here is plural"),
])
def test_the_verb_after_the_step_agrees(template: str, singular: str, plural: str) -> None:
    assert with_subject(template, "X") == singular
    assert with_subject(template, "X", plural=True) == plural


def test_red_flag_work_up_with_a_plural_label_reads_right() -> None:
    case = make_case(red_flags=["suspected_infection"], course__conservative_care_weeks=0,
                     course__symptom_weeks=2)
    summaries = {f.summary for f in evaluate(case, ["history_red_flags", "neuro_exam"]).findings}
    assert "Red flags are present: Inflammatory markers and blood cultures are needed now" in (
        summaries)


def test_no_summary_pairs_a_plural_label_with_a_singular_verb() -> None:
    kb = knowledge()
    plural = [step for step in kb.steps.values() if step.plural]
    assert {s.id for s in plural} >= {"inflammatory_markers_cultures", "emg_ncs",
                                      "xray_flexion_extension", "long_term_opioids"}
    for code in kb.findings:
        for step in plural:
            summary = _build_finding(kb, code, step.id, "", "", None, ()).summary
            for verb in PLURAL_VERBS:
                assert f"{step.label} {verb} " not in summary, summary
