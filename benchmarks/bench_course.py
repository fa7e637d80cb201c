"""Benchmark (not a test): the class report and the exports on a large class.

A generated class of 10,000 attempts by 500 learners over 20 cases (shipped cases, and as many
instructor cases as needed: copies under new ids in a temporary $DYSTONIA_TEACH_CASES folder),
every plan scored by the engine. Prints against the 2 s targets, for each: the cold run (as a fresh
`dystonia-teach` process: the 20 case files read for their titles and pathways) and the median
of 3 warm runs (cases already read):

- report: the whole HTML report (tables, 3 + 20 figures, text alternatives, plotly.js inlined,
  who may need help, cases that may be faulty, item statistics);
- gradebook: the table and its CSV file;
- canvas, moodle: the LMS gradebook layouts (one column per case, an id map of every learner)
  and their CSV files, counting the frame's attempts as re-graded;
- xapi: the statements (one per attempt, each id a digest of its content) and their JSON file.

    .venv/bin/python benchmarks/bench_course.py
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ATTEMPTS, LEARNERS, CASES = 10_000, 500, 20
TARGET_S = 2.0


def extra_cases(folder: Path, count: int) -> list[str]:
    """``count`` instructor cases: shipped cases copied under new ids."""
    ids = []
    for n, path in enumerate(sorted((REPO / "cases").glob("*.yaml"))[:count], 1):
        new_id = f"{path.stem}_v{n}"
        text = path.read_text(encoding="utf-8").replace(f"id: {path.stem}\n", f"id: {new_id}\n")
        (folder / f"{new_id}.yaml").write_text(text, encoding="utf-8")
        ids.append(new_id)
    return ids


def cold_and_warm(work: Callable[[], object], runs: int = 3) -> tuple[float, float, float]:
    """Wall seconds of one run with no case read yet, then the median of ``runs`` more, and
    the warm runs' median CPU seconds (what the work costs on a machine shared with others)."""
    from dystonia_teach.course.reports import forget_cases

    forget_cases()
    wall, cpu = [], []
    for _ in range(runs + 1):
        start, start_cpu = time.perf_counter(), time.process_time()
        work()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return wall[0], statistics.median(wall[1:]), statistics.median(cpu[1:])


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="bench-course-") as tmp:
        folder = Path(tmp)
        shipped = sorted(p.stem for p in (REPO / "cases").glob("*.yaml"))
        os.environ["DYSTONIA_TEACH_CASES"] = str(folder)
        cases = (shipped + extra_cases(folder, max(0, CASES - len(shipped))))[:CASES]

        from dystonia_teach.course.dashboard import report_html
        from dystonia_teach.course.demo import demo_frame
        from dystonia_teach.course.gradebook import gradebook, write_csv
        from dystonia_teach.course.xapi import class_statements, statements_json

        start = time.perf_counter()
        frame = demo_frame(learners=LEARNERS, cases=cases, seed=1, participation=1.0,
                           max_attempts=2).head(ATTEMPTS)
        print(f"generated {len(frame)} attempts by {frame['learner_id'].nunique()} learners at "
              f"{frame['case_id'].nunique()} cases in {time.perf_counter() - start:.1f} s")
        if len(frame) < ATTEMPTS:
            print("warning: fewer attempts than the target class", file=sys.stderr)

        from dystonia_teach.course.assignments import assignment_scores, one_per_case
        from dystonia_teach.course.grading_status import current_label
        from dystonia_teach.course.lms_gradebook import canvas_gradebook, moodle_gradebook

        regraded = frame.assign(graded=current_label())
        ids = {learner: {"name": f"Learner {n}", "email": f"l{n}@uni.example",
                         "lms_user_id": str(n), "sis_user_id": f"S{n}", "login_id": f"l{n}",
                         "section": ""}
               for n, learner in enumerate(sorted(frame["learner_id"].unique()))}

        def lms_file(layout) -> None:
            groups = one_per_case(cases)
            book = layout(assignment_scores(regraded, groups), groups, ids)
            write_csv(book.table, folder / "lms.csv")

        def xapi_file() -> None:
            (folder / "s.json").write_text(statements_json(class_statements(frame)),
                                           encoding="utf-8")

        figures = {
            "report": cold_and_warm(lambda: (folder / "r.html").write_text(
                report_html(frame), encoding="utf-8")),
            "gradebook": cold_and_warm(lambda: write_csv(gradebook(frame), folder / "g.csv")),
            "canvas": cold_and_warm(lambda: lms_file(canvas_gradebook)),
            "moodle": cold_and_warm(lambda: lms_file(moodle_gradebook)),
            "xapi": cold_and_warm(xapi_file),
        }
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    for name, (cold, warm, cpu) in figures.items():
        verdict = "ok" if max(cold, warm) <= TARGET_S else "OVER TARGET"
        print(f"{name:<10} cold {cold:6.2f} s, warm {warm:6.2f} s (CPU {cpu:5.2f} s)  "
              f"(target <= {TARGET_S:.0f} s wall: {verdict})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
