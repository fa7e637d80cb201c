"""Static case pages in Debian's Chromium: readable with scripts off, and the axe-core audit
(0 serious or critical WCAG 2.0/2.1 A/AA violations)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dystonia_teach import load_case
from dystonia_teach.render.case_page import case_page

from .jupyterlab_server import CHROMIUM, LAUNCH_ARGS
from .voila_server import axe_violations, blocking, require_browser_tools

pytestmark = pytest.mark.browser
CASES = ["cauda_equina_red_flags", "stenosis_with_instability"]


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    require_browser_tools()
    folder = tmp_path_factory.mktemp("pages")
    paths = [folder / f"{case_id}.html" for case_id in CASES]
    for case_id, path in zip(CASES, paths, strict=True):
        path.write_text(case_page(load_case(case_id)), encoding="utf-8")
    return paths


def test_pages_read_without_script_and_pass_the_axe_audit(pages: list[Path]) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        no_script = browser.new_page(java_script_enabled=False)
        audited = browser.new_page()
        results = {}
        for path in pages:
            no_script.goto(path.as_uri())
            assert no_script.locator("svg.dt-flowchart").is_visible()
            assert no_script.locator("ol.dt-pathway li").count() > 2
            assert "OCEBM 2011 level" in no_script.locator("table").inner_text()
            audited.goto(path.as_uri())
            results[path.stem] = axe_violations(audited)
        browser.close()
    assert {name: blocking(found) for name, found in results.items()} == {
        name: [] for name in results}


def test_the_audit_flags_a_page_with_known_problems() -> None:
    """Negative control: faint text, an image without alt text and an unlabelled field."""
    require_browser_tools()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        page = browser.new_page()
        page.set_content('<html lang="en"><head><title>t</title></head><body><main>'
                         '<p style="color:#ccc">faint</p><img src="x.png"><input></main></body>'
                         "</html>")
        found = " ".join(blocking(axe_violations(page)))
        browser.close()
    assert "color-contrast" in found and "image-alt" in found and "label" in found
