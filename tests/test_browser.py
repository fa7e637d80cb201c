"""Real-browser test: JupyterLab in Debian's Chromium, driven by Playwright (no browser download).

Starts JupyterLab on loopback with its own token and Jupyter folders, opens the cases notebook,
runs it, works a case through the widgets, and checks the feedback text, the drawn flowchart and
the axe-core audit of the workbench. Saves screenshots to test-artifacts/. Skipped when
/usr/bin/chromium is missing, except under CI (CI=true), where a missing browser is a failure.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from .conftest import REPO
from .jupyterlab_server import (
    CHROMIUM,
    LAUNCH_ARGS,
    open_and_run,
    open_case,
    running_lab,
    wait_idle,
)
from .voila_server import axe_violations, blocking, require_browser_tools

if TYPE_CHECKING:
    from playwright.sync_api import Page

NOTEBOOK = "02_work_the_cases.ipynb"
ARTIFACTS = REPO / "test-artifacts"

pytestmark = pytest.mark.browser


def _require_chromium() -> None:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("CI must run the browser test: /usr/bin/chromium is missing")
        pytest.skip("Debian's Chromium is not installed (apt-get install chromium)")


#: The shipped notebooks' digests, taken before the server starts.
SHIPPED: dict[str, str] = {}


def _digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.glob("*.ipynb"))}


@pytest.fixture(scope="module")
def lab_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A JupyterLab server on loopback serving a copy of notebooks/; yields its base URL and
    the folder holding that copy."""
    _require_chromium()
    require_browser_tools()  # axe-core too
    root = tmp_path_factory.mktemp("lab")
    SHIPPED.update(_digests(REPO / "notebooks"))
    with running_lab(root) as base:
        yield base, root


@pytest.fixture(scope="module")
def lab(lab_root: tuple[str, Path]) -> str:
    return lab_root[0]


