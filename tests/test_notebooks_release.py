"""Shipped notebooks are release-ready: every code cell executed with output (else nbval would
skip it silently), plain python3 kernel, no spaces in names."""

from __future__ import annotations

from dystonia_teach.course.release import notebook_paths, release_problems

from .conftest import REPO


def test_every_notebook_is_executed_for_nbval() -> None:
    paths = notebook_paths(REPO / "notebooks")
    assert paths, "no notebooks shipped"
    assert [p for path in paths for p in release_problems(path)] == []


def test_re_executing_a_widget_notebook_gives_the_same_file(tmp_path) -> None:
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    from dystonia_teach.course.release import execute

    path = tmp_path / "widgets.ipynb"
    nb = new_notebook(cells=[new_code_cell(
        "import ipywidgets as w\nw.VBox([w.IntSlider(3), w.HTML('<b>x</b>'), w.Button()])"),
        new_code_cell("object()")])
    nbformat.write(nb, path)
    execute(path)
    first = path.read_text()
    execute(path)
    assert path.read_text() == first
    assert "00000000000000000000000000000001" in first  # the VBox, numbered first
    assert "<object at 0x0>" in first


def test_a_cell_with_logic_is_not_release_ready() -> None:
    from dystonia_teach.course.release import logic_in

    assert logic_in("from x import f\nresult = f(1, key='a')\nresult") is None
    assert logic_in("for case in cases:\n    print(case)") == "a loop"
    assert logic_in("print([c.id for c in cases])") == "a comprehension"
    assert logic_in("def helper():\n    return 1") == "a function"


def test_evidence_named_in_notebook_text_matches_the_knowledge_base() -> None:
    import re

    import nbformat

    from dystonia_teach.core.knowledge import knowledge

    claims = knowledge().claims
    mentions = []
    for path in notebook_paths(REPO / "notebooks"):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "markdown":
                mentions += re.findall(r"`(\w+)` \(level (\d)\)", cell.source)
    assert len(mentions) >= 8, "the background notebook names its sources with their levels"
    for claim_id, level in mentions:
        assert claim_id in claims, claim_id
        assert claims[claim_id].level == int(level), claim_id
