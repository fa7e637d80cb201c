"""The learner app (Voilà) on loopback with its own Jupyter folders and progress store, and the
axe-core audit, for the browser tests. Chromium is Debian's (see jupyterlab_server)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import pytest

from dystonia_teach.widgets.app import voila_command, voila_environment

from .jupyterlab_server import CHROMIUM
from .server_process import free_port, running_server

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


class App(NamedTuple):
    """A served app: its base URL, the progress store it saves to, the server's pid."""

    base: str
    store: Path
    pid: int


@contextmanager
def running_app(root: Path, **cull: int) -> Iterator[App]:
    """Serve the learner app; ``cull`` passes ``cull_idle`` / ``cull_interval`` (seconds) to
    the app's command."""
    env = voila_environment()
    for var, sub in [("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_DATA_DIR", "data"),
                     ("JUPYTER_RUNTIME_DIR", "runtime")]:
        env[var] = str(root / "jupyter" / sub)
    store = root / "progress.sqlite3"
    env["DYSTONIA_TEACH_PROGRESS"] = str(store)
    env["DYSTONIA_TEACH_STORE"] = str(store)
    env["DYSTONIA_TEACH_WORKDIR"] = str(root / "course")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    # "/" would run the notebook in a new kernel; the static file does not
    with running_server(voila_command(port, **cull), ready_url=f"{base}/voila/static/voila.js",
                        env=env, cwd=root, log_path=root / "voila.log") as server:
        yield App(base, store, server.pid)


def axe_violations(page: Page, tags: list[str] | None = WCAG_TAGS,
                   within: str | None = None) -> list[dict[str, Any]]:
    """axe-core's violations on the page as it is now (WCAG 2.0/2.1 A and AA by default;
    ``tags=None``: every default rule); ``within``: only the elements under that selector."""
    page.add_script_tag(path=str(AXE))
    options = {"runOnly": {"type": "tag", "values": tags}} if tags else {}
    return page.evaluate("""async ([within, options]) => (await axe.run(
            within ? {include: [[within]]} : document, options)).violations
        .map(v => ({id: v.id, impact: v.impact, help: v.help,
                    nodes: v.nodes.map(n => n.target.join(' '))}))""", [within, options])


def kernel_pids(server_pid: int) -> set[int]:
    """The server's kernels: its child processes running ipykernel."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes()
        except OSError:  # gone meanwhile
            continue
        if int(fields[1]) == server_pid and b"ipykernel" in cmdline:
            found.add(int(stat.parent.name))
    return found


def blocking(violations: list[dict[str, Any]]) -> list[str]:
    """Serious or critical violations, one readable line each."""
    return [f"[{v['impact']}] {v['id']}: {v['help']} at {v['nodes'][:3]}"
            for v in violations if v["impact"] in BLOCKING]
