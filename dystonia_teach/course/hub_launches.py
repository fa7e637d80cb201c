"""The LTI launches the course's JupyterHub kept: every hub user with their ``auth_state``.

Read through the hub's REST API with the token of the ``lti-grades`` service that
``deploy/jupyterhub/lti_config.py`` registers (scopes ``read:users`` and ``admin:auth_state``)::

    users = hub_users("http://127.0.0.1:8000/hub/api", token)

urllib3 (which the hub's own dependencies bring) is imported only when this module is.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import urllib3

from dystonia_teach.core.errors import DystoniaTeachError

PAGINATION = "application/jupyterhub-pagination+json"
SERVICE_SCOPES = "list:users, read:users and admin:auth_state"


class HubError(DystoniaTeachError, RuntimeError):
    """The hub cannot be read; the message says what to check."""


@dataclass(frozen=True)
class HubUser:
    """A hub user and the claims the hub kept from their last LTI launch."""

    name: str
    admin: bool
    auth_state: Mapping[str, Any] = field(repr=False)


def hub_users(api_url: str, token: str, *, http: urllib3.PoolManager | None = None,
              workers: int = 8) -> list[HubUser]:
    """Every hub user with their auth_state (an empty mapping for a user who never launched
    from an LMS), sorted by name; HubError when the hub refuses or cannot be reached."""
    http = http or urllib3.PoolManager(maxsize=workers,
                                       retries=urllib3.Retry(2, backoff_factor=0.2))
    api = api_url.rstrip("/")
    names, url = [], f"{api}/users?limit=200"
    while url:
        page = _get(http, url, token, accept=PAGINATION)
        names += [user["name"] for user in page["items"]]
        url = (page["_pagination"].get("next") or {}).get("url")
    with ThreadPoolExecutor(workers) as pool:
        models = list(pool.map(lambda name: _get(http, f"{api}/users/{quote(name, safe='')}",
                                                 token), names))
    if models and not any("auth_state" in model for model in models):
        raise HubError(f"{api} shows no auth_state: the token needs the scopes {SERVICE_SCOPES} "
                       "(the lti-grades service of deploy/jupyterhub/lti_config.py has them)")
    return sorted((HubUser(m["name"], bool(m.get("admin")), m.get("auth_state") or {})
                   for m in models), key=lambda user: user.name)


def _get(http: urllib3.PoolManager, url: str, token: str, accept: str = "application/json"
         ) -> dict[str, Any]:
    try:
        reply = http.request("GET", url, timeout=urllib3.Timeout(connect=5, read=30),
                             redirect=False,
                             headers={"Authorization": f"token {token}", "Accept": accept})
    except urllib3.exceptions.HTTPError as exc:
        raise HubError(f"cannot reach the hub at {url.split('?')[0]}: {exc}") from exc
    if reply.status in (401, 403):
        raise HubError(f"the hub refused the token (HTTP {reply.status}) at {url.split('?')[0]}: "
                       f"use the lti-grades service's token ($DYSTONIA_TEACH_LTI_SERVICE_TOKEN), "
                       f"which has the scopes {SERVICE_SCOPES}")
    if reply.status != 200:
        raise HubError(f"the hub answered HTTP {reply.status} at {url.split('?')[0]}")
    try:
        return json.loads(reply.data)
    except ValueError as exc:
        raise HubError(f"the hub's answer at {url.split('?')[0]} is not JSON: is "
                       f"{url.split('/hub/api')[0]} the hub's address?") from exc
