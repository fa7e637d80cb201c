"""Maintainer tools for course releases: execute the notebooks, check they are release-ready,
and cut a release (``dystonia-teach release``).

nbval compares saved outputs, and silently skips cells that were never executed (trap 5), so a
release notebook must have every code cell executed, with the plain ``python3`` kernel.

    python -m dystonia_teach.course.release execute notebooks  # re-run in place (make notebooks)
    python -m dystonia_teach.course.release check notebooks    # exit 1 if a notebook is not ready

An executed notebook records what its outputs were made from (the digests of the package code,
the knowledge packs and the cases, :func:`~dystonia_teach.course.manifest.notebook_inputs`), so
a release knows which notebooks are stale after a case was added or the knowledge changed.

A release runs four stages over the whole tree and reports every problem at once: validate each
case; execute each notebook in a temporary copy (a bar counts the cells); nbval strict on each
notebook (stale outputs fail here), on the fresh copy of a notebook whose inputs changed since
it was executed; the engine's regression tests (the pathways pinned by ``REGRESSION_TESTS``).
Only when all pass are the re-executed notebooks saved over the stale ones and
``release/manifest.json`` written (built in a temporary folder and renamed into place), so a
failed release changes nothing in the tree (a refreshed notebook's stand-in for nbval, a hidden
file beside it, is there only while nbval runs).
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from dystonia_teach.casefiles.loader import validate_file
from dystonia_teach.course.manifest import (
    MANIFEST_NAME,
    build_manifest,
    case_files_of,
    notebook_files,
    notebook_inputs,
)
from dystonia_teach.course.progress import progress

KERNEL = "python3"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
#: Where an executed notebook records what its outputs were made from.
INPUTS_KEY = "dystonia_teach"
_MODEL_REF = re.compile(r"IPY_MODEL_([0-9a-f]{32})")
_MODEL_ID = re.compile(r"(?<![0-9a-f])[0-9a-f]{32}(?![0-9a-f])")
_ADDRESS = re.compile(r" at 0x[0-9a-f]+>")


def notebook_paths(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.ipynb") if not p.name.startswith("."))


#: Statements that make a cell hold logic; notebooks only narrate and call the package.
_LOGIC = {ast.For: "a loop", ast.While: "a loop", ast.FunctionDef: "a function",
          ast.ClassDef: "a class", ast.If: "a condition", ast.ListComp: "a comprehension",
          ast.DictComp: "a comprehension", ast.SetComp: "a comprehension",
          ast.GeneratorExp: "a comprehension", ast.Lambda: "a lambda", ast.Try: "a try block"}


def logic_in(source: str) -> str | None:
    """What kind of logic a code cell holds (None for plain calls and assignments)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return "code that does not parse"
    return next((_LOGIC[type(node)] for node in ast.walk(tree) if type(node) in _LOGIC), None)


def release_problems(path: Path) -> list[str]:
    """Why ``path`` is not release-ready (empty list when it is)."""
    nb = nbformat.read(path, as_version=4)
    problems = []
    if " " in path.name:
        problems.append(f"{path}: file name has a space")
    kernel = nb.metadata.get("kernelspec", {}).get("name")
    if kernel != KERNEL:
        problems.append(f"{path}: kernelspec is {kernel!r}, expected {KERNEL!r}")
    for n, cell in enumerate(nb.cells, 1):
        if cell.cell_type != "code" or not cell.source.strip():
            continue
        logic = logic_in(cell.source)
        if logic:
            problems.append(f"{path}: cell {n} holds {logic}; move it into the package")
        if cell.get("execution_count") is None:
            problems.append(f"{path}: cell {n} was not executed (nbval would skip it)")
        elif not cell.get("outputs"):
            problems.append(f"{path}: cell {n} has no output (make each cell show something)")
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error" or output.get("name") == "stderr":
                problems.append(f"{path}: cell {n} has an error or stderr output")
    return problems


def execute(path: Path, timeout: int = 300, inputs: dict[str, str] | None = None,
            on_cell: Callable[[], object] | None = None, cwd: Path | None = None) -> None:
    """Execute ``path`` in place with the ``python3`` kernel, from ``cwd`` (default: the
    notebook's folder), and record what its outputs were made from (``inputs``, default
    :func:`notebook_inputs`); ``on_cell`` is called after each code cell."""
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    nb.metadata["kernelspec"] = {"name": KERNEL, "display_name": "Python 3", "language": "python"}
    client = NotebookClient(nb, timeout=timeout, kernel_name=KERNEL, record_timing=False,
                            resources={"metadata": {"path": str(cwd or path.parent)}},
                            on_cell_executed=(lambda **_: on_cell()) if on_cell else None)
    client.execute()
    nb.metadata[INPUTS_KEY] = {"executed_with": inputs or notebook_inputs()}
    nbformat.write(without_random_ids(nb), path)


def stale_inputs(path: Path, inputs: dict[str, str]) -> list[str]:
    """What changed since the notebook at ``path`` was executed: the names of ``inputs`` (and
    of the inputs it recorded) whose digests differ; all of them when it recorded none."""
    nb = nbformat.read(path, as_version=4)
    recorded = nb.metadata.get(INPUTS_KEY, {}).get("executed_with", {})
    return [name for name in sorted(inputs.keys() | recorded.keys())
            if recorded.get(name) != inputs.get(name)]


