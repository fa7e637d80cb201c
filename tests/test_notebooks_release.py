"""Shipped notebooks are release-ready: every code cell executed with output (else nbval would
skip it silently), plain python3 kernel, no spaces in names."""

from __future__ import annotations

from dystonia_teach.release import notebook_paths, release_problems

from .conftest import REPO


def test_every_notebook_is_executed_for_nbval() -> None:
    paths = notebook_paths(REPO / "notebooks")
    assert paths, "no notebooks shipped"
    assert [p for path in paths for p in release_problems(path)] == []
