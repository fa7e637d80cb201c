"""The learner app in Voilà, in Debian's Chromium: a two-visit case typed at 800 px with every
message beside its control and nothing judged before submission, keys typed into its controls,
keyboard-only operation, one Tab stop for the case list, the axe-core audit (0 violations), and
idle kernels culled. One Voilà server for the module (a second, culling fast, for the culling
test), stopped by its pid; each test opens its own page (a fresh kernel) and uses its own
learner id in the app's own progress store."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from dystonia_teach import list_cases
from dystonia_teach.render.feedback import SYMBOL
from dystonia_teach.store import open_store

from .jupyterlab_server import CHROMIUM, LAUNCH_ARGS
from .voila_server import (
    App,
    axe_violations,
    blocking,
    kernel_pids,
    require_browser_tools,
    running_app,
)

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
CASE = "early_uncomplicated"
EXAM = "Neurological examination of the legs"
#: Keys a learner might press anywhere; in JupyterLab some would be notebook shortcuts.
KEYS = ["a", "b", "d", "d", "x", "z", "m", "y", "Shift+Enter", "Control+Enter", "Escape",
        "Enter", "Space", "ArrowDown", "ArrowUp", "Backspace", "Delete", "0", "0"]
#: Words that judge a test or a plan: none may be on the page before a submission.
JUDGING = ("indicated", "low value", "low-value", "recommended")


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    require_browser_tools()
    with running_app(tmp_path_factory.mktemp("voila")) as served:
        yield served


def _browse(base: str, width: int = 1280):
    """A Chromium page on the app, its picker shown; page errors in ``page.errors``."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        tab = browser.new_page(viewport={"width": width, "height": 900})
        tab.errors = []
        tab.on("pageerror", lambda exc: tab.errors.append(str(exc)))
        tab.goto(base + "/")
        tab.get_by_role("radio").first.wait_for(timeout=90_000)  # the case picker
        try:
            yield tab
        finally:
            browser.close()


@pytest.fixture
def page(app: App):
    yield from _browse(app.base)


@pytest.fixture
def narrow(app: App):
    """The app in an 800 px window."""
    yield from _browse(app.base, 800)


def _open(page, case_id: str, learner: str | None) -> None:
    """Type the learner id (Enter commits it), choose the case, open it."""
    if learner:
        page.get_by_label("Learner id").fill(learner)
        page.get_by_label("Learner id").press("Enter")
        page.locator(f"text=Saving your attempts as {learner}").wait_for(timeout=30_000)
    # the picker's numbered teasers, in the bank's order
    page.get_by_role("radio").nth(list_cases().index(case_id)).check()
    page.get_by_role("button", name="Open case").click()
    page.locator(".dt-panel-tracker").wait_for(timeout=30_000)


def _message(page, panel: str):
    return page.locator(f".dt-panel-{panel} .dt-message").first


def _said(page, panel: str, text: str) -> str:
    """Wait for ``text`` in the panel's message line; its text."""
    message = page.locator(f".dt-panel-{panel} .dt-message", has_text=text).first
    message.wait_for(timeout=30_000)
    return message.inner_text()


def _examine(page, label: str = EXAM) -> None:
    page.locator(".dt-panel-examine").get_by_role("button", name=label).click()
    _said(page, "examine", f"Done: {label}")


def _commit(page, search: str, diagnosis: str, percent: int | None = None) -> None:
    page.get_by_label("Search diagnoses").fill(search)
    page.get_by_label("Matches").locator("option", has_text=diagnosis).first.wait_for()
    page.get_by_label("Matches").select_option(label=diagnosis)
    page.get_by_role("button", name="Put in my differential").click()
    _said(page, "differential", "placed")
    page.get_by_role("button", name="Commit differential").click()
    _said(page, "differential", "Differential recorded")
    if percent is not None:
        page.get_by_role("button", name="Record confidence").click()
        page.locator(".dt-panel-differential .dt-message", has_text="Recorded:").wait_for()


