"""Gradebooks Canvas and Moodle import as they are, checked against the importers' documented
rules (restated below from Canvas's GradebookImporter and Moodle's grade import mapping form),
one column per assignment, learners named by an id map; and the assignments file."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from dystonia_teach import evaluate, load_case, recommended_actions
from dystonia_teach.cli import cli
from dystonia_teach.course.assignments import (
    Assignment,
    AssignmentsError,
    assignment_scores,
    load_assignments,
)
from dystonia_teach.course.grading_status import current_label
from dystonia_teach.course.lms_gradebook import (
    CANVAS_IDENTITY,
    MOODLE_IDENTIFIERS,
    IdMapError,
    canvas_gradebook,
    moodle_gradebook,
    read_roster,
)
from dystonia_teach.store import open_store
from dystonia_teach.store.base import AS_SUBMITTED

CASE, OTHER = "early_uncomplicated", "progressive_foot_drop"
NOW = current_label()


# -- the importers' rules -------------------------------------------------------------------

def canvas_reads(header: list[str]) -> tuple[int, list[str]]:
    """Canvas's header check (GradebookImporter#header?, #update_column_count): the number of
    student columns and the assignment columns; AssertionError where Canvas says "Invalid
    header row"."""
    assert len(header) > 3 and "Student" in header[0] and "ID" in header[1]
    student_columns = 3
    if re.search(r"SIS\s+Login\s+ID", header[2]):
        student_columns += 1
    elif re.search(r"SIS\s+User\s+ID", header[2]) and re.search(r"SIS\s+Login\s+ID", header[3]):
        student_columns += 2
    assert "Section" in header[student_columns - 1]
    return student_columns, header[student_columns:]


def canvas_title_and_id(column: str) -> tuple[str, str | None]:
    """Canvas's Assignment.title_and_id: 'Title (123)' fills assignment 123."""
    found = re.fullmatch(r"(.*)\s\((\d+)\)", column)
    return (found.group(1), found.group(2)) if found else (column, None)


MOODLE_MAP_TO = [label for label, _ in MOODLE_IDENTIFIERS]  # "Map to" labels, Moodle's order


def moodle_maps(header: list[str], grade_items: list[str]) -> tuple[str | None, dict[str, str]]:
    """Moodle's mapping form defaults: the first "Map to" label (in Moodle's order) that is a
    header selects itself; a header '<item> (Real)' maps to the grade item of that name."""
    identifier = next((label for label in ["User ID", *MOODLE_MAP_TO] if label in header), None)
    items = {h: h.split(" (Real)")[0].strip() for h in header
             if " (Real)" in h and h.split(" (Real)")[0].strip() in grade_items}
    return identifier, items


# -- fixtures ------------------------------------------------------------------------------

def frame(rows: list[tuple[str, str, float, str]]) -> pd.DataFrame:
    """An attempts frame: (learner, case, score 0-1, graded label) per attempt."""
    return pd.DataFrame([{"attempt_id": n, "learner_id": learner, "case_id": case_id,
                          "number": 1, "submitted_at": "", "score": score, "pitfalls": (),
                          "graded": graded, "actions": ()}
                         for n, (learner, case_id, score, graded) in enumerate(rows, 1)])


def id_map(**learners: dict[str, str]) -> dict[str, dict[str, str]]:
    fields = ("name", "email", "lms_user_id", "sis_user_id", "login_id", "section")
    return {name: {key: ids.get(key, "") for key in fields} for name, ids in learners.items()}


CLASS = frame([("ana", CASE, 0.5, NOW), ("ana", CASE, 0.9, NOW), ("ana", CASE, 0.7, NOW),
               ("ana", OTHER, 0.6, NOW), ("ben", CASE, 1.0, NOW),
               ("ben", OTHER, 0.4, AS_SUBMITTED)])
GROUPS = [Assignment("week_1", "Week 1", (CASE, OTHER), 1234, "External tool: Week 1"),
          Assignment("first", "First case", (CASE,))]
IDS = id_map(ana={"name": "Ana Example", "lms_user_id": "101", "sis_user_id": "S-1",
                  "login_id": "ana1", "email": "ana@uni.example"},
             ben={"name": "Ben Example", "lms_user_id": "102", "sis_user_id": "S-2",
                  "login_id": "ben2", "email": "ben@uni.example"},
             cleo={"name": "Cleo Example", "lms_user_id": "103", "sis_user_id": "S-3",
                   "login_id": "cleo3", "email": "cleo@uni.example"})


def rows_of(book) -> list[list[str]]:
    return [[*map(str, book.table.columns)],
            *([("" if pd.isna(v) else str(v)) for v in row] for row in book.table.to_numpy())]


