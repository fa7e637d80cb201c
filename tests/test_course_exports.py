"""Gradebook CSV and xAPI exports of a generated class, and their CLI verbs: content checked
(scores, empty cells, injection, statement rules from xAPI 1.0.3), LRS posting against a local
HTTP server."""

from __future__ import annotations

import base64
import csv
import json
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import jsonschema
import pandas as pd
import pytest
from click.testing import CliRunner

from dystonia_teach.cli import cli
from dystonia_teach.course.demo import demo_frame, write_demo_store
from dystonia_teach.course.gradebook import NOT_REGRADED_COLUMN, gradebook, write_csv
from dystonia_teach.course.lrs import LrsError, post_statements
from dystonia_teach.course.xapi import DEFAULT_HOMEPAGE, namespace, statements
from dystonia_teach.store.base import AS_SUBMITTED, graded_label

CASES = ["early_uncomplicated", "progressive_foot_drop", "polyneuropathy_mimic"]

# -- the xAPI 1.0.3 statement rules (Data, section 2.4), as a JSON schema --------------------
IRI = {"type": "string", "pattern": r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s]+$"}
LANGUAGE_MAP = {"type": "object", "minProperties": 1,
                "propertyNames": {"pattern": r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$"},
                "additionalProperties": {"type": "string"}}
EXTENSIONS = {"type": "object", "propertyNames": IRI}
UUID = {"type": "string",
        "pattern": r"^[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"}
ACCOUNT = {"type": "object", "required": ["homePage", "name"], "additionalProperties": False,
           "properties": {"homePage": {**IRI, "pattern": r"^https?://[^\s]+$"},
                          "name": {"type": "string", "minLength": 1}}}
AGENT = {"type": "object", "additionalProperties": False,
         "properties": {"objectType": {"const": "Agent"}, "name": {"type": "string"},
                        "mbox": {"type": "string", "pattern": "^mailto:"},
                        "mbox_sha1sum": {"type": "string", "pattern": "^[0-9a-f]{40}$"},
                        "openid": IRI, "account": ACCOUNT},
         # exactly one inverse functional identifier
         "oneOf": [{"required": [ifi]} for ifi in ("mbox", "mbox_sha1sum", "openid", "account")]}
ACTIVITY = {"type": "object", "required": ["id"], "additionalProperties": False,
            "properties": {"objectType": {"const": "Activity"}, "id": IRI, "definition": {
                "type": "object", "additionalProperties": False,
                "properties": {"name": LANGUAGE_MAP, "description": LANGUAGE_MAP, "type": IRI,
                               "moreInfo": IRI, "extensions": EXTENSIONS}}}}
SCORE = {"type": "object", "additionalProperties": False, "minProperties": 1,
         "properties": {"scaled": {"type": "number", "minimum": -1, "maximum": 1},
                        "raw": {"type": "number"}, "min": {"type": "number"},
                        "max": {"type": "number"}}}
STATEMENT_SCHEMA = {
    "type": "object", "required": ["id", "actor", "verb", "object", "timestamp"],
    "additionalProperties": False,
    "properties": {
        "id": UUID, "actor": AGENT,
        "verb": {"type": "object", "required": ["id"], "additionalProperties": False,
                 "properties": {"id": IRI, "display": LANGUAGE_MAP}},
        "object": ACTIVITY,
        "result": {"type": "object", "additionalProperties": False,
                   "properties": {"score": SCORE, "success": {"type": "boolean"},
                                  "completion": {"type": "boolean"},
                                  "response": {"type": "string"},
                                  "duration": {"type": "string", "pattern": "^P"},
                                  "extensions": EXTENSIONS}},
        "context": {"type": "object", "additionalProperties": False, "properties": {
            "registration": UUID, "platform": {"type": "string"},
            "revision": {"type": "string"}, "language": {"type": "string"},
            "contextActivities": {"type": "object", "additionalProperties": False,
                                  "patternProperties": {"^(parent|grouping|category|other)$": {
                                      "type": "array", "items": ACTIVITY}}},
            "extensions": EXTENSIONS}},
        "timestamp": {"type": "string", "format": "date-time"},
    },
}


def xapi_rule_violations(statement: dict) -> list[str]:
    """Every broken statement rule: the schema's, plus raw within min..max (Data 2.4.5.1)."""
    validator = jsonschema.Draft202012Validator(
        STATEMENT_SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    problems = [f"{'/'.join(map(str, e.path))}: {e.message}"
                for e in validator.iter_errors(statement)]
    score = statement.get("result", {}).get("score", {})
    if {"raw", "min", "max"} <= set(score) and not score["min"] <= score["raw"] <= score["max"]:
        problems.append("result/score: raw outside min..max")
    return problems


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return demo_frame(learners=12, cases=CASES, seed=11)


# -- gradebook ---------------------------------------------------------------------------------

def test_gradebook_has_best_last_and_attempts_per_case(frame: pd.DataFrame) -> None:
    table = gradebook(frame).set_index("learner")
    for (learner, case_id), rows in frame.groupby(["learner_id", "case_id"]):
        rows = rows.sort_values("attempt_id")
        assert table.loc[learner, f"{case_id} best (%)"] == round(100 * rows["score"].max(), 1)
        assert table.loc[learner, f"{case_id} last (%)"] == round(
            100 * rows["score"].iloc[-1], 1)
        assert table.loc[learner, f"{case_id} attempts"] == len(rows)
    assert len(table) == frame["learner_id"].nunique()


def test_untried_case_and_roster_learner_get_explicit_empty_cells(frame, tmp_path) -> None:
    first = frame["learner_id"].iloc[0]
    shrunk = frame[~((frame["learner_id"] == first) & (frame["case_id"] == CASES[0]))]
    path = write_csv(gradebook(shrunk, roster=["zz-absent"], cases=CASES), tmp_path / "g.csv")
    rows = {r["learner"]: r for r in csv.DictReader(path.open(encoding="utf-8"))}
    assert rows[first][f"{CASES[0]} best (%)"] == "" and rows[first][f"{CASES[0]} attempts"] == "0"
    assert rows["zz-absent"]["cases attempted"] == "0"
    assert all(rows["zz-absent"][f"{c} last (%)"] == "" for c in CASES)


def test_formula_cells_are_neutralised(frame: pd.DataFrame, tmp_path: Path) -> None:
    evil = frame.assign(learner_id=frame["learner_id"].replace({
        frame["learner_id"].iloc[0]: "=HYPERLINK(\"http://x\")",
        frame["learner_id"].iloc[-1]: "-2+3"}))
    path = write_csv(gradebook(evil, roster=["@SUM(A1)", "+1"]), tmp_path / "g.csv")
    learners = [r[0] for r in csv.reader(path.open(encoding="utf-8"))][1:]
    assert "'=HYPERLINK(\"http://x\")" in learners and "'-2+3" in learners
    assert "'@SUM(A1)" in learners and "'+1" in learners
    assert not any(name.startswith(("=", "+", "-", "@")) for name in learners)



def test_gradebook_counts_each_learners_attempts_not_re_graded(frame: pd.DataFrame) -> None:
    label = graded_label("9.9", "kb-0")
    mixed = frame.assign(graded=[AS_SUBMITTED if i % 3 else label for i in range(len(frame))])
    table = gradebook(mixed).set_index("learner")
    unchecked = mixed[mixed["graded"] == AS_SUBMITTED].groupby("learner_id").size()
    assert 0 < unchecked.sum() < len(frame)
    assert table[NOT_REGRADED_COLUMN].to_dict() == unchecked.reindex(
        table.index, fill_value=0).to_dict()
    assert list(table.columns)[-1] == "mean best over all cases (%)"  # still the last column
    one_case = gradebook(mixed, roster=["zz-absent"], cases=CASES[:1]).set_index("learner")
    at_case = mixed[mixed["case_id"] == CASES[0]]
    assert one_case[NOT_REGRADED_COLUMN].sum() == (at_case["graded"] == AS_SUBMITTED).sum()
    assert one_case.loc["zz-absent", NOT_REGRADED_COLUMN] == 0

# -- xAPI --------------------------------------------------------------------------------------

def test_every_statement_follows_the_xapi_rules(frame: pd.DataFrame) -> None:
    made = statements(frame, "https://hub.example.edu")
    problems = {s["id"]: xapi_rule_violations(s) for s in made}
    assert {k: v for k, v in problems.items() if v} == {}
    assert len({s["id"] for s in made}) == len(made)


def test_the_rules_check_can_fail(frame: pd.DataFrame) -> None:
    good = statements(frame.head(1))[0]
    two_ifis = {**good, "actor": {**good["actor"], "mbox": "mailto:a@b.c"}}
    bad_score = {**good, "result": {"score": {"scaled": 1.5}}}
    no_scheme = {**good, "verb": {"id": "answered"}}
    assert xapi_rule_violations(two_ifis) and xapi_rule_violations(bad_score)
    assert xapi_rule_violations(no_scheme)
    assert xapi_rule_violations({**good, "timestamp": "yesterday"})


def test_statements_carry_verbs_scores_and_pitfalls(frame: pd.DataFrame) -> None:
    """One statement per attempt: the learner completed the case (MedBiquitous Virtual Patient
    profile: a simulation activity, the profile's version as a category), with the score,
    success against the pass mark, the plan and the pitfalls."""
    regraded = graded_label("0.9.0", "kb-000000000000")
    frame = frame.assign(graded=[AS_SUBMITTED if n % 3 else regraded for n in range(len(frame))])
    made = statements(frame, "https://hub.example.edu", pass_mark=0.8)
    assert len(made) == len(frame)
    assert {s["verb"]["id"] for s in made} == {"http://adlnet.gov/expapi/verbs/completed"}
    assert {s["object"]["definition"]["type"] for s in made} == {
        "http://adlnet.gov/expapi/activities/simulation"}
    assert all(s["context"]["contextActivities"]["category"] == [
        {"objectType": "Activity", "id": "https://w3id.org/xapi/virtual-patient/v1.0"}]
        for s in made)
    row = frame.sort_values("attempt_id").iloc[5]
    answer = made[5]
    assert answer["actor"]["account"] == {"homePage": "https://hub.example.edu",
                                          "name": row.learner_id}
    assert answer["object"]["id"].endswith(f"/cases/{row.case_id}")
    assert answer["result"]["score"]["scaled"] == pytest.approx(row.score)
    assert answer["result"]["success"] is bool(row.score >= 0.8)
    assert answer["result"]["response"] == "[,]".join(
        a if isinstance(a, str) else a["step"] for a in row.actions)
    extensions = answer["context"]["extensions"]
    assert [v for k, v in extensions.items() if k.endswith("pitfall-codes")] == [
        list(row.pitfalls)]
    assert [v for k, v in extensions.items() if k.endswith("attempt-number")] == [row.number]
    assert answer["timestamp"].endswith("Z")
    sources = [next(v for k, v in s["context"]["extensions"].items()
                    if k.endswith("score-source")) for s in made]
    assert sources == ["re-graded" if g == regraded else "as submitted"
                       for g in frame.sort_values("attempt_id")["graded"]]


def test_statement_ids_follow_from_the_content(frame: pd.DataFrame) -> None:
    """The same attempt and grade give the same id on every export; a changed grade, learner
    or home page gives another; the id is the UUID5 of the content, so one id never has two
    contents."""
    first = statements(frame)
    assert [s["id"] for s in first] == [s["id"] for s in statements(frame)]
    other = frame.assign(learner_id="p-" + frame["learner_id"])
    assert not {s["id"] for s in first} & {s["id"] for s in statements(other)}
    regraded = frame.assign(score=frame["score"].where(frame["attempt_id"] != 3, 0.123))
    changed = [a["id"] != b["id"] for a, b in zip(first, statements(regraded), strict=True)]
    assert changed == [attempt_id == 3 for attempt_id in sorted(frame["attempt_id"])]
    elsewhere = statements(frame, "https://hub.example.edu")
    assert not {s["id"] for s in first} & {s["id"] for s in elsewhere}
    for made in first[:3]:
        content = json.dumps({k: v for k, v in made.items() if k != "id"},
                             ensure_ascii=False, separators=(",", ":"), sort_keys=True)
        assert made["id"] == str(uuid.uuid5(namespace(DEFAULT_HOMEPAGE), content))


# -- LRS ---------------------------------------------------------------------------------------

class FakeLrs(BaseHTTPRequestHandler):
    """Accepts statements with user "course" / password "secret"; answers 503 to the first
    request when told to (``fail_first``)."""

    received: ClassVar[list[dict]] = []
    fail_first: ClassVar[int] = 0

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        expected = "Basic " + base64.b64encode(b"course:secret").decode()
        if self.headers.get("Authorization") != expected:
            self._answer(401, b"bad credentials")
        elif self.headers.get("X-Experience-API-Version") != "1.0.3":
            self._answer(400, b"version header missing")
        elif type(self).fail_first > 0:
            type(self).fail_first -= 1
            self._answer(503, b"busy")
        else:
            batch = json.loads(body)
            type(self).received.extend(batch)
            self._answer(200, json.dumps([s["id"] for s in batch]).encode())

    def _answer(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Content-Type", "application/json" if status == 200 else "text/plain")
        if status == 503:
            self.send_header("Retry-After", "0")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def lrs() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeLrs)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/xapi"
    finally:
        server.shutdown()
        server.server_close()


def test_statements_are_posted_in_batches_with_retries(frame, lrs: str) -> None:
    made = statements(frame)
    FakeLrs.received, FakeLrs.fail_first = [], 1
    sent = post_statements(made, lrs, auth=("course", "secret"), batch_size=7, backoff=0)
    assert sent == len(made)
    assert [s["id"] for s in FakeLrs.received] == [s["id"] for s in made]


def test_a_refusal_is_a_clear_error(frame: pd.DataFrame, lrs: str) -> None:
    with pytest.raises(LrsError, match=r"HTTP 401 .*user name and password.*0 of \d+"):
        post_statements(statements(frame), lrs, auth=("course", "wrong"), backoff=0)
    FakeLrs.fail_first = 5
    with pytest.raises(LrsError, match="HTTP 503"):
        post_statements(statements(frame), lrs, auth=("course", "secret"), retries=2, backoff=0)
    FakeLrs.fail_first = 0
    with pytest.raises(LrsError, match="cannot reach the LRS"):
        post_statements(statements(frame), "http://127.0.0.1:9/xapi", retries=0)


# -- the command line --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def store_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return write_demo_store(tmp_path_factory.mktemp("store") / "class.sqlite3", learners=6)


def test_cli_exports_pseudonymous_unless_real_ids(store_url: str, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "grades.csv"
    result = runner.invoke(cli, ["export", "gradebook", "--store", store_url, "-o", str(out),
                                 "--salt", "s3"])
    assert result.exit_code == 0, result.output
    learners = [r["learner"] for r in csv.DictReader(out.open(encoding="utf-8"))]
    assert len(learners) == 6 and all(name.startswith("learner-") for name in learners)
    roster = tmp_path / "roster.txt"
    roster.write_text("demo-0001\nnever-came\n", encoding="utf-8")
    result = runner.invoke(cli, ["export", "gradebook", "--store", store_url, "-o", str(out),
                                 "--salt", "s3", "--roster", str(roster)])
    again = [r["learner"] for r in csv.DictReader(out.open(encoding="utf-8"))]
    assert len(again) == 7 and set(learners) < set(again)  # the roster's demo-0001 matched
    assert not any(name in ("demo-0001", "never-came") for name in again)
    result = runner.invoke(cli, ["export", "gradebook", "--store", store_url, "-o", str(out),
                                 "--real-ids"])
    assert [r["learner"] for r in csv.DictReader(out.open(encoding="utf-8"))] == [
        f"demo-{n:04d}" for n in range(1, 7)]


def test_cli_xapi_writes_and_posts(store_url: str, tmp_path: Path, lrs: str) -> None:
    FakeLrs.received, FakeLrs.fail_first = [], 0
    out = tmp_path / "statements.json"
    ledger = tmp_path / "ledger.sqlite3"
    result = CliRunner(env={"DYSTONIA_TEACH_LRS_PASSWORD": "secret"}).invoke(cli, [
        "export", "xapi", "--store", store_url, "-o", str(out), "--salt", "s3",
        "--lrs", lrs, "--lrs-user", "course", "--batch-size", "10", "--ledger", str(ledger)])
    assert result.exit_code == 0, result.output
    written = json.loads(out.read_text(encoding="utf-8"))
    assert [s["id"] for s in FakeLrs.received] == [s["id"] for s in written]
    refused = CliRunner().invoke(cli, ["export", "xapi", "--store", store_url, "-o", str(out),
                                       "--lrs", lrs, "--lrs-user", "course", "--salt", "s4",
                                       "--lrs-password", "nope", "--ledger", str(ledger)])
    assert refused.exit_code == 1 and "HTTP 401" in refused.output
    assert "Traceback" not in refused.output


def test_cli_report_names_a_missing_store(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["report", "--store", str(tmp_path / "none.sqlite3")])
    assert result.exit_code == 1
    assert "no progress store" in result.output and not (tmp_path / "none.sqlite3").exists()


def test_cli_report_writes_html(store_url: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["report", "--store", store_url, "--html",
                                      str(tmp_path / "r.html")])
    assert result.exit_code == 0, result.output
    assert "Demo data" in (tmp_path / "r.html").read_text(encoding="utf-8")
    text = CliRunner().invoke(cli, ["report", "--store", store_url])
    assert "Most frequent pitfalls" in text.output


def test_instructor_verbs_keep_the_command_quick_to_start() -> None:
    """plotly, nbformat, jinja2 and tqdm load only when report/export/release run."""
    import importlib
    import subprocess
    import sys

    from dystonia_teach.course.xapi import DEFAULT_HOMEPAGE

    assert importlib.import_module("dystonia_teach.cli.export").DEFAULT_HOMEPAGE == (
        DEFAULT_HOMEPAGE)
    code = ("import sys, dystonia_teach.cli; print(sorted(m for m in "
            "('plotly', 'nbformat', 'jinja2', 'tqdm') if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120, check=True).stdout.strip()
    assert loaded == "[]"
