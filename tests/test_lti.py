"""LTI 1.3 into the course hub, for real on loopback: the LMS stand-in of tests/lti_platform.py
(in a thread) launches learners into deploy/jupyterhub/lti_config.py (the hub as a process,
with the class's PostgreSQL store). A learner follows an LMS link, lands in a given case with no
second login and submits a plan from their kernel; `grade` re-scores it and `lti passback` posts
it to the link's grade column, where the platform holds it under the learner's LMS id. An LMS
instructor gets the instructor role in the store. A launch with a bad signature, for another
client, replayed or expired is refused with a message saying so. Hub, proxy and servers are
started once for the module and stopped by their pids."""

from __future__ import annotations

import html
import json
import re
import secrets
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import jwt
import psycopg
import pytest
import requests
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from dystonia_teach.cli import cli
from dystonia_teach.store import pseudonym
from dystonia_teach.store.postgres import INSTRUCTOR_GROUP, LEARNER_GROUP

from .hub_server import PROXY, REPO, Hub, Learner, _free_port, running_hub
from .lti_platform import INSTRUCTOR, LEARNER, Platform, bind_loopback, serve_in_thread
from .store_fixtures import PgServer

LTI_CONFIG = REPO / "deploy" / "jupyterhub" / "lti_config.py"
CASE = "early_uncomplicated"
CLIENT_ID, KEY_ID, SALT = "dystonia-tool", "tool-1", "lti-test-course-salt"
SUBS = {"ana": "0c1d9a2e-ana", "lee": "7f3e11b0-lee", "cat": "5a5a5a5a-cat"}
APP_LINK = f"/hub/user-redirect/voila/render/course/cases/{CASE}.ipynb"
SUBMIT = """
import json
from dystonia_teach import evaluate, load_case
from dystonia_teach.store import current_learner, open_store
with open_store() as store:
    store.record(current_learner(), evaluate(load_case({case!r}), {plan!r}))
    mine = len(store.attempts(current_learner()))
print(json.dumps({{"me": current_learner(), "mine": mine}}))
"""


def _pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def hub_name(platform: Platform, user: str) -> str:
    """The hub user an LMS user becomes: the course pseudonym of issuer and LMS id."""
    return pseudonym(f"{platform.base} {SUBS[user]}", SALT)


@dataclass
class Course:
    hub: Hub
    platform: Platform
    admin_store: str
    service_token: str
    tool_key: Path
    folder: Path


