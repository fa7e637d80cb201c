"""Real-browser test: JupyterLab in Debian's Chromium, driven by Playwright (no browser download).

Starts JupyterLab on loopback with its own token and Jupyter folders, opens the cases notebook,
runs it, works a case through the widgets, and checks the feedback text and a drawn plotly
figure. Saves a screenshot to test-artifacts/. Skipped when /usr/bin/chromium is missing, except
under CI (CI=true), where a missing browser is a failure.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from .conftest import REPO
from .jupyterlab_server import CHROMIUM, LAUNCH_ARGS, open_and_run, open_case, running_lab

NOTEBOOK = "02_work_the_cases.ipynb"
ARTIFACTS = REPO / "test-artifacts"

pytestmark = pytest.mark.browser


def _require_chromium() -> None:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("CI must run the browser test: /usr/bin/chromium is missing")
        pytest.skip("Debian's Chromium is not installed (apt-get install chromium)")


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A JupyterLab server on loopback serving a copy of notebooks/; yields its base URL."""
    _require_chromium()
    with running_lab(tmp_path_factory.mktemp("lab")) as base:
        yield base


def test_work_a_case_in_jupyterlab(lab: str) -> None:
    """Run the cases notebook, open a case, add a step, submit, and read the feedback."""
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        open_and_run(page, lab, NOTEBOOK)
        page.locator(".widget-dropdown select").first.wait_for(timeout=60_000)
        assert "Error displaying widget" not in page.content()
        page.get_by_label("Learner id").fill("e2e_owl")  # save the attempt (a nickname)
        open_case(page, "early_uncomplicated")
        steps = page.locator(".widget-select select").first
        steps.wait_for(timeout=30_000)
        steps.select_option(label="Assessment: Neurological examination of the legs")
        page.get_by_role("button", name="Add step").click()
        page.get_by_role("button", name="Submit plan").click()
        feedback = page.locator(".dt-feedback")
        feedback.wait_for(timeout=30_000)
        text = feedback.inner_text()
        page.locator("text=saved as attempt 1").first.wait_for(timeout=30_000)
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


def test_case_builder_renders_and_validates_live_in_jupyterlab(lab: str) -> None:
    """Run the instructor notebook: the form renders, and a typed field updates the problems."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        open_and_run(page, lab, "03_build_a_case.ipynb")
        problems = page.locator(".widget-html p", has_text="problem(s) to fix").first
        problems.wait_for(timeout=60_000)
        before = problems.inner_text()
        title = page.get_by_label("title", exact=True)
        title.fill("A gardener whose foot turns in on long walks")
        title.press("Enter")  # fields validate when the instructor leaves them or presses Enter
        page.wait_for_function(
            "before => [...document.querySelectorAll('.widget-html p')].some(p => "
            "p.innerText.includes('problem(s) to fix') && p.innerText !== before)",
            arg=before, timeout=30_000)
        after = problems.inner_text()
        page_text = page.content()
        page.screenshot(path=str(ARTIFACTS / "build_a_case.png"), full_page=False)
        browser.close()
    assert "19 problem(s)" in before and "18 problem(s)" in after
    assert "Error displaying widget" not in page_text
