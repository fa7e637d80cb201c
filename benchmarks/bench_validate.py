"""Benchmark (not a test): validating a bank of case files, in process and with the CLI, and
one case with many visits.

Copies the bundled cases into a temporary folder until it holds FILES files (each renamed, with
its id to match), then prints the median of REPEATS runs of

- ``validate_paths`` in this process (the library's own cost), and
- ``dystonia-teach validate FOLDER`` as a fresh process (what an instructor or a CI job waits
  for, interpreter start-up and imports included), against the target of 2 s for 1,000 files,
- libyaml's bare compose of the same files, the floor, and the CLI's cost as a multiple of it,

and the time the CLI takes on a single 120 KB field built to make a backtracking pattern stall.

Then one case with VISITS follow-up visits (each a week and a line of text, weeks rising by a
tenth) is validated in process at a quarter, half and all of VISITS visits: the time per visit
stays the same when validation is linear in the number of visits (it was quadratic: 5,200
visits took 209 s), against the target of 2 s for 10,000 visits. The part spent deriving each
visit's pathway (the engine's, for missing_result) is shown apart. Such a file is over the 256
KiB a case file may hold, so the CLI would refuse it as file_too_large before reading it: the
library is timed, as the case builder calls it.

Each figure is given as wall time and as CPU time (user + system): on a shared machine the wall
time grows with the load, the CPU time much less.

    .venv/bin/python benchmarks/bench_validate.py
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

import yaml

from dystonia_teach.casefiles.loader import validate_paths, validate_text
from dystonia_teach.casefiles.locate import bundled_cases_dir, case_files
from dystonia_teach.core import engine

FILES = 1_008
REPEATS = 5
TARGET_SECONDS = 2.0
VISITS = 10_000
#: libyaml's compose of 1,008 bundled-case copies on an idle machine (issue 13's measurement),
#: to turn the load-independent ratio into an estimate.
IDLE_COMPOSE_SECONDS = 0.36


def make_bank(folder: Path, count: int) -> None:
    """``count`` valid case files in ``folder``, copied from the bundled ones."""
    sources = [(path.stem, path.read_text()) for path in case_files(bundled_cases_dir())]
    for n in range(count):
        case_id, text = sources[n % len(sources)]
        new_id = f"{case_id}_{n:04d}"
        (folder / f"{new_id}.yaml").write_text(text.replace(f"id: {case_id}\n",
                                                            f"id: {new_id}\n", 1))


def cli_seconds(*args: str | Path) -> tuple[float, float]:
    """Wall and CPU seconds of one ``dystonia-teach`` process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "dystonia_teach", *map(str, args)],
                   capture_output=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def median_pair(pairs: list[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(p[0] for p in pairs), statistics.median(p[1] for p in pairs)


def case_with_visits(count: int) -> str:
    """The bundled early_uncomplicated case with ``count`` short follow-up visits."""
    text = (bundled_cases_dir() / "early_uncomplicated.yaml").read_text()
    visits = "".join(f"  - {{week: {3.1 + n / 10:.1f}, presentation: Much the same.}}\n"
                     for n in range(count))
    return text[: text.index("visits:")] + "visits:\n" + visits


def timed(call) -> tuple[float, float]:
    start, cpu = time.perf_counter(), time.process_time()
    call()
    return time.perf_counter() - start, time.process_time() - cpu


def visits_benchmark() -> None:
    """Validation time at a quarter, half and all of VISITS visits, and the engine's part."""
    print(f"validate one case with many visits, in process (wall / CPU seconds, median of "
          f"{REPEATS})")
    derive = engine.recommended_pathway
    spent: list[float] = []

    def counted(case):  # the engine's own time, to show it apart
        cpu = time.process_time()
        try:
            return derive(case)
        finally:
            spent.append(time.process_time() - cpu)

    for count in (VISITS // 4, VISITS // 2, VISITS):
        text = case_with_visits(count)
        report = validate_text(text, "early_uncomplicated.yaml")
        assert report.ok and len(report.case.visits) == count, report.issues[:3]
        engine.recommended_pathway = counted
        try:
            spent.clear()
            runs = [timed(lambda t=text: validate_text(t, "early_uncomplicated.yaml"))
                    for _ in range(REPEATS)]
        finally:
            engine.recommended_pathway = derive
        wall, cpu = median_pair(runs)
        pathway = sum(spent) / REPEATS
        print(f"  {count:>6,} visits ({len(text) / 1024:,.0f} KiB): {wall:.2f} / {cpu:.2f} s, "
              f"{cpu / count * 1e6:.0f} us CPU per visit, of which the pathway "
              f"{pathway / count * 1e6:.0f} us")
    verdict = "within" if cpu <= TARGET_SECONDS else "OVER"
    print(f"  target <= {TARGET_SECONDS:.0f} s for {VISITS:,} visits: CPU time {cpu:.2f} s -> "
          f"{verdict} (wall {wall:.2f} s)")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        make_bank(folder, FILES)
        reports = validate_paths([folder])
        problems = sum(len(report.issues) for report in reports)
        assert len(reports) == FILES and problems == 0, f"{problems} problems in the bank"
        in_process = []
        for _ in range(REPEATS):
            start, cpu = time.perf_counter(), time.process_time()
            validate_paths([folder])
            in_process.append((time.perf_counter() - start, time.process_time() - cpu))
        texts = [path.read_text() for path in sorted(folder.iterdir())]
        compose = []
        for _ in range(REPEATS):  # the floor: libyaml alone, building nodes
            cpu = time.process_time()
            for text in texts:
                yaml.compose(text, Loader=yaml.CSafeLoader)
            compose.append(time.process_time() - cpu)
        cli = median_pair([cli_seconds("validate", folder) for _ in range(REPEATS)])
        start_up = median_pair([cli_seconds("--help") for _ in range(REPEATS)])

        hostile = folder / "hostile" / "early_uncomplicated.yaml"
        hostile.parent.mkdir()
        text = (bundled_cases_dir() / "early_uncomplicated.yaml").read_text()
        hostile.write_text(text + "teaching_notes_extra: '" + "a." * 60_000 + "'\n")
        stall = cli_seconds("validate", hostile)

    library = median_pair(in_process)
    budget = TARGET_SECONDS * FILES / 1000
    print(f"validate {FILES:,} case files (wall / CPU seconds)")
    print(f"  in process (validate_paths): {library[0]:.2f} / {library[1]:.2f} s  "
          f"({FILES / library[1]:,.0f} files per CPU second)")
    print(f"  CLI (dystonia-teach validate): {cli[0]:.2f} / {cli[1]:.2f} s, of which start-up "
          f"(dystonia-teach --help) {start_up[0]:.2f} / {start_up[1]:.2f} s")
    floor = statistics.median(compose)
    print(f"  libyaml's compose alone: {floor:.2f} s CPU; validation in process costs "
          f"{library[1] / floor:.1f} x that, the CLI {cli[1] / floor:.1f} x (on an idle machine "
          f"compose took {IDLE_COMPOSE_SECONDS} s: the CLI would take about "
          f"{cli[1] / floor * IDLE_COMPOSE_SECONDS:.1f} s)")
    for label, seconds in (("wall", cli[0]), ("CPU", cli[1])):
        verdict = "within" if seconds <= budget else "OVER"
        print(f"  target <= {budget:.2f} s ({TARGET_SECONDS:.0f} s per 1,000 files): CLI {label} "
              f"time {seconds:.2f} s -> {verdict}")
    print(f"CLI on one file with a 120 KB 'a.a.a...' field: {stall[0]:.2f} / {stall[1]:.2f} s")
    visits_benchmark()
    print(f"(load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")


if __name__ == "__main__":
    main()