def test_work_a_case_in_jupyterlab_at_800_px(lab: str) -> None:
    """Run the cases notebook in an 800 px window: type a learner id, open a case, examine,
    rank a differential found by search, order a justified test, submit; the summary-first
    feedback and the flowchart appear, fit the width, and the attempt is saved; axe-core finds
    no violation in the workbench."""
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        page = browser.new_page(viewport={"width": 800, "height": 1000})
        open_and_run(page, lab, NOTEBOOK)
        learner = page.get_by_label("Learner id")
        learner.wait_for(timeout=60_000)
        assert "Error displaying widget" not in page.content()
        open_case(page, "early_uncomplicated")
        page.screenshot(path=str(ARTIFACTS / "case_opened_800.png"), full_page=False)
        learner.fill("e2e_owl")  # typed after opening the case: it applies from now on
        learner.press("Enter")
        page.locator("text=Saving your attempts as e2e_owl").first.wait_for(timeout=30_000)
        page.get_by_label("Problem statement").fill("46-year-old man, toes curl on walking")
        page.get_by_label("Problem statement").press("Enter")
        clipped = _clipped_options(page)  # case titles and the steps of every phase
        _examine(page, "Neurological examination of the legs")
        page.locator("text=Right ankle dorsiflexion").first.wait_for(timeout=30_000)
        page.get_by_label("Search diagnoses").fill("radicul")
        _commit_differential(page, "Foot dystonia caused by lumbar radiculopathy")
        page.get_by_label("Test", exact=True).select_option(
            label="EMG and nerve conduction studies")
        page.get_by_label("Which result would change management?").fill("an L5 radiculopathy")
        page.get_by_role("button", name="Order test").click()
        page.locator(".dt-test").first.wait_for(timeout=30_000)
        page.get_by_role("button", name="Submit plan").click()
        feedback = page.locator(".dt-feedback")
        feedback.wait_for(timeout=30_000)
        text = feedback.inner_text()
        page.locator(".dt-message", has_text="Saved.").first.wait_for(timeout=30_000)
        figure = page.locator(".dt-flowchart svg").first
        figure.wait_for(timeout=30_000)  # the flowchart with the learner's path
        figure.scroll_into_view_if_needed()
        legend = figure.inner_html()
        label = page.locator(".dt-flowchart").first.get_attribute("aria-label") or ""
        widths = page.evaluate("""() => {
          const out = document.querySelector('.dt-root').closest('.jp-OutputArea-output');
          const svg = document.querySelector('.dt-flowchart svg');
          return [out.scrollWidth, out.clientWidth, svg.getBoundingClientRect().right,
                  out.getBoundingClientRect().right];
        }""")
        # long descriptions go above their control rather than squeezing it to nothing (the
        # controls shown: the quick check's are hidden while the case is worked)
        squeezed = page.evaluate("""() => Object.fromEntries([
            ['slider', '.dt-root .widget-hslider .slider-container'],
            ...[...document.querySelectorAll('.dt-root .widget-text input')]
              .filter(input => input.offsetParent !== null).map(
              input => [input.closest('.widget-text').innerText || input.placeholder, input])
          ].map(([name, el]) => [name, (typeof el === 'string' ? document.querySelector(el)
                                        : el).getBoundingClientRect().width])
          .filter(([, width]) => width < 150))""")
        page.get_by_role("button", name="Show again").click()
        page.locator(".dt-message", has_text="Shown below").first.wait_for(timeout=30_000)
        audit = axe_violations(page, tags=None, within=".dt-root")
        page_text = page.content()
        page.screenshot(path=str(ARTIFACTS / "work_a_case_800.png"), full_page=True)
        browser.close()
    assert "Score" in text.split("What was right")[0]  # the summary comes first
    assert "Top things to change" in text and "Your reasoning" in text
    assert "Your path" in legend and "Recommended path" in legend
    assert "Flowchart" in label  # named for screen readers
    scroll_width, client_width, svg_right, output_right = widths
    assert scroll_width <= client_width + 1, "the workbench is wider than an 800 px window"
    assert svg_right <= output_right + 1, "the flowchart is cut off at 800 px"
    assert squeezed == {}, f"controls squeezed at 800 px (width in px): {squeezed}"
    assert clipped == [], f"texts cut off at 800 px ([control, text, px needed, px shown]): " \
                          f"{clipped}"
    assert "Error displaying widget" not in page_text
    assert audit == [], blocking(audit) or audit  # every default rule, WCAG and best practice


#: Every option text of the case list, the step list and the test list that does not fit the
#: width its control shows it in: [control, text, width needed, width shown] in px. A select
#: never wraps an option (its text is measured in the select's font); a radio list's label must
#: not overflow its box (nor be cut at the foot), nor the box the output area.
CLIPPED = """() => {
  const ctx = document.createElement('canvas').getContext('2d');
  const out = [];
  const area = document.querySelector('.dt-root').closest('.jp-OutputArea-output')
    .getBoundingClientRect();
  for (const select of document.querySelectorAll('.dt-root select')) {
    const name = select.parentElement.querySelector('.widget-label').textContent;
    if (!['Case', 'Step', 'Test', 'Phase'].includes(name)) continue;
    const style = getComputedStyle(select);
    ctx.font = style.font;
    const room = Math.min(select.getBoundingClientRect().right, area.right)
      - select.getBoundingClientRect().left - (select.offsetWidth - select.clientWidth)
      - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    for (const option of select.options) {
      const width = ctx.measureText(option.text).width;
      if (width > room) out.push([name, option.text, Math.round(width), Math.round(room)]);
    }
  }
  for (const label of document.querySelectorAll('.dt-root .widget-radio-box label')) {
    const box = label.getBoundingClientRect();
    const room = Math.min(label.parentElement.getBoundingClientRect().right, area.right);
    if (label.scrollWidth > label.clientWidth + 1 || box.right > room + 1
        || label.scrollHeight > label.clientHeight + 1) {
      out.push(['Case', label.textContent, label.scrollWidth, Math.round(room - box.left)]);
    }
  }
  return out;
}"""


