"""Benchmark (not a test): one learner's kernel memory, and how many learners fit a server.

Prints the resident memory (RSS, from /proc) of a python3 kernel: bare; after running every
code cell of notebooks/02 (the case picker and the worked example); and after then working a
two-visit case through the widgets as a learner would (open, examine, differential with a
certainty, confidence, an urgent test, a step, submit, next visit, submit, debrief, then "Next
case", which asks the recommender). Target: at most 120 MiB after notebook 02. It also prints
which of numpy, pandas and plotly's renderer the kernel has loaded by then. The estimate of
learners per 24 GiB divides 24 GiB by the larger of the last two figures (memory the server
itself, the proxy and the hub need is not counted).

    .venv/bin/python benchmarks/bench_kernel_memory.py
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import nbformat
from jupyter_client.manager import start_new_kernel

REPO = Path(__file__).resolve().parent.parent
NOTEBOOK = REPO / "notebooks" / "02_work_the_cases.ipynb"
TARGET_MIB = 120
SERVER_GIB = 24
#: A learner working the first case, in the kernel, through the workbench's controls.
WORK_A_CASE = """
picker.learner.value = "bench_owl"
picker.cases.value = "early_uncomplicated"
picker.open_button.click()
wb = picker.workbench
wb.patient.problem.value = "46M, 3/52 R leg pain, toes curl on walking"
wb.examine.buttons["history_red_flags"].click()
wb.examine.buttons["neuro_exam"].click()
wb.differential.search.value = "radic"
wb.differential.sure.value = "high"
wb.differential.put.click()
wb.differential.commit.click()
wb.differential.confidence.value = 70
wb.tests.picker.value = "emg_ncs"
wb.tests.change.value = "a root pattern would confirm the radiculopathy"
wb.tests.urgent.value = True
wb.tests.sure.value = "low"
wb.tests.order.click()
wb.choose_step("physical_therapy"); wb.plan.sure.value = "medium"; wb.plan.add.click()
wb.feedback.submit.click()
wb.feedback.next_visit.click()
wb.examine.buttons["neuro_exam"].click()
wb.differential.confidence.value = 80
wb.feedback.submit.click()
wb.debrief.reflection.value = "I would wait for the trial before imaging."
wb.debrief.button.click()
assert wb.session.reports[-1].visit == 1, wb.feedback.message.value
assert "Your calibration" in wb.debrief.calibration.value
wb.debrief.next_case.click()
assert picker.workbench is not wb, wb.debrief.message.value
"""


def rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def run(client, code: str) -> str:
    """Run ``code`` in the kernel; what it printed."""
    printed: list[str] = []

    def keep(message: dict) -> None:
        if message["msg_type"] == "stream":
            printed.append(message["content"]["text"])

    reply = client.execute_interactive(code, timeout=120, output_hook=keep)
    if reply["content"]["status"] != "ok":
        raise RuntimeError(f"{reply['content'].get('ename')}: {reply['content'].get('evalue')}")
    return "".join(printed)


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        os.environ["DYSTONIA_TEACH_STORE"] = str(Path(folder) / "progress.sqlite3")
        os.environ["DYSTONIA_TEACH_WORKDIR"] = str(Path(folder) / "course")
        manager, client = start_new_kernel(kernel_name="python3", cwd=str(NOTEBOOK.parent))
        try:
            pid = manager.provisioner.pid
            run(client, "1")
            bare = rss_mib(pid)
            cells = [c.source for c in nbformat.read(NOTEBOOK, 4).cells if c.cell_type == "code"]
            for source in cells:
                run(client, source)
            after_notebook = rss_mib(pid)
            run(client, WORK_A_CASE)
            after_case = rss_mib(pid)
            loaded = run(client, "import sys; print(', '.join(sorted(m for m in ('pandas', "
                                 "'numpy', 'plotly.io') if m in sys.modules)) or 'none')")
        finally:
            client.stop_channels()
            manager.shutdown_kernel(now=True)
    worst = max(after_notebook, after_case)
    print(f"bare python3 kernel: {bare:.0f} MiB RSS")
    print(f"after notebook 02 (picker + worked example): {after_notebook:.0f} MiB RSS "
          f"(target <= {TARGET_MIB} MiB): " + ("OK" if after_notebook <= TARGET_MIB
                                                else "OVER TARGET"))
    print(f"after working a two-visit case in the workbench and pressing Next case: "
          f"{after_case:.0f} MiB RSS (numpy, pandas, plotly.io loaded: {loaded.strip()})")
    print(f"learners per {SERVER_GIB} GiB: about {int(SERVER_GIB * 1024 // worst)} "
          f"(at {worst:.0f} MiB each, the server's own memory not counted)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
