"""The knowledge base loads, and broken cross-references are caught at load time."""

from __future__ import annotations

import pytest

from dystonia_teach.core import errors
from dystonia_teach.core.kb_model import KnowledgeBase
from dystonia_teach.core.knowledge import cross_reference_problems, knowledge

SPEC_STEPS = """history_red_flags neuro_exam dystonia_phenomenology functional_signs_exam
gait_assessment mri_lumbar_noncontrast urgent_mri mri_lumbar_contrast ct_myelography
xray_flexion_extension emg_ncs paraspinal_mapping brain_mri dat_scan levodopa_trial
genetic_testing_dystonia naproxen diclofenac ibuprofen acetaminophen duloxetine physical_therapy
education_stay_active epidural_steroid_injection botulinum_toxin urgent_surgical_referral
decompressive_laminectomy microdiscectomy tlif postoperative_rehabilitation clinical_followup
complication_monitoring explain_functional_diagnosis specialist_physiotherapy
anticholinergic_trial deep_brain_stimulation rigid_splinting bed_rest long_term_opioids""".split()


def test_catalogue_has_every_specified_step() -> None:
    assert set(SPEC_STEPS) <= set(knowledge().steps)


def test_drugs_have_dose_ranges_with_sources() -> None:
    kb = knowledge()
    for step in ("naproxen", "diclofenac", "ibuprofen"):
        dose = kb.steps[step].dose
        assert dose is not None and dose.source in kb.claims
    assert kb.steps["naproxen"].dose.status == "verified"
    assert kb.steps["ibuprofen"].dose.status == "unverified"
    assert kb.steps["diclofenac"].dose.max_mg_per_day == 150


def test_every_step_and_finding_cites_existing_evidence() -> None:
    kb = knowledge()
    assert cross_reference_problems(kb) == []
    # Every step cites evidence (inflammatory markers and blood cultures cite IDSA 2015; the
    # ankle-brachial index the 2016 AHA/ACC peripheral artery disease guideline).
    assert {s for s, step in kb.steps.items() if not step.evidence} == set()


@pytest.mark.parametrize(("mutate", "message"), [
    (lambda d: d["rules"][0].update(steps=["neuro_exma"]), "unknown step 'neuro_exma'"),
    (lambda d: d["rules"][0].update(kind="nonsense"), "unknown rule kind 'nonsense'"),
    (lambda d: d["rules"][0].update(when=["sunny"]), "unknown predicate 'sunny'"),
    (lambda d: d["rules"][0].update(code="oops"), "unknown finding code 'oops'"),
    (lambda d: d["steps"]["naproxen"].update(evidence=["made_up_claim"]),
     "unknown evidence id 'made_up_claim'"),
])
def test_broken_cross_reference_is_caught(mutate, message) -> None:
    data = knowledge().model_dump()
    mutate(data)
    errors_found = [p[4] for p in cross_reference_problems(KnowledgeBase.model_validate(data))]
    assert any(message in e for e in errors_found), errors_found


def test_every_finding_code_is_reachable() -> None:
    kb = knowledge()
    by_rules = {rule.code for rule in kb.rules} | {
        rule.params[key] for rule in kb.rules
        for key in ("missing_code", "warning_code", "info_code") if key in rule.params}
    by_engine = {"appropriate_step", "acceptable_step", "missing_step",
                 "working_diagnosis_correct", "working_diagnosis_incorrect",
                 *kb.scoring.not_indicated_codes.values()}
    assert set(kb.findings) == by_rules | by_engine


def test_issue_codes_are_closed() -> None:
    with pytest.raises(ValueError):
        errors.Issue("f", 1, "x", "not_a_code", "m")


@pytest.mark.parametrize("name", ["algorithm.yaml", "evidence.yaml", "findings.yaml",
                                  "steps.yaml"])
def test_knowledge_files_read_the_same_by_a_strict_yaml_1_2_parser(name: str) -> None:
    """The knowledge is read fast with libyaml (YAML 1.1); ruamel's strict 1.2 reading (a
    duplicate key is an error, `no` is text) must give the same data."""
    from ruamel.yaml import YAML

    from dystonia_teach.core.pack_files import read_pack_file
    from dystonia_teach.core.packs import package_pack

    path = package_pack().folder / name
    file, issues = read_pack_file(path, name)
    assert issues == [] and file is not None
    assert YAML(typ="safe").load(path.read_text("utf-8")) == file.data
