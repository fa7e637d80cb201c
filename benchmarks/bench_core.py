"""Benchmark (not a test): evaluate() latency and the package's import cost.

Prints p50/p99 of evaluate() over 10,000 random pathways on every bundled case, and the import
time of dystonia_teach against importing only the libraries it cannot avoid.

    .venv/bin/python benchmarks/bench_core.py
"""

from __future__ import annotations

import random
import statistics
import subprocess
import sys
import time

from tqdm import tqdm

UNAVOIDABLE = "import pandas; from pydantic import BaseModel; from ruamel.yaml import YAML"
PACKAGE = "import dystonia_teach"
RUNS = 10_000
IMPORT_REPEATS = 15


def import_seconds(*statements: str) -> list[float]:
    """Median wall time of a fresh interpreter running each statement, runs interleaved so
    that machine load drifts alike for all of them."""
    times: list[list[float]] = [[] for _ in statements]
    for _ in range(IMPORT_REPEATS):
        for i, statement in enumerate(statements):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", statement], check=True)
            times[i].append(time.perf_counter() - start)
    return [statistics.median(t) for t in times]


def evaluate_latencies() -> list[float]:
    from dystonia_teach import evaluate, list_cases, load_case
    from dystonia_teach.core.knowledge import knowledge

    cases = [load_case(case_id) for case_id in list_cases()]
    steps = sorted(knowledge().steps)
    rng = random.Random(20261124)
    samples = []
    for i in tqdm(range(RUNS), desc="evaluate", unit="call", file=sys.stderr):
        case = cases[i % len(cases)]
        actions = rng.sample(steps, rng.randint(0, 20))
        actions = [{"step": s, "dose_mg_per_day": rng.choice([250, 1000, 4000])}
                   if knowledge().steps[s].dose else s for s in actions]
        start = time.perf_counter()
        evaluate(case, actions)
        samples.append((time.perf_counter() - start) * 1e6)
    return samples


def main() -> None:
    samples = sorted(evaluate_latencies())
    p50 = samples[len(samples) // 2]
    p99 = samples[int(len(samples) * 0.99)]
    print(f"evaluate over {RUNS:,} random pathways: p50 {p50:.0f} us, p99 {p99:.0f} us "
          f"(target p99 <= 1000 us)")
    base, package = import_seconds(UNAVOIDABLE, PACKAGE)
    print(f"import unavoidable libraries ({UNAVOIDABLE}): {base * 1000:.0f} ms")
    print(f"import dystonia_teach: {package * 1000:.0f} ms "
          f"= {package / base:.2f} x (target <= 1.15 x)")
    for heavy in ("plotly", "ipywidgets", "IPython"):
        out = subprocess.run(
            [sys.executable, "-c", f"import sys, dystonia_teach; print('{heavy}' in sys.modules)"],
            capture_output=True, text=True, check=True).stdout.strip()
        print(f"{heavy} imported by 'import dystonia_teach': {out}")


if __name__ == "__main__":
    main()