def _submit_and_read(page) -> str:
    """Submit; the feedback's whole text (collapsed details included)."""
    page.get_by_role("button", name="Submit plan").click()
    _said(page, "feedback", "Submitted")
    feedback = page.locator(".dt-feedback").first
    feedback.wait_for(timeout=30_000)
    return feedback.text_content() or ""


def _tab_to(page, target, limit: int = 120) -> int:
    """Press Tab until ``target`` has the focus (the keyboard's only way around the page);
    returns the number of presses."""
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        if target.evaluate("e => e === document.activeElement"):
            return presses
    raise AssertionError(f"Tab never reaches {target}")


#: Where an element is against the window: [top, bottom, window height].
WHERE = "e => { const r = e.getBoundingClientRect(); return [r.top, r.bottom, innerHeight]; }"


def _in_view(locator) -> bool:
    top, bottom, height = locator.evaluate(WHERE)
    return bottom > 0 and top < height and bottom - top > 0


def test_app_shows_no_code_works_a_case_and_saves_to_the_store(page, app: App) -> None:
    assert "case_picker" not in page.content() and "import" not in page.inner_text("body")
    assert page.locator(".cm-editor, .jp-CodeMirrorEditor, .jp-InputPrompt").count() == 0
    assert page.locator("main .widget-radio").count() == 1  # the app's template: a landmark
    _open(page, CASE, "voila_owl")
    _examine(page)
    _commit(page, "radic", "Foot dystonia caused by lumbar radiculopathy", 50)
    text = _submit_and_read(page)
    _said(page, "feedback", "Saved.")
    page.locator(".dt-flowchart svg").first.wait_for(timeout=30_000)
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator("body").screenshot(path=str(ARTIFACTS / "voila_app.png"))
    assert "Score" in text and "OCEBM 2011 level" in text
    assert "Error displaying widget" not in page.content() and not page.errors
    with open_store(str(app.store)) as store:
        (attempt,) = store.attempts("voila_owl", CASE)
    assert attempt.actions == ("neuro_exam",) and 0 <= attempt.score < 1


