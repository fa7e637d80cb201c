"""`dystonia-teach release`: check the whole course and write its manifest, or verify one."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from dystonia_teach.cli._common import EXIT_PROBLEMS, EXIT_USAGE, examples
from dystonia_teach.course.manifest import (
    MANIFEST_NAME,
    ManifestError,
    check_manifest,
    read_manifest,
)


@click.command(epilog=examples(
    "dystonia-teach release                      # from the project's checkout",
    "dystonia-teach release --no-progress --out /tmp/release-1.2",
    "dystonia-teach release --check              # does the tree match release/manifest.json?",
))
@click.option("--root", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=Path("."), show_default=True, help="The project's checkout.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              help="Folder for manifest.json (default: ROOT/release).")
@click.option("--check", "check_only", is_flag=True,
              help="Only verify an existing manifest against the tree.")
@click.option("--no-progress", is_flag=True, help="No progress bars on stderr.")
def release(root: Path, out: Path | None, check_only: bool, no_progress: bool) -> None:
    """Cut a course release: validate every case, execute every notebook (in a temporary
    copy), run nbval strict on the notebooks and the engine's regression tests, then write
    release/manifest.json (the git commit, package and library versions, and the sha256 of the
    package code, of each knowledge pack and of every case, knowledge file and notebook).

    A notebook whose cases, knowledge or package code changed since it was last executed (an
    instructor added a case, say) is re-executed and checked, and saved over the old one when
    the release passes: commit it with the change.

    If any stage fails, every problem is listed, the exit status is 1 and nothing in the tree
    changes. With --check, every difference between the tree and the manifest is named.
    """
    if not (root / "pyproject.toml").is_file() or not (root / "cases").is_dir():
        click.echo(f"error: {root.resolve()} is not the project's checkout (no pyproject.toml "
                   "and cases/); run from it or pass --root", err=True)
        sys.exit(EXIT_USAGE)
    out = out or root / "release"
    if check_only:
        try:
            problems = check_manifest(root.resolve(), read_manifest(out / MANIFEST_NAME))
        except ManifestError as err:
            click.echo(f"error: {err}", err=True)
            sys.exit(EXIT_PROBLEMS)
        for problem in problems:
            click.echo(problem)
        click.echo(f"{out / MANIFEST_NAME}: " + (
            f"{len(problems)} difference(s) from the tree" if problems else "matches the tree"))
        sys.exit(EXIT_PROBLEMS if problems else 0)
    from dystonia_teach.course.release import release as run_release  # nbformat: slow import

    report = run_release(root, out, show_progress=not no_progress)
    for result in report.stages:
        status = "ok" if result.ok else f"FAILED ({len(result.problems)} problem(s))"
        click.echo(f"{result.name}: {len(result.checked)} checked, {status}")
        for problem in result.problems:
            click.echo(f"  {problem}")
    for name, changed in report.refreshed.items():
        verb = "re-executed" if report.ok else "would re-execute"
        click.echo(f"{verb} {name} ({', '.join(changed)} changed since it was executed)")
    if not report.ok:
        failed = [r.name for r in report.stages if not r.ok]
        click.echo(f"release refused: {', '.join(failed)} failed; nothing was written", err=True)
        sys.exit(EXIT_PROBLEMS)
    if report.refreshed:
        click.echo(f"saved {len(report.refreshed)} re-executed notebook(s): commit them with "
                   "the change")
    click.echo(f"wrote {out / MANIFEST_NAME}")
