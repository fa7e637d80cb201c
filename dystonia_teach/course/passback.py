"""Grade passback: each learner's re-graded scores sent to the LMS gradebook with LTI Assignment
and Grade Services (AGS 2.0 score publish service).

A score goes to the grade column (AGS line item) of every LMS link of a course the learner
launched from, when the link grades a case or an assignment (:func:`lti_claims.graded_item`) and
the learner's score on it is re-graded by this release (``dystonia-teach grade``); its ``userId``
is the LMS's id of the learner from their launch (``sub``), never the hub name. The tool
authenticates with a client assertion signed by its private key (LTI Security 1.0) and gets one
access token per run.

Re-running sends nothing new: the :class:`Ledger` (an SQLite file) remembers what each line item
last received for each learner, and a score is sent again only when it changed. Failed posts are
retried (HTTP 429 and 5xx, lost connections), and each learner whose score could not be sent is
named with the reason; the others are sent and remembered.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

import urllib3

from dystonia_teach.casefiles.lints import terminal_safe
from dystonia_teach.casefiles.loader import list_cases
from dystonia_teach.core.errors import DystoniaTeachError
from dystonia_teach.course.assignments import Assignment, assignment_scores
from dystonia_teach.course.hub_launches import HubUser
from dystonia_teach.course.lti_claims import SCORE_SCOPE, graded_item, launch_links

if TYPE_CHECKING:
    import pandas as pd

SCORE_TYPE = "application/vnd.ims.lis.v1.score+json"
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
DEFAULT_LEDGER = Path.home() / ".dystonia_teach" / "passback.sqlite3"
MAXIMUM = 100.0  # scores are percentages


class PassbackError(DystoniaTeachError, RuntimeError):
    """Passback cannot run at all (no token, unreadable key or ledger); the message says why."""


@dataclass(frozen=True)
class Score:
    """One score to publish to one line item."""

    learner_id: str
    item: str  # "case X" or "assignment Y", for messages
    lineitem: str
    user_id: str  # the LMS's id of the learner (the launch's sub)
    score_given: float
    activity_progress: str  # Completed (every case tried) or InProgress
    grading_progress: str = "FullyGraded"
    score_maximum: float = MAXIMUM

    def body(self, timestamp: str) -> bytes:
        return json.dumps({
            "userId": self.user_id, "scoreGiven": self.score_given,
            "scoreMaximum": self.score_maximum, "activityProgress": self.activity_progress,
            "gradingProgress": self.grading_progress, "timestamp": timestamp}).encode()


@dataclass
class Plan:
    """What passback would send, and what it leaves out and why."""

    scores: list[Score] = field(default_factory=list)
    pending: int = 0  # learner scores waiting for `dystonia-teach grade`
    notes: list[str] = field(default_factory=list)  # links that grade nothing postable


def plan_scores(frame: pd.DataFrame, users: Iterable[HubUser],
                assignments: Sequence[Assignment] = ()) -> Plan:
    """The scores to send: for every learner (hub users who are not admins) and every link of
    the courses they launched from that grades something they have a score on."""
    users = [u for u in users if u.auth_state]
    links = {}  # (iss, context, resource link) -> the link, from whoever launched it
    for user in users:
        for link in launch_links(user.auth_state):
            links[link.iss, link.context, link.resource_link] = link
    plan, items = Plan(), {}
    by_id = {assignment.id: assignment for assignment in assignments}
    known_cases = set(list_cases())
    for key, link in sorted(links.items(), key=lambda kv: kv[0]):
        what = graded_item(link)
        name = f"LMS link {link.title or link.resource_link!r}"
        if what is None:
            plan.notes.append(f"{name} opens {link.target or 'nothing'} and grades no case or "
                              "assignment (add ?case=ID or ?assignment=ID to its target)")
        elif what[0] == "assignment" and what[1] not in by_id:
            plan.notes.append(f"{name} grades assignment {what[1]!r}, which the assignments "
                              "file does not list")
        elif what[0] == "case" and what[1] not in known_cases:
            plan.notes.append(f"{name} grades case {what[1]!r}, which is not a case of the "
                              "course (cases/ and $DYSTONIA_TEACH_CASES)")
        elif not link.lineitem or SCORE_SCOPE not in link.scopes:
            plan.notes.append(f"{name} has no grade column the tool may post to (in Canvas make "
                              "it an assignment; in Moodle let the tool add grades)")
        else:
            items[key] = (by_id[what[1]] if what[0] == "assignment"
                          else Assignment(f"case:{what[1]}", what[1], (what[1],)))
    wanted = {assignment.id: assignment for assignment in items.values()}.values()
    scores = {(row.learner_id, row.assignment_id): row
              for row in assignment_scores(frame, wanted).itertuples(index=False)}
    graded = sorted(items.items(), key=lambda kv: kv[0])
    for user in users:
        if user.admin:
            continue
        courses = {(link.iss, link.context) for link in launch_links(user.auth_state)}
        sub = str(user.auth_state.get("sub") or "")
        for (iss, context, rid), assignment in graded:
            row = scores.get((user.name, assignment.id))
            if (iss, context) not in courses or row is None:
                continue
            if row.pending:
                plan.pending += 1
                continue
            kind, item = (("case", assignment.cases[0]) if assignment.id.startswith("case:")
                          else ("assignment", assignment.id))
            plan.scores.append(Score(
                user.name, f"{kind} {item}", links[iss, context, rid].lineitem or "", sub,
                float(row.score),
                "Completed" if row.cases_attempted == row.cases else "InProgress"))
    return plan


class Ledger:
    """What each line item last received for each LMS user (an SQLite file)."""

    def __init__(self, path: Path | str = DEFAULT_LEDGER) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, check_same_thread=False)
            self._db.execute("CREATE TABLE IF NOT EXISTS posted (lineitem TEXT, user_id TEXT, "
                             "score_given REAL, score_maximum REAL, activity_progress TEXT, "
                             "grading_progress TEXT, posted_at TEXT, "
                             "PRIMARY KEY (lineitem, user_id))")
            self._sent = {(row[0], row[1]): tuple(row[2:]) for row in self._db.execute(
                "SELECT lineitem, user_id, score_given, score_maximum, activity_progress, "
                "grading_progress FROM posted")}
        except (OSError, sqlite3.Error) as exc:
            raise PassbackError(f"cannot use the passback ledger {self.path}: {exc}") from exc

    @staticmethod
    def _values(score: Score) -> tuple[float, float, str, str]:
        return (score.score_given, score.score_maximum, score.activity_progress,
                score.grading_progress)

    def is_new(self, score: Score) -> bool:
        """True unless this very score was sent to this line item before."""
        return self._sent.get((score.lineitem, score.user_id)) != self._values(score)

    def remember(self, sent: Sequence[tuple[Score, str]]) -> None:
        """Record scores the LMS accepted (with their timestamps), in one transaction."""
        with self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO posted VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(s.lineitem, s.user_id, *self._values(s), at) for s, at in sent])
        for score, _ in sent:
            self._sent[score.lineitem, score.user_id] = self._values(score)

    def close(self) -> None:
        self._db.close()


@dataclass(frozen=True)
class ToolKey:
    """The tool's registration at the LMS: client id, token URL and signing key."""

    client_id: str
    token_url: str
    private_key_pem: bytes = field(repr=False)
    key_id: str


