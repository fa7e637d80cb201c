"""Benchmark (not a test): static pages for the whole case bank, target <= 5 s.

Times the command a teacher runs, ``dystonia-teach export html --all -o DIR``, from a fresh
interpreter (imports, loading every case, rendering, writing), as the median of a few runs,
and the rendering alone in this process.

    .venv/bin/python benchmarks/bench_pages.py
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = 5
TARGET_SECONDS = 5.0


def command_seconds() -> list[float]:
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        for run in range(RUNS):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "dystonia_teach", "export", "html", "--all",
                            "-o", str(Path(tmp) / str(run))], check=True, capture_output=True)
            times.append(time.perf_counter() - start)
    return times


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
    times = command_seconds()
    print(f"export html --all (whole bank, fresh interpreter): median "
          f"{statistics.median(times):.2f} s, min {min(times):.2f} s, max {max(times):.2f} s "
          f"over {RUNS} runs (target <= {TARGET_SECONDS:g} s)")
    count, seconds = render_seconds()
    print(f"rendering alone: {count} pages in {seconds * 1000:.0f} ms "
          f"({seconds / count * 1000:.1f} ms per page)")


if __name__ == "__main__":
    main()
