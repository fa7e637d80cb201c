"""One way to run a test server: start it, wait until a URL answers, stop it by its own pid
(terminate, then kill) even when a test fails. Used by the JupyterLab and Voilà harnesses."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_server(command: list[str], *, ready_url: str, env: Mapping[str, str],
                   log_path: Path, cwd: Path | None = None,
                   timeout: float = 60) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``command`` until ``ready_url`` answers; its output goes to ``log_path``."""
    with log_path.open("w") as log:
        server = subprocess.Popen(command, env=dict(env), cwd=cwd, stdout=log,
                                  stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(ready_url, timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError(log_path.read_text()) from None
                time.sleep(0.25)
        yield server
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