# -- Canvas ---------------------------------------------------------------------------------

def test_canvas_header_is_the_documented_import_layout() -> None:
    book = canvas_gradebook(assignment_scores(CLASS, GROUPS), GROUPS, IDS)
    header, points, *learners = rows_of(book)
    assert header[:5] == list(CANVAS_IDENTITY)
    student_columns, assignments = canvas_reads(header)
    assert student_columns == 5 and assignments == ["Week 1 (1234)", "First case"]
    assert points[0] == "Points Possible" and points[5:] == ["100.0", "100.0"]
    assert [row[:5] for row in learners] == [["Ana Example", "101", "S-1", "ana1", ""],
                                             ["Ben Example", "102", "S-2", "ben2", ""],
                                             ["Cleo Example", "103", "S-3", "cleo3", ""]]


def test_canvas_one_column_per_assignment_from_each_cases_best_regraded_score() -> None:
    book = canvas_gradebook(assignment_scores(CLASS, GROUPS), GROUPS, IDS)
    table = book.table.set_index("Student")
    assert table.loc["Ana Example", "First case"] == 90.0  # best of three attempts
    assert table.loc["Ana Example", "Week 1 (1234)"] == 75.0  # mean of 90 and 60
    assert table.loc["Ben Example", "First case"] == 100.0
    assert pd.isna(table.loc["Ben Example", "Week 1 (1234)"])  # pending: OTHER not re-graded
    assert table.loc["Cleo Example"].iloc[5:].isna().all()  # roster only: nothing to change
    assert book.pending == 1


def test_canvas_column_names_the_canvas_assignment_id() -> None:
    book = canvas_gradebook(assignment_scores(CLASS, GROUPS), GROUPS, IDS)
    _, assignments = canvas_reads(list(book.table.columns))
    assert [canvas_title_and_id(c) for c in assignments] == [("Week 1", "1234"),
                                                             ("First case", None)]


def test_canvas_leaves_out_learners_missing_from_the_id_map_and_says_so() -> None:
    book = canvas_gradebook(assignment_scores(CLASS, GROUPS), GROUPS,
                            {k: v for k, v in IDS.items() if k != "ben"})
    assert "Ben Example" not in set(book.table["Student"]) and book.not_in_roster == ["ben"]


# -- Moodle ---------------------------------------------------------------------------------

def test_moodle_header_lets_moodle_map_learners_and_grade_items_itself() -> None:
    book = moodle_gradebook(assignment_scores(CLASS, GROUPS), GROUPS, IDS)
    header, *learners = rows_of(book)
    identifier, items = moodle_maps(header, ["External tool: Week 1", "First case"])
    assert identifier == "Username"
    assert items == {"External tool: Week 1 (Real)": "External tool: Week 1",
                     "First case (Real)": "First case"}
    assert [h for h in header if h in ["User ID", *MOODLE_MAP_TO]] == ["Username"]  # one only
    assert learners[0] == ["ana1", "Ana Example", "75.0", "90.0"]
    assert learners[1] == ["ben2", "Ben Example", "", "100.0"]  # Week 1 pending: empty


def test_moodle_identifier_is_one_every_learner_has() -> None:
    partial = {name: {**ids, "login_id": "" if name == "ben" else ids["login_id"]}
               for name, ids in IDS.items()}
    book = moodle_gradebook(assignment_scores(CLASS, GROUPS), GROUPS, partial)
    assert moodle_maps(list(book.table.columns), [])[0] == "ID number"
    no_ids = id_map(ana={"email": "ana@uni.example"}, ben={})
    book = moodle_gradebook(assignment_scores(CLASS, GROUPS), GROUPS, no_ids)
    assert book.table.columns[0] == "Email address"
    assert book.notes and "ben" in book.notes[0] and "Moodle skips their rows" in book.notes[0]


# -- the command, from a store ---------------------------------------------------------------

@pytest.fixture
def graded_store(tmp_path: Path) -> str:
    url = str(tmp_path / "class.sqlite3")
    with open_store(url) as store:
        for learner, case_id in (("ana", CASE), ("ana", OTHER), ("ben", CASE)):
            case = load_case(case_id)
            store.record(learner, evaluate(case, recommended_actions(case)))
    assert CliRunner().invoke(cli, ["grade", "--store", url, "--no-progress"]).exit_code == 0
    with open_store(url) as store:
        store.record("ben", evaluate(load_case(OTHER), ["neuro_exam"]))  # after `grade`
    return url