def _clipped_options(page: Page) -> list[list[object]]:
    """What :data:`CLIPPED` finds for every phase the step list can show."""
    phases = page.get_by_label("Phase", exact=True)
    found: list[list[object]] = []
    for phase in phases.locator("option").all_inner_texts():
        phases.select_option(label=phase.replace("\xa0", " "))
        wait_idle(page)
        found += [row for row in page.evaluate(CLIPPED) if row not in found]
    return found


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


def _type(page: Page, label: str, text: str, *, enter: bool = False) -> None:
    """Click into the control labelled ``label``, select what it holds and type ``text`` over
    it key by key."""
    control = page.get_by_label(label, exact=True)
    control.click()
    page.keyboard.press("Control+A")
    page.keyboard.type(text)
    if enter:
        page.keyboard.press("Enter")


def _examine(page: Page, label: str) -> None:
    page.locator(".dt-panel-examine").get_by_role("button", name=label).click()
    page.locator(".dt-message", has_text=f"Done: {label}").first.wait_for(timeout=30_000)


def _commit_differential(page: Page, diagnosis: str) -> None:
    """Pick ``diagnosis`` among the search's matches, commit it as the differential and record
    the confidence the slider shows."""
    page.get_by_label("Matches").locator("option").first.wait_for(timeout=30_000)
    page.get_by_label("Matches").select_option(label=diagnosis)
    page.get_by_role("button", name="Put in my differential").click()
    page.get_by_role("button", name="Commit differential").click()
    page.locator("text=Differential recorded").first.wait_for(timeout=30_000)
    page.get_by_role("button", name="Record confidence").click()
    page.locator(".dt-message", has_text="Recorded:").first.wait_for(timeout=30_000)


def _open_as(page: Page, learner: str, case_id: str) -> None:
    _type(page, "Learner id", learner, enter=True)
    page.locator(f"text=Saving your attempts as {learner}").first.wait_for(timeout=30_000)
    open_case(page, case_id)


def _add_step(page: Page, label: str, phase: str) -> None:
    page.get_by_label("Phase", exact=True).select_option(label=phase)
    steps = page.get_by_label("Step", exact=True)
    steps.locator("option", has_text=label).first.wait_for()
    steps.select_option(label=label)
    page.get_by_role("button", name="Add step").click()
    page.locator(".dt-message", has_text=f"Added to your plan: {label}").first.wait_for()


