"""The case-builder widget, driven headless: fill the form, read the messages beside the fields,
click Save, then load the written file and evaluate pathways on it."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from ipywidgets import Dropdown, SelectMultiple

from dystonia_teach import evaluate, load_case, recommended_actions
from dystonia_teach.widgets.case_builder import CaseBuilder, case_builder

from .conftest import BASE_FACTS, CASES_DIR, flatten


def _type(builder: CaseBuilder, field: str, value: Any) -> None:
    """Enter ``value`` in the field's control as an instructor would."""
    for section, included in builder.sections.items():
        if field.startswith(section + "."):
            included.value = True
    widget = builder.controls[field].widget
    if isinstance(widget, SelectMultiple):
        widget.value = tuple(value)
    elif isinstance(widget, Dropdown):
        widget.value = value
    else:
        widget.value = str(value)


def _fill(builder: CaseBuilder, facts: dict[str, Any]) -> None:
    for field, value in flatten(facts).items():
        if field not in ("id", "schema_version"):
            _type(builder, field, value)


def _messages(builder: CaseBuilder) -> dict[str, str]:
    return {path: c.message.value for path, c in builder.controls.items() if c.message.value}


def test_new_case_filled_in_the_form_is_saved_loaded_and_evaluated(tmp_path: Path) -> None:
    builder = CaseBuilder.new_case("form_case", tmp_path)
    assert "⚠" in builder.controls["title"].message.value  # placeholders are flagged at once
    sex = builder.controls["patient.sex"].widget
    assert sex.value is None and sex.options[0][0] == "— choose —"
    assert not any("unknown" in label for label, _ in sex.options)  # "" is a placeholder
    assert "problem(s) to fix" in builder.problems.value
    assert "preview appears once" in builder.preview.value

    _fill(builder, BASE_FACTS)
    assert _messages(builder) == {}
    assert "No problems" in builder.problems.value
    assert "Recommended pathway" in builder.preview.value
    assert "Decompressive laminectomy" in builder.preview.value

    builder.save_button.click()
    path = tmp_path / "form_case.yaml"
    assert builder.errors.value == ""
    assert "Saved" in builder.status.value and path.name in builder.status.value
    case = load_case(path)
    assert case.id == "form_case" and case.pathology == "stenosis"
    assert evaluate(case, recommended_actions(case)).score == 1.0
    weak_plan = evaluate(case, ["history_red_flags", "mri_lumbar_noncontrast", "bed_rest"])
    assert {"low_value_care", "delayed_surgery"} <= {f.code for f in weak_plan.findings}


def test_a_problem_appears_beside_its_field_and_clears_when_fixed(tmp_path: Path) -> None:
    builder = CaseBuilder.new_case("live_case", tmp_path)
    _fill(builder, BASE_FACTS)
    _type(builder, "patient.age", "46 years")
    assert list(_messages(builder)) == ["patient.age"]
    assert "valid integer" in builder.controls["patient.age"].message.value
    assert "1 problem(s) to fix" in builder.problems.value
    _type(builder, "patient.age", 46)
    assert _messages(builder) == {}
    _type(builder, "course.conservative_care_weeks", 30)  # more weeks of care than of symptoms
    assert "inconsistent_facts" in builder.controls["course.conservative_care_weeks"].message.value
    _type(builder, "course.conservative_care_weeks", 14)
    assert _messages(builder) == {}


def test_save_with_problems_shows_why_and_writes_nothing(tmp_path: Path) -> None:
    builder = CaseBuilder.new_case("unfinished", tmp_path)
    _type(builder, "title", "Half written")
    builder.save_button.click()
    assert "not saved" in builder.errors.value
    assert not (tmp_path / "unfinished.yaml").exists()
    assert builder.draft.get("title") == "Half written"  # the typing is kept for the next try


def test_editing_an_existing_file_keeps_its_comments_and_other_lines(tmp_path: Path) -> None:
    path = tmp_path / "failed_conservative_stenosis.yaml"
    shutil.copy(CASES_DIR / path.name, path)
    before = path.read_text(encoding="utf-8").splitlines()
    builder = case_builder(path)
    _type(builder, "patient.age", 71)
    _type(builder, "red_flags", ["progressive_motor_deficit"])
    builder.save_button.click()
    assert builder.errors.value == ""
    after = path.read_text(encoding="utf-8").splitlines()
    assert before[:2] == after[:2] and before[0].startswith("#")
    changed = [new.strip() for old, new in zip(before, after, strict=True) if old != new]
    assert changed == ["age: 71", "red_flags: [progressive_motor_deficit]"]
    steps = {a.as_data() for a in recommended_actions(load_case(path))}
    assert {"mri_lumbar_noncontrast!urgent", "urgent_surgical_referral"} <= steps


