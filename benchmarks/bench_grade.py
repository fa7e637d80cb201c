"""Benchmark (not a test): batch re-grading of 100,000 stored attempts (target <= 10 s).

Fills a temporary SQLite store with 100,000 attempts over every bundled case (random plans:
parts of the derived pathway plus random other steps, with or without a working diagnosis),
then times ``regrade`` (read, judge, save the grades) and prints the figure.

    .venv/bin/python benchmarks/bench_grade.py [ATTEMPTS]
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from dystonia_teach import __version__, evaluate, list_cases, load_case, recommended_actions
from dystonia_teach.core.knowledge import knowledge
from dystonia_teach.course.grading import regrade
from dystonia_teach.store import ProgressStore

TARGET_SECONDS = 10.0


def plans(count: int, seed: int = 7) -> list[tuple[str, list[object], str | None, float]]:
    """(case id, actions, working diagnosis, score) for ``count`` random attempts."""
    rng = random.Random(seed)
    steps = list(knowledge().steps)
    cases = [load_case(case_id) for case_id in list_cases()]
    pathways = {case.id: [a.as_data() for a in recommended_actions(case)] for case in cases}
    made = []
    for _ in range(count):
        case = rng.choice(cases)
        pathway = pathways[case.id]
        chosen = rng.sample(pathway, rng.randint(0, len(pathway)))
        chosen += rng.sample(steps, rng.randint(0, 3))
        diagnosis = rng.choice([None, *sorted(knowledge().diagnoses)])
        made.append((case.id, chosen, diagnosis, rng.random()))
    return made


def fill(path: Path, attempts: list[tuple[str, list[object], str | None, float]]) -> None:
    ProgressStore(path).close()  # creates the schema
    rows = [(f"learner_{i % 200}", case_id, "2026-01-01T00:00:00.000000+00:00",
             json.dumps(actions), diagnosis, score, "[]", 2, __version__)
            for i, (case_id, actions, diagnosis, score) in enumerate(attempts)]
    with sqlite3.connect(path) as conn:
        conn.executemany("INSERT INTO attempts (learner_id, case_id, submitted_at, actions, "
                         "working_diagnosis, score, pitfalls, schema_version, package_version) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    conn.close()


def main(count: int) -> None:
    attempts = plans(count)
    distinct = len({json.dumps([c, a, d]) for c, a, d, _ in attempts})
    with tempfile.TemporaryDirectory(prefix="dt-grade-") as folder:
        path = Path(folder) / "progress.sqlite3"
        fill(path, attempts)
        with ProgressStore(path) as store:
            started, cpu = time.perf_counter(), time.process_time()
            report = regrade(store, progress=False, workers=1)
            serial, serial_cpu = time.perf_counter() - started, time.process_time() - cpu
            started = time.perf_counter()
            report = regrade(store, progress=False)
            elapsed = time.perf_counter() - started
            assert len(store.grades()) == report.regraded
    # the per-plan cost without the batch's shortcuts, on a sample, for comparison
    sample = attempts[:2000]
    cases = {case_id: load_case(case_id) for case_id in list_cases()}
    started = time.perf_counter()
    for case_id, actions, diagnosis, _ in sample:
        evaluate(cases[case_id], actions, diagnosis)
    naive = (time.perf_counter() - started) / len(sample) * count
    verdict = "within" if elapsed <= TARGET_SECONDS else "OVER"
    print(f"re-grading {count:,} attempts ({distinct:,} distinct plans, {len(cases)} cases): "
          f"{elapsed:.2f} s, {verdict} the {TARGET_SECONDS:g} s target "
          f"({report.regraded:,} graded, {len(report.skipped)} skipped); "
          f"one process: {serial:.2f} s ({serial_cpu:.2f} s CPU); one evaluate() per attempt "
          f"without the shortcuts would take ~{naive:.1f} s; load average "
          f"{', '.join(f'{x:.2f}' for x in os.getloadavg())} (other work on the machine slows "
          "the parallel figure most)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
