"""The learner app in Voilà, in Debian's Chromium: work a case to feedback, keys typed into its
controls, keyboard-only operation, and the axe-core audit (0 serious or critical WCAG 2.0/2.1
A/AA violations). One Voilà server for the module, stopped by its pid; each test opens its own
page (a fresh kernel) and uses its own learner id in the app's own progress store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from dystonia_teach import list_cases
from dystonia_teach.render.feedback import SYMBOL
from dystonia_teach.store import open_store

from .jupyterlab_server import CHROMIUM, LAUNCH_ARGS
from .voila_server import axe_violations, blocking, require_browser_tools, running_app

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
CASE = "early_uncomplicated"
STEP = "Neurological examination of the legs"  # in the first phase the list shows
#: Keys a learner might press anywhere; in JupyterLab some would be notebook shortcuts.
KEYS = ["a", "b", "d", "d", "x", "z", "m", "y", "Shift+Enter", "Control+Enter", "Escape",
        "Enter", "Space", "ArrowDown", "ArrowUp", "Backspace", "Delete", "0", "0"]


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    require_browser_tools()
    with running_app(tmp_path_factory.mktemp("voila")) as served:
        yield served


@pytest.fixture
def page(app: tuple[str, Path]):
    """A Chromium page on the app, its picker shown; page errors collected in ``page.errors``."""
    from playwright.sync_api import sync_playwright

    base, _ = app
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        tab = browser.new_page(viewport={"width": 1280, "height": 900})
        tab.errors = []
        tab.on("pageerror", lambda exc: tab.errors.append(str(exc)))
        tab.goto(base + "/")
        tab.get_by_role("radio").first.wait_for(timeout=90_000)  # the case picker
        try:
            yield tab
        finally:
            browser.close()


def _open(page, case_id: str, learner: str | None) -> None:
    """Type the learner id (Enter commits it), choose the case, open it."""
    if learner:
        page.get_by_label("Learner id").fill(learner)
        page.get_by_label("Learner id").press("Enter")
    # the picker's numbered teasers, in the bank's order
    page.get_by_role("radio").nth(list_cases().index(case_id)).check()
    page.get_by_role("button", name="Open case").click()
    page.get_by_label("Step", exact=True).wait_for(timeout=30_000)


def _add_step(page, label: str = STEP, phase: str = "Assessment") -> None:
    page.get_by_label("Phase", exact=True).select_option(label=phase)
    steps = page.get_by_label("Step", exact=True)
    steps.locator("option", has_text=label).first.wait_for(timeout=30_000)
    steps.select_option(label=label)
    page.get_by_role("button", name="Add step").click()


def _submit_and_read(page) -> str:
    """Submit; the feedback's whole text (collapsed details included)."""
    page.get_by_role("button", name="Submit plan").click()
    feedback = page.locator(".dt-feedback").first
    feedback.wait_for(timeout=30_000)
    return feedback.text_content() or ""


def _tab_to(page, target, limit: int = 80) -> None:
    """Press Tab until ``target`` has the focus (the keyboard's only way around the page)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("e => e === document.activeElement"):
            return
    raise AssertionError(f"Tab never reaches {target}")


def test_app_shows_no_code_works_a_case_and_saves_to_the_store(page, app) -> None:
    _, store_path = app
    assert "case_picker" not in page.content() and "import" not in page.inner_text("body")
    assert page.locator(".cm-editor, .jp-CodeMirrorEditor, .jp-InputPrompt").count() == 0
    assert page.locator("main .widget-radio").count() == 1  # the app's template: a landmark
    _open(page, CASE, "voila_owl")
    _add_step(page)
    text = _submit_and_read(page)
    page.locator(".widget-html", has_text="Saved.").first.wait_for(timeout=30_000)
    page.locator(".widget-output svg.main-svg").first.wait_for(timeout=30_000)
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator("body").screenshot(path=str(ARTIFACTS / "voila_app.png"))
    assert "Score" in text and "OCEBM 2011 level" in text
    assert "Error displaying widget" not in page.content() and not page.errors
    with open_store(str(store_path)) as store:
        (attempt,) = store.attempts("voila_owl", CASE)
    assert attempt.actions == ("neuro_exam",) and 0 <= attempt.score < 1


def test_severity_and_pathway_are_told_in_words_not_only_colour(page) -> None:
    _open(page, CASE, None)
    _add_step(page)
    _submit_and_read(page)
    summaries = page.locator(".dt-finding summary").all_text_contents()
    assert len(summaries) > 1
    for text in summaries:
        assert any(text.startswith(label) for label in SYMBOL.values()), text
    pathway = page.locator(".dt-feedback").first.text_content() or ""
    assert "— in your plan" in pathway and "— not in your plan" in pathway


def test_keys_typed_into_the_controls_never_break_the_app(page) -> None:
    _open(page, CASE, None)
    page.get_by_label("Phase", exact=True).select_option(
        label="Conservative management (step 1)")
    steps = page.get_by_label("Step", exact=True)
    steps.locator("option", has_text="Naproxen").wait_for(timeout=30_000)
    steps.select_option(label="Naproxen")  # a drug: the dose field is enabled
    controls = [page.get_by_label("Problem statement"), page.get_by_label("Search diagnoses"),
                steps, page.get_by_label("Daily dose (mg/day)"),
                page.get_by_label("Test", exact=True),
                page.get_by_label("Phase", exact=True),
                page.get_by_role("button", name="Undo last step"),
                page.get_by_role("radio").first]
    for control in controls:
        control.focus()
        for key in KEYS:
            page.keyboard.press(key)
    page.get_by_label("Daily dose (mg/day)").focus()
    page.keyboard.type("-1e999 mg!")
    page.keyboard.press("Enter")
    _add_step(page)
    text = _submit_and_read(page)
    assert "Score" in text
    assert page.locator(".cm-editor, .jp-InputPrompt").count() == 0  # still no code
    assert "Error displaying widget" not in page.content()
    assert "Unexpected error" not in page.inner_text("body") and not page.errors


def test_a_case_can_be_worked_with_the_keyboard_alone(page) -> None:
    _tab_to(page, page.get_by_role("radio").first)
    page.keyboard.press("Space")  # the first case of the bank
    _tab_to(page, page.get_by_role("button", name="Open case"))
    page.keyboard.press("Enter")
    steps = page.get_by_label("Step", exact=True)
    steps.wait_for(timeout=30_000)
    _tab_to(page, steps)
    page.keyboard.press("ArrowDown")  # the first step
    _tab_to(page, page.get_by_role("button", name="Add step"))
    page.keyboard.press("Enter")
    page.locator(".widget-html", has_text="Added to your plan").first.wait_for(timeout=30_000)
    _tab_to(page, page.get_by_role("button", name="Submit plan"))
    page.keyboard.press("Space")
    page.locator(".dt-feedback").first.wait_for(timeout=30_000)
    assert "Score" in (page.locator(".dt-feedback").first.text_content() or "")
    assert not page.errors


def test_axe_finds_no_serious_or_critical_wcag_violation_in_the_app(page) -> None:
    before = axe_violations(page)
    _open(page, CASE, "voila_axe")
    _add_step(page)
    _submit_and_read(page)
    page.locator(".widget-output svg.main-svg").first.wait_for(timeout=30_000)
    after = axe_violations(page)
    assert blocking(before) == [] and blocking(after) == []
    everything = axe_violations(page, tags=None)  # best practices too (e.g. landmarks)
    assert blocking(everything) == []
    assert page.evaluate("typeof axe.run") == "function"  # the audit did run
