"""Benchmark (not a test): evaluate() latency alone (target p99 <= 1 ms).

The evaluate half of ``bench_core.py`` (10,000 random pathways over every bundled case),
without its import-time measurements, so the engine can be timed in a few seconds.

    .venv/bin/python benchmarks/bench_evaluate.py
"""

from __future__ import annotations

import os

from bench_core import RUNS, evaluate_latencies


def main() -> None:
    samples = sorted(evaluate_latencies())
    p50 = samples[len(samples) // 2]
    p99 = samples[int(len(samples) * 0.99)]
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"evaluate over {RUNS:,} random pathways: p50 {p50:.0f} us, p99 {p99:.0f} us "
          f"(target p99 <= 1000 us); load average {load}")


if __name__ == "__main__":
    main()
