"""A learning record store stub on loopback that misbehaves on request, by path:

- ``/xapi/statements``: a conforming LRS (xAPI 1.0.3 Communication 2.1.2, Data 2.3.2): 200
  and the JSON list of the ids; a statement whose id it holds with other content is refused
  with 409 Conflict, an identical one is accepted and changes nothing; two statements with one
  id in a batch, a voiding statement whose object is not a StatementRef, and one voiding a
  voiding statement are refused with 400; a refused batch stores nothing; ``posts`` counts the
  batches it was sent;
- ``/flaky/statements``: the same store, but once ``flaky_budget`` batches were taken, every
  batch is answered 503 (service unavailable);
- ``/redirect/statements``: 302 to the capture server (another origin), ``/same/statements``:
  302 to ``/xapi/statements`` (same origin);
- ``/html/statements``: 200 with an HTML page; ``/empty/statements``: 200 with no body;
- ``/echo/statements``: 400 echoing the request's Authorization header, inside terminal escapes;
- ``/trickle/statements``: headers, then one byte every 0.3 s, never finishing;
- ``/silent/statements``: reads the request and never answers.

The capture server records every request it receives (with its headers). Both run in daemon
threads for the test session and are shut down at its end, even when a test fails.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

USER, PASSWORD = "course", "s3cret-lrs-pass"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # a trickling handler must not hold the shutdown

    def __init__(self, handler: type[BaseHTTPRequestHandler], stub: LrsStub) -> None:
        super().__init__(("127.0.0.1", 0), handler)
        self.stub = stub


def is_voiding(statement: dict[str, Any]) -> bool:
    """A voiding statement: its verb's id ends with "voided" (Data 2.3.2, XAPI-00019)."""
    return str(statement.get("verb", {}).get("id", "")).endswith("voided")


@dataclass
class LrsStub:
    url: str = ""
    capture_url: str = ""
    stored: dict[str, dict[str, Any]] = field(default_factory=dict)  # by id, in arrival order
    captured: list[dict[str, str]] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    posts: int = 0
    flaky_budget: int = 0

    def endpoint(self, kind: str, credentials: bool = False) -> str:
        base = self.url.replace("http://", f"http://{USER}:{PASSWORD}@") if credentials else (
            self.url)
        return f"{base}/{kind}"

    @property
    def voided(self) -> set[str]:
        """Ids of stored statements a stored voiding statement targets (XAPI-00018)."""
        targets = {s["object"]["id"] for s in self.stored.values() if is_voiding(s)}
        return {t for t in targets if t in self.stored and not is_voiding(self.stored[t])}

    def current(self) -> list[dict[str, Any]]:
        """What a query would return: stored statements neither voided nor voiding."""
        voided = self.voided
        return [s for i, s in self.stored.items() if i not in voided and not is_voiding(s)]

    def receive(self, batch: list[dict[str, Any]]) -> tuple[int, str]:
        """Store a batch as a conforming LRS does, all or nothing: the status and answer."""
        ids = [s.get("id") for s in batch]
        if len(set(ids)) != len(ids):
            return 400, "two statements in the batch have the same id"
        with self.lock:
            known = dict(self.stored)
            for statement in batch:
                held = known.get(statement["id"])
                if held is not None and held != statement:
                    return 409, f"statement {statement['id']} is stored with other content"
                if is_voiding(statement):
                    target = statement.get("object", {})
                    if target.get("objectType") != "StatementRef":
                        return 400, "a voiding statement's object must be a StatementRef"
                    if is_voiding(known.get(target.get("id"), {})):
                        return 400, "a voiding statement cannot target a voiding statement"
                known.setdefault(statement["id"], statement)
            self.stored = known
        return 200, json.dumps(ids)


class _Lrs(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        stub = self.server.stub
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        kind = self.path.strip("/").split("/")[0]
        if kind == "redirect":
            self._answer(302, b"", location=f"{stub.capture_url}/xapi/statements")
        elif kind == "same":
            self._answer(302, b"", location="/xapi/statements")
        elif kind == "html":
            self._answer(200, b"<html><body>Welcome to our portal</body></html>",
                         "text/html")
        elif kind == "empty":
            self._answer(200, b"", "application/json")
        elif kind == "echo":
            echoed = f"\x1b[2J\x1b]0;pwned\x07bad request from {self.headers['Authorization']}"
            self._answer(400, echoed.encode(), "text/plain")
        elif kind == "trickle":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            while not stub.stopping.is_set():
                try:
                    self.wfile.write(b" ")
                    self.wfile.flush()
                except OSError:
                    return
                time.sleep(0.3)
        elif kind == "silent":
            stub.stopping.wait(120)
        elif kind == "flaky" and stub.flaky_budget <= 0:
            self._answer(503, b"down for maintenance")
        else:
            stub.flaky_budget -= kind == "flaky"
            stub.posts += 1
            batch = json.loads(body)
            status, answer = stub.receive(batch if isinstance(batch, list) else [batch])
            self._answer(status, answer.encode(),
                         "application/json" if status == 200 else "text/plain")

    def _answer(self, status: int, body: bytes, kind: str = "text/plain",
                location: str | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Content-Type", kind)
        if status == 503:
            self.send_header("Retry-After", "0")
        if location:
            self.send_header("Location", location)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


class _Capture(BaseHTTPRequestHandler):
    server: _Server

    def _record(self) -> None:
        self.server.stub.captured.append({"method": self.command, **dict(self.headers)})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"[]")

    do_GET = do_POST = _record

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def running_stub() -> Iterator[LrsStub]:
    stub = LrsStub()
    servers = [_Server(_Lrs, stub), _Server(_Capture, stub)]
    stub.url, stub.capture_url = (f"http://127.0.0.1:{s.server_address[1]}" for s in servers)
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in servers]
    for thread in threads:
        thread.start()
    try:
        yield stub
    finally:
        stub.stopping.set()
        for server in servers:
            server.shutdown()
            server.server_close()
