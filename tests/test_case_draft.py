"""The case draft (core of the case builder): lossless round trip, edits that keep comments and
order, saving only valid cases, atomically."""

from __future__ import annotations

from pathlib import Path

import pytest

from dystonia_teach import evaluate, load_case, recommended_actions
from dystonia_teach.casefiles.draft import CaseDraft
from dystonia_teach.casefiles.loader import validate_file
from dystonia_teach.casefiles.yamlio import read_yaml_file
from dystonia_teach.core.errors import CaseInvalidError

from .conftest import BASE_FACTS, bundled_case_paths, flatten


@pytest.mark.parametrize("path", bundled_case_paths(), ids=lambda p: p.stem)
def test_untouched_bundled_case_is_written_back_byte_for_byte(path: Path) -> None:
    assert CaseDraft.open(path).text() == path.read_text(encoding="utf-8")


COMMENTED = """\
# A header comment the instructor wrote.
schema_version: 1
id: commented
title: A commented case   # why this title
summary: Kept short on purpose.
"""


def _commented_case(tmp_path: Path) -> Path:
    """A valid case file with comments between and beside its keys."""
    source = bundled_case_paths()[0].read_text(encoding="utf-8")
    body = source.split("summary:", 1)[1].split("\n", 1)[1]
    body = body.replace("dystonia:\n", "# The phenomenology, as observed in clinic.\ndystonia:\n")
    path = tmp_path / "commented.yaml"
    path.write_text(COMMENTED + body, encoding="utf-8")
    assert validate_file(path).ok, validate_file(path).issues
    return path


def test_edit_keeps_comments_order_and_untouched_lines(tmp_path: Path) -> None:
    path = _commented_case(tmp_path)
    before = path.read_text(encoding="utf-8").splitlines()
    draft = CaseDraft.open(path)
    draft.set("patient.age", 52)
    draft.set("dystonia.postures", ["inversion", "toe_clawing"])
    draft.save()
    after = path.read_text(encoding="utf-8").splitlines()
    changed = [(old, new) for old, new in zip(before, after, strict=True) if old != new]
    assert [new.strip() for _, new in changed] == [
        "age: 52", "postures: [inversion, toe_clawing]"]
    assert "# A header comment the instructor wrote." in after
    assert "title: A commented case   # why this title" in after
    assert "# The phenomenology, as observed in clinic." in after
    assert load_case(path).patient.age == 52


def test_long_text_is_saved_as_a_readable_folded_block(tmp_path: Path) -> None:
    path = _commented_case(tmp_path)
    text = ("After about ten minutes of walking the left foot turns in and the toes curl; "
            "sitting for a minute relieves it, and the pattern has repeated every day for "
            "two months, worse on slopes and stairs.")
    draft = CaseDraft.open(path)
    draft.set("stages.presentation", text)
    draft.save()
    lines = path.read_text(encoding="utf-8").splitlines()
    assert "  presentation: >-" in lines
    assert max(len(line) for line in lines if line.startswith("    After")) <= 100
    assert load_case(path).stages.presentation == text


def test_save_refuses_an_invalid_case_and_leaves_the_file_untouched(tmp_path: Path) -> None:
    path = _commented_case(tmp_path)
    before = path.read_bytes()
    for field, value, expected in (
            ("patient.age", "46 years", ("patient.age", "wrong_type")),
            ("course.conservative_care", ["naproxen", "physiotherapy"],
             ("course.conservative_care.1", "unknown_step"))):
        draft = CaseDraft.open(path)
        draft.set(field, value)
        with pytest.raises(CaseInvalidError) as raised:
            draft.save()
        assert expected in {(issue.field, issue.code) for issue in raised.value.issues}
        assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["commented.yaml"]  # no temporary file left


def test_changing_the_id_away_from_the_file_name_is_reported(tmp_path: Path) -> None:
    draft = CaseDraft.open(_commented_case(tmp_path))
    draft.set("id", "another_id")
    issues = draft.validate().issues
    assert [(i.field, i.code) for i in issues] == [("id", "id_mismatch")]


def test_new_draft_lists_every_placeholder_then_saves_a_working_case(tmp_path: Path) -> None:
    draft = CaseDraft.new("fresh_case", tmp_path)
    unfilled = {issue.field for issue in draft.validate().issues}
    assert {"title", "patient.age", "dystonia.postures", "diagnosis", "evidence"} <= unfilled
    with pytest.raises(CaseInvalidError):
        draft.save()
    assert not (tmp_path / "fresh_case.yaml").exists()

    for field, value in flatten(BASE_FACTS).items():
        if field not in ("id", "schema_version"):
            draft.set(field, value)
    path = draft.save()
    assert path == tmp_path / "fresh_case.yaml"
    assert "# " in path.read_text(encoding="utf-8")  # the scaffold's guidance survives
    case = load_case(path)
    assert evaluate(case, recommended_actions(case)).score == 1.0


def test_removing_a_result_section_keeps_the_file_valid_yaml(tmp_path: Path) -> None:
    draft = CaseDraft.new("no_results", tmp_path)
    for section in ("imaging", "instability", "electrodiagnosis", "brain_imaging", "dat_scan",
                    "levodopa_response", "genetics", "ankle_brachial_index", "copper_studies",
                    "spinal_cord_imaging", "blood_tests", "radiographs"):
        draft.remove(f"investigations.{section}")
    assert draft.get("investigations") == {}
    path = tmp_path / "as_text.yaml"
    path.write_text(draft.text(), encoding="utf-8")
    assert read_yaml_file(path).issues == []


def test_opening_broken_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("schema_version: 1\nid: broken\ntitle: [unclosed\n", encoding="utf-8")
    with pytest.raises(CaseInvalidError) as raised:
        CaseDraft.open(path)
    assert raised.value.issues[0].code == "yaml_syntax"
    assert raised.value.issues[0].line is not None


def test_unknown_case_id_is_a_clear_error() -> None:
    with pytest.raises(LookupError, match="no case with id"):
        CaseDraft.open("not_a_case_id")
