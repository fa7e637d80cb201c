"""Grade passback (LTI AGS) against the loopback LTI platform of tests/lti_platform.py, served in
a thread: what is sent (the launch's sub, re-graded scores per case or assignment, progress,
timestamp), what is not (scores not re-graded), re-runs that send nothing new, retries and one
clear error per learner. The hub's part (auth_state kept at launch) is built here from the
platform's own id_token claims; tests/test_lti.py runs the whole path through a real hub."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from dystonia_teach import evaluate, load_case, recommended_actions
from dystonia_teach.course.assignments import load_assignments
from dystonia_teach.course.grading import regrade
from dystonia_teach.course.hub_launches import HubUser
from dystonia_teach.course.lti_claims import LINKS_KEY, remember_launch
from dystonia_teach.course.passback import (
    AgsClient,
    Ledger,
    PassbackError,
    ToolKey,
    passback,
    plan_scores,
    scores_url,
)
from dystonia_teach.store import open_store

from .lti_platform import INSTRUCTOR, LEARNER, Platform, bind_loopback, serve_in_thread

CASE, OTHER = "early_uncomplicated", "progressive_foot_drop"
CLIENT_ID, KEY_ID = "tool-client-1", "tool-1"
USERS = {"ana": ("learner-000000000000000a", "sub-ana"),
         "ben": ("learner-000000000000000b", "sub-ben"),
         "lee": ("learner-00000000000000ee", "sub-lee")}  # hub name, LMS sub


def _pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


@pytest.fixture(scope="module")
def tool_pem() -> bytes:
    return _pem(rsa.generate_private_key(public_exponent=65537, key_size=2048))


@pytest.fixture(scope="module")
def platform(tool_pem: bytes) -> Iterator[Platform]:
    """The LMS on loopback (a thread), with the tool's public key registered."""
    sock, port = bind_loopback()
    tool_public = serialization.load_pem_private_key(tool_pem, None).public_key()
    base = f"http://127.0.0.1:{port}"
    config = {
        "base": base, "client_id": CLIENT_ID, "deployment_id": "deployment-1",
        "tool_login_url": "http://127.0.0.1:9/hub/lti13/oauth_login",
        "tool_redirect_uris": ["http://127.0.0.1:9/hub/lti13/oauth_callback"],
        "platform_key": _pem(rsa.generate_private_key(public_exponent=65537,
                                                      key_size=2048)).decode(),
        "tool_jwk": {**RSAAlgorithm.to_jwk(tool_public, as_dict=True), "kid": KEY_ID},
        "users": {name: {"sub": sub, "roles": [INSTRUCTOR if name == "lee" else LEARNER]}
                  for name, (_, sub) in USERS.items()},
    }
    with serve_in_thread(Platform(config), sock) as served:
        yield served


@pytest.fixture
def fresh(platform: Platform) -> Platform:
    platform.scores.clear()
    platform.fail_next.clear()
    return platform


def hub_user(platform: Platform, name: str, *launches: tuple[str, str]) -> HubUser:
    """The hub user ``name`` after launching each (resource link, target), as the hub keeps it."""
    state: dict = {}
    for number, (resource, target) in enumerate(launches):
        claims = platform.claims({"user": name, "resource": resource, "target": target},
                                 nonce=f"n{number}")
        claims[LINKS_KEY] = remember_launch(claims, state.get(LINKS_KEY))
        state = claims
    return HubUser(USERS[name][0], name == "lee", state)


def case_target(case_id: str) -> str:
    return f"https://hub.example/hub/user-redirect/voila/render/course/cases/{case_id}.ipynb"


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    return str(tmp_path / "class.sqlite3")


def work(store_url: str, learner: str, case_id: str, plan: list | None = None) -> float:
    """The learner submits a plan (the recommended one by default); returns its score."""
    case = load_case(case_id)
    assessment = evaluate(case, recommended_actions(case) if plan is None else plan)
    with open_store(store_url) as store:
        store.record(USERS[learner][0], assessment)
    return assessment.score


def frame_of(store_url: str, *, regraded: bool = True):
    with open_store(store_url) as store:
        if regraded:
            regrade(store, progress=False)
        return store.to_frame()


def client(platform: Platform, pem: bytes, **options: float) -> AgsClient:
    return AgsClient(ToolKey(CLIENT_ID, f"{platform.base}/token", pem, KEY_ID),
                     backoff=0.01, **options)