def test_a_two_visit_case_typed_at_800_px_messages_beside_their_controls_no_spoilers(
        narrow, app: App) -> None:
    """A whole two-visit case typed in an 800 px window: after every action its message is on
    screen (beside the control, or where the page moved the focus), and until each submission
    no text on the page says "indicated", "low value" or "recommended"."""
    page = narrow
    checked: list[str] = []

    def beside(control, panel: str, text: str) -> None:
        message = page.locator(f".dt-panel-{panel} .dt-message", has_text=text).first
        message.wait_for(timeout=30_000)
        page.wait_for_timeout(150)  # the scroll that brings it into view
        assert _in_view(message), f"{text!r} is off screen"
        assert control is None or _in_view(control), f"{text!r}: its control is off screen"
        checked.append(text)

    def unjudged() -> None:
        body = page.inner_text("body").lower()
        found = [w for w in JUDGING if w in body]
        assert found == [], found

    _open(page, "early_uncomplicated", "voila_wren")
    problem = page.get_by_label("Problem statement")
    problem.fill("46M, 3/52 R leg pain, toes curl on walking")
    problem.press("Enter")
    beside(problem, "problem", "Read as: age 46")
    order = page.get_by_role("button", name="Order test")
    page.get_by_label("Test", exact=True).select_option(label="EMG and nerve conduction studies")
    order.click()  # before examining: refused, and why, beside the button
    beside(order, "tests", "examine the patient")
    history = page.locator(".dt-panel-examine").get_by_role(
        "button", name="History with red-flag screen")
    history.click()
    beside(history, "examine", "Done: History with red-flag screen")
    exam = page.locator(".dt-panel-examine").get_by_role("button", name=EXAM)
    exam.click()
    beside(exam, "examine", "examination findings are below")
    put = page.get_by_role("button", name="Put in my differential")
    page.get_by_label("Search diagnoses").fill("l5")
    page.get_by_label("Matches").locator("option").first.wait_for()
    first = page.get_by_label("Matches").locator("option").first.inner_text()
    assert first.replace("\xa0", " ") == (  # a select's options keep their spaces
        "Foot dystonia caused by lumbar radiculopathy")  # abbreviations, best match first
    put.click()
    beside(put, "differential", "placed 1st")
    page.get_by_label("Place").select_option(label="Must not miss")
    page.get_by_label("Search diagnoses").fill("CES")
    page.get_by_label("Matches").locator("option", has_text="Cauda").wait_for()
    put.click()
    beside(put, "differential", "Cauda equina syndrome placed")
    commit = page.get_by_role("button", name="Commit differential")
    commit.click()
    beside(commit, "differential", "Differential recorded")
    record = page.get_by_role("button", name="Record confidence")
    record.click()
    beside(record, "differential", "Recorded: 50%")
    page.get_by_label("Test", exact=True).select_option(label="EMG and nerve conduction studies")
    page.get_by_label("Which result would change management?").fill("an L5 root pattern")
    order.click()
    beside(order, "tests", "Ordered: EMG and nerve conduction studies")
    page.get_by_label("Test", exact=True).select_option(label="MRI lumbar spine without contrast")
    page.get_by_label("Which result would change management?").fill("a disc compressing L5")
    order.click()
    beside(order, "tests", "Ordered: MRI lumbar spine without contrast")
    page.get_by_label("Phase", exact=True).select_option(label="Conservative management (step 1)")
    page.get_by_label("Step", exact=True).select_option(label="Naproxen")
    page.get_by_label("Daily dose (mg/day)").fill("1000")
    page.get_by_label("Daily dose (mg/day)").press("Tab")
    add = page.get_by_role("button", name="Add step")
    add.click()
    beside(add, "plan", "Added to your plan: Naproxen 1000 mg/day")
    page.get_by_label("Step", exact=True).select_option(label="Physical therapy programme")
    add.click()
    beside(add, "plan", "Added to your plan: Physical therapy programme")
    unjudged()
    submit = page.get_by_role("button", name="Submit plan")
    submit.click()
    beside(submit, "feedback", "Submitted (attempt 1 at this visit)")
    feedback = page.locator(".dt-feedback").first.inner_text()
    assert re.search(r"\((indicated|reasonable|low value)\)", feedback)  # judged now
    next_visit = page.get_by_role("button", name="Next visit")
    next_visit.click()  # the page goes up to the patient's news, and the focus with it
    beside(None, "problem", "Visit 2: the patient returns")
    assert page.evaluate("document.activeElement.closest('.dt-panel-problem') !== null")
    page.locator(".dt-panel-problem", has_text="Visit 2 of 2").wait_for()
    unjudged()  # visit 2, before its submission
    problem.fill("46M, 10 wk R sciatica, toes curl after 2 min walking despite 7 wk of care")
    problem.press("Enter")
    beside(problem, "problem", "Recorded")
    exam.click()
    beside(exam, "examine", "examination findings are below")
    record.click()
    beside(record, "differential", "Recorded: 50%")
    page.get_by_label("Phase", exact=True).select_option(label="Surgical (step 3)")
    page.get_by_label("Step", exact=True).select_option(
        label="Surgical opinion and shared decision")
    add.click()
    beside(add, "plan", "Added to your plan: Surgical opinion")
    unjudged()
    submit.click()
    beside(submit, "feedback", "Submitted (attempt 1 at this visit)")
    _said(page, "feedback", "Saved.")
    reflect = page.get_by_label("Your reflection")
    reflect.fill("I ordered the MRI too early at the first visit.")
    debrief = page.locator(".dt-panel-debrief").get_by_role("button", name="Debrief")
    debrief.click()
    beside(debrief, "debrief", "reflection is saved")
    page.locator(".dt-panel-debrief", has_text="Teaching points").wait_for()
    page.get_by_role("button", name="Next case").wait_for()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "voila_two_visits_800.png"))
    assert len(checked) >= 20 and not page.errors
    with open_store(str(app.store)) as store:
        assert len(store.attempts("voila_wren", "early_uncomplicated")) == 2


