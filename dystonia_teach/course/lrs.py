"""Posting xAPI statements to a learning record store (LRS), leaking nothing.

- Only ``http(s)`` URLs; a URL that cannot be read is an :class:`LrsError` saying what to give.
- Credentials (``auth``, or ``user:password@`` in the URL, which is then removed from it) go to
  the URL's own origin only: redirects are never followed, so they are never sent after one (a
  redirect is an error naming where it pointed, by origin).
- A batch counts as stored only when the LRS answers 200 with JSON: the list of the batch's
  statement ids (xAPI 1.0.3, POST Statements). An HTML page, an empty answer or other ids are
  errors.
- Deadlines: each batch (retries included) and the whole run, however slowly a server answers.
- Messages show the URL without credentials and at most 300 characters of an answer, with
  terminal escapes removed, other control characters shown as escapes and any copy of the
  credentials masked.

A batch that meets a network error, 429 (too many requests) or a 5xx answer is retried with
exponential backoff (``Retry-After`` is honoured); any other refusal stops at once, saying how
many statements were stored before. A 409 (the LRS holds one of the ids with other content) is
named as such: statements are never changed once stored. ``on_stored`` hears of each batch the
LRS acknowledged, so a caller can remember them (``course.xapi_ledger``).
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

import httpx

from dystonia_teach.casefiles.lints import terminal_safe
from dystonia_teach.core.errors import DystoniaTeachError
from dystonia_teach.course.xapi import XAPI_VERSION

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_ANSWER = 1_000_000  # bytes of an answer read at most
_SHOWN = 300
_TERMINAL_ESCAPES = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)?|[@-_])")
_USERINFO = re.compile(r"(//)[^/?#@]*@")
_HINTS = {401: " (check the LRS user name and password)",
          403: " (check the LRS user name and password)",
          409: " (Conflict: the LRS already holds a statement with one of these ids and other "
               "content, and statements are never changed once stored; another program may "
               "have used the same ids)"}


class LrsError(DystoniaTeachError, RuntimeError):
    """The learning record store refused the statements or could not be reached; ``status``:
    the HTTP status of a refusal (None for any other failure)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def statements_url(endpoint: str) -> str:
    """The ``statements`` resource of an LRS endpoint (``…/xapi/`` or ``…/statements``)."""
    endpoint = endpoint.rstrip("/")
    return endpoint if endpoint.endswith("/statements") else f"{endpoint}/statements"


def lrs_target(endpoint: str) -> tuple[str, tuple[str, str] | None]:
    """The statements URL of ``endpoint`` without credentials, and the credentials it carried
    (None if none); an LrsError for anything but a readable http(s) URL with a host."""
    shown = terminal_safe(_USERINFO.sub(r"\1***@", endpoint))
    try:
        parts = urlsplit(endpoint.strip())
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
        host = parts.hostname
    except ValueError as exc:
        raise LrsError(f"the LRS URL {shown!r} is not a valid URL ({exc}); give one such as "
                       "https://lrs.example.edu/xapi") from None
    if parts.scheme not in ("http", "https"):
        raise LrsError(f"the LRS URL {shown!r} is not an http(s) URL; only http:// and "
                       "https:// are used (give e.g. https://lrs.example.edu/xapi)")
    if not host:
        raise LrsError(f"the LRS URL {shown!r} names no host; give e.g. "
                       "https://lrs.example.edu/xapi")
    auth = None
    if parts.username is not None or parts.password is not None:
        auth = (unquote(parts.username or ""), unquote(parts.password or ""))
    clean = urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2], fragment=""))
    try:
        httpx.URL(clean)
    except (httpx.InvalidURL, ValueError) as exc:
        raise LrsError(f"the LRS URL {shown!r} is not a valid URL ({exc})") from None
    return statements_url(clean), auth


