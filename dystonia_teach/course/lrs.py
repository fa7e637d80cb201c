"""Posting xAPI statements to a learning record store: basic auth, batches, retries.

A batch that meets a network error, 429 (too many requests) or a 5xx answer is retried with
exponential backoff (``Retry-After`` is honoured); any other refusal stops at once with an
:class:`LrsError` that says what the LRS answered and how many statements it had already
stored. Statement ids are deterministic, so running the export again is safe: the LRS keeps
each statement once.
"""

from __future__ import annotations

import base64
import json
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from typing import Any

from dystonia_teach.core.errors import DystoniaTeachError
from dystonia_teach.course.xapi import XAPI_VERSION

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class LrsError(DystoniaTeachError, RuntimeError):
    """The learning record store refused the statements or could not be reached."""


def statements_url(endpoint: str) -> str:
    """The ``statements`` resource of an LRS endpoint (``…/xapi/`` or ``…/statements``)."""
    endpoint = endpoint.rstrip("/")
    return endpoint if endpoint.endswith("/statements") else f"{endpoint}/statements"


def _request(url: str, body: bytes, auth: tuple[str, str] | None) -> urllib.request.Request:
    headers = {"Content-Type": "application/json", "X-Experience-API-Version": XAPI_VERSION}
    if auth is not None:
        token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode("ascii")
        headers["Authorization"] = f"Basic {token}"
    return urllib.request.Request(url, data=body, headers=headers, method="POST")


def _retry_after(error: urllib.error.HTTPError, default: float) -> float:
    value = error.headers.get("Retry-After", "") if error.headers else ""
    return min(float(value), 60.0) if value.strip().isdigit() else default


def post_statements(statements: Sequence[dict[str, Any]], endpoint: str, *,
                    auth: tuple[str, str] | None = None, batch_size: int = 100,
                    retries: int = 3, backoff: float = 0.5, timeout: float = 30.0) -> int:
    """POST ``statements`` in batches; returns how many the LRS accepted (all, or raises)."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    url = statements_url(endpoint)
    sent = 0
    batches = [statements[i:i + batch_size] for i in range(0, len(statements), batch_size)]
    for number, batch in enumerate(batches, 1):
        body = json.dumps(list(batch)).encode()
        where = f"batch {number} of {len(batches)} to {url}"
        for attempt in range(retries + 1):
            delay = backoff * 2 ** attempt
            try:
                with urllib.request.urlopen(_request(url, body, auth), timeout=timeout):
                    break
            except urllib.error.HTTPError as error:
                detail = error.read(300).decode("utf-8", "replace").strip()
                if error.code not in RETRY_STATUSES or attempt == retries:
                    hint = (" (check the LRS user name and password)"
                            if error.code in (401, 403) else "")
                    raise LrsError(
                        f"the LRS refused {where}: HTTP {error.code} {error.reason}{hint}"
                        f"{': ' + detail if detail else ''}; {sent} of {len(statements)} "
                        "statements were stored before it (re-running is safe: ids repeat)"
                    ) from None
                delay = _retry_after(error, delay)
            except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
                if attempt == retries:
                    reason = getattr(error, "reason", error)
                    raise LrsError(f"cannot reach the LRS for {where}: {reason}; {sent} of "
                                   f"{len(statements)} statements were stored before it") from None
            time.sleep(delay)
        sent += len(batch)
    return sent
