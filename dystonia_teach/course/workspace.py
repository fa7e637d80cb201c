"""The learner's working copy of the course, so that working never modifies the shipped files.

JupyterLab saves (and autosaves) every notebook it opens, outputs and all. ``make course`` therefore
serves a per-learner copy of ``notebooks/``, by default ``~/dystonia-teach-course`` (each
JupyterHub user has a home of their own), or ``$DYSTONIA_TEACH_WORKDIR``::

    python -m dystonia_teach.course.workspace --source notebooks -- --allow-root

Notebooks missing from the copy are copied in; a learner's existing copy is never overwritten
(delete it to get the course's current version). On a laptop the learner id typed in the case
picker is kept with the working copy (:func:`remember_learner`), so coming back needs no
retyping; under JupyterHub the hub user is the learner and nothing is kept.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

WORKDIR_VAR = "DYSTONIA_TEACH_WORKDIR"
#: The file in the working copy that remembers the learner id typed on this machine.
LEARNER_FILE = ".dystonia_teach_learner"


def default_workdir() -> Path:
    """``$DYSTONIA_TEACH_WORKDIR``, else ``~/dystonia-teach-course``."""
    return Path(os.environ.get(WORKDIR_VAR) or Path.home() / "dystonia-teach-course")


def remembered_learner(workdir: Path | None = None) -> str | None:
    """The learner id last used with this working copy, or None (unreadable: None)."""
    try:
        text = ((workdir or default_workdir()) / LEARNER_FILE).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    return text.strip() or None


def remember_learner(learner_id: str | None, workdir: Path | None = None) -> None:
    """Keep ``learner_id`` with the working copy (None forgets it); a folder that cannot be
    written is left alone (the id is then typed again next time)."""
    path = (workdir or default_workdir()) / LEARNER_FILE
    try:
        if learner_id:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(learner_id + "\n", encoding="utf-8")
        else:
            path.unlink(missing_ok=True)
    except OSError:
        pass


def working_copy(source: Path, target: Path) -> tuple[list[str], list[str]]:
    """Copy the notebooks of ``source`` missing from ``target``; returns (copied, kept) names."""
    target.mkdir(parents=True, exist_ok=True)
    copied, kept = [], []
    for notebook in sorted(source.glob("*.ipynb")):
        mine = target / notebook.name
        if mine.exists():
            if mine.read_bytes() != notebook.read_bytes():
                kept.append(notebook.name)
            continue
        shutil.copyfile(notebook, mine)
        copied.append(notebook.name)
    return copied, kept


def main(argv: list[str] | None = None) -> int:
    """Make the working copy, then run JupyterLab on it (arguments after ``--`` go to it)."""
    parser = argparse.ArgumentParser(prog="python -m dystonia_teach.course.workspace",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, default=Path("notebooks"),
                        help="the shipped notebooks (default: notebooks)")
    parser.add_argument("--target", type=Path, default=None,
                        help=f"the working copy (default: ${WORKDIR_VAR} or "
                             "~/dystonia-teach-course)")
    parser.add_argument("lab_args", nargs="*", help="arguments for jupyter lab (after --)")
    args = parser.parse_args(argv)
    if not args.source.is_dir():
        parser.error(f"{args.source}: no such folder of notebooks")
    target = (args.target or default_workdir()).expanduser().resolve()
    copied, kept = working_copy(args.source, target)
    print(f"Your working copy of the course: {target}"
          + (f" (new: {', '.join(copied)})" if copied else ""), file=sys.stderr)
    if kept:
        print("Kept your own copies of " + ", ".join(kept) + " (delete one to get the "
              "course's current version).", file=sys.stderr)
    command = [sys.executable, "-m", "jupyter", "lab", f"--ServerApp.root_dir={target}",
               *args.lab_args]
    os.environ[WORKDIR_VAR] = str(target)  # the kernels keep the learner id there
    sys.stdout.flush()
    os.execv(sys.executable, command)
    return 0  # not reached


if __name__ == "__main__":
    raise SystemExit(main())
