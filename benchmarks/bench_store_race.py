"""Benchmark (not a test): the SQLite creation race, 100 rounds of 8 processes.

Each round, 8 worker processes (started once) open the same new store file at the same moment
(a barrier) and save one attempt each. Prints the failures (the target is 0 of 100 rounds) and
the time. tests/test_store_concurrency.py runs the same race for fewer rounds on every test run.

    .venv/bin/python benchmarks/bench_store_race.py [ROUNDS]
"""

from __future__ import annotations

import multiprocessing
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

PROCESSES = 8


def racer(folder: str, rounds: int, barrier, results) -> None:
    from dystonia_teach import evaluate, load_case
    from dystonia_teach.store import ProgressStoreError, open_store

    assessment = evaluate(load_case("early_uncomplicated"), ["neuro_exam"])
    failed = []
    for round_ in range(rounds):
        barrier.wait(timeout=120)
        try:
            with open_store(Path(folder) / f"round_{round_}.sqlite3") as store:
                store.record("racer", assessment)
        except ProgressStoreError as exc:
            failed.append((round_, str(exc)))
    results.put(failed)


def main(rounds: int) -> None:
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(PROCESSES), ctx.Queue()
    with tempfile.TemporaryDirectory(prefix="dt-race-") as folder:
        workers = [ctx.Process(target=racer, args=(folder, rounds, barrier, results))
                   for _ in range(PROCESSES)]
        started = time.perf_counter()
        for worker in workers:
            worker.start()
        failed = [f for _ in workers for f in results.get(timeout=600)]
        elapsed = time.perf_counter() - started
        for worker in workers:
            worker.join()
        short = 0
        for round_ in range(rounds):
            with sqlite3.connect(Path(folder) / f"round_{round_}.sqlite3") as conn:
                short += conn.execute("SELECT count(*) FROM attempts").fetchone()[0] != PROCESSES
            conn.close()
    print(f"creation race: {rounds} rounds x {PROCESSES} processes, "
          f"{len({r for r, _ in failed})} rounds with a failed open, {short} rounds missing "
          f"an attempt ({elapsed:.1f} s)")
    for round_, message in failed[:5]:
        print(f"  round {round_}: {message}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100)
