"""What an LTI 1.3 launch says: who the learner is, in which course, with which role, and what the
followed link opens and grades.

jupyterhub-ltiauthenticator keeps the launch's whole id_token as the hub user's ``auth_state``
and replaces it at every launch, so the course's hub (``deploy/jupyterhub/lti_config.py``) also
keeps, under :data:`LINKS_KEY`, every resource link the user has launched (:func:`remember_launch`):
its course, its grade column (the AGS line item) and its target. Grade passback and the LMS
gradebooks read these records back with :func:`launch_links` and :func:`lms_identity`.

A link grades what its target names (:func:`graded_item`): a custom parameter ``assignment=ID``
or ``case=ID`` (Moodle sets these per activity), else a query parameter of the same name in the
target link, else the case notebook it opens (``…/course/cases/<case id>.ipynb``).
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
#: The auth_state key holding every resource link the user launched (resource link id -> record).
LINKS_KEY = "dystonia_teach_links"
#: LIS context roles that make an LMS user an instructor of the course (and of its sub-roles,
#: written ``…/membership/Instructor#TeachingAssistant``).
_INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
_INSTRUCTOR_SUBROLE = "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#"
_CASE_NOTEBOOK = re.compile(r"/cases/([A-Za-z0-9_-]+)\.ipynb$")


def is_instructor(claims: Mapping[str, Any]) -> bool:
    """True when the launch gives the user the LMS's Instructor role in its course."""
    roles = claims.get(LTI + "roles") or []
    return any(role == _INSTRUCTOR or str(role).startswith(_INSTRUCTOR_SUBROLE)
               for role in roles)


def remember_launch(claims: Mapping[str, Any],
                    links: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """``links`` (the records kept from earlier launches) with this launch's resource link
    added or refreshed: its course, title, target, custom parameters and AGS endpoint."""
    kept = dict(links or {})
    link = claims.get(LTI + "resource_link") or {}
    if "id" in link:
        kept[str(link["id"])] = {
            "iss": claims.get("iss"),
            "context": (claims.get(LTI + "context") or {}).get("id"),
            "title": link.get("title") or "",
            "target": claims.get(LTI + "target_link_uri") or "",
            "custom": dict(claims.get(LTI + "custom") or {}),
            "ags": claims.get(AGS_CLAIM),
        }
    return kept


@dataclass(frozen=True)
class LaunchLink:
    """One LMS link a user launched, as the hub kept it."""

    resource_link: str
    iss: str
    context: str
    title: str
    target: str
    custom: Mapping[str, Any]
    lineitem: str | None  # the link's grade column (AGS line item URL), if the LMS made one
    scopes: tuple[str, ...]


def launch_links(auth_state: Mapping[str, Any] | None) -> list[LaunchLink]:
    """The links kept in a hub user's ``auth_state`` (none for a user who never launched)."""
    found = []
    for rid, record in ((auth_state or {}).get(LINKS_KEY) or {}).items():
        ags = record.get("ags") or {}
        found.append(LaunchLink(str(rid), str(record.get("iss") or ""),
                                str(record.get("context") or ""), str(record.get("title") or ""),
                                str(record.get("target") or ""), record.get("custom") or {},
                                ags.get("lineitem"), tuple(ags.get("scope") or ())))
    return found


def graded_item(link: LaunchLink) -> tuple[str, str] | None:
    """What the link grades: ``("assignment", id)`` or ``("case", id)``, or None."""
    query = parse_qs(urlsplit(link.target).query)
    for kind in ("assignment", "case"):
        value = link.custom.get(kind) or (query.get(kind) or [None])[0]
        if value:
            return kind, str(value)
    found = _CASE_NOTEBOOK.search(unquote(urlsplit(link.target).path))
    return ("case", found.group(1)) if found else None


#: The id map's fields, and where a launch carries them: claims, LIS, Moodle's ext claim, and
#: custom parameters the course registers at the LMS (docs/deploy.md).
IDENTITY_FIELDS = ("name", "email", "lms_user_id", "sis_user_id", "login_id", "section")


def lms_identity(claims: Mapping[str, Any]) -> dict[str, str]:
    """Who the launch says the user is, for an LMS gradebook import (empty where unsaid)."""
    custom = claims.get(LTI + "custom") or {}
    lis = claims.get(LTI + "lis") or {}
    ext = claims.get(LTI + "ext") or {}
    name = claims.get("name") or " ".join(
        part for part in (claims.get("given_name"), claims.get("family_name")) if part)
    found = {
        "name": name,
        "email": claims.get("email") or custom.get("email"),
        "lms_user_id": custom.get("lms_user_id"),
        "sis_user_id": custom.get("sis_user_id") or lis.get("person_sourcedid"),
        "login_id": custom.get("login_id") or ext.get("user_username"),
        "section": custom.get("section"),
    }
    return {key: "" if value is None else str(value) for key, value in found.items()}


class ReplayGuard:
    """Refuses an id_token seen before. jupyterhub-ltiauthenticator checks the nonce only
    against the browser's cookie, so a captured form post with its cookies would log in again;
    this keeps each (issuer, nonce) until its token could no longer be accepted."""

    def __init__(self, max_age: float = 600, leeway: float = 60) -> None:
        self.max_age, self.leeway = max_age, leeway
        self._seen: dict[tuple[str, str], float] = {}

    def first_use(self, claims: Mapping[str, Any], now: float | None = None) -> bool:
        """Record the token; False if it was already used (or has no nonce)."""
        now = time.time() if now is None else now
        for key in [k for k, until in self._seen.items() if until < now]:
            del self._seen[key]
        key = (str(claims.get("iss")), str(claims.get("nonce") or ""))
        if not key[1] or key in self._seen:
            return False
        until = max(float(claims.get("exp", now)), float(claims.get("iat", now)) + self.max_age)
        self._seen[key] = until + self.leeway
        return True
