"""xAPI that survives a re-grade, against an LRS stub on loopback that keeps statements as a
conforming LRS does (409 for an id it holds with other content, voiding by StatementRef only,
all or nothing per batch): a changed grade is a new statement that voids the old one, an
attempt removed from the store has its statement voided, and running again sends nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from dystonia_teach.cli import cli
from dystonia_teach.course.demo import demo_frame, write_demo_store
from dystonia_teach.course.grading_status import current_label
from dystonia_teach.course.lrs import LrsError, post_statements
from dystonia_teach.course.xapi import VOIDED, class_statements, statements, voiding
from dystonia_teach.course.xapi_ledger import XapiLedger
from dystonia_teach.course.xapi_sync import SyncReport, sync_statements
from dystonia_teach.store import open_store
from dystonia_teach.store.base import Grade

from .lrs_stub import PASSWORD, USER, LrsStub, running_stub

HOME = "https://hub.example.edu"
AUTH = (USER, PASSWORD)


@pytest.fixture(scope="module")
def running() -> Iterator[LrsStub]:
    with running_stub() as started:
        yield started


@pytest.fixture
def stub(running: LrsStub) -> LrsStub:
    """The stub with an empty store."""
    running.stored, running.posts, running.flaky_budget = {}, 0, 0
    return running


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return demo_frame(learners=4, cases=["early_uncomplicated", "progressive_foot_drop"], seed=3)


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[XapiLedger]:
    with XapiLedger(tmp_path / "ledger.sqlite3") as opened:
        yield opened


def sync(frame: pd.DataFrame, stub: LrsStub, ledger: XapiLedger, kind: str = "xapi",
         **options: object) -> SyncReport:
    return sync_statements(class_statements(frame, HOME), stub.endpoint(kind), ledger, HOME,
                           auth=AUTH, backoff=0, **options)


def regraded(frame: pd.DataFrame, attempts: dict[int, float]) -> pd.DataFrame:
    """``frame`` with these attempts re-graded to these scores."""
    hit = frame["attempt_id"].isin(attempts)
    return frame.assign(score=frame["score"].mask(hit, frame["attempt_id"].map(attempts)),
                        graded=frame["graded"].mask(hit, current_label()))


def recorded_scores(stub: LrsStub) -> dict[tuple[str, str, int], float]:
    """(learner, case, attempt number) -> score, of the statements the LRS shows (not voided)."""
    found = {}
    for s in stub.current():
        number = next(v for k, v in s["context"]["extensions"].items()
                      if k.endswith("attempt-number"))
        key = (s["actor"]["account"]["name"], s["object"]["id"].rsplit("/", 1)[1], number)
        assert key not in found, f"two statements shown for {key}"
        found[key] = s["result"]["score"]["scaled"]
    return found


def class_scores(frame: pd.DataFrame) -> dict[tuple[str, str, int], float]:
    return {(r.learner_id, r.case_id, r.number): round(r.score, 4) for r in frame.itertuples()}


def test_voiding_nothing_on_a_second_run_which_sends_nothing(stub, frame, ledger, tmp_path):
    first = sync(frame, stub, ledger, batch_size=5)
    assert (len(first.plan.fresh), first.plan.voids) == (len(frame), 0)
    assert recorded_scores(stub) == class_scores(frame)
    posts = stub.posts
    again = sync(frame, stub, ledger)
    assert stub.posts == posts  # not one request
    assert (again.plan.unchanged, len(again.plan.fresh), again.plan.voids) == (len(frame), 0, 0)
    with XapiLedger(tmp_path / "new-machine.sqlite3") as other:  # no ledger: all sent again,
        sync(frame, stub, other)  # and the LRS keeps each statement once (same ids, same content)
    assert len(stub.stored) == len(frame) and not stub.voided


def test_voiding_a_regraded_attempt_replaces_its_statement(stub, frame, ledger) -> None:
    sync(frame, stub, ledger)
    before = {s.slot: s.id for s in class_statements(frame, HOME)}
    changed = regraded(frame, {2: 0.25, 5: 0.5})
    report = sync(changed, stub, ledger)
    assert (len(report.plan.replacing), report.plan.voids, report.plan.unchanged) == (
        2, 2, len(frame) - 2)
    assert recorded_scores(stub) == class_scores(changed)
    replaced = {before[s.slot] for s in class_statements(changed, HOME)
                if before[s.slot] != s.id}
    assert len(replaced) == 2 and stub.voided == replaced
    voids = [s for s in stub.stored.values() if s["verb"]["id"] == VOIDED]
    assert {(v["object"]["objectType"], v["object"]["id"]) for v in voids} == {
        ("StatementRef", old) for old in replaced}
    assert {s["context"]["statement"]["id"] for s in stub.current()
            if "statement" in s["context"]} == replaced  # each new one names the one it replaces
    assert "re-graded" in str([s["context"]["extensions"] for s in stub.current()])


def test_voiding_an_attempt_removed_from_the_store(stub, frame, ledger) -> None:
    sync(frame, stub, ledger)
    quarantined = frame[frame["attempt_id"] != 4]
    report = sync(quarantined, stub, ledger)
    assert len(report.plan.withdrawn) == 1 and report.plan.voids == 1
    assert recorded_scores(stub) == class_scores(quarantined)
    assert len(stub.voided) == 1


def test_voiding_a_grade_that_returns_to_an_earlier_value(stub, frame, ledger) -> None:
    """A -> B -> A: the third statement cannot reuse A's id (the LRS holds it voided), so it
    names the statement it replaces and has an id of its own."""
    first = regraded(frame, {3: frame.loc[frame["attempt_id"] == 3, "score"].iloc[0]})
    sync(first, stub, ledger)
    sync(regraded(frame, {3: 0.1}), stub, ledger)
    sync(first, stub, ledger)
    assert recorded_scores(stub) == class_scores(first)
    assert len(stub.voided) == 2 and len(stub.current()) == len(frame)


def test_voiding_after_an_interrupted_run_resumes_without_duplicates(stub, frame, ledger):
    stub.flaky_budget = 100
    sync(frame, stub, ledger, kind="flaky")
    changed = regraded(frame, {1: 0.3, 2: 0.3, 6: 0.3})
    stub.flaky_budget = 2  # the LRS goes down after two of the six batches
    with pytest.raises(LrsError, match=r"HTTP 503.*2 of 3 statements were stored before it"):
        sync(changed, stub, ledger, kind="flaky", batch_size=1, retries=0)
    stub.flaky_budget = 100
    resumed = sync(changed, stub, ledger, kind="flaky", batch_size=1)
    assert len(resumed.plan.replacing) == 1 and resumed.plan.voids == 3  # two left to void
    assert recorded_scores(stub) == class_scores(changed)
    assert len(stub.stored) == len(frame) + 3 + 3 and len(stub.voided) == 3


def test_voiding_stub_refuses_other_content_under_a_stored_id(stub, frame) -> None:
    made = statements(frame, HOME)
    url = stub.endpoint("xapi")
    assert post_statements(made[:2], url, auth=AUTH) == 2
    forged = {**made[0], "result": {**made[0]["result"], "success": True, "score": {
        "scaled": 1.0}}}
    with pytest.raises(LrsError, match=r"HTTP 409 \(Conflict: the LRS already holds a "
                                       r"statement with one of these ids and other content"):
        post_statements([made[2], forged], url, auth=AUTH, backoff=0)
    assert list(stub.stored) == [made[0]["id"], made[1]["id"]]  # the batch stored nothing
    assert stub.stored[made[0]["id"]] == made[0]
    assert post_statements(made[:2], url, auth=AUTH) == 2  # an identical re-post: accepted
    assert len(stub.stored) == 2
    with pytest.raises(LrsError, match=r"HTTP 400.*same id"):
        post_statements([made[3], made[3]], url, auth=AUTH, backoff=0)


def test_voiding_stub_keeps_the_voiding_rules(stub, frame) -> None:
    made = statements(frame, HOME)
    url = stub.endpoint("xapi")
    post_statements(made[:2], url, auth=AUTH)
    void = voiding(made[0]["id"], HOME)
    not_a_ref = {**void, "id": "6c0b4a1e-9d27-4e4b-8c59-8f0e34a3f001",
                 "object": {"objectType": "Activity", "id": made[0]["object"]["id"]}}
    with pytest.raises(LrsError, match=r"HTTP 400.*StatementRef"):
        post_statements([not_a_ref], url, auth=AUTH, backoff=0)
    assert post_statements([void], url, auth=AUTH) == 1
    assert stub.voided == {made[0]["id"]}
    assert [s["id"] for s in stub.current()] == [made[1]["id"]]
    with pytest.raises(LrsError, match=r"HTTP 400.*cannot target a voiding statement"):
        post_statements([voiding(void["id"], HOME)], url, auth=AUTH, backoff=0)
    assert post_statements([void], url, auth=AUTH) == 1  # voiding again repeats it exactly


def _regrade(url: str, attempt_id: int, score: float) -> None:
    with open_store(url) as store:
        store.record_grades([Grade(attempt_id, score, (), "0.0.1", "kb-000000000000")])


def test_voiding_from_the_command_line(stub: LrsStub, tmp_path: Path) -> None:
    url = write_demo_store(tmp_path / "class.sqlite3", learners=3)
    ledger = tmp_path / "ledger.sqlite3"
    command = ["export", "xapi", "--store", url, "-o", str(tmp_path / "s.json"), "--salt", "S",
               "--homepage", HOME, "--lrs", stub.endpoint("xapi"), "--ledger", str(ledger)]
    runner = CliRunner(env={"DYSTONIA_TEACH_LRS_PASSWORD": PASSWORD,
                            "DYSTONIA_TEACH_LRS_USER": USER, "DYSTONIA_TEACH_COURSE_SALT": None})
    first = runner.invoke(cli, command)
    assert first.exit_code == 0, first.output
    attempts = len(stub.stored)
    assert f"sent {attempts} new statements to {stub.url}/xapi/statements" in first.output
    posts = stub.posts  # one per batch of 100: the demo class's size follows the case bank
    again = runner.invoke(cli, command)
    assert again.exit_code == 0 and stub.posts == posts  # the second run sent nothing
    assert (f"sent 0 new statements to {stub.url}/xapi/statements (0 of them replacing "
            "statements of re-graded attempts) and 0 voiding statements") in again.output
    assert f"{attempts} statements already stored were left as they are" in again.output
    _regrade(url, 2, 0.05)
    dry = runner.invoke(cli, [*command, "--dry-run"])
    assert "would send 1 new statement " in dry.output and stub.posts == posts
    third = runner.invoke(cli, command)
    assert "sent 1 new statement to" in third.output and "and 1 voiding statement " in (
        third.output)
    assert len(stub.voided) == 1 and len(stub.current()) == attempts
    unstable = runner.invoke(cli, [c for c in command if c not in ("--salt", "S")])
    assert unstable.exit_code == 1 and "--lrs needs learner ids that stay the same" in (
        unstable.output)
    _regrade(url, 3, 0.06)
    down = runner.invoke(cli, [*command[:-4], "--lrs", stub.endpoint("flaky"), "--ledger",
                               str(ledger), "--batch-size", "1"])
    assert down.exit_code == 1 and "HTTP 503" in down.output
    assert f"remembered in {ledger}; running the same command again sends only the rest" in (
        down.output)
    assert "re-running is safe" not in first.output + down.output