def test_canvas_and_moodle_cli_write_the_import_layouts(graded_store: str,
                                                        tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text("learner,name,email,lms_user_id,sis_user_id,login_id,section\n"
                      "ana,Ana Example,ana@uni.example,101,S-1,ana1,A\n"
                      "ben,Ben Example,ben@uni.example,102,S-2,ben2,A\n", encoding="utf-8")
    runner = CliRunner()
    for layout in ("canvas", "moodle"):
        out = tmp_path / f"{layout}.csv"
        result = runner.invoke(cli, ["export", "gradebook", "--store", graded_store, "--format",
                                     layout, "--roster", str(roster), "-o", str(out)])
        assert result.exit_code == 0, result.output
        assert "2 learners, 2 assignments" in result.output
        assert "1 scores left empty" in result.output  # ben's OTHER, not re-graded
        rows = list(csv.reader(out.open(encoding="utf-8")))
        if layout == "canvas":
            assert canvas_reads(rows[0])[0] == 5 and rows[1][0] == "Points Possible"
            assert rows[2][:5] == ["Ana Example", "101", "S-1", "ana1", "A"]
            assert rows[2][5:] == ["100.0", "100.0"] and rows[3][5:] == ["100.0", ""]
        else:
            assert moodle_maps(rows[0], [])[0] == "Username"
            assert rows[1:] == [["ana1", "Ana Example", "100.0", "100.0"],
                                ["ben2", "Ben Example", "100.0", ""]]


def test_canvas_cli_without_a_roster_names_the_command_that_writes_one(
        graded_store: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["export", "gradebook", "--store", graded_store,
                                      "--format", "canvas", "-o", str(tmp_path / "c.csv")])
    assert result.exit_code == 1 and "needs --roster" in result.output
    assert "dystonia-teach lti roster" in result.output
    assert not (tmp_path / "c.csv").exists()


def test_canvas_roster_errors_name_file_line_and_field(tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text("learner,name,nickname\nana,Ana,\nben,Ben,\nana,Ana again,\n",
                      encoding="utf-8")
    with pytest.raises(IdMapError) as err:
        read_roster(roster)
    lines = str(err.value).splitlines()
    assert lines[0].startswith(f"{roster}:1: nickname: unknown_field")
    assert lines[1].startswith(f"{roster}:4: learner: invalid_value: learner 'ana' is listed "
                               "twice")
    plain = tmp_path / "class-list.txt"
    plain.write_text("ana\n\nben\n", encoding="utf-8")
    assert list(read_roster(plain)) == ["ana", "ben"]


def test_moodle_assignments_file_errors_name_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "assignments.yaml"
    path.write_text(f"week_1:\n  title: Week 1\n  cases: [{CASE}, no_such_case, {CASE}]\n"
                    "week 2:\n  cases: []\n  weight: 2\n", encoding="utf-8")
    with pytest.raises(AssignmentsError) as err:
        load_assignments(path)
    shown = [str(issue) for issue in err.value.issues]
    assert f"{path}:3: week_1.cases.1: invalid_value: no case with id 'no_such_case'" in "\n".join(
        shown)
    assert any(s.startswith(f"{path}:3: week_1.cases.2: invalid_value: case '{CASE}' is listed "
                            "twice") for s in shown)
    assert any(s.startswith(f"{path}:4: week 2: invalid_value: assignment id 'week 2'")
               for s in shown)
    assert any(s.startswith(f"{path}:6: week 2.weight: unknown_field") for s in shown)
    assert any(s.startswith(f"{path}:4: week 2: missing_field: title is missing") for s in shown)
    path.write_text(f"week_1:\n  title: Week 1\n  cases: [{CASE}]\n  canvas_assignment_id: 7\n",
                    encoding="utf-8")
    assert load_assignments(path) == [Assignment("week_1", "Week 1", (CASE,), 7, None)]


def test_canvas_columns_of_cases_sharing_a_title_name_their_case(monkeypatch) -> None:
    from dystonia_teach.course import assignments, reports

    monkeypatch.setattr(reports, "case_title", lambda case_id: "A postal worker")
    groups = assignments.one_per_case([CASE, OTHER])
    book = canvas_gradebook(assignment_scores(CLASS, groups), groups, IDS)
    assert canvas_reads(list(book.table.columns))[1] == [f"A postal worker [{CASE}]",
                                                         f"A postal worker [{OTHER}]"]


def test_canvas_roster_written_by_lti_roster_reads_back_the_same(tmp_path: Path) -> None:
    from dystonia_teach.course.lms_gradebook import write_roster

    ids = {**IDS, "-dash": {**IDS["ana"], "name": "=HYPERLINK()"}}
    write_roster(ids, tmp_path / "roster.csv")
    back = read_roster(tmp_path / "roster.csv")
    assert set(back) == set(ids) and back["ana"] == ids["ana"]
    assert back["-dash"]["name"] == "'=HYPERLINK()"  # kept neutralised for the LMS too
