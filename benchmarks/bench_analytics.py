"""Benchmark (not a test): the learner model, the next case and item statistics.

Prints, on seeded simulated learners with known pitfall tendencies (``course.simulation``):

- convergence: the model's mean absolute error against the true chances, and that of the raw
  share made, as a class of 40 learners works 3, 10 and 40 cases each;
- exposure: how often the recommender's choice tests one of a learner's weak pitfalls, against
  random choice (40 learners, 20 cases each), and the ratio;
- recovery: item statistics against the simulated difficulty (300 learners, 10 cases each);

and the speed targets, with 20 cases (the bundled ones and instructor copies in a temporary
$DYSTONIA_TEACH_CASES folder):

- ``recommend_next_case`` on an SQLite store of 500 learners x 20 cases x 10 attempts
  (100,000 attempts), cold (the cases probed, a fresh process's first call) and warm, target
  <= 1 s: from the whole store (every attempt read for the class prior), and with the class
  prior computed once (only the learner's attempts read, as on a class's server);
- ``item_statistics`` on 10,000 attempts, cold and warm; target <= 1 s.

    .venv/bin/python benchmarks/bench_analytics.py
"""

from __future__ import annotations

import json
import os
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pandas as pd
from bench_course import extra_cases

REPO = Path(__file__).resolve().parent.parent
CASES, LEARNERS, PER_CASE = 20, 500, 10
ITEM_ATTEMPTS = 10_000
TARGET_S = 1.0
SEEDS = (1, 2, 3)


def timed(work: Callable[[], object], runs: int = 3) -> tuple[float, float]:
    """Seconds of the first run, then the median of ``runs`` more."""
    times = []
    for _ in range(runs + 1):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return times[0], statistics.median(times[1:])


def simulation_figures(possible: dict[str, frozenset[str]]) -> None:
    from dystonia_teach.course.simulation import (
        difficulty_recovery,
        estimate_error,
        exposure_ratio,
        simulate,
        simulated_class,
    )

    print("Convergence (40 learners; mean absolute error against the true chances, "
          "model / raw share made), by cases worked each:")
    for seed in SEEDS:
        sim = simulated_class(40, possible, seed=seed)
        cells = []
        for n in (3, 10, 40):
            model, raw = estimate_error(sim, simulate(sim, n, seed=seed + 100))
            cells.append(f"{n:>2}: {model:.3f} / {raw:.3f}")
        print(f"  seed {seed}: " + "   ".join(cells))
    print("Exposure of weak pitfalls (40 learners, 20 cases each; share of attempts testing "
          "one of the learner's weak pitfalls):")
    ratios = []
    for seed in SEEDS:
        by_model, by_chance, ratio = exposure_ratio(simulated_class(40, possible, seed=seed),
                                                    20, seed=seed)
        ratios.append(ratio)
        print(f"  seed {seed}: recommender {by_model:.3f}, random {by_chance:.3f}, "
              f"ratio {ratio:.2f}")
    print(f"  mean ratio {statistics.mean(ratios):.2f}")
    print("Recovery of the simulated difficulty by item statistics (300 learners, 10 cases "
          "each):")
    for seed in SEEDS:
        sim = simulated_class(300, possible, seed=seed)
        found = difficulty_recovery(sim, simulate(sim, 10, seed=seed))
        print(f"  seed {seed}: pitfall items' mean absolute error {found['pitfall_mae']:.3f}; "
              f"case items' correlation with the expected score "
              f"{found['case_correlation']:.3f}")


def fill(path: Path, frame: pd.DataFrame) -> None:
    """The simulated attempts saved into a new SQLite store, as one transaction."""
    from dystonia_teach.store import ProgressStore

    ProgressStore(path).close()  # creates the schema
    rows = [(r.learner_id, r.case_id, r.submitted_at, "[]", None, r.score,
             json.dumps(list(r.pitfalls)), 3, r.package_version)
            for r in frame.itertuples()]
    conn = sqlite3.connect(path)
    with conn:
        conn.executemany("INSERT INTO attempts (learner_id, case_id, submitted_at, actions, "
                         "working_diagnosis, score, pitfalls, schema_version, package_version) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    conn.close()


def verdict(seconds: float) -> str:
    return "ok" if seconds <= TARGET_S else "OVER TARGET"


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="bench-analytics-") as tmp:
        folder = Path(tmp)
        os.environ["DYSTONIA_TEACH_CASES"] = str(folder)
        shipped = sorted(p.stem for p in (REPO / "cases").glob("*.yaml"))
        case_ids = shipped[:CASES] + extra_cases(folder, max(0, CASES - len(shipped)))

        from dystonia_teach.casefiles.loader import load_case
        from dystonia_teach.core.pitfall_chances import possible_pitfalls
        from dystonia_teach.course import chances
        from dystonia_teach.course.item_stats import item_statistics
        from dystonia_teach.course.learner_model import class_prior, class_record
        from dystonia_teach.course.recommend import recommend_next_case
        from dystonia_teach.course.simulation import simulate, simulated_class
        from dystonia_teach.store import open_store

        start = time.perf_counter()
        possible = {c: possible_pitfalls(load_case(c)) for c in case_ids}
        print(f"{len(case_ids)} cases probed for their possible pitfalls in "
              f"{time.perf_counter() - start:.2f} s")
        simulation_figures({c: possible_pitfalls(load_case(c)) for c in shipped})

        sim = simulated_class(LEARNERS, possible, seed=1)
        big = simulate(sim, CASES * PER_CASE, seed=1).frame
        path = folder / "class.sqlite3"
        fill(path, big)
        learner = sim.learners[7]
        now = pd.Timestamp(big["submitted_at"].max()).to_pydatetime() + timedelta(days=3)
        print(f"\nRecommendation: {len(big):,} attempts by {big['learner_id'].nunique()} "
              f"learners at {big['case_id'].nunique()} cases in an SQLite store")
        with open_store(path, read_only=True) as store:
            chances.possible_at.cache_clear()
            cold, warm = timed(lambda: recommend_next_case(store, learner, case_ids, now=now))
            read = timed(store.to_frame)[1]
            start = time.perf_counter()
            prior = class_prior(class_record(store.to_frame()))
            prior_s = time.perf_counter() - start
            chances.possible_at.cache_clear()
            per_click = timed(lambda: recommend_next_case(store, learner, case_ids, now=now,
                                                          prior=prior))
            choice = recommend_next_case(store, learner, case_ids, now=now, prior=prior)
        print(f"  from the whole store: cold {cold:.2f} s ({verdict(cold)}), warm {warm:.2f} s "
              f"({verdict(warm)}); of which reading every attempt (to_frame) {read:.2f} s")
        print(f"  with the class prior computed once ({prior_s:.2f} s), reading only the "
              f"learner's attempts: cold {per_click[0]:.3f} s ({verdict(per_click[0])}), "
              f"warm {per_click[1]:.3f} s ({verdict(per_click[1])})")
        print(f"  e.g. {learner}: {choice.case_id}: {choice.reason}")

        items = simulate(simulated_class(LEARNERS, possible, seed=2),
                         ITEM_ATTEMPTS // LEARNERS, seed=2).frame
        chances.possible_at.cache_clear()
        cold, warm = timed(lambda: item_statistics(items))
        print(f"\nItem statistics on {len(items):,} attempts: cold {cold:.2f} s "
              f"({verdict(cold)}), warm {warm:.2f} s ({verdict(warm)})")
    print(f"\nload average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