def post_statements(statements: Sequence[dict[str, Any]], endpoint: str, *,
                    auth: tuple[str, str] | None = None, batch_size: int = 100,
                    retries: int = 3, backoff: float = 0.5, timeout: float = 60.0,
                    deadline: float = 600.0,
                    on_stored: Callable[[list[dict[str, Any]]], object] | None = None) -> int:
    """POST ``statements`` in batches; returns how many the LRS stored (all, or raises).

    ``timeout``: seconds one batch may take, retries included; ``deadline``: seconds the whole
    run may take. ``auth`` wins over credentials written in the URL. ``on_stored`` is called
    with each batch the LRS acknowledged, in order.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    url, in_url = lrs_target(endpoint)
    run = _Run(url, auth or in_url, retries, backoff, timeout, deadline, on_stored)
    batches = [list(statements[i:i + batch_size])
               for i in range(0, len(statements), batch_size)]
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(run.post_all(batches, len(statements)))
    with ThreadPoolExecutor(1) as thread:  # called from a running loop (a notebook)
        return thread.submit(asyncio.run, run.post_all(batches, len(statements))).result()


class _Run:
    """One export's posting: its URL, credentials, retry policy and deadlines."""

    def __init__(self, url: str, auth: tuple[str, str] | None, retries: int, backoff: float,
                 timeout: float, deadline: float,
                 on_stored: Callable[[list[dict[str, Any]]], object] | None = None) -> None:
        self.url, self.retries, self.backoff, self.timeout = url, retries, backoff, timeout
        self.on_stored = on_stored
        self.run_deadline = time.monotonic() + deadline
        self.headers = {"Content-Type": "application/json",
                        "X-Experience-API-Version": XAPI_VERSION}
        self.secrets: list[str] = []
        if auth is not None:
            pair = f"{auth[0]}:{auth[1]}"
            token = base64.b64encode(pair.encode()).decode("ascii")
            self.headers["Authorization"] = f"Basic {token}"
            self.secrets = [s for s in (token, pair, auth[1]) if len(s) >= 3]

    async def post_all(self, batches: list[list[dict[str, Any]]], total: int) -> int:
        sent = 0
        async with httpx.AsyncClient(follow_redirects=False, trust_env=False,
                                     timeout=httpx.Timeout(self.timeout)) as client:
            for number, batch in enumerate(batches, 1):
                where = f"batch {number} of {len(batches)} to {self.url}"
                await self._post_batch(client, batch, where, sent, total)
                sent += len(batch)
                if self.on_stored is not None:
                    self.on_stored(batch)
        return sent

    async def _post_batch(self, client: httpx.AsyncClient, batch: list[dict[str, Any]],
                          where: str, sent: int, total: int) -> None:
        body = json.dumps(batch).encode()
        ends = min(time.monotonic() + self.timeout, self.run_deadline)
        stored = f"{sent} of {total} statements were stored before it"
        for attempt in range(self.retries + 1):
            delay = self.backoff * 2 ** attempt
            remaining = ends - time.monotonic()
            if remaining <= 0:
                break
            try:
                status, headers, answer = await asyncio.wait_for(
                    self._exchange(client, body), remaining)
            except TimeoutError:
                break
            except httpx.HTTPError as error:
                if attempt == self.retries:
                    raise LrsError(f"cannot reach the LRS for {where}: "
                                   f"{self._shown(str(error) or type(error).__name__)}; "
                                   f"{stored}") from None
            else:
                if 300 <= status < 400:
                    raise LrsError(f"the LRS answered {where} with HTTP {status}, a redirect to "
                                   f"{self._origin(headers.get('location', ''))}; redirects "
                                   "are not followed, so the credentials go nowhere else. Give "
                                   f"the LRS's own statements URL with --lrs; {stored}")
                if status == 200:
                    self._check_stored(batch, headers, answer, where, stored)
                    return
                if status not in RETRY_STATUSES or attempt == self.retries:
                    detail = self._shown(answer.decode("utf-8", "replace"))
                    hint = _HINTS.get(status, "")
                    raise LrsError(f"the LRS refused {where}: HTTP {status}{hint}"
                                   f"{': ' + detail if detail else ''}; {stored}", status)
                delay = _retry_after(headers, delay)
            await asyncio.sleep(max(0.0, min(delay, ends - time.monotonic())))
        limit = ("the whole export's deadline" if ends == self.run_deadline
                 else f"{self.timeout:g} s")
        raise LrsError(f"the LRS did not answer {where} completely within {limit}; {stored}")

    async def _exchange(self, client: httpx.AsyncClient,
                        body: bytes) -> tuple[int, httpx.Headers, bytes]:
        """One POST: the status, headers and at most MAX_ANSWER bytes of the answer."""
        async with client.stream("POST", self.url, content=body,
                                 headers=self.headers) as response:
            received = bytearray()
            async for chunk in response.aiter_bytes():
                received += chunk
                if len(received) > MAX_ANSWER:
                    break
            return response.status_code, response.headers, bytes(received[:MAX_ANSWER])

    def _check_stored(self, batch: list[dict[str, Any]], headers: httpx.Headers, answer: bytes,
                      where: str, stored: str) -> None:
        kind = headers.get("content-type", "").split(";")[0].strip().lower()
        try:
            ids = json.loads(answer) if kind == "application/json" else None
        except ValueError:
            ids = None
        sent = sorted(str(s.get("id", "")).lower() for s in batch)
        if (not isinstance(ids, list) or not all(isinstance(i, str) for i in ids)
                or sorted(i.lower() for i in ids) != sent):
            shown = self._shown(answer.decode("utf-8", "replace"))
            raise LrsError(f"the LRS's answer to {where} is not an xAPI answer (the JSON list "
                           f"of the statement ids sent; got {kind or 'no content type'}"
                           f"{': ' + shown if shown else ''}), so nothing counts as stored; "
                           f"{stored}. Check that --lrs names the LRS's xAPI endpoint")

    def _shown(self, text: str) -> str:
        """Answer text safe to print: no terminal escapes, no credentials, short."""
        text = _TERMINAL_ESCAPES.sub("", text)
        for secret in self.secrets:
            text = text.replace(secret, "***")
        text = terminal_safe(" ".join(text.split()))
        return text if len(text) <= _SHOWN else text[:_SHOWN] + "…"

    def _origin(self, location: str) -> str:
        try:
            target = urlsplit(str(httpx.URL(self.url).join(location)))
            origin = f"{target.scheme}://{target.netloc.rpartition('@')[2]}"
        except (httpx.InvalidURL, ValueError):
            origin = "an unreadable address"
        same = origin == "{0.scheme}://{0.netloc}".format(urlsplit(self.url))
        return self._shown(origin) + (" (the same origin)" if same else " (another origin)")


def _retry_after(headers: httpx.Headers, default: float) -> float:
    value = headers.get("retry-after", "")
    return min(float(value), 60.0) if value.strip().isdigit() else default
