"""A JupyterLab server on loopback with its own token and Jupyter folders, for the browser test
and the browser benchmark. Chromium is Debian's, launched by path (no browser download)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from .server_process import free_port, running_server

if TYPE_CHECKING:
    from playwright.sync_api import Page

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
TOKEN = "dystonia-teach-e2e"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
               "--disable-background-networking", "--disable-component-update",
               "--no-first-run", "--disable-sync", "--disable-quic"]
#: User settings: no "get notified about news" pop-up over the notebook, and every cell kept
#: rendered (windowing hides cells scrolled out of view, so their text could not be read).
SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": '{"fetchNews": "false"}',
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": '{"windowingMode": "none"}',
}


@contextmanager
def running_lab(root: Path) -> Iterator[str]:
    """Serve a working copy of notebooks/ in ``root / "notebooks"`` as ``make course`` does;
    yield the base URL, stop the server after."""
    jupyter = root / "jupyter"
    env = dict(os.environ)
    for var, sub in [("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_DATA_DIR", "data"),
                     ("JUPYTER_RUNTIME_DIR", "runtime"), ("JUPYTERLAB_SETTINGS_DIR", "settings"),
                     ("JUPYTERLAB_WORKSPACES_DIR", "workspaces")]:
        env[var] = str(jupyter / sub)
    for name, value in SETTINGS.items():
        setting = jupyter / "settings" / name
        setting.parent.mkdir(parents=True, exist_ok=True)
        setting.write_text(value)
    env["DYSTONIA_TEACH_PROGRESS"] = str(root / "progress.sqlite3")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "dystonia_teach.course.workspace",
               "--source", str(REPO / "notebooks"), "--target", str(root / "notebooks"), "--",
               "--no-browser", "--ip", "127.0.0.1", "--port", str(port),
               f"--IdentityProvider.token={TOKEN}", "--ServerApp.password=", "--allow-root",
               "--LabApp.news_url=None"]
    with running_server(command, ready_url=f"{base}/api/status?token={TOKEN}", env=env,
                        log_path=root / "lab.log"):
        yield base


def open_and_run(page: Page, base: str, notebook: str) -> None:
    """Open ``notebook`` in JupyterLab and run all its cells; returns once the kernel is idle."""
    page.goto(f"{base}/lab/tree/{notebook}?token={TOKEN}&reset")  # reset: only this notebook
    page.locator(".jp-StatusBar-TextItem", has_text="Idle").first.wait_for(timeout=60_000)
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.locator("li[data-command='runmenu:run-all']").click()


def wait_idle(page: Page) -> None:
    """Wait until the kernel has answered everything sent so far (status bar says Idle)."""
    page.wait_for_timeout(50)
    page.locator(".jp-StatusBar-TextItem", has_text="Idle").first.wait_for(timeout=60_000)


def open_case(page: Page, case_id: str) -> None:
    """In the cases notebook, pick ``case_id`` in the case picker and open it."""
    from dystonia_teach import list_cases, load_case
    from dystonia_teach.render.teaser import case_teaser

    number = list_cases().index(case_id) + 1
    case_radio = page.get_by_role("radio", name=case_teaser(load_case(case_id), number),
                                  exact=True)
    case_radio.wait_for(timeout=60_000)
    case_radio.check()
    page.get_by_role("button", name="Open case").click()
    page.get_by_label("Step", exact=True).wait_for(timeout=30_000)
