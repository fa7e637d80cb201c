"""Benchmark (not a test): a reasoning session's submit plus its feedback HTML, per click.

Works every bundled case through a reasoning session with random plans, differentials,
justified tests and confidence, and prints p50/p99 of ``submit()`` + ``feedback_html()``
(the work behind a Submit click, before the browser draws it; target well under 100 ms).

    .venv/bin/python benchmarks/bench_feedback.py
"""

from __future__ import annotations

import random
import time

from dystonia_teach import list_cases, load_case
from dystonia_teach.core.diagnoses import diagnosis_scripts
from dystonia_teach.core.knowledge import knowledge
from dystonia_teach.core.reasoning import ReasoningSession
from dystonia_teach.render.feedback import feedback_html

RUNS = 2_000


def one_session(rng: random.Random, case_id: str) -> ReasoningSession:
    steps = knowledge().steps
    session = ReasoningSession(load_case(case_id))
    session.add("neuro_exam")
    session.set_differential(rng.sample(sorted(diagnosis_scripts()), 3),
                             must_not_miss="cauda_equina_syndrome")
    for step in rng.sample(sorted(steps), rng.randint(0, 12)):
        if step == "neuro_exam":
            continue
        if steps[step].reveals:
            session.order_test(step, change="an abnormal result")
        else:
            session.add({"step": step, "dose_mg_per_day": 1000} if steps[step].dose else step)
    session.set_confidence(rng.randint(0, 100))
    return session


def main() -> None:
    rng = random.Random(20261130)
    cases = list_cases()
    samples = []
    for i in range(RUNS):
        session = one_session(rng, cases[i % len(cases)])
        start = time.perf_counter()
        report = session.submit()
        feedback_html(report.assessment, report)
        samples.append((time.perf_counter() - start) * 1e3)
    samples.sort()
    print(f"submit + feedback_html over {RUNS:,} reasoning sessions: "
          f"p50 {samples[RUNS // 2]:.2f} ms, p99 {samples[int(RUNS * 0.99)]:.2f} ms")


if __name__ == "__main__":
    main()
