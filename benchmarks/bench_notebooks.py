"""Benchmark (not a test): the whole strict nbval run against its budget.

Budget: 1.5 x (number of notebooks x a bare kernel start) + the notebooks' own cell work
(+ pytest's start-up, which is paid once whatever the notebooks do). Prints each figure:

- bare kernel start: start a python3 kernel, wait until it answers, shut it down (median of 5);
- cell work: the time each notebook's cells take, measured by executing them with nbclient;
- pytest start-up: `pytest --collect-only` on an empty selection;
- the run: `pytest --nbval notebooks` wall time (median of 3).

    .venv/bin/python benchmarks/bench_notebooks.py
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

import nbformat
from jupyter_client.manager import start_new_kernel
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
PYTEST = [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly"]


def bare_kernel_start() -> float:
    start = time.perf_counter()
    manager, client = start_new_kernel(kernel_name="python3")
    client.kernel_info(reply=True)
    elapsed = time.perf_counter() - start
    client.stop_channels()
    manager.shutdown_kernel(now=True)
    return elapsed


def cell_work(path: Path) -> float:
    """Seconds spent running the notebook's cells (kernel start excluded)."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, kernel_name="python3", record_timing=True,
                            resources={"metadata": {"path": str(path.parent)}})
    with client.setup_kernel():
        start = time.perf_counter()
        for index, cell in enumerate(nb.cells):
            client.execute_cell(cell, index)
        return time.perf_counter() - start


def wall(command: list[str], ok: tuple[int, ...] = (0,)) -> float:
    start = time.perf_counter()
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
    if result.returncode not in ok:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stdout}{result.stderr}")
    return time.perf_counter() - start


def main() -> int:
    kernel = statistics.median(bare_kernel_start() for _ in range(5))
    work = {path.name: cell_work(path) for path in NOTEBOOKS}
    startup = statistics.median(
        wall([*PYTEST, "--collect-only", "tests/test_public_api.py", "-k", "nothing"],
             ok=(0, 5))  # 5: nothing collected, as intended
        for _ in range(3))
    run = statistics.median(wall([*PYTEST, "--nbval", "notebooks"]) for _ in range(3))
    budget = 1.5 * len(NOTEBOOKS) * kernel + sum(work.values()) + startup
    print(f"bare kernel start (median of 5): {kernel:.2f} s")
    for name, seconds in work.items():
        print(f"cell work, {name}: {seconds:.2f} s")
    print(f"pytest start-up: {startup:.2f} s")
    print(f"pytest --nbval on {len(NOTEBOOKS)} notebooks (median of 3): {run:.2f} s; budget "
          f"1.5 x {len(NOTEBOOKS)} x {kernel:.2f} + {sum(work.values()):.2f} + {startup:.2f} = "
          f"{budget:.2f} s: " + ("OK" if run <= budget else "OVER BUDGET"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
