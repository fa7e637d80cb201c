"""A whole class on JupyterHub, end to end: the course's hub (deploy/jupyterhub) on loopback,
three learners and an instructor logged in through the login form, each learner working a case
in a kernel on their own server, all saving to ONE PostgreSQL store started by the test — and
each learner seeing, and able to write, only their own attempts (enforced by the database).
The user names are the kind single sign-on gives (a dot, an @, a non-ASCII letter): each maps to
a safe, stable learner id and an opaque database role."""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from dystonia_teach.store import learner_id_for, open_store

from .hub_server import ADMIN_PASSWORD, PROXY, Hub, running_hub
from .store_fixtures import PgServer

LEARNERS = {"ana.lopez": 1, "ben@uni.example": 2, "zoë": 3}  # user -> attempts each makes
INSTRUCTOR = "dr.lee@uni.example"
IDS = {name: learner_id_for(name) for name in [*LEARNERS, INSTRUCTOR]}

WORK_A_CASE = """
import json, os
import psycopg
from dystonia_teach import evaluate, load_case, recommended_actions
from dystonia_teach.store import ProgressStoreError, current_learner, open_store
case = load_case("early_uncomplicated")
me = current_learner()
with open_store() as store:
    for _ in range({times}):
        store.record(me, evaluate(case, recommended_actions(case)))
    try:
        store.record({other!r}, evaluate(case, ["neuro_exam"]))
        forged = "saved"
    except ProgressStoreError:
        forged = "refused"
    seen = sorted({{a.learner_id for a in store.all_attempts()}})
    mine = len(store.attempts(me))
    other_rows = len(store.attempts({other!r}))
with psycopg.connect(os.environ["DYSTONIA_TEACH_STORE"], autocommit=True) as conn:
    raw_count = conn.execute("SELECT count(*) FROM attempts").fetchone()[0]
    role = conn.execute("SELECT current_user").fetchone()[0]
    try:
        conn.execute("UPDATE attempts SET score = 0")
        tamper = "allowed"
    except psycopg.errors.InsufficientPrivilege:
        tamper = "refused"
print(json.dumps({{"me": me, "seen": seen, "mine": mine, "other_rows": other_rows,
                  "forged": forged, "raw_count": raw_count, "tamper": tamper, "role": role,
                  "store": os.environ["DYSTONIA_TEACH_STORE"].split("://")[0]}}))
"""

CLASS_VIEW = """
import json
from collections import Counter
from dystonia_teach.store import current_learner, open_store
with open_store() as store:
    print(json.dumps({"me": current_learner(),
                      "by_learner": Counter(a.learner_id for a in store.all_attempts())}))
"""


@pytest.fixture(scope="session")
def class_hub(pg_server: PgServer) -> Iterator[tuple[Hub, str]]:
    """The course hub with a fresh class database; yields (hub, the database admin URL)."""
    if not PROXY.exists():
        pytest.skip("configurable-http-proxy is missing: run 'make hub-deps'")
    admin = pg_server.admin_url(pg_server.create_database())
    state = Path(tempfile.mkdtemp(prefix="dt-hub-"))
    try:
        with running_hub(state, users=list(LEARNERS), instructors=[INSTRUCTOR],
                         admin_store=admin) as hub:
            yield hub, admin
    finally:
        shutil.rmtree(state, ignore_errors=True)


@pytest.fixture(scope="session")
def worked(class_hub: tuple[Hub, str]) -> dict[str, dict]:
    """Each learner logs in and works the case in a kernel on their own server."""
    hub, _ = class_hub
    names = list(LEARNERS)
    results = {}
    for i, name in enumerate(names):
        other = IDS[names[(i + 1) % len(names)]]
        learner = hub.login(name)
        results[name] = json.loads(learner.run(WORK_A_CASE.format(times=LEARNERS[name],
                                                                  other=other)))
    return results


def test_hub_username_of_any_form_is_the_learner_and_saves_to_the_postgres_store(
        worked: dict[str, dict]) -> None:
    for name, seen in worked.items():
        assert seen["me"] == IDS[name] and seen["me"] != name  # mapped, e.g. ana-lopez-…
        assert seen["store"] == "postgresql"
        assert seen["mine"] == LEARNERS[name]
        assert seen["role"].startswith("dtl_")  # an opaque role, no user name in it


def test_hub_postgres_each_learner_sees_only_their_own_attempts(
        worked: dict[str, dict]) -> None:
    for name, seen in worked.items():
        assert seen["seen"] == [IDS[name]], f"{name} sees {seen['seen']}"
        assert seen["other_rows"] == 0
        assert seen["raw_count"] == LEARNERS[name]  # plain SQL on their connection: same


def test_hub_postgres_a_learner_cannot_write_as_another_or_alter_rows(
        worked: dict[str, dict]) -> None:
    for seen in worked.values():
        assert seen["forged"] == "refused"
        assert seen["tamper"] == "refused"


def test_hub_postgres_one_store_holds_the_whole_class(
        class_hub: tuple[Hub, str], worked: dict[str, dict]) -> None:
    hub, admin = class_hub
    with open_store(admin) as store:
        frame = store.to_frame()
    by_id = {IDS[name]: n for name, n in LEARNERS.items()}
    assert frame["learner_id"].value_counts().to_dict() == by_id
    instructor = hub.login(INSTRUCTOR, password=ADMIN_PASSWORD)
    view = json.loads(instructor.run(CLASS_VIEW))
    assert view == {"me": IDS[INSTRUCTOR], "by_learner": by_id}


def test_hub_refuses_a_wrong_password_and_an_unknown_user(class_hub: tuple[Hub, str]) -> None:
    hub, _ = class_hub
    with pytest.raises(PermissionError):
        hub.login("ana.lopez", password="not-the-password")
    with pytest.raises(PermissionError):
        hub.login("mallory")


def test_hub_learners_work_in_a_copy_of_the_course(
        class_hub: tuple[Hub, str], worked: dict[str, dict]) -> None:
    hub, _ = class_hub
    for name in LEARNERS:
        copy = hub.state / "home" / IDS[name] / "course"
        assert sorted(p.name for p in copy.glob("*.ipynb")) == sorted(
            p.name for p in (Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))