def test_passback_posts_each_learners_regraded_score_under_their_launch_sub(
        fresh: Platform, tool_pem: bytes, store_url: str, tmp_path: Path) -> None:
    weak = work(store_url, "ana", CASE, ["neuro_exam"])
    work(store_url, "ana", CASE, ["history_red_flags", "neuro_exam"])
    work(store_url, "ben", CASE)
    users = [hub_user(fresh, name, ("case-link", case_target(CASE))) for name in ("ana", "ben")]
    plan = plan_scores(frame_of(store_url), users)
    report = passback(plan, client(fresh, tool_pem), Ledger(tmp_path / "ledger.sqlite3"))
    assert report.failures == [] and report.sent == 2
    received = {s["userId"]: s for s in fresh.scores["case-link"]}
    assert set(received) == {"sub-ana", "sub-ben"}  # the LMS's ids, never the hub names
    best_ana = max(weak, evaluate(load_case(CASE), ["history_red_flags", "neuro_exam"]).score)
    assert received["sub-ana"]["scoreGiven"] == round(100 * best_ana, 1)
    assert received["sub-ben"]["scoreGiven"] == 100.0
    for score in received.values():
        assert score["scoreMaximum"] == 100.0
        assert (score["activityProgress"], score["gradingProgress"]) == ("Completed",
                                                                         "FullyGraded")
        assert datetime.fromisoformat(score["timestamp"]).utcoffset() is not None


def test_passback_never_posts_a_score_that_was_not_regraded(
        fresh: Platform, tool_pem: bytes, store_url: str, tmp_path: Path) -> None:
    work(store_url, "ana", CASE)
    users = [hub_user(fresh, "ana", ("case-link", case_target(CASE)))]
    ledger = Ledger(tmp_path / "ledger.sqlite3")
    report = passback(plan_scores(frame_of(store_url, regraded=False), users),
                      client(fresh, tool_pem), ledger)
    assert (report.sent, report.pending) == (0, 1) and fresh.scores == {}
    assert any("dystonia-teach grade" in line for line in report.lines())
    report = passback(plan_scores(frame_of(store_url), users), client(fresh, tool_pem), ledger)
    assert (report.sent, report.pending) == (1, 0)
    assert [s["userId"] for s in fresh.scores["case-link"]] == ["sub-ana"]


def test_passback_rerun_sends_nothing_new_and_a_changed_score_once(
        fresh: Platform, tool_pem: bytes, store_url: str, tmp_path: Path) -> None:
    work(store_url, "ana", CASE, ["neuro_exam"])
    work(store_url, "ben", CASE, ["neuro_exam"])
    users = [hub_user(fresh, name, ("case-link", case_target(CASE))) for name in ("ana", "ben")]
    ledger_file = tmp_path / "ledger.sqlite3"
    first = passback(plan_scores(frame_of(store_url), users), client(fresh, tool_pem),
                     Ledger(ledger_file))
    again = passback(plan_scores(frame_of(store_url), users), client(fresh, tool_pem),
                     Ledger(ledger_file))  # a new run: the ledger file remembers
    assert (first.sent, again.sent, again.unchanged) == (2, 0, 2)
    assert len(fresh.scores["case-link"]) == 2
    work(store_url, "ben", CASE)  # ben improves
    third = passback(plan_scores(frame_of(store_url), users), client(fresh, tool_pem),
                     Ledger(ledger_file))
    assert (third.sent, third.unchanged) == (1, 1)
    assert fresh.scores["case-link"][-1]["userId"] == "sub-ben"
    assert fresh.scores["case-link"][-1]["scoreGiven"] == 100.0


def test_passback_per_assignment_is_the_mean_over_its_cases_with_progress(
        fresh: Platform, tool_pem: bytes, store_url: str, tmp_path: Path) -> None:
    (tmp_path / "assignments.yaml").write_text(
        f"week_1:\n  title: Week 1\n  cases: [{CASE}, {OTHER}]\n", encoding="utf-8")
    groups = load_assignments(tmp_path / "assignments.yaml")
    work(store_url, "ana", CASE)
    work(store_url, "ben", CASE)
    work(store_url, "ben", OTHER)
    target = "https://hub.example/hub/user-redirect/voila/render/course/02.ipynb?assignment=week_1"
    users = [hub_user(fresh, name, ("week-1", target)) for name in ("ana", "ben")]
    report = passback(plan_scores(frame_of(store_url), users, groups), client(fresh, tool_pem),
                      Ledger(tmp_path / "ledger.sqlite3"))
    assert report.sent == 2
    received = {s["userId"]: s for s in fresh.scores["week-1"]}
    assert (received["sub-ana"]["scoreGiven"], received["sub-ana"]["activityProgress"]) == (
        50.0, "InProgress")  # one of two cases, at 100 %
    assert (received["sub-ben"]["scoreGiven"], received["sub-ben"]["activityProgress"]) == (
        100.0, "Completed")


