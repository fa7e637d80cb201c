"""Maintainer tools for course releases: execute the notebooks, and check they are release-ready.

nbval compares saved outputs, and silently skips cells that were never executed (trap 5), so a
release notebook must have every code cell executed, with the plain ``python3`` kernel.

    python -m dystonia_teach.course.release execute notebooks  # re-run in place (make notebooks)
    python -m dystonia_teach.course.release check notebooks    # exit 1 if a notebook is not ready
"""

from __future__ import annotations

import ast
import json
import re
import sys
from pathlib import Path

import nbformat

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