def test_severity_and_pathway_are_told_in_words_not_only_colour(page) -> None:
    _open(page, CASE, None)
    _examine(page)
    _commit(page, "radic", "Foot dystonia caused by lumbar radiculopathy", 50)
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
    _examine(page)
    _commit(page, "radic", "Foot dystonia caused by lumbar radiculopathy", 50)
    text = _submit_and_read(page)
    assert "Score" in text
    assert page.locator(".cm-editor, .jp-InputPrompt").count() == 0  # still no code
    assert "Error displaying widget" not in page.content()
    assert "Unexpected error" not in page.inner_text("body") and not page.errors


def test_a_case_can_be_worked_with_the_keyboard_alone(page) -> None:
    """Tab moves between controls, the case list is one Tab stop with arrow keys inside,
    Enter or Space presses a button."""
    radios = page.get_by_role("radio")
    _tab_to(page, radios.first)
    page.keyboard.press("ArrowDown")  # the second case, chosen by arrow key
    page.wait_for_timeout(300)
    assert radios.nth(1).is_checked() and radios.nth(1).evaluate(
        "e => e === document.activeElement")
    presses = _tab_to(page, page.get_by_role("button", name="Open case"))
    assert presses == 1  # the list of 19 cases is one Tab stop
    page.keyboard.press("Enter")
    exam = page.locator(".dt-panel-examine").get_by_role("button", name=EXAM)
    exam.wait_for(timeout=30_000)
    _tab_to(page, exam)
    page.keyboard.press("Enter")
    _said(page, "examine", "Done")
    page.get_by_label("Search diagnoses").focus()
    page.keyboard.type("radic")
    _tab_to(page, page.get_by_role("button", name="Put in my differential"))
    page.keyboard.press("Enter")
    _said(page, "differential", "placed")
    _tab_to(page, page.get_by_role("button", name="Commit differential"))
    page.keyboard.press("Space")
    _said(page, "differential", "Differential recorded")
    _tab_to(page, page.get_by_role("button", name="Record confidence"))
    page.keyboard.press("Enter")
    _tab_to(page, page.get_by_role("button", name="Submit plan"))
    page.keyboard.press("Space")
    page.locator(".dt-feedback").first.wait_for(timeout=30_000)
    assert "Score" in (page.locator(".dt-feedback").first.text_content() or "")
    assert not page.errors


def test_axe_finds_no_violation_in_the_app(page) -> None:
    before = axe_violations(page, tags=None)
    _open(page, CASE, "voila_axe")
    _examine(page)
    _commit(page, "radic", "Foot dystonia caused by lumbar radiculopathy", 50)
    _submit_and_read(page)
    page.locator(".dt-flowchart svg").first.wait_for(timeout=30_000)
    page.get_by_role("button", name="Show again").click()
    _said(page, "earlier", "Shown below")
    after = axe_violations(page, tags=None)  # every default rule: WCAG and best practices
    assert page.evaluate("typeof axe.run") == "function"  # the audit did run
    assert blocking(before) == [] and before == []
    assert after == [], blocking(after) or after


def test_idle_kernels_of_closed_pages_are_culled(tmp_path_factory: pytest.TempPathFactory
                                                 ) -> None:
    """A page closed leaves its kernel idle with no connection: the app shuts it down after
    the idle time (here 4 s, checked every 2 s); a page still open keeps its kernel."""
    require_browser_tools()
    from playwright.sync_api import sync_playwright

    with running_app(tmp_path_factory.mktemp("cull"), cull_idle=4, cull_interval=2) as app, \
            sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        kept, closed = browser.new_page(), browser.new_page()
        for tab in (kept, closed):
            tab.goto(app.base + "/")
            tab.get_by_role("radio").first.wait_for(timeout=90_000)
        running = kernel_pids(app.pid)
        closed.close()
        deadline = time.monotonic() + 60
        while len(kernel_pids(app.pid)) >= len(running) and time.monotonic() < deadline:
            time.sleep(0.5)
        left = kernel_pids(app.pid)
        time.sleep(6)  # longer than the idle time: the open page's kernel stays
        still = kernel_pids(app.pid)
        kept.get_by_role("radio").first.check()
        kept.get_by_role("button", name="Open case").click()
        kept.locator(".dt-panel-tracker").wait_for(timeout=30_000)  # and still answers
        browser.close()
    assert len(running) == 2, running
    assert len(left) == 1 and left < running and still == left
