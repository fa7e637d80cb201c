"""Real-browser test: JupyterLab in Debian's Chromium, driven by Playwright (no browser download).

Starts JupyterLab on loopback with its own token and Jupyter folders, opens the cases notebook,
runs it, works a case through the widgets, and checks the feedback text and a drawn plotly
figure. Saves a screenshot to test-artifacts/. Skipped when /usr/bin/chromium is missing, except
under CI (CI=true), where a missing browser is a failure.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import REPO

CHROMIUM = Path("/usr/bin/chromium")
NOTEBOOK = "02_work_the_cases.ipynb"
TOKEN = "dystonia-teach-e2e"
ARTIFACTS = REPO / "test-artifacts"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
               "--disable-background-networking", "--disable-component-update",
               "--no-first-run", "--disable-sync", "--disable-quic"]

pytestmark = pytest.mark.browser


def _require_chromium() -> None:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("CI must run the browser test: /usr/bin/chromium is missing")
        pytest.skip("Debian's Chromium is not installed (apt-get install chromium)")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A JupyterLab server on loopback serving a copy of notebooks/; yields its base URL."""
    _require_chromium()
    root = tmp_path_factory.mktemp("lab")
    shutil.copytree(REPO / "notebooks", root / "notebooks")
    jupyter = root / "jupyter"
    env = dict(os.environ)
    for var, sub in [("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_DATA_DIR", "data"),
                     ("JUPYTER_RUNTIME_DIR", "runtime"), ("JUPYTERLAB_SETTINGS_DIR", "settings"),
                     ("JUPYTERLAB_WORKSPACES_DIR", "workspaces")]:
        env[var] = str(jupyter / sub)
    env["DYSTONIA_TEACH_PROGRESS"] = str(root / "progress.sqlite3")
    port = _free_port()
    log = (root / "lab.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip", "127.0.0.1",
         "--port", str(port), f"--IdentityProvider.token={TOKEN}", "--ServerApp.password=",
         "--allow-root", f"--ServerApp.root_dir={root / 'notebooks'}",
         "--LabApp.news_url=None"],
        env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={TOKEN}", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError((root / "lab.log").read_text()) from None
                time.sleep(0.25)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def test_work_a_case_in_jupyterlab(lab: str) -> None:
    """Run the cases notebook, open a case, add a step, submit, and read the feedback."""
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{lab}/lab/tree/{NOTEBOOK}?token={TOKEN}")
        page.locator(".jp-StatusBar-TextItem", has_text="Idle").first.wait_for(timeout=60_000)
        page.get_by_role("menuitem", name="Run", exact=True).click()
        page.locator("li[data-command='runmenu:run-all']").click()
        case_select = page.locator(".widget-dropdown select").first
        case_select.wait_for(timeout=60_000)
        assert "Error displaying widget" not in page.content()
        case_select.select_option(value=None, label=next(
            o for o in case_select.locator("option").all_inner_texts()
            if "(early_uncomplicated)" in o))
        page.get_by_role("button", name="Open case").click()
        steps = page.locator(".widget-select select").first
        steps.wait_for(timeout=30_000)
        steps.select_option(label="Assessment: Neurological examination of the legs")
        page.get_by_role("button", name="Add step").click()
        page.get_by_role("button", name="Submit plan").click()
        feedback = page.locator(".dt-feedback")
        feedback.wait_for(timeout=30_000)
        text = feedback.inner_text()
        figure = page.locator(".widget-output svg.main-svg").first
        figure.wait_for(timeout=30_000)  # the flowchart with the learner's path, drawn by plotly
        figure.scroll_into_view_if_needed()
        legend = page.locator(".widget-output .legend").first.text_content() or ""
        page_text = page.content()
        page.screenshot(path=str(ARTIFACTS / "work_a_case.png"), full_page=True)
        browser.close()
    assert "Score:" in text
    assert "OCEBM 2011 level" in text
    assert "Characterise the dystonia" in text  # a missing assessment step is reported
    assert "Your path" in legend and "Recommended path" in legend
    assert "Error displaying widget" not in page_text
