"""Forged attempts through the public store API are refused (unknown case, steps or codes, a
score out of range), on both backends; ids that reach the exports anyway (an older store, a file
edited by hand) are encoded safely: CSV cells that split no row, valid IRIs, figure labels that
never become links. Learner text with NUL or a lone surrogate is saved, not lost."""

from __future__ import annotations

import csv
import dataclasses
import json
import math
import warnings
from pathlib import Path

import pandas as pd
import pytest

from dystonia_teach import evaluate, load_case
from dystonia_teach.core.reasoning import ReasoningSession
from dystonia_teach.core.results import Action
from dystonia_teach.course.dashboard import report_html
from dystonia_teach.course.demo import demo_frame
from dystonia_teach.course.gradebook import gradebook, write_csv
from dystonia_teach.course.xapi import statements
from dystonia_teach.store import (
    AttemptStore,
    ProgressStoreError,
    TextReplacedWarning,
)

from .test_course_exports import xapi_rule_violations

CASE_ID = "early_uncomplicated"
HOSTILE_IDS = ["x\r=HYPERLINK(\"http://evil\")", "<a href='javascript:alert(1)'>open</a>",
               "naïve case/with #?&", "=1+1", "tab\tand\nnewline\u2028"]


def _honest():
    return evaluate(load_case(CASE_ID), ["history_red_flags", "neuro_exam"])


FORGERIES = {
    "unknown_case": {"case_id": "no_such_case"},
    "case_id_with_carriage_return": {"case_id": "early_uncomplicated\r=cmd"},
    "case_id_with_markup": {"case_id": "<a href=x>y</a>"},
    "case_id_as_path": {"case_id": "../cases/early_uncomplicated"},
    "pitfall_not_in_knowledge": {"pitfalls": ("<a href=x>phish</a>",)},
    "score_above_one": {"score": 1.5},
    "score_nan": {"score": math.nan},
    "score_negative": {"score": -0.1},
    "unknown_step": {"chosen": (Action("rm_rf"),)},
    "unknown_diagnosis": {"working_diagnosis": "made_up"},
}


@pytest.mark.parametrize("forgery", sorted(FORGERIES))
def test_forged_attempt_is_refused_by_the_store_api(store: AttemptStore, forgery: str) -> None:
    forged = dataclasses.replace(_honest(), **FORGERIES[forgery])
    with pytest.raises(ProgressStoreError, match="did not save this attempt") as error:
        store.record("stu_1", forged)
    assert "Nothing was saved" in str(error.value)
    assert store.all_attempts() == []
    store.record("stu_1", _honest())  # an honest one still saves
    assert len(store.all_attempts()) == 1


def test_forged_guard_accepts_a_case_from_the_course_folder(store: AttemptStore, tmp_path: Path,
                                                            monkeypatch) -> None:
    folder = tmp_path / "course_cases"
    folder.mkdir()
    text = (Path(__file__).parent.parent / "cases" / f"{CASE_ID}.yaml").read_text("utf-8")
    (folder / "course_only_case.yaml").write_text(
        text.replace(f"id: {CASE_ID}", "id: course_only_case"), encoding="utf-8")
    monkeypatch.setenv("DYSTONIA_TEACH_CASES", str(folder))
    assessment = evaluate(load_case("course_only_case"), ["neuro_exam"])
    saved = store.record("stu_1", assessment)
    assert [a.id for a in store.all_attempts("course_only_case")] == [saved]


def _hostile_frame() -> pd.DataFrame:
    frame = demo_frame(learners=5, cases=[CASE_ID], seed=3)
    ids = [HOSTILE_IDS[i % len(HOSTILE_IDS)] for i in range(len(frame))]
    return frame.assign(case_id=ids, pitfalls=[("<b>bold</b>",)] * len(frame))


def test_forged_ids_split_no_gradebook_row_and_run_no_formula(tmp_path: Path) -> None:
    frame = _hostile_frame()
    path = write_csv(gradebook(frame), tmp_path / "grades.csv")
    raw = path.read_bytes()
    assert b"\r" not in raw and raw.count(b"\n") == frame["learner_id"].nunique() + 1
    rows = list(csv.reader(path.open(encoding="utf-8", newline="")))
    assert len({len(r) for r in rows}) == 1  # every row has every column
    cells = [cell for row in rows for cell in row]
    assert not any(cell.startswith(("=", "+", "@")) for cell in cells)
    assert any("\\r=HYPERLINK" in cell for cell in rows[0])  # shown, not run or split


def test_forged_ids_make_valid_xapi_iris() -> None:
    made = statements(_hostile_frame(), "https://hub.example.edu")
    problems = [p for s in made for p in xapi_rule_violations(s)]
    assert problems == []
    assert any("%3Ca%20href" in s["object"]["id"] for s in made)
    with pytest.raises(ValueError, match="home page"):
        statements(_hostile_frame(), "javascript:alert(1)")


def test_forged_labels_never_become_links_in_the_report_figures() -> None:
    html = report_html(_hostile_frame())
    figures = html[html.index("Plotly.newPlot"):] if "Plotly.newPlot" in html else html
    assert "<a href='javascript" not in figures and "<b>bold</b>" not in figures
    assert "&lt;a href='javascript:alert(1)'&gt;" in figures  # shown as text


def _session_with(text: str) -> ReasoningSession:
    session = ReasoningSession(load_case(CASE_ID))
    session.state_problem(f"A problem {text} statement")
    session.add("neuro_exam")
    session.set_differential(["radiculopathy_dystonia"])  # submission needs the reasoning
    session.set_confidence(60)
    session.submit()
    return session


@pytest.mark.parametrize("char", ["\x00", "\ud800", "\udfff"])
def test_hostile_text_with_nul_or_lone_surrogate_is_saved_and_the_learner_told(
        store: AttemptStore, char: str) -> None:
    session = _session_with(char)
    with pytest.warns(TextReplacedWarning, match=r"record\.problem_statement"):
        saved = store.record("stu_1", session.reports[-1].assessment, session.record())
    [back] = store.attempts("stu_1")
    assert back.id == saved and back.record["problem_statement"] == "A problem \ufffd statement"
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        store.save_draft("stu_1", session.record())
    assert [w.category for w in seen] == [TextReplacedWarning]
    assert store.draft("stu_1", CASE_ID).record["problem_statement"].count("\ufffd") == 1
    json.dumps(back.record, ensure_ascii=False).encode("utf-8")  # valid UTF-8 all through


def test_hostile_record_nested_past_the_limit_is_refused_and_nothing_lost(
        store: AttemptStore) -> None:
    session = _session_with("ok")
    record = dict(session.record())
    nested: list = []
    for _ in range(5000):
        nested = [nested]
    record["extra"] = nested
    with pytest.raises(ProgressStoreError, match="nests deeper than 16"):
        store.record("stu_1", session.reports[-1].assessment, record)
    assert store.all_attempts() == []