def without_random_ids(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The notebook with its widget model ids numbered by their place in it, and object
    addresses in reprs (``<Styler at 0x7f...>``) blanked.

    Widget models get random ids, so every re-execution would rewrite the saved widget state
    (thousands of changed lines for no change). Numbering them in the order the displayed
    widgets and their children appear keeps a release's diff to what really changed.
    """
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state") or {}
    order: list[str] = []

    def visit(model_id: str) -> None:
        if model_id in state and model_id not in order:
            order.append(model_id)
            for child in _MODEL_REF.findall(json.dumps(state[model_id])):
                visit(child)

    for cell in nb.cells:
        for output in cell.get("outputs", []):
            view = output.get("data", {}).get(WIDGET_VIEW)
            if view:
                visit(view["model_id"])
    for model_id in sorted(state, key=lambda m: json.dumps(state[m], sort_keys=True)):
        visit(model_id)  # models no displayed widget refers to
    number = {model_id: f"{n:032x}" for n, model_id in enumerate(order, 1)}
    text = _MODEL_ID.sub(lambda m: number.get(m[0], m[0]), nbformat.writes(nb))
    return nbformat.reads(_ADDRESS.sub(" at 0x0>", text), as_version=4)


# -- the release pipeline ----------------------------------------------------------------------

#: Test files that pin the engine's pathways: every case's derived pathway scores 1.0, and every
#: finding code is raised (and not raised) where it should be.
REGRESSION_TESTS = ("tests/test_case_bank.py", "tests/test_engine_rules.py")


@dataclass
class StageResult:
    """One stage's outcome: what it checked, and every problem (empty when it passed)."""

    name: str
    checked: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_data(self) -> dict[str, Any]:
        return {"ok": self.ok, "checked": self.checked, "problems": self.problems}


@dataclass
class ReleaseRun:
    """One release in progress: the tree, a folder for fresh copies, and what the stages
    found that the later ones use."""

    root: Path
    work: Path
    show_progress: bool = True
    #: notebook (relative path) -> its fresh copy and what changed since it was executed, for
    #: each notebook whose inputs changed and whose fresh run is clean
    refreshed: dict[str, tuple[Path, list[str]]] = field(default_factory=dict)

    def bar(self, items: Iterable[Any] | None, what: str, total: int, unit: str = "item"
            ) -> Any:
        return progress(items, what, total, self.show_progress, unit)

    def name(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()


@dataclass
class ReleaseReport:
    """Every stage's result, and the notebooks re-executed because their inputs changed
    (saved in the tree only when every stage passed)."""

    stages: list[StageResult]
    refreshed: dict[str, list[str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(stage.ok for stage in self.stages)


def _pytest(run: ReleaseRun, args: list[str], files: list[str], what: str
            ) -> dict[str, list[str]]:
    """Run pytest once in the tree over ``files`` (writing nothing into it), advancing a bar as
    each file finishes; returns each file's failure lines (pytest's FAILED and ERROR lines, or
    its last words when it could not start)."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    command = [sys.executable, "-m", "pytest", "-v", "-p", "no:cacheprovider", "--no-header",
               "-o", "console_output_style=classic", *args, *files]
    failures: dict[str, list[str]] = {name: [] for name in files}
    started: set[str] = set()
    lines: list[str] = []
    with run.bar(None, what, len(files), unit="file") as bar, subprocess.Popen(
            command, cwd=run.root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True) as process:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line.rstrip())
            name = line.split("::", 1)[0]
            if name in failures and name not in started:
                if started:
                    bar.update()
                started.add(name)
            if line.startswith(("FAILED ", "ERROR ")):
                failed = line.split()[1].split("::", 1)[0]  # "ERROR x.py - why": no "::"
                failures.setdefault(failed, []).append(line.strip())
        bar.update(len(files) - bar.n)
    if process.returncode not in (0, 1):  # 1: some tests failed; anything else: pytest broke
        last = [ln for ln in lines if ln.strip()][-3:]
        for name in files:
            failures[name] = failures[name] or [" / ".join(last) or "pytest did not run"]
    return failures


def stage_validate(run: ReleaseRun) -> StageResult:
    result = StageResult("validate")
    cases = case_files_of(run.root / "cases")
    if not cases:
        result.problems.append(f"{run.root / 'cases'}: no case files")
    for path in run.bar(cases, "validate", len(cases), unit="case"):
        result.checked.append(run.name(path))
        problems = (str(issue) for issue in validate_file(path).issues)
        result.problems += [p for p in problems if p not in result.problems]  # a broken pack once
    return result


def stage_execute(run: ReleaseRun) -> StageResult:
    """Execute each notebook in a fresh copy, from the notebooks' folder (outputs may show
    paths relative to it), and check it: no errors, no stderr, every cell with output. A
    notebook whose inputs changed since it was executed, and whose fresh run is clean, is kept
    to be saved over it."""
    result = StageResult("execute")
    notebooks = notebook_files(run.root)
    inputs = notebook_inputs()
    folder = run.work / "notebooks"
    folder.mkdir(parents=True, exist_ok=True)
    cells = sum(1 for path in notebooks for cell in nbformat.read(path, as_version=4).cells
                if cell.cell_type == "code")
    with run.bar(None, "execute", cells, unit="cell") as bar:
        for path in notebooks:
            name = run.name(path)
            result.checked.append(name)
            copy = folder / path.name
            shutil.copy2(path, copy)
            try:
                execute(copy, inputs=inputs, on_cell=bar.update, cwd=path.parent)
            except Exception as err:  # any failure is this notebook's problem; go on
                first = str(err).strip().splitlines()
                result.problems.append(f"{name}: fails when run from the top: "
                                       f"{first[-1] if first else type(err).__name__}")
                continue
            problems = [p.replace(str(copy), name) for p in release_problems(copy)]
            result.problems += problems
            changed = stale_inputs(path, inputs)
            if changed and not problems:
                run.refreshed[name] = (copy, changed)
    return result


def stage_nbval(run: ReleaseRun) -> StageResult:
    """nbval strict on each notebook as it will ship: its saved outputs must match a fresh run.
    A refreshed notebook is checked on its fresh copy, put beside the others under a hidden
    name for the run (nbval runs a notebook from its own folder) and removed after."""
    result = StageResult("nbval")
    targets: dict[str, str] = {}  # what pytest runs -> the notebook it stands for
    try:
        for path in notebook_files(run.root):
            name = run.name(path)
            result.checked.append(name)
            if name in run.refreshed:
                stand_in = path.with_name(f".{path.stem}.release{path.suffix}")
                shutil.copyfile(run.refreshed[name][0], stand_in)
                path = stand_in
            targets[run.name(path)] = name
            result.problems += [p.replace(str(path), name) for p in release_problems(path)]
        failures = _pytest(run, ["--nbval", "--nbval-current-env", "--nbval-sanitize-with",
                                 "tests/nbval-sanitize.cfg"], list(targets), "nbval")
    finally:
        for target, name in targets.items():
            if target != name:
                (run.root / target).unlink(missing_ok=True)
    for target, lines in failures.items():
        if lines:
            name = targets.get(target, target)
            result.problems.append(
                f"{name}: nbval strict failed: a saved output differs from a fresh run, or a "
                f"cell fails: {'; '.join(lines[:5]).replace(target, name)}")
    return result


def stage_regression(run: ReleaseRun) -> StageResult:
    """The engine's regression tests (``REGRESSION_TESTS``), which pin the derived pathways."""
    result = StageResult("regression", checked=list(REGRESSION_TESTS))
    present = [name for name in REGRESSION_TESTS if (run.root / name).is_file()]
    result.problems += [f"{name}: regression test file missing"
                        for name in REGRESSION_TESTS if name not in present]
    if present:
        failures = _pytest(run, [], present, "regression")
        result.problems += [f"{name}: {'; '.join(lines[:5])}"
                            for name, lines in failures.items() if lines]
    return result


STAGES = (stage_validate, stage_execute, stage_nbval, stage_regression)


def release(root: Path, out: Path | None = None, *, show_progress: bool = True,
            stages: tuple[Callable[[ReleaseRun], StageResult], ...] = STAGES) -> ReleaseReport:
    """Run every stage over the tree at ``root``; when all pass, save the re-executed notebooks
    over the stale ones and write ``out/manifest.json`` (default ``root/release``) atomically.
    The tree is unchanged unless every stage passed."""
    root = root.resolve()
    out = (out or root / "release").resolve()
    with tempfile.TemporaryDirectory(prefix="dystonia-release-") as work:
        run = ReleaseRun(root, Path(work), show_progress)
        report = ReleaseReport([stage(run) for stage in stages],
                               {name: changed for name, (_, changed) in run.refreshed.items()})
        if report.ok:
            for name, (fresh, _) in run.refreshed.items():
                _replace(fresh, root / name)
            _write_manifest(out, build_manifest(root, {r.name: r.as_data()
                                                       for r in report.stages}))
    return report


def _replace(source: Path, target: Path) -> None:
    """Put ``source`` at ``target`` in one step (a copy beside it, renamed over it)."""
    partial = target.with_name(f".{target.name}.partial")
    shutil.copyfile(source, partial)
    os.replace(partial, target)


def _write_manifest(out: Path, manifest: dict[str, Any]) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        (building / MANIFEST_NAME).write_text(json.dumps(manifest, indent=1) + "\n",
                                              encoding="utf-8")
        old = out.with_name(f".{out.name}-old") if out.exists() else None
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
            out.rename(old)
        building.rename(out)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(building, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2 or args[0] not in ("execute", "check"):
        print(__doc__)
        return 2
    paths = notebook_paths(Path(args[1]))
    if args[0] == "execute":
        for path in paths:
            print(f"executing {path}")
            execute(path)
    problems = [p for path in paths for p in release_problems(path)]
    for problem in problems:
        print(problem)
    print(f"{len(paths)} notebooks checked, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
