"""`dystonia-teach release`: passes on a copy of the shipped tree (run once, its manifest
reused), re-executes a notebook whose cases changed, refuses a tree with a broken case and a
stale notebook (changing nothing in it), and its manifest's digests (git commit, package code,
knowledge packs, cases) make `release --check` name whatever changed."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from importlib import metadata
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from dystonia_teach.cli import cli
from dystonia_teach.course.manifest import (
    MANIFEST_FORMAT,
    ManifestError,
    build_manifest,
    check_manifest,
    group_digest,
    knowledge_packs,
    locked_versions,
    notebook_inputs,
    read_manifest,
)
from dystonia_teach.course.progress import NO_PROGRESS_VAR, progress
from dystonia_teach.course.release import (
    REGRESSION_TESTS,
    execute,
    release,
    stage_execute,
    stage_nbval,
    stage_validate,
    stale_inputs,
)

from .conftest import REPO

#: The whole release runs every notebook twice and the regression tests: minutes, not seconds.
pytestmark = pytest.mark.timeout(1800)
TEST_SUPPORT = ("tests/__init__.py", "tests/conftest.py", "tests/store_fixtures.py",
                "tests/nbval-sanitize.cfg", *REGRESSION_TESTS)
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".*")


def snapshot(root: Path) -> dict[str, str]:
    """Every file under ``root`` (bytecode caches aside) with its sha256."""
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and "__pycache__" not in p.parts}


def tree_copy(root: Path, notebooks: bool = True) -> Path:
    """A copy of the project's shipped tree (package, cases, notebooks, test support)."""
    for folder in ("dystonia_teach", "cases", *(("notebooks",) if notebooks else ())):
        shutil.copytree(REPO / folder, root / folder, ignore=IGNORED)
    for name in ("pyproject.toml", "uv.lock", *TEST_SUPPORT):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, root / name)
    return root


def count_cases_notebook(root: Path) -> Path:
    """One small executed notebook that shows how many cases there are."""
    notebook = root / "notebooks" / "count_cases.ipynb"
    notebook.parent.mkdir(exist_ok=True)
    nbformat.write(new_notebook(cells=[
        new_markdown_cell("How many cases there are."),
        new_code_cell("from dystonia_teach import list_cases\n\nlen(list_cases())")]), notebook)
    execute(notebook)
    return notebook


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), "-c", "user.name=Release test", "-c",
                           "user.email=release@example.org", *args], capture_output=True,
                          text=True, check=True).stdout.strip()


@pytest.fixture(scope="module")
def shipped(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, object]:
    """The release of a copy of the shipped tree, run once for this module (it is slow)."""
    root = tree_copy(tmp_path_factory.mktemp("tree"))
    out = tmp_path_factory.mktemp("release")
    result = CliRunner().invoke(cli, ["release", "--root", str(root), "--out", str(out),
                                      "--no-progress"])
    return root, out, result


def test_release_passes_on_the_shipped_tree(shipped) -> None:
    root, out, result = shipped
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["libraries"] == locked_versions(REPO)
    for library in ("plotly", "pandas", "nbval"):  # .venv is synced from uv.lock, frozen
        assert manifest["libraries"][library] == metadata.version(library)
    assert [r["path"] for r in manifest["cases"]["files"]] == sorted(
        f"cases/{p.name}" for p in (REPO / "cases").glob("*.yaml"))
    assert {r["path"] for r in manifest["notebooks"]["files"]} == {
        f"notebooks/{p.name}" for p in (REPO / "notebooks").glob("*.ipynb")}
    some = manifest["knowledge_packs"][0]["files"][0]
    data = (root / some["path"]).read_bytes()
    assert some == {"path": some["path"], "sha256": hashlib.sha256(data).hexdigest(),
                    "size": len(data)}
    assert all(stage["ok"] and stage["checked"] for stage in manifest["results"].values())
    assert list(manifest["results"]) == ["validate", "execute", "nbval", "regression"]
    for notebook in (root / "notebooks").glob("*.ipynb"):  # re-executed if they were stale
        assert stale_inputs(notebook, notebook_inputs()) == [], notebook.name


def test_release_digest_check_matches_then_names_an_edited_engine_py(shipped) -> None:
    root, out, _ = shipped
    ok = CliRunner().invoke(cli, ["release", "--root", str(root), "--out", str(out), "--check"])
    assert ok.exit_code == 0 and "matches the tree" in ok.output, ok.output
    engine = root / "dystonia_teach" / "core" / "engine.py"
    original = engine.read_bytes()
    try:
        engine.write_bytes(original + b"\n# edited after the release\n")
        changed = CliRunner().invoke(cli, ["release", "--root", str(root), "--out", str(out),
                                           "--check"])
    finally:
        engine.write_bytes(original)
    assert changed.exit_code == 1
    assert "dystonia_teach/core/engine.py: package code changed since the release" in (
        changed.output)
    assert "1 difference(s) from the tree" in changed.output


def test_release_digest_check_names_each_changed_pack_case_notebook_and_library(
        shipped, tmp_path: Path) -> None:
    root, out, _ = shipped
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    first_case = manifest["cases"]["files"][0]
    first_case["sha256"] = "0" * 64
    gone = manifest["notebooks"]["files"].pop()
    pack_file = manifest["knowledge_packs"][0]["files"][0]
    pack_file["size"] += 1
    manifest["libraries"]["plotly"] = "0.0.1"
    problems = check_manifest(root, manifest)
    assert problems == sorted(problems, key=problems.index)  # one line each, in order
    assert any(p.startswith(f"{first_case['path']}: case changed since the release")
               for p in problems)
    assert f"{gone['path']}: notebook in the tree, not in the release" in problems
    assert any(p.startswith(f"{pack_file['path']}: knowledge pack dystonia_teach file changed")
               for p in problems)
    assert any(p.startswith("uv.lock: plotly") for p in problems)
    assert len(problems) == 4
    missing = CliRunner().invoke(cli, ["release", "--root", str(root), "--out",
                                       str(tmp_path), "--check"])
    assert missing.exit_code == 1 and "no manifest here" in missing.output


