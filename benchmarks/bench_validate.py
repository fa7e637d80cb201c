"""Benchmark (not a test): validating a bank of case files, in process and with the CLI.

Copies the bundled cases into a temporary folder until it holds FILES files (each renamed, with
its id to match), then prints the median of REPEATS runs of

- ``validate_paths`` in this process (the library's own cost), and
- ``dystonia-teach validate FOLDER`` as a fresh process (what an instructor or a CI job waits
  for, interpreter start-up and imports included), against the target of 2 s for 1,000 files,

and the time the CLI takes on a single 120 KB field built to make a backtracking pattern stall.

    .venv/bin/python benchmarks/bench_validate.py
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from dystonia_teach.casefiles.loader import validate_paths
from dystonia_teach.casefiles.locate import bundled_cases_dir, case_files

FILES = 1_008
REPEATS = 5
TARGET_SECONDS = 2.0


def make_bank(folder: Path, count: int) -> None:
    """``count`` valid case files in ``folder``, copied from the bundled ones."""
    sources = [(path.stem, path.read_text()) for path in case_files(bundled_cases_dir())]
    for n in range(count):
        case_id, text = sources[n % len(sources)]
        new_id = f"{case_id}_{n:04d}"
        (folder / f"{new_id}.yaml").write_text(text.replace(f"id: {case_id}\n",
                                                            f"id: {new_id}\n", 1))


def cli_seconds(*args: str | Path) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "dystonia_teach", *map(str, args)],
                   capture_output=True, check=False)
    return time.perf_counter() - start


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        make_bank(folder, FILES)
        reports = validate_paths([folder])
        problems = sum(len(report.issues) for report in reports)
        assert len(reports) == FILES and problems == 0, f"{problems} problems in the bank"
        in_process = []
        for _ in range(REPEATS):
            start = time.perf_counter()
            validate_paths([folder])
            in_process.append(time.perf_counter() - start)
        cli = statistics.median(cli_seconds("validate", folder) for _ in range(REPEATS))
        start_up = statistics.median(cli_seconds("--help") for _ in range(REPEATS))

        hostile = folder / "hostile" / "early_uncomplicated.yaml"
        hostile.parent.mkdir()
        text = (bundled_cases_dir() / "early_uncomplicated.yaml").read_text()
        hostile.write_text(text + "teaching_notes_extra: '" + "a." * 60_000 + "'\n")
        stall = cli_seconds("validate", hostile)

    library = statistics.median(in_process)
    verdict = "within" if cli <= TARGET_SECONDS * FILES / 1000 else "OVER"
    print(f"validate {FILES:,} case files")
    print(f"  in process (validate_paths): {library:.2f} s  "
          f"({FILES / library:,.0f} files/s, {library / FILES * 1000:.2f} ms a file)")
    print(f"  CLI (dystonia-teach validate): {cli:.2f} s total, of which {start_up:.2f} s "
          f"start-up (dystonia-teach --help)")
    print(f"  target: <= {TARGET_SECONDS:.1f} s for 1,000 files -> {verdict} target")
    print(f"CLI on one file with a 120 KB 'a.a.a...' field: {stall:.2f} s")


if __name__ == "__main__":
    main()