def test_two_visits_typed_then_a_restart_says_so_and_resume_is_one_click(lab: str) -> None:
    """Work a two-visit case by typing (problem statement, diagnosis search, test reason,
    confidence by arrow keys, reflection), submit visit 1, begin visit 2, restart the kernel:
    the workbench says to run the cell again (no broken icons). Run it: the learner id is
    remembered, and "Resume where you stopped" reopens visit 2 in one click; the first visit's
    attempt comes back with its feedback, flowchart and reasoning, reflection included."""
    from playwright.sync_api import sync_playwright

    case_id, learner = "disc_herniation_after_trial", "trial_wren"
    problem = "41F, 10 wk L sciatica, toes curl on standing"
    reason = "a disc compressing the left S1 root would make surgery an option"
    reflection = "I wanted the MRI before I had characterised the dystonia"
    later = "41-year-old woman ten days after a left microdiscectomy"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        page = browser.new_page(viewport={"width": 1000, "height": 1000})
        open_and_run(page, lab, NOTEBOOK)
        page.get_by_label("Learner id").wait_for(timeout=60_000)
        _open_as(page, learner, case_id)
        _type(page, "Problem statement", problem, enter=True)
        page.locator(".dt-message", has_text="Read as: age 41").first.wait_for()
        _examine(page, "History with red-flag screen")
        _examine(page, "Neurological examination of the legs")
        _type(page, "Search diagnoses", "radicul")
        page.get_by_label("Matches").locator("option").first.wait_for(timeout=30_000)
        page.get_by_role("button", name="Put in my differential").click()
        page.get_by_role("button", name="Commit differential").click()
        page.locator("text=Differential recorded").first.wait_for(timeout=30_000)
        page.get_by_label("Test", exact=True).select_option(
            label="MRI lumbar spine without contrast")
        _type(page, "Which result would change management?", reason)
        page.get_by_role("button", name="Order test").click()
        page.locator(".dt-test", has_text="You said").first.wait_for(timeout=30_000)
        handle = page.get_by_role("slider", name="How sure are you of your leading diagnosis (%)?")
        handle.focus()
        for _ in range(4):  # 50 % + 4 steps of 5
            page.keyboard.press("ArrowRight")
        page.locator(".dt-message", has_text="Recorded: 70%").first.wait_for()
        wait_idle(page)
        page.get_by_role("button", name="Submit plan").click()
        page.locator(".dt-message", has_text="Saved.").first.wait_for(timeout=30_000)
        _type(page, "Your reflection", reflection)
        page.locator(".dt-panel-debrief").get_by_role("button", name="Debrief").click()
        page.locator("text=Your reflection is saved").first.wait_for(timeout=30_000)
        page.get_by_role("button", name="Next visit").click()
        page.locator("text=Visit 2 of 2").first.wait_for(timeout=30_000)
        _type(page, "Problem statement", later, enter=True)
        _examine(page, "Neurological examination of the legs")
        wait_idle(page)  # visit 2 begun, not submitted: kept as unfinished work

        page.get_by_role("menuitem", name="Kernel", exact=True).click()
        page.locator("li[data-command='kernelmenu:restart']").click()
        page.locator(".jp-Dialog .jp-mod-accept").click()
        page.locator(".jp-Dialog").wait_for(state="detached")
        wait_idle(page)
        stale = page.locator(".dt-stale").first
        stale.wait_for(timeout=30_000)
        notice = stale.inner_text()
        broken = page.evaluate("""() => [...document.querySelectorAll(
            '.dt-root .jupyter-widgets-disconnected')].filter(e => getComputedStyle(
            e, '::before').display !== 'none').length""")
        page.screenshot(path=str(ARTIFACTS / "kernel_restarted.png"), full_page=False)
        page.get_by_role("menuitem", name="Run", exact=True).click()
        page.locator("li[data-command='runmenu:run-all']").click()
        resume = page.get_by_role("button", name=re.compile("Resume where you stopped: case"))
        resume.wait_for(timeout=60_000)
        remembered = page.get_by_label("Learner id").input_value()
        resume.click()  # the one click
        page.locator("text=Resumed your work at visit 2").first.wait_for(timeout=30_000)
        saved_note = page.locator(".dt-root p", has_text="saved submission").first.inner_text()
        visit_line = page.locator(".dt-panel-problem p", has_text="Visit 2 of 2").first.inner_text()
        resumed_problem = page.get_by_label("Problem statement").input_value()
        plan = page.locator(".dt-root ol", has_text="Neurological examination").first.inner_text()
        page.get_by_role("button", name="Show again").click()
        reasoning = page.locator(".dt-reasoning").first
        reasoning.wait_for(timeout=30_000)
        shown = page.locator(".dt-root .widget-html", has_text="Shown again").first.inner_text()
        earlier = reasoning.inner_text()
        page.screenshot(path=str(ARTIFACTS / "resumed_after_restart.png"), full_page=False)
        browser.close()
    assert "run this cell again" in notice and broken == 0
    assert remembered == learner  # not typed again
    assert "1 saved submission" in saved_note
    assert "Shown again — Attempt 1, visit 1: score" in shown and "Score" in shown
    assert problem in earlier and reason in earlier and "MRI lumbar spine" in earlier
    assert "Foot dystonia caused by lumbar radiculopathy" in earlier
    assert "70% sure" in earlier and reflection in earlier
    assert "week 13" in visit_line and resumed_problem == later
    assert "Neurological examination of the legs" in plan


