"""The learner app (Voilà) on loopback with its own Jupyter folders and progress store, and the
axe-core audit, for the browser tests. Chromium is Debian's (see jupyterlab_server)."""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from dystonia_teach.widgets.app import voila_command, voila_environment

from .jupyterlab_server import CHROMIUM

if TYPE_CHECKING:
    from playwright.sync_api import Page

AXE = Path(__file__).resolve().parent / "browser" / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = ("serious", "critical")


def require_browser_tools() -> None:
    """Skip without Chromium or axe-core, except under CI (CI=true), where that fails."""
    missing = [what for what, path in (("Debian's Chromium (apt-get install chromium)", CHROMIUM),
                                       ("axe-core (make axe-deps)", AXE)) if not path.exists()]
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the browser tests: missing {', '.join(missing)}")
        pytest.skip(f"missing {', '.join(missing)}")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running_app(root: Path) -> Iterator[tuple[str, Path]]:
    """Serve the learner app; yield its base URL and the progress store file it saves to."""
    env = voila_environment()
    for var, sub in [("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_DATA_DIR", "data"),
                     ("JUPYTER_RUNTIME_DIR", "runtime")]:
        env[var] = str(root / "jupyter" / sub)
    store = root / "progress.sqlite3"
    env["DYSTONIA_TEACH_PROGRESS"] = str(store)
    env["DYSTONIA_TEACH_STORE"] = str(store)
    port = _free_port()
    log_path = root / "voila.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(voila_command(port), env=env, cwd=root, stdout=log,
                                  stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:  # "/" would run the notebook in a new kernel; the static file does not
                    with urllib.request.urlopen(f"{base}/voila/static/voila.js", timeout=2):
                        break
                except OSError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise RuntimeError(log_path.read_text()) from None
                    time.sleep(0.25)
            yield base, store
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def axe_violations(page: Page, tags: list[str] | None = WCAG_TAGS) -> list[dict[str, Any]]:
    """axe-core's violations on the page as it is now (WCAG 2.0/2.1 A and AA by default)."""
    page.add_script_tag(path=str(AXE))
    options = {"runOnly": {"type": "tag", "values": tags}} if tags else {}
    return page.evaluate("""async (options) => (await axe.run(document, options)).violations
        .map(v => ({id: v.id, impact: v.impact, help: v.help,
                    nodes: v.nodes.map(n => n.target.join(' '))}))""", options)


def blocking(violations: list[dict[str, Any]]) -> list[str]:
    """Serious or critical violations, one readable line each."""
    return [f"[{v['impact']}] {v['id']}: {v['help']} at {v['nodes'][:3]}"
            for v in violations if v["impact"] in BLOCKING]
