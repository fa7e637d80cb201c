"""JupyterHub for a small dystonia_teach course on one server.

Every learner logs in to the hub, gets their own JupyterLab (a working copy of the course
notebooks in their home folder) and saves attempts to ONE shared PostgreSQL store as
themselves: before each server starts, the hub creates (or re-keys) the learner's own database
role, and the learner's kernels connect with it, so row-level security in the database shows
each learner only their own attempts. Instructors get a role that reads every attempt. Any hub
user name works (``jane.doe``, ``jd@uni.edu``, ``zoë``): the package maps it to a safe, stable
learner id (``dystonia_teach.store.learner_id_for``), the same in the hub and in the kernels,
and each learner's database role has an opaque name (``dtl_…``).

Start it from the project environment (``make setup`` and ``make hub-deps`` first)::

    DYSTONIA_TEACH_HUB_ADMIN_STORE=postgresql://admin:…@db.example/course \\
    DYSTONIA_TEACH_HUB_USERS=ana,ben DYSTONIA_TEACH_HUB_INSTRUCTORS=dr_lee \\
    DYSTONIA_TEACH_HUB_PASSWORD=… .venv/bin/jupyterhub -f deploy/jupyterhub/jupyterhub_config.py

Settings (environment variables):

- ``DYSTONIA_TEACH_HUB_ADMIN_STORE``: PostgreSQL URL of a role allowed to create roles (the
  store's tables are created on first use). Without it each learner gets an SQLite file in
  their home folder (no class view).
- ``DYSTONIA_TEACH_HUB_USERS`` / ``DYSTONIA_TEACH_HUB_INSTRUCTORS``: comma-separated user names
  (any the authenticator accepts). Instructors are hub admins and read every attempt.
- ``DYSTONIA_TEACH_HUB_PASSWORD`` and ``DYSTONIA_TEACH_HUB_ADMIN_PASSWORD`` (instructors, at
  least 32 characters): the shared passwords of JupyterHub's ``shared-password``
  authenticator — for a workshop or a test. A real course sets
  ``DYSTONIA_TEACH_HUB_AUTHENTICATOR`` to its institution's (e.g. ``generic-oauth``) and
  configures it in a ``jupyterhub_config.d`` file; see docs/deploy.md.
- ``DYSTONIA_TEACH_HUB_STATE``: folder for the hub's database, cookie secret, proxy pid and the
  learners' homes (default: ``state/`` beside this file, ignored by git).
- ``DYSTONIA_TEACH_HUB_PORT`` (8000, the public port), ``DYSTONIA_TEACH_HUB_API_PORT`` (8081)
  and ``DYSTONIA_TEACH_PROXY_API_PORT`` (8001), all on ``DYSTONIA_TEACH_HUB_IP`` (127.0.0.1;
  put a TLS-terminating web server in front for a real course).

The spawner is JupyterHub's ``simple`` local-process spawner: every learner's server runs as the
hub's own operating-system user, which is fine for a test and a trusted workshop, not for a
course — use ``systemd``/``docker``/``kubernetes`` spawners there (docs/deploy.md).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
BIN = Path(sys.executable).parent
STATE = Path(os.environ.get("DYSTONIA_TEACH_HUB_STATE", HERE / "state")).resolve()
HOMES = STATE / "home"
IP = os.environ.get("DYSTONIA_TEACH_HUB_IP", "127.0.0.1")
ADMIN_STORE = os.environ.get("DYSTONIA_TEACH_HUB_ADMIN_STORE", "").strip()


def _names(variable: str) -> set[str]:
    return {name.strip() for name in os.environ.get(variable, "").split(",") if name.strip()}


LEARNERS = _names("DYSTONIA_TEACH_HUB_USERS")
INSTRUCTORS = _names("DYSTONIA_TEACH_HUB_INSTRUCTORS")
STATE.mkdir(parents=True, exist_ok=True)
HOMES.mkdir(exist_ok=True)

c = get_config()  # type: ignore[name-defined]  # noqa: F821 - provided by JupyterHub

c.JupyterHub.bind_url = f"http://{IP}:{os.environ.get('DYSTONIA_TEACH_HUB_PORT', '8000')}"
c.JupyterHub.hub_ip = IP
c.JupyterHub.hub_port = int(os.environ.get("DYSTONIA_TEACH_HUB_API_PORT", "8081"))
c.ConfigurableHTTPProxy.api_url = (
    f"http://{IP}:{os.environ.get('DYSTONIA_TEACH_PROXY_API_PORT', '8001')}")
c.ConfigurableHTTPProxy.command = [str(HERE / "node_modules" / ".bin" / "configurable-http-proxy")]
c.ConfigurableHTTPProxy.pid_file = str(STATE / "proxy.pid")
c.JupyterHub.pid_file = str(STATE / "jupyterhub.pid")
c.JupyterHub.db_url = f"sqlite:///{STATE / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(STATE / "cookie_secret")

c.JupyterHub.authenticator_class = os.environ.get("DYSTONIA_TEACH_HUB_AUTHENTICATOR",
                                                  "shared-password")
if os.environ.get("DYSTONIA_TEACH_HUB_PASSWORD"):
    c.SharedPasswordAuthenticator.user_password = os.environ["DYSTONIA_TEACH_HUB_PASSWORD"]
if os.environ.get("DYSTONIA_TEACH_HUB_ADMIN_PASSWORD"):
    c.SharedPasswordAuthenticator.admin_password = os.environ["DYSTONIA_TEACH_HUB_ADMIN_PASSWORD"]
c.Authenticator.allowed_users = LEARNERS | INSTRUCTORS
c.Authenticator.admin_users = INSTRUCTORS

c.JupyterHub.spawner_class = "simple"
c.Spawner.cmd = [str(BIN / "jupyterhub-singleuser")]
c.Spawner.args = ["--allow-root"] if os.geteuid() == 0 else []
c.Spawner.default_url = "/lab/tree/course"
c.Spawner.start_timeout = 60


def _home(name: str) -> Path:
    """The user's home folder, named by their learner id (safe on every file system)."""
    from dystonia_teach.store import learner_id_for

    return HOMES / learner_id_for(name)


def _store_url(name: str, instructor: bool) -> str:
    """The user's own store URL: their database role (new password each start; an instructor's
    reads every attempt), or an SQLite file in their home folder when no class store is
    configured."""
    if not ADMIN_STORE:
        return str(_home(name) / "progress.sqlite3")
    from dystonia_teach.store.postgres import provision_instructor, provision_learner

    provision = provision_instructor if instructor else provision_learner
    return provision(ADMIN_STORE, name)


def _course_copy(home: Path) -> None:
    """The learner's working copy of the course notebooks (the shipped files stay untouched)."""
    target = home / "course"
    if not target.exists() and (REPO / "notebooks").is_dir():
        shutil.copytree(REPO / "notebooks", target,
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints"))


async def pre_spawn_hook(spawner) -> None:
    """Give the learner their working copy and their own connection to the class store (an
    instructor's connection for hub admins: the instructors here, LMS instructors under LTI)."""
    name = spawner.user.name
    home = _home(name)
    home.mkdir(exist_ok=True)
    spawner.home_dir = str(home)
    await asyncio.to_thread(_course_copy, home)
    spawner.environment["DYSTONIA_TEACH_STORE"] = await asyncio.to_thread(
        _store_url, name, name in INSTRUCTORS or spawner.user.admin)


c.Spawner.pre_spawn_hook = pre_spawn_hook