class AgsClient:
    """Posts scores with one access token, retrying what can succeed on a second try."""

    def __init__(self, tool: ToolKey, *, attempts: int = 3, backoff: float = 0.5,
                 workers: int = 8, timeout: float = 30) -> None:
        self.tool, self.workers = tool, workers
        self.http = urllib3.PoolManager(maxsize=workers, block=True, retries=urllib3.Retry(
            total=attempts - 1, backoff_factor=backoff, status_forcelist=(429, 500, 502, 503, 504),
            allowed_methods=None, raise_on_status=False, respect_retry_after_header=True))
        self.timeout = urllib3.Timeout(connect=10, read=timeout)
        self._token: str | None = None
        self._lock = threading.Lock()

    def assertion(self, now: float | None = None) -> str:
        """A short-lived client assertion signed with the tool's key."""
        import jwt

        now = int(time.time() if now is None else now)
        try:
            return jwt.encode({"iss": self.tool.client_id, "sub": self.tool.client_id,
                               "aud": self.tool.token_url, "iat": now, "exp": now + 300,
                               "jti": uuid.uuid4().hex}, self.tool.private_key_pem,
                              algorithm="RS256", headers={"kid": self.tool.key_id})
        except (ValueError, TypeError, jwt.PyJWTError) as exc:
            raise PassbackError(f"the tool's private key cannot sign ({exc}): give the PEM file "
                                "of an RSA key (dystonia-teach lti key FILE makes one)") from exc

    def token(self, renew: bool = False) -> str:
        """The access token (scope: score), fetched once and renewed when the LMS says so."""
        with self._lock:
            if self._token is None or renew:
                self._token = self._fetch_token()
            return self._token

    def _fetch_token(self) -> str:
        fields = {"grant_type": "client_credentials", "client_assertion_type": JWT_BEARER,
                  "client_assertion": self.assertion(), "scope": SCORE_SCOPE}
        where = self.tool.token_url
        try:
            reply = self.http.request("POST", where, fields=fields, encode_multipart=False,
                                      timeout=self.timeout, redirect=False)
        except urllib3.exceptions.HTTPError as exc:
            raise PassbackError(f"cannot reach the LMS's token URL {where}: {exc}") from exc
        body = _json(reply.data)
        if reply.status != 200 or "access_token" not in body:
            raise PassbackError(
                f"the LMS's token URL {where} refused the tool (HTTP {reply.status}: "
                f"{_reason(reply.data)}): check the client id, the key id and that the public "
                "key registered at the LMS is the one of the tool's private key")
        return str(body["access_token"])

    def post(self, score: Score) -> str | None:
        """Send one score; None when the LMS accepted it, else why not."""
        timestamp = datetime.now(UTC).isoformat(timespec="milliseconds")
        renewed = False
        while True:
            try:
                reply = self.http.request(
                    "POST", scores_url(score.lineitem), body=score.body(timestamp),
                    timeout=self.timeout, redirect=False,
                    headers={"Content-Type": SCORE_TYPE, "Authorization": f"Bearer {self.token()}"})
            except urllib3.exceptions.HTTPError as exc:
                return f"the LMS could not be reached at {scores_url(score.lineitem)}: {exc}"
            if reply.status == 401 and not renewed:  # the token expired: one new token
                try:
                    self.token(renew=True)
                except PassbackError as exc:
                    return str(exc)
                renewed = True
                continue
            if 200 <= reply.status < 300:
                return None
            return (f"the LMS answered HTTP {reply.status} at {scores_url(score.lineitem)}: "
                    f"{_reason(reply.data)}")


