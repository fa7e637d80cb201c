"""A learning record store stub on loopback that misbehaves on request, by path:

- ``/xapi/statements``: a conforming LRS (200, JSON list of the ids; user course/secret);
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


@dataclass
class LrsStub:
    url: str = ""
    capture_url: str = ""
    stored: list[dict[str, Any]] = field(default_factory=list)
    captured: list[dict[str, str]] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)

    def endpoint(self, kind: str, credentials: bool = False) -> str:
        base = self.url.replace("http://", f"http://{USER}:{PASSWORD}@") if credentials else (
            self.url)
        return f"{base}/{kind}"


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
        else:
            batch = json.loads(body)
            stub.stored.extend(batch)
            self._answer(200, json.dumps([s["id"] for s in batch]).encode(), "application/json")

    def _answer(self, status: int, body: bytes, kind: str = "text/plain",
                location: str | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Content-Type", kind)
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
