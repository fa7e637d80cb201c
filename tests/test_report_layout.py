"""The class report's figures fit in Chromium at 1400 px and at 800 px: every label (titles,
axis ticks and titles, legend entries, cell numbers, path-diagram nodes) lies inside its figure,
no two labels of a figure overlap, and no figure is wider than the page. Measured on the
labels' boxes in Debian's Chromium, driven by Playwright, on the report of a generated class of
every bundled case (the longest titles and step names)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from dystonia_teach.course.dashboard import write_report
from dystonia_teach.course.demo import demo_frame

from .jupyterlab_server import CHROMIUM, LAUNCH_ARGS

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser
WIDTHS = (1400, 800)

#: Per figure: its title, its box, whether the page scrolls sideways, and every label whose
#: box leaves the figure or overlaps another label's (boxes of non-empty SVG texts, in px).
MEASURE = """() => {
  const found = [];
  const texts = root => [...root.querySelectorAll('text')]
    .filter(t => t.textContent.trim() && t.getClientRects().length
                 && getComputedStyle(t).visibility !== 'hidden'
                 && getComputedStyle(t).opacity !== '0')
    .map(t => ({text: t.textContent.trim(), box: t.getBoundingClientRect()}));
  const overlap = (a, b) => Math.min(a.right, b.right) - Math.max(a.left, b.left) > 1
    && Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 1;
  for (const div of document.querySelectorAll('.plotly-graph-div')) {
    const frame = div.getBoundingClientRect();
    const title = (div.querySelector('.gtitle') || {}).textContent || '(untitled)';
    const labels = texts(div);
    const outside = labels.filter(l => l.box.left < frame.left - 1 || l.box.right > frame.right + 1
      || l.box.top < frame.top - 1 || l.box.bottom > frame.bottom + 1).map(l => l.text);
    const clashes = [];
    for (let i = 0; i < labels.length; i++)
      for (let j = i + 1; j < labels.length; j++)
        if (overlap(labels[i].box, labels[j].box)) clashes.push([labels[i].text, labels[j].text]);
    found.push({title, labels: labels.length, outside, clashes,
                wider: frame.right > document.documentElement.clientWidth + 1});
  }
  return found;
}"""


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("CI must run the browser tests: /usr/bin/chromium is missing")
        pytest.skip("Debian's Chromium is not installed (apt-get install chromium)")
    return write_report(demo_frame(learners=30, seed=1),
                        tmp_path_factory.mktemp("report") / "class.html")


@pytest.fixture(scope="module")
def browser(report: Path) -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        started = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            yield started
        finally:
            started.close()


def _opened(browser: Browser, report: Path, width: int) -> Page:
    """The report in a ``width`` px window, every figure drawn."""
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto(report.as_uri())
    page.wait_for_function("""() => [...document.querySelectorAll('.plotly-graph-div')]
                              .every(d => d.querySelector('svg.main-svg'))""", timeout=120_000)
    settled(page)
    return page


def settled(page: Page) -> None:
    """Wait until plotly has stopped moving the figures (its automatic margins take a second
    layout pass): the plot areas are the same twice, 300 ms apart."""
    sizes = "() => JSON.stringify([...document.querySelectorAll('.plotly-graph-div')]" \
            ".map(d => d._fullLayout && d._fullLayout._size))"
    before = None
    for _ in range(100):
        now = page.evaluate(sizes)
        if now == before:
            return
        before = now
        page.wait_for_timeout(300)
    raise AssertionError("the report's figures never settled")


@pytest.fixture(scope="module")
def measured(browser: Browser, report: Path) -> dict[int, tuple[list[dict], int]]:
    """Per window width: the figures' measures, and by how many px the page is wider."""
    found = {}
    for width in WIDTHS:
        page = _opened(browser, report, width)
        found[width] = (page.evaluate(MEASURE), page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"))
        page.close()
    return found


@pytest.mark.parametrize("width", WIDTHS)
def test_report_figures_keep_every_label_inside_and_apart(measured, width: int) -> None:
    figures, wider = measured[width]
    assert wider <= 1, f"the report scrolls sideways at {width} px"
    assert len(figures) >= 3 + 20 and all(f["labels"] > 3 for f in figures)
    problems = {f["title"]: {k: f[k] for k in ("outside", "clashes", "wider") if f[k]}
                for f in figures if f["outside"] or f["clashes"] or f["wider"]}
    assert problems == {}, f"at {width} px: {problems}"


def test_report_layout_check_can_fail(browser: Browser, report: Path) -> None:
    """The same measure finds the labels of a figure squeezed into 300 px."""
    page = _opened(browser, report, 1400)
    page.evaluate("""() => Plotly.relayout(document.querySelector('.plotly-graph-div'),
                                           {width: 300, height: 200, 'margin.l': 0,
                                            'margin.b': 0})""")
    settled(page)
    first = page.evaluate(MEASURE)[0]
    page.close()
    assert first["outside"] or first["clashes"]