@pytest.fixture(scope="module")
def course(pg_server: PgServer) -> Iterator[Course]:
    """The LMS (a thread) and the LTI course hub (a process) on loopback, both stopped at the
    end, the hub by its pid (tests/hub_server.py)."""
    if not PROXY.exists():
        pytest.skip("configurable-http-proxy is missing: run 'make hub-deps'")
    folder = Path(tempfile.mkdtemp(prefix="dt-lti-"))
    tool_pem = _pem(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    (folder / "tool-key.pem").write_bytes(tool_pem)
    tool_public = serialization.load_pem_private_key(tool_pem, None).public_key()
    sock, platform_port = bind_loopback()
    hub_port = _free_port()
    hub_url, base = f"http://127.0.0.1:{hub_port}", f"http://127.0.0.1:{platform_port}"
    platform = Platform({
        "base": base, "client_id": CLIENT_ID, "deployment_id": "deployment-1",
        "tool_login_url": f"{hub_url}/hub/lti13/oauth_login",
        "tool_redirect_uris": [f"{hub_url}/hub/lti13/oauth_callback"],
        "platform_key": _pem(rsa.generate_private_key(public_exponent=65537,
                                                      key_size=2048)).decode(),
        "tool_jwk": {**RSAAlgorithm.to_jwk(tool_public, as_dict=True), "kid": KEY_ID},
        "users": {"ana": {"sub": SUBS["ana"], "roles": [LEARNER], "name": "Ana Example",
                          "email": "ana@example.edu"},
                  "cat": {"sub": SUBS["cat"], "roles": [LEARNER]},
                  "lee": {"sub": SUBS["lee"], "roles": [INSTRUCTOR]}}})
    admin_store = pg_server.admin_url(pg_server.create_database())
    service_token = secrets.token_hex(32)
    env = {"DYSTONIA_TEACH_LTI_ISSUER": base, "DYSTONIA_TEACH_LTI_CLIENT_ID": CLIENT_ID,
           "DYSTONIA_TEACH_LTI_AUTHORIZE_URL": f"{base}/authorize",
           "DYSTONIA_TEACH_LTI_JWKS_URL": f"{base}/jwks", "DYSTONIA_TEACH_COURSE_SALT": SALT,
           "JUPYTERHUB_CRYPT_KEY": secrets.token_hex(32),
           "DYSTONIA_TEACH_LTI_SERVICE_TOKEN": service_token}
    try:
        with serve_in_thread(platform, sock), running_hub(
                folder / "hub", users=[], instructors=[], admin_store=admin_store,
                config=LTI_CONFIG, port=hub_port, env=env) as hub:
            yield Course(hub, platform, admin_store, service_token, folder / "tool-key.pem",
                         folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@dataclass
class Launch:
    """An LMS launch stopped at the platform's auto-submitted form (the browser's next step)."""

    http: requests.Session
    action: str
    fields: dict[str, str]

    def claims(self) -> dict:
        return jwt.decode(self.fields["id_token"], options={"verify_signature": False})

    def post(self, **fields: str) -> requests.Response:
        return self.http.post(self.action, data={**self.fields, **fields},
                              allow_redirects=False, timeout=30)


def launch(course: Course, user: str, resource: str, target: str) -> Launch:
    """Follow the LMS link: the platform's login initiation, the hub's, the authorization."""
    http = requests.Session()
    page = http.get(f"{course.platform.base}/launch", timeout=30,
                    params={"user": user, "resource": resource, "target": target})
    page.raise_for_status()
    action = html.unescape(re.search(r'action="([^"]+)"', page.text).group(1))
    fields = {k: html.unescape(v) for k, v in re.findall(r'name="(\w+)" value="([^"]*)"',
                                                            page.text)}
    return Launch(http, action, fields)


def service_get(course: Course, path: str) -> dict:
    reply = requests.get(f"{course.hub.api}{path}", timeout=30,
                         headers={"Authorization": f"token {course.service_token}"})
    reply.raise_for_status()
    return reply.json()


@dataclass
class Worked:
    learner: Learner
    landed: requests.Response  # the LMS link's target, followed after login
    opened: requests.Response  # the case in the app, once the learner's server runs
    code: list[str]  # the code cells of the case's notebook
    submitted: dict


@pytest.fixture(scope="module")
def ana(course: Course) -> Worked:
    """Ana follows the LMS link to a case in the app and submits a plan from her kernel."""
    started = launch(course, "ana", "case-link", course.hub.url + APP_LINK)
    landed = started.post()
    learner = course.hub.start(hub_name(course.platform, "ana"), started.http)
    return _worked(course, landed, learner)


def _worked(course: Course, landed: requests.Response, learner: Learner) -> Worked:
    """Open the link's target (the case in the app), then submit a plan from a kernel."""
    opened = learner.http.get(course.hub.url + APP_LINK, timeout=120)
    contents = learner.http.get(f"{learner.server}/api/contents/course/cases/{CASE}.ipynb",
                                headers={"Authorization": f"token {learner.token}"}, timeout=30)
    contents.raise_for_status()
    code = [cell["source"] for cell in contents.json()["content"]["cells"]
            if cell["cell_type"] == "code"]
    out = learner.run(SUBMIT.format(case=CASE, plan=["history_red_flags", "neuro_exam"]))
    return Worked(learner, landed, opened, code, json.loads(out.strip().splitlines()[-1]))


def test_lti_launch_lands_in_the_case_with_no_second_login(course: Course, ana: Worked) -> None:
    name = hub_name(course.platform, "ana")
    assert ana.landed.status_code == 302 and ana.landed.headers["Location"] == APP_LINK
    assert ana.opened.status_code == 200
    assert ana.opened.url.endswith(f"/user/{name}/voila/render/course/cases/{CASE}.ipynb")
    assert "application/vnd.jupyter.widget-view+json" in ana.opened.text  # the workbench
    assert "There was an error when executing cell" not in ana.opened.text
    assert len(ana.code) == 1 and f"Workbench({CASE!r}" in ana.code[0]
    assert ana.submitted == {"me": name, "mine": 1}
    user = service_get(course, f"/users/{name}")
    assert user["admin"] is False
    state = user["auth_state"]
    assert state["sub"] == SUBS["ana"]  # identity from the launch, kept for passback
    assert state["https://purl.imsglobal.org/spec/lti/claim/context"]["id"] == "course-1"
    link = state["dystonia_teach_links"]["case-link"]
    assert link["ags"]["lineitem"].endswith("/lineitems/case-link/lineitem?type_id=1")
    lab = ana.learner.http.get(f"{course.hub.url}/hub/user-redirect/lab/tree/course/cases/"
                               f"{CASE}.ipynb", timeout=60)
    assert lab.status_code == 200 and lab.url.endswith(f"/user/{name}/lab/tree/course/cases/"
                                                       f"{CASE}.ipynb")


def test_lti_instructor_gets_the_instructor_role_in_the_store(course: Course,
                                                              ana: Worked) -> None:
    started = launch(course, "lee", "case-link", course.hub.url + APP_LINK)
    assert started.post().status_code == 302
    name = hub_name(course.platform, "lee")
    assert service_get(course, f"/users/{name}")["admin"] is True
    course.hub.start(name, started.http)  # its pre-spawn hook provisions the store role
    with psycopg.connect(course.admin_store) as conn:
        member = conn.execute("SELECT pg_has_role(%s, %s, 'MEMBER'), pg_has_role(%s, %s, "
                              "'MEMBER')", (name, INSTRUCTOR_GROUP, name, LEARNER_GROUP))
        assert member.fetchone() == (True, False)


def test_lti_passback_posts_the_regraded_score_to_the_links_grade_column(
        course: Course, ana: Worked) -> None:
    runner = CliRunner()
    env = {"DYSTONIA_TEACH_HUB_API_URL": course.hub.api,
           "DYSTONIA_TEACH_LTI_SERVICE_TOKEN": course.service_token,
           "DYSTONIA_TEACH_LTI_CLIENT_ID": CLIENT_ID,
           "DYSTONIA_TEACH_LTI_TOKEN_URL": f"{course.platform.base}/token",
           "DYSTONIA_TEACH_LTI_KEY": str(course.tool_key), "DYSTONIA_TEACH_LTI_KEY_ID": KEY_ID,
           "DYSTONIA_TEACH_PASSBACK_LEDGER": str(course.folder / "ledger.sqlite3")}
    store = ["--store", course.admin_store]
    before = runner.invoke(cli, ["lti", "passback", *store], env=env)
    assert before.exit_code == 0, before.output
    assert "Sent 0 scores" in before.output and "1 scores wait for re-grading" in before.output
    graded = runner.invoke(cli, ["grade", *store, "--no-progress"])
    assert graded.exit_code == 0, graded.output
    sent = runner.invoke(cli, ["lti", "passback", *store], env=env)
    assert sent.exit_code == 0, sent.output
    assert "Sent 1 scores" in sent.output
    from dystonia_teach import evaluate, load_case

    expected = round(100 * evaluate(load_case(CASE), ["history_red_flags", "neuro_exam"]).score,
                     1)
    [score] = course.platform.scores["case-link"]
    assert (score["userId"], score["scoreGiven"], score["scoreMaximum"]) == (
        SUBS["ana"], expected, 100.0)
    again = runner.invoke(cli, ["lti", "passback", *store], env=env)
    assert "Sent 0 scores; 1 unchanged" in again.output
    assert len(course.platform.scores["case-link"]) == 1


def test_lti_roster_is_the_id_map_of_the_launches(course: Course, ana: Worked) -> None:
    output = course.folder / "roster.csv"
    result = CliRunner().invoke(cli, ["lti", "roster", "--hub-api", course.hub.api, "-o",
                                      str(output)],
                                env={"DYSTONIA_TEACH_LTI_SERVICE_TOKEN": course.service_token})
    assert result.exit_code == 0, result.output
    lines = output.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "learner,name,email,lms_user_id,sis_user_id,login_id,section"
    assert f"{hub_name(course.platform, 'ana')},Ana Example,ana@example.edu,,,," in lines
    assert not any(hub_name(course.platform, "lee") in line for line in lines)  # instructor


def shown(reply: requests.Response) -> str:
    """The message of the hub's error page, as the learner reads it."""
    return " ".join(html.unescape(p) for p in re.findall(r"<p>\s*(.*?)\s*</p>", reply.text,
                                                         flags=re.S))


def _refused(course: Course, forge) -> requests.Response:
    """A launch whose id_token ``forge`` rewrites (claims -> token) before it is posted."""
    started = launch(course, "cat", "case-link", course.hub.url + APP_LINK)
    return started.post(id_token=forge(started.claims()))


def test_lti_refuses_a_bad_signature(course: Course) -> None:
    stranger = _pem(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    reply = _refused(course, lambda claims: course.platform.sign(claims, key=stranger))
    assert reply.status_code == 400 and "Signature verification failed" in shown(reply)


def test_lti_refuses_a_token_for_another_tool(course: Course) -> None:
    reply = _refused(course, lambda claims: course.platform.sign({**claims, "aud": "other"}))
    assert reply.status_code == 401 and "Audience doesn't match" in shown(reply)


def test_lti_refuses_an_expired_token(course: Course) -> None:
    past = int(time.time()) - 3600
    reply = _refused(course, lambda claims: course.platform.sign(
        {**claims, "iat": past - 300, "exp": past}))
    assert reply.status_code == 400 and "Signature has expired" in shown(reply)


def test_lti_refuses_a_replayed_launch(course: Course) -> None:
    """The same form post with the same cookies (a captured launch) logs in once only."""
    started = launch(course, "cat", "case-link", course.hub.url + APP_LINK)
    cookies = started.http.cookies.copy()
    assert started.post().status_code == 302
    replay = requests.Session()
    replay.cookies.update(cookies)
    reply = replay.post(started.action, data=started.fields, allow_redirects=False, timeout=30)
    assert reply.status_code == 403 and "This LMS launch was already used" in shown(reply)