def test_release_digest_check_names_an_added_and_a_removed_case(tmp_path: Path) -> None:
    root = tree_copy(tmp_path / "tree", notebooks=False)
    manifest = build_manifest(root, {})
    shutil.copy2(root / "cases" / "early_uncomplicated.yaml", root / "cases" / "new_case.yaml")
    (root / "cases" / "discordant_imaging.yaml").unlink()
    assert check_manifest(root, manifest) == [
        "cases/discordant_imaging.yaml: case in the release, missing from the tree",
        "cases/new_case.yaml: case in the tree, not in the release",
    ]


def test_manifest_records_the_commit_and_check_names_a_new_one(tmp_path: Path) -> None:
    root = tree_copy(tmp_path / "tree", notebooks=False)
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "course")
    first = git(root, "rev-parse", "HEAD")
    (root / "cases" / "early_uncomplicated.yaml").write_text(
        (root / "cases" / "early_uncomplicated.yaml").read_text() + "# a comment\n")
    manifest = build_manifest(root, {})
    assert manifest["git"] == {"commit": first, "uncommitted": ["cases/early_uncomplicated.yaml"]}
    assert check_manifest(root, manifest) == []
    git(root, "commit", "-q", "-am", "a comment")
    assert check_manifest(root, manifest) == [
        f"git commit: the tree is at {git(root, 'rev-parse', 'HEAD')[:12]}, the release was "
        f"cut at {first[:12]}"]


def test_manifest_digests_each_group_and_lists_the_knowledge_packs(tmp_path: Path) -> None:
    root = tree_copy(tmp_path / "tree", notebooks=False)
    manifest = build_manifest(root, {})
    assert manifest["format"] == MANIFEST_FORMAT
    packs = knowledge_packs(root / "dystonia_teach")
    assert [p["name"] for p in manifest["knowledge_packs"]] == [p.name for p in packs]
    assert packs[0].folder == root / "dystonia_teach" / "knowledge"
    code = manifest["package_code"]
    paths = {r["path"] for r in code["files"]}
    assert "dystonia_teach/core/engine.py" in paths
    assert not any(p.startswith(("dystonia_teach/knowledge/", "dystonia_teach/bundled_cases"))
                   or "__pycache__" in p for p in paths)
    assert code["sha256"] == group_digest(root / "dystonia_teach", code["files"], root)
    # the same files give the same digests as the ones a notebook records
    inputs = notebook_inputs()
    assert inputs["package code"] == code["sha256"]
    assert inputs["cases"] == manifest["cases"]["sha256"]
    assert inputs["knowledge pack dystonia_teach"] == manifest["knowledge_packs"][0]["sha256"]


def test_manifest_of_another_format_is_refused_with_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps({"format": 1, "files": {}}))
    with pytest.raises(ManifestError, match="run `dystonia-teach release` again"):
        read_manifest(path)


def test_release_re_executes_a_notebook_whose_cases_changed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An instructor adds a case: the notebook listing the cases is stale; the release runs it
    again, checks the fresh copy with nbval and saves it over the old one."""
    course = tmp_path / "course_cases"
    course.mkdir()
    shutil.copy2(REPO / "cases" / "early_uncomplicated.yaml", course / "early_uncomplicated.yaml")
    monkeypatch.setenv("DYSTONIA_TEACH_CASES", str(course))
    root = tree_copy(tmp_path / "tree", notebooks=False)
    notebook = count_cases_notebook(root)
    count = nbformat.read(notebook, as_version=4).cells[1].outputs[0]["data"]["text/plain"]
    text = (REPO / "cases" / "discordant_imaging.yaml").read_text().replace(
        "id: discordant_imaging", "id: added_by_instructor")
    (course / "added_by_instructor.yaml").write_text(text)
    assert stale_inputs(notebook, notebook_inputs()) == [f"cases in {course}"]

    report = release(root, tmp_path / "out", show_progress=False,
                     stages=(stage_validate, stage_execute, stage_nbval))

    assert report.ok, [s.problems for s in report.stages]
    assert report.refreshed == {"notebooks/count_cases.ipynb": [f"cases in {course}"]}
    saved = nbformat.read(notebook, as_version=4)
    assert saved.cells[1].outputs[0]["data"]["text/plain"] == str(int(count) + 1)
    assert stale_inputs(notebook, notebook_inputs()) == []
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    [record] = manifest["notebooks"]["files"]
    assert record["sha256"] == hashlib.sha256(notebook.read_bytes()).hexdigest()


def test_release_refuses_a_broken_case_and_a_stale_notebook(tmp_path: Path) -> None:
    root = tree_copy(tmp_path / "tree", notebooks=False)
    count_cases_notebook(root)
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
    shipped_cases = len(list((root / "cases").glob("*.yaml")))
    assert f"validate: {shipped_cases} checked, FAILED" in result.output
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
    with progress(None, "execute", 3, enabled=True, unit="cell") as bar:
        for _ in range(3):
            bar.update()
    out, err = capsys.readouterr()
    assert out == "" and "validate" in err and "2/2" in err and "3/3" in err and "cell" in err
    list(progress(["a"], "validate", 1, enabled=False))
    monkeypatch.setenv(NO_PROGRESS_VAR, "1")
    list(progress(["a"], "validate", 1, enabled=True))
    assert capsys.readouterr() == ("", "")
