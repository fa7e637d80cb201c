"""validate's spoiler check (text read before submitting must not give the diagnosis away) and
its identity lint (names and dates), each on a corpus of positives and negatives in
tests/fixtures/."""

from __future__ import annotations

import re

import pytest
import yaml

from dystonia_teach import validate_text
from dystonia_teach.casefiles.lints import name_list, text_problems
from dystonia_teach.casefiles.spoilers import spoilers
from dystonia_teach.core.diagnoses import OTHER, diagnosis_scripts

from .conftest import CASES_DIR, REPO

FIXTURES = REPO / "tests" / "fixtures"
SPOILERS = yaml.safe_load((FIXTURES / "spoilers.yaml").read_text(encoding="utf-8"))
IDENTIFIERS = yaml.safe_load((FIXTURES / "identifiers.yaml").read_text(encoding="utf-8"))
GOOD = (CASES_DIR / "parkinsonism_foot_dystonia.yaml").read_text(encoding="utf-8")


def found_in(text: str, diagnosis: str) -> list[str]:
    return [text[s.start:s.end] for s in spoilers(text, diagnosis)]


@pytest.mark.parametrize("item", SPOILERS["spoilers"], ids=lambda i: i["found"])
def test_spoiler_corpus_positives_are_caught_at_their_words(item: dict[str, str]) -> None:
    assert found_in(item["text"], item["diagnosis"]) == [item["found"]]


@pytest.mark.parametrize("item", SPOILERS["clean"], ids=lambda i: i["text"][:30])
def test_spoiler_corpus_negatives_pass(item: dict[str, str]) -> None:
    assert found_in(item["text"], item["diagnosis"]) == []


def test_spoiler_check_reads_every_name_of_the_diagnosis_data() -> None:
    """Every label and name in knowledge/diagnoses.yaml is caught for its own diagnosis, in a
    title as an instructor would write it, and not for another diagnosis."""
    scripts = diagnosis_scripts()
    checked = 0
    for diagnosis in scripts:
        if diagnosis == OTHER:
            continue
        script = scripts[diagnosis]
        for name in (script.label, *script.names):
            text = f"A 50-year-old teacher with {name}, seen in clinic"
            assert found_in(text, diagnosis), (diagnosis, name)
            checked += 1
    assert checked > 60
    assert found_in("A 50-year-old teacher with Segawa disease", "wilson_disease") == []


@pytest.mark.parametrize(("field", "line"), [
    ("title", "title: An accountant whose parkinsonism shows in his right foot"),
    ("summary", "summary: Nine months of foot inversion, then parkinsonian slowness."),
    ("patient.occupation", "  occupation: accountant with Parkinson's disease"),
])
def test_spoiler_in_title_summary_or_teaser_is_a_located_error(field: str, line: str) -> None:
    key = line.strip().split(":", 1)[0]
    text = re.sub(rf"(?m)^\s*{key}: .*$", line, GOOD, count=1)
    report = validate_text(text, "parkinsonism_foot_dystonia.yaml")
    [issue] = report.issues
    assert (issue.code, issue.field) == ("spoiler", field)
    assert text.splitlines()[issue.line - 1] == line
    assert "Parkinsonism presenting with foot dystonia" in issue.message
    assert report.case is None


def test_spoiler_on_its_own_line_inside_a_visit_presentation() -> None:
    text = (CASES_DIR / "early_uncomplicated.yaml").read_text(encoding="utf-8")
    text = text[: text.index("\nvisits:")] + (
        "\nvisits:\n"
        "  - week: 10\n"
        "    presentation: >-\n"
        "      Seven weeks later he is back. He took naproxen and did his exercises,\n"
        "      but the radiculopathy is no better and he has stopped delivering on foot.\n")
    [issue] = validate_text(text, "early_uncomplicated.yaml").issues
    assert (issue.code, issue.field) == ("spoiler", "visits.0.presentation")
    assert "radiculopathy is no better" in text.splitlines()[issue.line - 1]


def test_spoiler_free_bundled_cases() -> None:
    for path in sorted(CASES_DIR.glob("*.yaml")):
        report = validate_text(path.read_text(encoding="utf-8"), path.name)
        assert [i for i in report.issues if i.code == "spoiler"] == [], path.name


@pytest.mark.parametrize("item", IDENTIFIERS["identifiers"], ids=lambda i: i["found"])
def test_identity_corpus_positives_are_caught(item: dict[str, str]) -> None:
    problems = [p for p in text_problems([item["text"]]) if p.code == "patient_identifier"]
    assert problems, item["text"]
    assert item["text"][problems[0].start:problems[0].end].startswith(item["found"])


@pytest.mark.parametrize("item", IDENTIFIERS["clean"], ids=lambda i: i["text"][:30])
def test_identity_corpus_negatives_pass(item: dict[str, str]) -> None:
    assert text_problems([item["text"]]) == []


def test_identity_name_lists_state_their_provenance() -> None:
    for kind in ("first_names", "surnames"):
        head = (REPO / "dystonia_teach" / "casefiles" / "names" / f"{kind}.txt").read_text(
            encoding="utf-8").splitlines()[:5]
        assert any("Source: Faker" in line for line in head)
        assert len(name_list(kind)) > 1000
    assert "John" in name_list("first_names") and "Patel" in name_list("surnames")
