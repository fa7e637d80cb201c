"""The learner's working copy: missing notebooks are copied, the learner's own never replaced."""

from __future__ import annotations

from pathlib import Path

import pytest

from dystonia_teach.course.workspace import WORKDIR_VAR, default_workdir, working_copy


def test_working_copy_adds_missing_notebooks_and_keeps_the_learners(tmp_path: Path) -> None:
    source, target = tmp_path / "shipped", tmp_path / "mine"
    source.mkdir()
    (source / "01.ipynb").write_text("course 1")
    (source / "02.ipynb").write_text("course 2")
    (source / "notes.txt").write_text("not a notebook")
    assert working_copy(source, target) == (["01.ipynb", "02.ipynb"], [])
    (target / "02.ipynb").write_text("my outputs")
    (source / "03.ipynb").write_text("course 3")
    assert working_copy(source, target) == (["03.ipynb"], ["02.ipynb"])
    assert (target / "02.ipynb").read_text() == "my outputs"
    assert not (target / "notes.txt").exists()
    assert (source / "02.ipynb").read_text() == "course 2"


def test_the_working_copy_lives_outside_the_course(monkeypatch: pytest.MonkeyPatch,
                                                   tmp_path: Path) -> None:
    monkeypatch.delenv(WORKDIR_VAR, raising=False)
    assert default_workdir() == Path.home() / "dystonia-teach-course"
    monkeypatch.setenv(WORKDIR_VAR, str(tmp_path / "elsewhere"))
    assert default_workdir() == tmp_path / "elsewhere"
