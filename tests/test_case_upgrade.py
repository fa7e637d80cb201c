"""Schema version 2: conditions replace version 1's NSAID-only contraindications; version 1
files keep loading, upgraded on reading, and their problems still point at their own lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from dystonia_teach import evaluate, recommended_actions, validate_file
from dystonia_teach.casefiles.upgrade import upgrade
from dystonia_teach.core.case_model import SCHEMA_VERSION

from .conftest import CASES_DIR

V2 = (CASES_DIR / "nsaid_contraindicated_ckd.yaml").read_text(encoding="utf-8")
V2_CONDITIONS = """conditions:
  - {name: ckd, stage: 4}
  - {name: anticoagulant, drug: warfarin}
"""
V1 = V2.replace("schema_version: 2", "schema_version: 1").replace(
    V2_CONDITIONS, "contraindications: [ckd, anticoagulation]\n")


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "nsaid_contraindicated_ckd.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_current_version_is_two() -> None:
    assert SCHEMA_VERSION == 2 and V1 != V2 and "contraindications:" in V1


def test_version_one_file_loads_with_the_same_teaching(tmp_path: Path) -> None:
    old = validate_file(write(tmp_path, V1))
    new = validate_file(CASES_DIR / "nsaid_contraindicated_ckd.yaml")
    assert old.ok and new.ok, old.issues
    assert [c.name for c in old.case.conditions] == ["ckd", "anticoagulant"]
    assert recommended_actions(old.case) == recommended_actions(new.case)
    naproxen = {"step": "naproxen", "dose_mg_per_day": 1000}
    assert "contraindicated" in evaluate(old.case, [naproxen]).pitfalls


@pytest.mark.parametrize(("old", "new"), [
    ("ckd", {"name": "ckd"}),
    ("anticoagulation", {"name": "anticoagulant"}),
    ("pregnancy_third_trimester", {"name": "pregnancy", "weeks": 28}),
    ("heart_failure", {"name": "heart_failure"}),
])
def test_each_old_contraindication_maps_to_a_condition(old: str, new: dict) -> None:
    from dystonia_teach.core.case_model import Condition

    data = upgrade({"schema_version": 1, "contraindications": [old]})
    assert data["schema_version"] == 2 and "contraindications" not in data
    assert Condition.model_validate(data["conditions"][0]).model_dump(exclude_none=True) == new


def test_upgrade_leaves_its_input_and_current_files_alone() -> None:
    data = {"schema_version": 1, "contraindications": ["ckd"]}
    upgrade(data)
    assert data == {"schema_version": 1, "contraindications": ["ckd"]}
    current = {"schema_version": 2, "conditions": []}
    assert upgrade(current) is current


def test_bad_old_value_is_reported_at_its_own_line(tmp_path: Path) -> None:
    text = V1.replace("[ckd, anticoagulation]", "[ckd, anticoagulatoin]")
    report = validate_file(write(tmp_path, text))
    (issue,) = report.issues
    line = text.splitlines().index("contraindications: [ckd, anticoagulatoin]") + 1
    assert (issue.line, issue.code) == (line, "invalid_value")
    assert issue.field.startswith("contraindications")


@pytest.mark.parametrize(("conditions", "message"), [
    ("[pregnancy]", "pregnancy needs weeks"),
    ("[{name: ckd, weeks: 3}]", "weeks belongs to pregnancy only"),
    ("[{name: antiplatelet, drug: warfarin}]", "does not fit antiplatelet"),
    ("[{name: ckd, stage: 7}]", "less than or equal to 5"),
])
def test_condition_measures_are_checked(tmp_path: Path, conditions: str, message: str) -> None:
    report = validate_file(write(tmp_path, V2.replace(V2_CONDITIONS,
                                                     f"conditions: {conditions}\n")))
    assert any(message in issue.message for issue in report.issues), report.issues


def test_pregnancy_in_a_male_patient_is_inconsistent(tmp_path: Path) -> None:
    text = V2.replace(V2_CONDITIONS, "conditions: [{name: pregnancy, weeks: 12}]\n")
    report = validate_file(write(tmp_path, text))
    assert [i.code for i in report.issues] == ["inconsistent_facts"]


def test_chronic_reinnervation_before_three_months_is_inconsistent(tmp_path: Path) -> None:
    text = V2.replace("    result: radiculopathy\n",
                      "    result: radiculopathy\n    chronic_reinnervation: true\n")
    report = validate_file(write(tmp_path, text))
    (issue,) = report.issues
    assert issue.code == "inconsistent_facts" and "reinnervation" in issue.message


def test_cauda_equina_needs_its_level_or_roots(tmp_path: Path) -> None:
    text = (CASES_DIR / "cauda_equina_red_flags.yaml").read_text(encoding="utf-8")
    text = text.replace("  level: L5-S1\n  other_roots: [S2]\n", "")
    report = validate_file(write(tmp_path, text.replace("id: cauda_equina_red_flags",
                                                        "id: nsaid_contraindicated_ckd")))
    assert [i.field for i in report.issues] == ["radicular"]


def test_no_imaging_text_in_an_emergency_is_a_contradiction(tmp_path: Path) -> None:
    text = (CASES_DIR / "cauda_equina_red_flags.yaml").read_text(encoding="utf-8")
    text = text.replace("teaching_notes: >-\n", "teaching_notes: >-\n  MRI is not indicated.\n")
    report = validate_file(write(tmp_path, text.replace("id: cauda_equina_red_flags",
                                                        "id: nsaid_contraindicated_ckd")))
    assert [i.field for i in report.issues] == ["teaching_notes"]


def test_imaging_status_must_match_the_imaging(tmp_path: Path) -> None:
    text = V2.replace("  conservative_care: [education_stay_active]\n",
                      "  conservative_care: [education_stay_active]\n"
                      "  imaging_status: imaged_no_lesion\n")
    report = validate_file(write(tmp_path, text))
    assert [i.field for i in report.issues] == ["course.imaging_status"]
