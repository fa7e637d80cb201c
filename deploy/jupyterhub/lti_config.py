"""The course's JupyterHub (``jupyterhub_config.py`` beside this file) with LTI 1.3 login from an
LMS (Canvas, Moodle, …), through jupyterhub-ltiauthenticator.

A learner follows a link in the LMS and lands in the course with no second login. The hub user
is the course pseudonym of the LMS's opaque user id (never a name or an e-mail address); LMS
instructors (and their teaching assistants) become hub admins and so get the instructor role in
the class store; each link's target decides what opens, for example a given case in the app::

    https://<hub>/hub/user-redirect/voila/render/course/cases/<case id>.ipynb

(``…/lab/tree/course/cases/<case id>.ipynb`` opens it in JupyterLab; docs/deploy.md lists the
links and how to register the tool in Canvas and Moodle). The hub keeps, in each user's
encrypted ``auth_state``, the launch and every LMS link the user followed; the ``lti-grades``
service reads them to post scores back (``dystonia-teach lti passback``).

Start it like the course hub, with these settings besides its own::

    .venv/bin/jupyterhub -f deploy/jupyterhub/lti_config.py

- ``DYSTONIA_TEACH_LTI_ISSUER``, ``DYSTONIA_TEACH_LTI_CLIENT_ID``,
  ``DYSTONIA_TEACH_LTI_AUTHORIZE_URL``, ``DYSTONIA_TEACH_LTI_JWKS_URL``: from the LMS's tool
  registration (the platform's issuer, the tool's client id, its authentication request URL and
  public keyset URL).
- ``DYSTONIA_TEACH_COURSE_SALT``: the course salt of the learners' pseudonyms (keep it: a new
  salt makes every learner new).
- ``JUPYTERHUB_CRYPT_KEY``: encrypts auth_state (``openssl rand -hex 32``; keep it stable).
- ``DYSTONIA_TEACH_LTI_SERVICE_TOKEN`` (optional): the token of the ``lti-grades`` service, which
  may read auth_state (for grade passback and the LMS id map).
- ``DYSTONIA_TEACH_LTI_URI_SCHEME`` (optional, default ``auto``): ``https`` when the TLS proxy in
  front of the hub does not send ``X-Forwarded-Proto`` (else the LMS refuses the redirect URI).
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from ltiauthenticator.lti13.auth import LTI13Authenticator
from tornado import web

from dystonia_teach.course.case_notebooks import FOLDER, write_case_notebooks
from dystonia_teach.course.lti_claims import LINKS_KEY, ReplayGuard, is_instructor, remember_launch
from dystonia_teach.store.base import pseudonym

HERE = Path(__file__).resolve().parent


def _setting(name: str, what: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise SystemExit(f"{HERE / 'lti_config.py'}: set {name} ({what}); see docs/deploy.md")
    return value


ISSUER = _setting("DYSTONIA_TEACH_LTI_ISSUER", "the LMS's issuer, e.g. https://canvas.instructure.com")
CLIENT_ID = _setting("DYSTONIA_TEACH_LTI_CLIENT_ID", "the tool's client id at the LMS")
AUTHORIZE_URL = _setting("DYSTONIA_TEACH_LTI_AUTHORIZE_URL",
                         "the LMS's authentication request URL")
JWKS_URL = _setting("DYSTONIA_TEACH_LTI_JWKS_URL", "the LMS's public keyset URL")
SALT = _setting("DYSTONIA_TEACH_COURSE_SALT", "the course salt of the learners' pseudonyms")
_setting("JUPYTERHUB_CRYPT_KEY", "encrypts the launches kept in auth_state: openssl rand -hex 32")
SERVICE_TOKEN = os.environ.get("DYSTONIA_TEACH_LTI_SERVICE_TOKEN", "").strip()

c = get_config()  # type: ignore[name-defined]  # noqa: F821 - provided by JupyterHub
load_subconfig(str(HERE / "jupyterhub_config.py"))  # type: ignore[name-defined]  # noqa: F821


class CourseLTI13Authenticator(LTI13Authenticator):
    """LTI 1.3 login whose hub user names are course pseudonyms of the LMS's user ids."""

    def get_username(self, token: dict) -> str:
        return pseudonym(f"{token['iss']} {token['sub']}", SALT)


_replays = ReplayGuard()


async def lti_login(authenticator, handler, authentication: dict) -> dict:
    """Refuse a replayed launch; make LMS instructors hub admins; keep every LMS link the user
    launched (auth_state holds only the last launch's claims)."""
    claims = authentication["auth_state"]
    if not _replays.first_use(claims):
        authenticator.log.warning("LTI: refused a replayed launch for %s", authentication["name"])
        raise web.HTTPError(403, "This LMS launch was already used. Go back to the LMS and "
                                 "follow the link again.")
    authentication["admin"] = is_instructor(claims)
    user = handler.find_user(authentication["name"])
    kept = ((await user.get_auth_state()) or {}).get(LINKS_KEY) if user else None
    claims[LINKS_KEY] = remember_launch(claims, kept)
    return authentication


c.JupyterHub.authenticator_class = CourseLTI13Authenticator
c.LTI13Authenticator.issuer = ISSUER
c.LTI13Authenticator.client_id = [CLIENT_ID]
c.LTI13Authenticator.authorize_url = AUTHORIZE_URL
c.LTI13Authenticator.jwks_endpoint = JWKS_URL
c.LTI13Authenticator.uri_scheme = os.environ.get("DYSTONIA_TEACH_LTI_URI_SCHEME", "auto")
c.LTI13Authenticator.tool_name = "Walking foot dystonia: clinical reasoning cases"
c.LTI13Authenticator.tool_description = ("Case vignettes worked in JupyterLab, with feedback "
                                         "showing every recommendation's evidence")
c.Authenticator.enable_auth_state = True
c.Authenticator.allow_all = True  # the LMS vouches for who may enter
c.Authenticator.post_auth_hook = lti_login

_course_hook = c.Spawner.pre_spawn_hook


async def pre_spawn_hook(spawner) -> None:
    """The course hub's preparation, then a notebook per case for the LMS links to open."""
    await _course_hook(spawner)
    await asyncio.to_thread(write_case_notebooks, Path(spawner.home_dir) / "course" / FOLDER)


c.Spawner.pre_spawn_hook = pre_spawn_hook

if SERVICE_TOKEN:
    c.JupyterHub.services = [{"name": "lti-grades", "api_token": SERVICE_TOKEN}]
    c.JupyterHub.load_roles = [{"name": "lti-grades", "services": ["lti-grades"],
                                "scopes": ["list:users", "read:users", "admin:auth_state"]}]
