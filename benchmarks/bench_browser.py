"""Benchmark (not a test): click-to-feedback in a real browser (target: at most 100 ms).

Starts JupyterLab on loopback, runs the cases notebook in Debian's Chromium, opens a case,
examines and records a differential and a confidence (what submission needs), and then,
repeatedly, adds a plan step and times from the Submit click (dispatched in the page) to the
moment the feedback panel shows the new verdict (a MutationObserver in the page), so the figure
measures the kernel round trip and the rendering, not Playwright's own messaging.

    .venv/bin/python benchmarks/bench_browser.py
"""

from __future__ import annotations

import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dystonia_teach.core.knowledge import knowledge
from dystonia_teach.core.vocabulary import PHASE_LABELS
from dystonia_teach.widgets.workbench.plan import step_options
from tests.jupyterlab_server import (
    CHROMIUM,
    LAUNCH_ARGS,
    open_and_run,
    open_case,
    running_lab,
    wait_idle,
)

TARGET_MS = 100.0
#: Plan steps added one by one; each addition is followed by a timed submission.
STEPS = ["physical_therapy", "education_stay_active", "clinical_followup", "bed_rest",
         "acetaminophen", "duloxetine", "gastroprotection", "ankle_foot_orthosis",
         "surgical_opinion_shared_decision", "long_term_opioids"]

TIME_SUBMIT = """() => new Promise((resolve, reject) => {
  const panel = () => document.querySelector('.dt-feedback');
  const before = panel() ? panel().innerText : null;
  const button = [...document.querySelectorAll('button')]
    .find(b => b.innerText.includes('Submit plan'));
  const observer = new MutationObserver(() => {
    if (panel() && panel().innerText !== before) {
      observer.disconnect();
      resolve(performance.now() - start);
    }
  });
  observer.observe(document.body, {subtree: true, childList: true, characterData: true});
  setTimeout(() => reject(new Error('no feedback within 10 s')), 10000);
  const start = performance.now();
  button.click();
})"""


def main() -> int:
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        print("Debian's Chromium is missing: run `make browser-deps` first")
        return 2
    with tempfile.TemporaryDirectory() as root, running_lab(Path(root)) as base, \
            sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        open_and_run(page, base, "02_work_the_cases.ipynb")
        open_case(page, "early_uncomplicated")
        page.locator(".dt-panel-examine").get_by_role(
            "button", name="Neurological examination of the legs").click()
        page.get_by_label("Search diagnoses").fill("radic")
        page.get_by_label("Matches").locator("option").first.wait_for()
        for button in ("Put in my differential", "Commit differential", "Record confidence"):
            page.get_by_role("button", name=button).click()
            wait_idle(page)
        phase = page.get_by_label("Phase", exact=True)
        picker = page.get_by_label("Step", exact=True)
        add = page.get_by_role("button", name="Add step")
        labels = {step: label for label, step in step_options(knowledge())}
        times = []
        for step in STEPS:
            phase.select_option(label=PHASE_LABELS[knowledge().steps[step].phase])
            picker.locator("option", has_text=labels[step]).first.wait_for()
            picker.select_option(label=labels[step])
            add.click()
            wait_idle(page)  # the kernel has finished the last flowchart and this step
            times.append(page.evaluate(TIME_SUBMIT))
            wait_idle(page)
        browser.close()
    p50, worst = statistics.median(times), max(times)
    print(f"click-to-feedback over {len(times)} submissions: median {p50:.0f} ms, "
          f"max {worst:.0f} ms (target <= {TARGET_MS:.0f} ms): "
          + ("OK" if p50 <= TARGET_MS else "OVER TARGET"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