#: Keys that JupyterLab reads as notebook commands in command mode: insert a cell, turn it into
#: Markdown, delete it, restart the kernel, move between cells, enter edit mode.
COMMAND_KEYS = ["a", "m", "d", "d", "0", "0", "ArrowDown", "ArrowUp", "Enter"]
CONTROLS = ".jp-OutputArea-output .jupyter-widgets :is(select, input, textarea, button)"


def _cells(page: Page) -> list[str]:
    """Each cell's kind as the notebook shows it (code or markdown), in order."""
    return page.locator(".jp-Notebook .jp-Cell").evaluate_all(
        "cells => cells.map(c => c.classList.contains('jp-CodeCell') ? 'code' : 'markdown')")


def _saved_cells(path: Path) -> list[tuple[str, str]]:
    cells = json.loads(path.read_text())["cells"]
    return [(cell["cell_type"], "".join(cell["source"])) for cell in cells]


def test_keyboard_keys_in_widgets_never_reach_notebook_commands(lab_root: tuple[str, Path]) -> None:
    """Type command keys into every control of the case picker and workbench: the notebook keeps
    its cells, the saved file its cells and sources, and the kernel its state (the widgets still
    answer)."""
    from playwright.sync_api import sync_playwright

    base, root = lab_root
    shipped = _saved_cells(REPO / "notebooks" / NOTEBOOK)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        open_and_run(page, base, NOTEBOOK)
        open_case(page, "early_uncomplicated")
        wait_idle(page)
        cells_before = _cells(page)
        controls = page.locator(CONTROLS)
        typed = 0
        for index in range(controls.count()):
            control = controls.nth(index)
            if not control.is_visible() or control.is_disabled():
                continue
            for key in COMMAND_KEYS:
                control.focus()  # Enter on a button may rebuild the widgets: focus anew
                page.keyboard.press(key)
            typed += 1
            wait_idle(page)
        dialogs = page.locator(".jp-Dialog").count()
        cells_after = _cells(page)
        # the kernel kept its objects: the workbench still answers (Enter on "Quick check"
        # switched the workbench's mode: back to working the case)
        page.get_by_role("button", name="Work the case").click()
        page.get_by_role("button", name="Submit plan").click()
        page.locator(".dt-panel-feedback .dt-message", has_text="before you submit").first \
            .wait_for(timeout=30_000)
        saved = root / "notebooks" / NOTEBOOK
        before_save = saved.stat().st_mtime_ns
        page.get_by_role("menuitem", name="File", exact=True).click()
        page.locator("li[data-command='docmanager:save']").click()
        deadline = time.monotonic() + 30
        while saved.stat().st_mtime_ns == before_save and time.monotonic() < deadline:
            page.wait_for_timeout(100)
        page.screenshot(path=str(ARTIFACTS / "keyboard.png"), full_page=False)
        browser.close()
    assert typed >= 8, f"only {typed} controls were found to type into"
    assert dialogs == 0, "a key opened a JupyterLab dialog (e.g. Restart Kernel?)"
    assert cells_after == cells_before
    assert saved.stat().st_mtime_ns != before_save, "the notebook was not saved"
    assert _saved_cells(saved) == shipped


def test_a_session_leaves_the_course_files_unmodified(lab_root: tuple[str, Path]) -> None:
    """After the sessions above (run, typed, submitted, saved), the learner's working copy
    changed and the shipped notebooks did not (``git status`` is clean for them)."""
    _, root = lab_root
    assert SHIPPED, "the shipped notebooks were not recorded before the session"
    assert _digests(REPO / "notebooks") == SHIPPED
    copy = _digests(root / "notebooks")
    assert copy.keys() >= SHIPPED.keys() and copy != SHIPPED  # the saves went to the copy
    if (REPO / ".git").exists() and shutil.which("git"):
        status = subprocess.run(["git", "status", "--porcelain", "--", "notebooks"], cwd=REPO,
                                capture_output=True, text=True, check=True)
        assert status.stdout == "", status.stdout
