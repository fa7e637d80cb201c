"""validate's errors teach: YAML syntax errors in plain words (line, column, field, fix), each
finding on its own line inside a block of text, every problem of every visit in one run, a
repeated condition naming both lines, and visits checked in linear time."""

from __future__ import annotations

import re

import pytest

from dystonia_teach import validate_text
from dystonia_teach.casefiles.loader import load_case
from dystonia_teach.core import visits
from dystonia_teach.core.visits import case_at_visit, cases_at_visits

from .conftest import CASES_DIR

GOOD = (CASES_DIR / "early_uncomplicated.yaml").read_text(encoding="utf-8")
CKD = (CASES_DIR / "nsaid_contraindicated_ckd.yaml").read_text(encoding="utf-8")


def edited(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


#: A case file's opening lines: a syntax error stops reading, so the rest need not be valid.
EXCERPT = """\
schema_version: 2
id: early_uncomplicated
title: A postal worker whose right toes curl after a few minutes' walk
summary: Three weeks of right leg pain; toes claw when walking.
patient:
  age: 46
  sex: male
  occupation: postal worker
dystonia:
  foot: right
  postures: [toe_clawing, striatal_toe]
  triggers: [walking]
  relieved_by_rest: true
stages:
  presentation: >-
    A 46-year-old postal worker has had pain down his right leg for three weeks.
  examination: >-
    Walking reproduces the toe posture.
"""
#: (what the author did, old line, new line, the field, words of the message, of the fix)
SYNTAX_MISTAKES = [
    ("colon in text", "summary: Three weeks of right leg pain; toes claw when walking.",
     "summary: Note: three weeks of leg pain", "summary", "colon", "double quotes"),
    ("unclosed quote", "title: A postal worker whose right toes curl after a few minutes' walk",
     'title: "A postal worker whose right toes curl', "title", "never closed",
     "closing quote"),
    ("unclosed bracket", "  postures: [toe_clawing, striatal_toe]",
     "  postures: [toe_clawing, striatal_toe", "dystonia.postures", "not closed", "']'"),
    ("missing colon", "  sex: male", "  sex male", "patient", "no colon", "add ': '"),
    ("indented too far", "  sex: male", "    sex: male", "patient", "indented further",
     "two spaces per level"),
    ("text after a closing quote", "  occupation: postal worker",
     "  occupation: 'postal' worker", "patient.occupation", "after the closing quote",
     "inside the quotes"),
    ("text on a block's first line", "  presentation: >-\n    A 46-year-old",
     "  presentation: >- A 46-year-old\n    A 46-year-old", "stages.presentation",
     "same line", "next line"),
    ("list item among fields", "  relieved_by_rest: true", "  - relieved_by_rest: true",
     "dystonia", "list item", "remove the '- '"),
]


@pytest.mark.parametrize("mistake", SYNTAX_MISTAKES, ids=lambda m: m[0])
def test_yaml_syntax_error_in_plain_words_with_line_column_field_and_fix(mistake) -> None:
    _, old, new, field, message, fix = mistake
    text = edited(EXCERPT, old, new)
    [issue] = validate_text(text, "early_uncomplicated.yaml").issues
    assert (issue.code, issue.field) == ("yaml_syntax", field), str(issue)
    assert issue.line == line_of(text, new.splitlines()[0]), str(issue)
    assert issue.column is not None and issue.column >= 1
    assert message in issue.message and fix in issue.hint, str(issue)
    assert f"early_uncomplicated.yaml:{issue.line}:{issue.column}: {field}: yaml_syntax:" in (
        str(issue))
    for jargon in ("mapping values", "scalar", "simple key", "<block end>", "flow sequence"):
        assert jargon not in f"{issue.message} {issue.hint}", str(issue)


def test_each_finding_points_at_its_own_line_inside_a_block() -> None:
    notes = ("teaching_notes: >-\n"
             "  Root compression can be followed by action-induced foot dystonia; the entity\n"
             "  rests on case reports, <b>as Mrs Hill saw</b>, and management borrows from\n"
             "  radiculopathy evidence. Without red flags, treat conservatively at first,\n"
             "  and write to j.doe@example.org for the slides.\n")
    text = re.sub(r"(?m)^teaching_notes: >-\n(?:  .*\n)+", notes, GOOD, count=1)
    assert notes in text
    issues = validate_text(text, "early_uncomplicated.yaml").issues
    assert {(i.code, i.line) for i in issues} == {
        ("markup_in_text", line_of(text, "<b>as Mrs Hill")),
        ("patient_identifier", line_of(text, "<b>as Mrs Hill")),
        ("patient_identifier", line_of(text, "j.doe@example.org")),
    }
    assert all(i.field == "teaching_notes" for i in issues)
    assert line_of(text, "teaching_notes:") < min(i.line for i in issues)


def without_visits(text: str) -> str:
    return text[: text.index("\nvisits:")] + "\n" if "\nvisits:" in text else text


def test_a_bad_field_in_a_visit_hides_none_of_the_visits_other_problems() -> None:
    text = without_visits(GOOD) + (
        "visits:\n"
        "  - week: 10\n"
        "    presentation: Seven weeks later.\n"
        "    conservative_care_weeks: 12\n"
        "    conservative_care: [naproxn, physical_therapy]\n"
        "    disabling: maybe\n"
        "    conditions: [ckd]\n"
        "  - week: 9\n"
        "    presentation: A week later.\n"
        "    pathology: disk\n")
    issues = validate_text(text, "early_uncomplicated.yaml").issues
    found = {(i.field, i.code) for i in issues}
    assert found == {
        ("visits.0.disabling", "wrong_type"),
        ("visits.0.conditions", "unknown_field"),
        ("visits.0.conservative_care.0", "unknown_step"),
        ("visits.0.conservative_care_weeks", "inconsistent_facts"),
        ("visits.1.pathology", "invalid_value"),
        ("visits.1.week", "inconsistent_facts"),
        ("visits.1.conservative_care_weeks", "inconsistent_facts"),  # 12 weeks by week 9
    }, "\n".join(map(str, issues))
    weeks = next(i for i in issues if i.field == "visits.0.conservative_care_weeks")
    assert "more weeks of conservative care than of symptoms" in weeks.message


def with_conditions(text: str, *lines: str) -> str:
    """``text`` with its ``conditions:`` block replaced by ``lines``."""
    block = "conditions:\n" + "".join(f"  - {line}\n" for line in lines)
    new = re.sub(r"(?m)^conditions:.*\n(?:  - .*\n)*", block, text, count=1)
    assert block in new
    return new


def test_a_bad_top_level_field_still_reports_ids_and_repeated_conditions() -> None:
    text = re.sub(r"(?m)^  age: \d+$", "  age: 7x", CKD, count=1)
    text = edited(text, "evidence: [", "evidence: [no_such_claim, ")
    text = with_conditions(text, "{name: ckd, stage: 4}", "{name: anticoagulant, drug: warfarin}",
                           "ckd")
    codes = {i.code for i in validate_text(text, "nsaid_contraindicated_ckd.yaml").issues}
    assert codes == {"wrong_type", "unknown_evidence", "duplicate_condition"}


@pytest.mark.parametrize("stages", [(2, 4), (4, 2)], ids=["stricter second", "stricter first"])
def test_a_repeated_condition_names_both_lines_whichever_comes_first(stages) -> None:
    text = with_conditions(CKD, *(f"{{name: ckd, stage: {s}}}" for s in stages),
                           "{name: anticoagulant, drug: warfarin}")
    report = validate_text(text, "nsaid_contraindicated_ckd.yaml")
    [issue] = report.issues
    first, second = (line_of(text, f"{{name: ckd, stage: {s}}}") for s in stages)
    assert (issue.code, issue.line, issue.field) == ("duplicate_condition", second,
                                                     "conditions.1")
    assert f"lines {first} and {second}" in issue.message
    assert report.case is None  # neither order can decide the patient's safety


def test_visits_are_built_once_each_so_checking_is_linear(monkeypatch) -> None:
    """Each visit's facts come from the visit before: validating a case of n visits applies
    n visits (calling case_at_visit for each would apply n(n+1)/2)."""
    weeks = "".join(f"  - {{week: {3 + n / 10:.1f}, presentation: Much the same.}}\n"
                    for n in range(1, 122))
    text = without_visits(GOOD) + "visits:\n" + weeks
    applied = []
    real = visits._after
    monkeypatch.setattr(visits, "_after", lambda case, visit: applied.append(1) or real(
        case, visit))
    report = validate_text(text, "early_uncomplicated.yaml")
    assert report.ok, "\n".join(map(str, report.issues))
    assert len(applied) == len(report.case.visits) == 121


def test_visit_states_equal_case_at_visit() -> None:
    case = load_case("early_uncomplicated")
    states = list(cases_at_visits(case))
    assert len(states) == 2
    for index, state in enumerate(states):
        assert state == case_at_visit(case, index)


def test_validate_messages_name_no_library() -> None:
    """An instructor reads the messages: no Python or YAML-library words in them."""
    wrong_age = re.sub(r"(?m)^  age: \d+$", "  age: forty", GOOD, count=1)
    colon = re.sub(r"(?m)^summary: ", "summary: Note: ", GOOD, count=1)
    for candidate in (wrong_age, colon):
        for issue in validate_text(candidate, "x.yaml").issues:
            assert not re.search(r"pydantic|libyaml|Traceback|scalar|NoneType", str(issue))


@pytest.mark.parametrize(("old", "new", "field", "hint"), [
    ("  age: ", "  age: 67 years  # ", "patient.age", "without a unit: 67"),
    ("  conservative_care_weeks: ", "  conservative_care_weeks: true  # ",
     "course.conservative_care_weeks", "write a number"),
    ("id: early_uncomplicated\n", "id: early_uncomplicated\nrecommended: [naproxen]\n",
     "recommended", "answers are never written"),
], ids=["unit", "bool-for-number", "answer-key"])
def test_a_wrong_type_or_an_answer_field_says_how_to_write_it(old, new, field, hint) -> None:
    text = (CASES_DIR / "early_uncomplicated.yaml").read_text(encoding="utf-8")
    assert old in text
    text = text.replace(old, new, 1)
    issues = validate_text(text, "early_uncomplicated.yaml").issues
    assert [(i.field, hint in i.hint) for i in issues] == [(field, True)], issues
