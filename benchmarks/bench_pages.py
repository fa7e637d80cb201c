"""Benchmark (not a test): static pages for the whole case bank, target <= 5 s.

Times the command a teacher runs, ``dystonia-teach export html --all -o DIR``, from a fresh
interpreter (imports, loading every case, rendering, writing), as the median of a few runs in
wall-clock and in CPU time (user + system: what the command costs on an idle machine; the
wall-clock figure grows with the machine's load, printed too), and the rendering alone.

    .venv/bin/python benchmarks/bench_pages.py
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = 5
TARGET_SECONDS = 5.0


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def command_seconds() -> tuple[list[float], list[float]]:
    """(wall-clock, CPU) seconds of each run of the command."""
    wall, cpu = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for run in range(RUNS):
            start, start_cpu = time.perf_counter(), _children_cpu()
            subprocess.run([sys.executable, "-m", "dystonia_teach", "export", "html", "--all",
                            "-o", str(Path(tmp) / str(run))], check=True, capture_output=True)
            wall.append(time.perf_counter() - start)
            cpu.append(_children_cpu() - start_cpu)
    return wall, cpu


def render_seconds() -> tuple[int, float]:
    from dystonia_teach import list_cases, load_case
    from dystonia_teach.render.case_page import case_page

    cases = [load_case(case_id) for case_id in list_cases()]
    case_page(cases[0])  # warm the knowledge base and the pathway caches
    start = time.perf_counter()
    for case in cases:
        case_page(case)
    return len(cases), time.perf_counter() - start


def main() -> None:
    load = os.getloadavg()[0]
    wall, cpu = command_seconds()
    print(f"export html --all (whole bank, fresh interpreter), {RUNS} runs, target <= "
          f"{TARGET_SECONDS:g} s: wall-clock median {statistics.median(wall):.2f} s (min "
          f"{min(wall):.2f} s) at load average {load:.1f} on {os.cpu_count()} cores; CPU time "
          f"median {statistics.median(cpu):.2f} s (min {min(cpu):.2f} s)")
    count, seconds = render_seconds()
    print(f"rendering alone: {count} pages in {seconds * 1000:.0f} ms "
          f"({seconds / count * 1000:.1f} ms per page)")


if __name__ == "__main__":
    main()