def test_passback_scores_a_course_link_for_learners_who_launched_another_link(
        fresh: Platform, tool_pem: bytes, store_url: str, tmp_path: Path) -> None:
    """auth_state keeps only the last launch; the links of every launch are kept, and a score
    goes to each link of the learner's course that grades it, whoever launched it."""
    work(store_url, "ana", CASE)
    work(store_url, "ana", OTHER)
    work(store_url, "ben", OTHER)
    ana = hub_user(fresh, "ana", ("link-1", case_target(CASE)), ("link-2", case_target(OTHER)))
    ben = hub_user(fresh, "ben", ("link-2", case_target(OTHER)))
    assert set(ana.auth_state[LINKS_KEY]) == {"link-1", "link-2"}
    passback(plan_scores(frame_of(store_url), [ana, ben]), client(fresh, tool_pem),
             Ledger(tmp_path / "ledger.sqlite3"))
    assert sorted(s["userId"] for s in fresh.scores["link-1"]) == ["sub-ana"]
    assert sorted(s["userId"] for s in fresh.scores["link-2"]) == ["sub-ana", "sub-ben"]


def test_passback_leaves_out_instructors_and_notes_links_it_cannot_grade(
        fresh: Platform, tool_pem: bytes, store_url: str, tmp_path: Path) -> None:
    work(store_url, "ana", CASE)
    work(store_url, "lee", CASE)
    users = [hub_user(fresh, "ana", ("case-link", case_target(CASE)),
                      ("home", "https://hub.example/hub/user-redirect/lab"),
                      ("typo", case_target("early_uncomplicatd"))),
             hub_user(fresh, "lee", ("case-link", case_target(CASE)))]
    plan = plan_scores(frame_of(store_url), users)
    assert [s.user_id for s in plan.scores] == ["sub-ana"]
    assert len(plan.notes) == 2
    assert "'home' opens https://hub.example/hub/user-redirect/lab and grades no case" in (
        plan.notes[0])
    assert "'typo' grades case 'early_uncomplicatd', which is not a case" in plan.notes[1]


def test_passback_retries_and_names_each_learner_it_could_not_send(
        fresh: Platform, tool_pem: bytes, store_url: str, tmp_path: Path) -> None:
    for name in ("ana", "ben"):
        work(store_url, name, CASE)
    users = [hub_user(fresh, name, ("case-link", case_target(CASE))) for name in ("ana", "ben")]
    plan = plan_scores(frame_of(store_url), users)
    ledger = Ledger(tmp_path / "ledger.sqlite3")
    fresh.fail_next[:] = [503, 502, 400]  # two retried failures, then a refusal
    report = passback(plan, client(fresh, tool_pem, workers=1), ledger)
    assert report.sent == 1 and len(report.failures) == 1
    failed = next(s for s in plan.scores if s.learner_id in report.failures[0])
    assert f"({'case ' + CASE})" in report.failures[0]
    assert "HTTP 400" in report.failures[0] and scores_url(failed.lineitem) in report.failures[0]
    again = passback(plan, client(fresh, tool_pem), ledger)  # the refused one only
    assert (again.sent, again.unchanged, again.failures) == (1, 1, [])
    assert sorted(s["userId"] for s in fresh.scores["case-link"]) == ["sub-ana", "sub-ben"]


def test_passback_with_a_key_the_lms_does_not_know_is_one_clear_error(
        fresh: Platform, store_url: str, tmp_path: Path) -> None:
    work(store_url, "ana", CASE)
    plan = plan_scores(frame_of(store_url),
                       [hub_user(fresh, "ana", ("case-link", case_target(CASE)))])
    stranger = _pem(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    with pytest.raises(PassbackError, match=r"refused the tool.*invalid_client"):
        passback(plan, client(fresh, stranger), Ledger(tmp_path / "ledger.sqlite3"))
    assert fresh.scores == {}


def test_passback_dry_run_sends_nothing(fresh: Platform, tool_pem: bytes, store_url: str,
                                        tmp_path: Path) -> None:
    work(store_url, "ana", CASE)
    plan = plan_scores(frame_of(store_url),
                       [hub_user(fresh, "ana", ("case-link", case_target(CASE)))])
    report = passback(plan, client(fresh, tool_pem), Ledger(tmp_path / "l.sqlite3"),
                      dry_run=True)
    assert report.lines()[0].startswith("Would send 1 scores") and fresh.scores == {}
    assert json.loads(plan.scores[0].body("2030-01-01T00:00:00+00:00"))["userId"] == "sub-ana"


def test_passback_renews_an_access_token_the_lms_no_longer_accepts(
        fresh: Platform, tool_pem: bytes, store_url: str, tmp_path: Path) -> None:
    work(store_url, "ana", CASE)
    plan = plan_scores(frame_of(store_url),
                       [hub_user(fresh, "ana", ("case-link", case_target(CASE)))])
    ags = client(fresh, tool_pem)
    first = ags.token()
    fresh.tokens.clear()  # the LMS forgot it (expired)
    report = passback(plan, ags, Ledger(tmp_path / "l.sqlite3"))
    assert (report.sent, report.failures) == (1, []) and ags.token() != first
