"""`dystonia-teach release`: passes on the shipped tree (run once, its manifest reused), and
refuses a copy of the tree with a broken case and a stale notebook, changing nothing in it."""

from __future__ import annotations

import hashlib
import json
import shutil
from importlib import metadata
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from dystonia_teach.cli import cli
from dystonia_teach.course.manifest import check_manifest, locked_versions
from dystonia_teach.course.release import NO_PROGRESS_VAR, REGRESSION_TESTS, execute, progress

from .conftest import REPO

#: The whole release runs every notebook twice and the regression tests: minutes, not seconds.
pytestmark = pytest.mark.timeout(1800)
TEST_SUPPORT = ("tests/__init__.py", "tests/conftest.py", "tests/store_fixtures.py",
                "tests/nbval-sanitize.cfg", *REGRESSION_TESTS)


def snapshot(root: Path) -> dict[str, str]:
    """Every file under ``root`` (bytecode caches aside) with its sha256."""
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and "__pycache__" not in p.parts}


@pytest.fixture(scope="module")
def shipped(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    """The release of the shipped tree, run once for this module (it is slow)."""
    out = tmp_path_factory.mktemp("release")
    result = CliRunner().invoke(cli, ["release", "--root", str(REPO), "--out", str(out),
                                      "--no-progress"])
    return out, result


def test_release_passes_on_the_shipped_tree(shipped) -> None:
    out, result = shipped
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["libraries"] == locked_versions(REPO)
    for library in ("plotly", "pandas", "nbval"):  # .venv is synced from uv.lock, frozen
        assert manifest["libraries"][library] == metadata.version(library)
    files = manifest["files"]
    assert [r["path"] for r in files["cases"]] == sorted(
        f"cases/{p.name}" for p in (REPO / "cases").glob("*.yaml"))
    assert {r["path"] for r in files["notebooks"]} == {
        f"notebooks/{p.name}" for p in (REPO / "notebooks").glob("*.ipynb")}
    some = files["knowledge"][0]
    data = (REPO / some["path"]).read_bytes()
    assert some == {"path": some["path"], "sha256": hashlib.sha256(data).hexdigest(),
                    "size": len(data)}
    assert all(stage["ok"] and stage["checked"] for stage in manifest["results"].values())
    assert list(manifest["results"]) == ["validate", "execute", "nbval", "regression"]


def test_check_matches_the_tree_and_names_each_difference(shipped, tmp_path: Path) -> None:
    out, _ = shipped
    ok = CliRunner().invoke(cli, ["release", "--root", str(REPO), "--out", str(out), "--check"])
    assert ok.exit_code == 0 and "matches the tree" in ok.output
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    manifest["files"]["cases"][0]["sha256"] = "0" * 64
    gone = manifest["files"]["notebooks"].pop()
    manifest["libraries"]["plotly"] = "0.0.1"
    problems = check_manifest(REPO, manifest)
    assert any(p.startswith(manifest["files"]["cases"][0]["path"] + ": changed")
               for p in problems)
    assert f"{gone['path']}: in the tree but not in the manifest" in problems
    assert any(p.startswith("uv.lock: plotly") for p in problems)
    assert len(problems) == 3
    missing = CliRunner().invoke(cli, ["release", "--root", str(REPO), "--out",
                                       str(tmp_path), "--check"])
    assert missing.exit_code == 1 and "no manifest here" in missing.output


def small_tree(root: Path) -> Path:
    """A copy of the project tree with one small executed notebook instead of the course's."""
    for folder in ("cases", "dystonia_teach/knowledge"):
        shutil.copytree(REPO / folder, root / folder)
    for name in ("pyproject.toml", "uv.lock", *TEST_SUPPORT):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, root / name)
    notebook = root / "notebooks" / "count_cases.ipynb"
    notebook.parent.mkdir()
    nbformat.write(new_notebook(cells=[
        new_markdown_cell("How many cases ship."),
        new_code_cell("from dystonia_teach import list_cases\n\nlen(list_cases())")]), notebook)
    execute(notebook)
    return root


def test_release_refuses_a_broken_case_and_a_stale_notebook(tmp_path: Path) -> None:
    root = small_tree(tmp_path / "tree")
    case = root / "cases" / "early_uncomplicated.yaml"
    case.write_text(case.read_text(encoding="utf-8").replace("symptom_weeks:", "symptom_wekes:"),
                    encoding="utf-8")
    notebook = root / "notebooks" / "count_cases.ipynb"
    nb = nbformat.read(notebook, as_version=4)
    nb.cells[1].outputs[0]["data"]["text/plain"] = "11"  # a stale saved output
    nbformat.write(nb, notebook)
    before = snapshot(root)

    result = CliRunner().invoke(cli, ["release", "--root", str(root), "--no-progress"])

    assert result.exit_code == 1
    assert "release refused" in result.output and "nothing was written" in result.output
    shipped = len(list((root / "cases").glob("*.yaml")))
    assert f"validate: {shipped} checked, FAILED" in result.output
    assert "cases/early_uncomplicated.yaml:" in result.output and "symptom_wekes" in result.output
    assert "nbval: 1 checked, FAILED" in result.output
    assert "notebooks/count_cases.ipynb: nbval strict failed" in result.output
    assert "count_cases.ipynb::Cell 0" in result.output
    assert "execute: 1 checked, ok" in result.output  # it runs; only its saved output is stale
    assert "Traceback" not in result.output
    assert snapshot(root) == before
    assert not (root / "release").exists()


def test_progress_bars_go_to_stderr_and_can_be_switched_off(capsys, monkeypatch) -> None:
    monkeypatch.delenv(NO_PROGRESS_VAR, raising=False)
    assert list(progress(["a", "b"], "validate", 2, enabled=True)) == ["a", "b"]
    out, err = capsys.readouterr()
    assert out == "" and "validate" in err and "2/2" in err
    list(progress(["a"], "validate", 1, enabled=False))
    monkeypatch.setenv(NO_PROGRESS_VAR, "1")
    list(progress(["a"], "validate", 1, enabled=True))
    assert capsys.readouterr() == ("", "")
