"""Maintainer tools for course releases: execute the notebooks, check they are release-ready,
and cut a release (``dystonia-teach release``).

nbval compares saved outputs, and silently skips cells that were never executed (trap 5), so a
release notebook must have every code cell executed, with the plain ``python3`` kernel.

    python -m dystonia_teach.course.release execute notebooks  # re-run in place (make notebooks)
    python -m dystonia_teach.course.release check notebooks    # exit 1 if a notebook is not ready

A release runs four stages over the whole tree and reports every problem at once: validate each
case; execute each notebook in a temporary copy; nbval strict on each shipped notebook (stale
outputs fail here); the engine's regression tests (the pathways pinned by
``REGRESSION_TESTS``). Only when all pass is ``release/manifest.json`` written, built in a
temporary folder and renamed into place, so a failed release changes nothing in the tree.
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
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import nbformat
from tqdm import tqdm

from dystonia_teach.casefiles.loader import validate_file
from dystonia_teach.course.manifest import MANIFEST_NAME, build_manifest, shipped_files

KERNEL = "python3"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
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


def execute(path: Path, timeout: int = 300) -> None:
    """Execute ``path`` in place with the ``python3`` kernel, from the notebook's folder."""
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    nb.metadata["kernelspec"] = {"name": KERNEL, "display_name": "Python 3", "language": "python"}
    client = NotebookClient(nb, timeout=timeout, kernel_name=KERNEL,
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    for cell in nb.cells:
        cell.metadata.pop("execution", None)  # timestamps would change on every run
    nbformat.write(without_random_ids(nb), path)


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
NO_PROGRESS_VAR = "DYSTONIA_TEACH_NO_PROGRESS"
T = TypeVar("T")


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


def progress(items: Iterable[T], stage: str, total: int, enabled: bool) -> Iterator[T]:
    """A tqdm bar on stderr for one stage (off with ``enabled=False`` or
    ``$DYSTONIA_TEACH_NO_PROGRESS``), so results on stdout stay clean."""
    disable = not enabled or bool(os.environ.get(NO_PROGRESS_VAR))
    yield from tqdm(items, desc=f"{stage:<10}", total=total, file=sys.stderr, disable=disable,
                    unit="item", leave=True)


def _pytest(root: Path, args: list[str], files: list[str],
            bar: Callable[..., Iterator[str]], stage: str) -> dict[str, list[str]]:
    """Run pytest once in ``root`` over ``files`` (writing nothing into the tree), advancing
    the stage's bar as each file finishes; returns each file's failure lines (pytest's FAILED
    and ERROR lines, or its last words when it could not start)."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    command = [sys.executable, "-m", "pytest", "-v", "-p", "no:cacheprovider", "--no-header",
               "-o", "console_output_style=classic", *args, *files]
    failures: dict[str, list[str]] = {name: [] for name in files}
    ticks = bar(iter(files), stage, len(files))
    started: set[str] = set()
    lines: list[str] = []
    with subprocess.Popen(command, cwd=root, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True) as run:
        assert run.stdout is not None
        for line in run.stdout:
            lines.append(line.rstrip())
            name = line.split("::", 1)[0]
            if name in failures and name not in started:
                if started:
                    next(ticks, None)
                started.add(name)
            if line.startswith(("FAILED ", "ERROR ")):
                failed = line.split(" ", 1)[1].split("::", 1)[0]
                failures.setdefault(failed, []).append(line.strip())
    for _ in ticks:  # finish the bar
        pass
    if run.returncode not in (0, 1):  # 1: some tests failed; anything else: pytest broke
        last = [ln for ln in lines if ln.strip()][-3:]
        for name in files:
            failures[name] = failures[name] or [" / ".join(last) or "pytest did not run"]
    return failures


def stage_validate(root: Path, bar: Callable[..., Iterator[Path]]) -> StageResult:
    result = StageResult("validate")
    cases = shipped_files(root)["cases"]
    if not cases:
        result.problems.append(f"{root / 'cases'}: no case files")
    for path in bar(cases, "validate", len(cases)):
        result.checked.append(path.relative_to(root).as_posix())
        result.problems += [str(issue) for issue in validate_file(path).issues]
    return result


def stage_execute(root: Path, bar: Callable[..., Iterator[Path]]) -> StageResult:
    """Execute each notebook in a temporary copy (beside a copy of the cases, so relative paths
    hold) and check the fresh copy: no errors, no stderr, every cell with output."""
    result = StageResult("execute")
    notebooks = shipped_files(root)["notebooks"]
    with tempfile.TemporaryDirectory(prefix="dystonia-release-") as tmp:
        shutil.copytree(root / "cases", Path(tmp) / "cases")
        folder = Path(tmp) / "notebooks"
        folder.mkdir()
        for path in bar(notebooks, "execute", len(notebooks)):
            name = path.relative_to(root).as_posix()
            result.checked.append(name)
            copy = folder / path.name
            shutil.copy2(path, copy)
            try:
                execute(copy)
            except Exception as err:  # any failure is this notebook's problem; go on
                first = str(err).strip().splitlines()
                result.problems.append(f"{name}: fails when run from the top: "
                                       f"{first[-1] if first else type(err).__name__}")
                continue
            result.problems += [p.replace(str(copy), name) for p in release_problems(copy)]
    return result


def stage_nbval(root: Path, bar: Callable[..., Iterator[str]]) -> StageResult:
    """nbval strict on each shipped notebook: its saved outputs must match a fresh run."""
    result = StageResult("nbval")
    notebooks = shipped_files(root)["notebooks"]
    result.checked = [p.relative_to(root).as_posix() for p in notebooks]
    for path, name in zip(notebooks, result.checked, strict=True):
        result.problems += [p.replace(str(path), name) for p in release_problems(path)]
    failures = _pytest(root, ["--nbval", "--nbval-current-env", "--nbval-sanitize-with",
                              "tests/nbval-sanitize.cfg"], result.checked, bar, "nbval")
    for name, lines in failures.items():
        if lines:
            result.problems.append(
                f"{name}: nbval strict failed: a saved output differs from a fresh run, or a "
                f"cell fails (re-execute with `make notebooks`): {'; '.join(lines[:5])}")
    return result


def stage_regression(root: Path, bar: Callable[..., Iterator[str]]) -> StageResult:
    """The engine's regression tests (``REGRESSION_TESTS``), which pin the derived pathways."""
    result = StageResult("regression", checked=list(REGRESSION_TESTS))
    present = [name for name in REGRESSION_TESTS if (root / name).is_file()]
    result.problems += [f"{name}: regression test file missing"
                        for name in REGRESSION_TESTS if name not in present]
    if present:
        failures = _pytest(root, [], present, bar, "regression")
        result.problems += [f"{name}: {'; '.join(lines[:5])}"
                            for name, lines in failures.items() if lines]
    return result


STAGES = (stage_validate, stage_execute, stage_nbval, stage_regression)


def release(root: Path, out: Path | None = None, *, show_progress: bool = True,
            stages: tuple[Callable[..., StageResult], ...] = STAGES) -> list[StageResult]:
    """Run every stage over the tree at ``root``; when all pass, write ``out/manifest.json``
    (default ``root/release``) atomically. Returns the stage results; the tree is unchanged
    unless every stage passed."""
    root = root.resolve()
    out = (out or root / "release").resolve()

    def bar(items: Iterable[T], stage: str, total: int) -> Iterator[T]:
        return progress(items, stage, total, show_progress)

    results = [stage(root, bar) for stage in stages]
    if all(r.ok for r in results):
        manifest = build_manifest(root, {r.name: r.as_data() for r in results})
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
    return results


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