def test_unknown_ids_in_an_opened_file_are_kept_and_named(tmp_path: Path) -> None:
    path = tmp_path / "early_uncomplicated.yaml"
    text = (CASES_DIR / path.name).read_text(encoding="utf-8")
    path.write_text(text.replace("conservative_care: []", "conservative_care: [physiotherapy]"),
                    encoding="utf-8")
    builder = CaseBuilder.from_file(path)
    widget = builder.controls["course.conservative_care"].widget
    assert widget.value == ("physiotherapy",)
    assert ("⚠ unknown: physiotherapy", "physiotherapy") in widget.options
    message = builder.controls["course.conservative_care"].message.value
    assert "unknown_step" in message and "physical_therapy" in message  # did-you-mean hint
    _type(builder, "course.conservative_care", ["physical_therapy"])
    assert _messages(builder) == {}


def test_unticking_a_result_removes_it_and_disables_its_fields(tmp_path: Path) -> None:
    path = tmp_path / "early_uncomplicated.yaml"
    shutil.copy(CASES_DIR / path.name, path)
    builder = CaseBuilder.from_file(path)
    builder.sections["investigations.electrodiagnosis"].value = False
    assert builder.draft.get("investigations.electrodiagnosis") is None
    assert builder.controls["investigations.electrodiagnosis.report"].widget.disabled
    builder.sections["investigations.electrodiagnosis"].value = True
    assert builder.draft.get("investigations.electrodiagnosis.result") == "radiculopathy"
    assert not builder.controls["investigations.electrodiagnosis.report"].widget.disabled


def test_summary_is_deterministic_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "notebooks").mkdir()
    monkeypatch.chdir(tmp_path / "notebooks")  # the text does not depend on the working folder
    builder = CaseBuilder.new_case("summary_case", tmp_path / "cases")
    first = builder.summary()
    assert first.startswith("cases/summary_case.yaml: 19 problem(s) to fix:")
    assert "  title: invalid_value:" in first
    _fill(builder, BASE_FACTS)
    assert builder.summary() == "cases/summary_case.yaml: no problems; ready to save."
    assert repr(builder) == "CaseBuilder(path='cases/summary_case.yaml')"


def test_a_new_case_never_overwrites_an_existing_file(tmp_path: Path) -> None:
    (tmp_path / "taken.yaml").write_text("kept: true\n", encoding="utf-8")
    with pytest.raises(FileExistsError, match="already exists"):
        CaseBuilder.new_case("taken", tmp_path)
    assert (tmp_path / "taken.yaml").read_text(encoding="utf-8") == "kept: true\n"


def test_case_builder_needs_exactly_one_of_case_and_new_id() -> None:
    with pytest.raises(ValueError, match="either"):
        case_builder()
    with pytest.raises(ValueError, match="either"):
        case_builder("early_uncomplicated", new_id="x1")


def test_every_control_has_a_label_and_a_tooltip(tmp_path: Path) -> None:
    builder = CaseBuilder.new_case("labelled", tmp_path)
    for path, control in builder.controls.items():
        assert control.widget.description, path
        assert control.widget.tooltip, path
    for path, included in builder.sections.items():
        assert included.description.endswith(path.rsplit(".", 1)[-1]), path
    assert builder.save_button.description and builder.save_button.tooltip
    assert 'role="alert"' in builder.controls["title"].message.value  # read out when it appears


def test_conditions_with_details_are_shown_and_edited_as_yaml_lines(tmp_path: Path) -> None:
    path = tmp_path / "nsaid_contraindicated_ckd.yaml"
    shutil.copy(CASES_DIR / path.name, path)
    builder = case_builder(path)  # a condition with a measure used to crash the form
    widget = builder.controls["conditions"].widget
    shown = widget.value.splitlines()
    assert shown and all(line.startswith("- ") for line in shown)
    assert any("stage:" in line or "crcl" in line for line in shown)
    assert _messages(builder) == {}
    _type(builder, "conditions", widget.value + "\n- {name: ckd, stage: seven}")
    assert "conditions" in _messages(builder)
    _type(builder, "conditions", "- falls_history\n- {name: ckd, stage: 4}")
    assert _messages(builder) == {}
    builder.save_button.click()
    assert builder.errors.value == ""
    conditions = load_case(path).conditions
    assert [getattr(c, "name", c) for c in conditions] == ["falls_history", "ckd"]
    _type(builder, "conditions", "- {name: ckd, stage: 4")  # unclosed: kept, reported
    assert "conditions" in _messages(builder)
