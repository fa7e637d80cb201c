"""Key-feature questions in Debian's Chromium: the quick check in the learner app (Voilà) typed
and answered with its messages beside its controls and no axe-core violation; the printed item
sets readable with scripts off and passing the audit. One Voilà server for the module, stopped
by its pid (the shared fixtures of tests/voila_server.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from dystonia_teach import list_cases, load_case
from dystonia_teach.render.key_features import item_set_html

from .jupyterlab_server import CHROMIUM, LAUNCH_ARGS
from .voila_server import App, axe_violations, blocking, require_browser_tools, running_app

pytestmark = pytest.mark.browser
CASE = "nsaid_contraindicated_ckd"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    require_browser_tools()
    with running_app(tmp_path_factory.mktemp("voila")) as served:
        yield served


def _said(page, text: str) -> str:
    message = page.locator(".dt-panel-quickcheck .dt-message", has_text=text).first
    message.wait_for(timeout=30_000)
    return message.inner_text()


def test_key_feature_quick_check_in_the_app(app: App) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        try:
            page.goto(app.base + "/")
            page.get_by_role("radio").first.wait_for(timeout=90_000)
            page.get_by_role("radio").nth(list_cases().index(CASE)).check()
            page.get_by_role("button", name="Open case").click()
            page.locator(".dt-panel-tracker").wait_for(timeout=30_000)
            page.get_by_role("button", name="Quick check").click()
            panel = page.locator(".dt-panel-quickcheck")
            panel.get_by_text("Question 1 of 6").wait_for(timeout=30_000)
            assert page.locator(".dt-panel-tracker").is_hidden()
            matches = panel.get_by_label("Matching answers")
            assert matches.locator("option").count() == 0      # nothing shown before typing
            panel.get_by_label("Type your answer").press_sequentially("radic")
            matches.locator("option").first.wait_for(timeout=30_000)
            matches.select_option(label="Foot dystonia caused by lumbar radiculopathy")
            panel.get_by_role("button", name="Add answer").click()
            _said(page, "Added: Foot dystonia caused by lumbar radiculopathy")
            panel.get_by_role("button", name="Submit answers").click()
            assert _said(page, "Score 1/1").startswith("Score 1/1 = 1.00")
            assert panel.locator(".dt-result").get_by_text("Key answers").is_visible()
            found = axe_violations(page, tags=None)  # every default rule, quick check shown
        finally:
            browser.close()
    assert errors == []
    assert found == [], blocking(found) or found


def test_key_feature_item_sets_read_without_script_and_pass_the_axe_audit(
        tmp_path: Path) -> None:
    require_browser_tools()
    from playwright.sync_api import sync_playwright

    cases = [load_case(CASE), load_case("cauda_equina_red_flags")]
    paths = {}
    for name, key in (("students", False), ("key", True)):
        paths[name] = tmp_path / f"{name}.html"
        paths[name].write_text(item_set_html(cases, key=key), encoding="utf-8")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        no_script = browser.new_page(java_script_enabled=False)
        audited = browser.new_page()
        results = {}
        for name, path in paths.items():
            no_script.goto(path.as_uri())
            assert no_script.get_by_text("Which drug for the pain is safe for this patient?"
                                         ).first.is_visible()
            audited.goto(path.as_uri())
            results[name] = axe_violations(audited)
        assert no_script.get_by_text("Key answers").first.is_visible()  # the key, printed open
        browser.close()
    assert {name: blocking(found) for name, found in results.items()} == {
        name: [] for name in results}