def scores_url(lineitem: str) -> str:
    """The score service of a line item: its path + ``/scores``, keeping its query string
    (Moodle's line items have one)."""
    parts = urlsplit(lineitem)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "/scores"))


@dataclass
class PassbackReport:
    """What one passback run did (or, with ``dry_run``, would do)."""

    sent: int = 0
    unchanged: int = 0
    pending: int = 0
    dry_run: bool = False
    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        verb = "Would send" if self.dry_run else "Sent"
        out = [f"{verb} {self.sent} scores; {self.unchanged} unchanged since last sent."]
        if self.pending:
            out.append(f"{self.pending} scores wait for re-grading (attempts not re-graded by "
                       "this release): run `dystonia-teach grade`, then passback again.")
        out += [f"note: {note}" for note in self.notes]
        out += [f"error: {failure}" for failure in self.failures]
        return out


def passback(plan: Plan, client: AgsClient, ledger: Ledger, *, dry_run: bool = False,
             chunk: int = 500) -> PassbackReport:
    """Send the plan's new scores; remember each one the LMS accepted (per chunk, so an
    interrupted run keeps what was sent)."""
    new = [score for score in plan.scores if ledger.is_new(score)]
    report = PassbackReport(unchanged=len(plan.scores) - len(new), pending=plan.pending,
                            dry_run=dry_run, notes=list(plan.notes))
    if dry_run or not new:
        report.sent = len(new) if dry_run else 0
        return report
    client.token()  # a tool the LMS refuses stops here, before any learner
    with ThreadPoolExecutor(client.workers) as pool:
        for start in range(0, len(new), chunk):
            batch = new[start:start + chunk]
            accepted = []
            for score, problem in zip(batch, pool.map(client.post, batch), strict=True):
                if problem is None:
                    accepted.append((score, datetime.now(UTC).isoformat()))
                else:
                    report.failures.append(f"{score.learner_id} ({score.item}): {problem}")
            ledger.remember(accepted)
            report.sent += len(accepted)
    return report


def _json(data: bytes) -> dict:
    try:
        found = json.loads(data)
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def _reason(data: bytes) -> str:
    """The LMS's error, short and safe to print."""
    body = _json(data)
    text = (": ".join(str(body[k]) for k in ("error", "error_description") if k in body)
            or data.decode("utf-8", "replace").strip() or "no reason given")
    return terminal_safe(text[:300])
