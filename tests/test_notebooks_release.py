"""Shipped notebooks are release-ready: every code cell executed with output (else nbval would
skip it silently), plain python3 kernel, no spaces in names."""

from __future__ import annotations

import re
from pathlib import Path

from dystonia_teach.casefiles.loader import list_cases
from dystonia_teach.core.kb_model import Claim, Source
from dystonia_teach.core.knowledge import knowledge
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


#: A cited statement's source in notebook prose: "(Cho et al. 2010, systematic review — level 3)"
#: or a table cell "| ... — level 4, partly verified |".
CITATION = re.compile(r"[(|;]\s*(?P<cited>[^()|;]+?) — level (?P<level>[1-5])"
                      r"(?P<partly>, partly verified)?(?=\s*[)|;])")
AUTHOR_YEAR = re.compile(r"\b([A-Z][\w'’-]+)(?: et al\.| & [A-Z][\w'’-]+)? (\d{4})\b")
IDENTIFIER = re.compile(r"\b[a-z0-9]+(?:_[a-z0-9]+)+\b")
STUDENT_NOTEBOOKS = ("00_", "01_", "02_")


def _markdown(path: Path) -> list[str]:
    import nbformat

    return [c.source for c in nbformat.read(path, as_version=4).cells
            if c.cell_type == "markdown"]


def _cited_names(source: Source) -> set[str]:
    """The words a citation may put before the year: the first author's surname, and the
    group's last word before any comma ("American College of Radiology 2021")."""
    names = {source.authors[0].rsplit(" ", 1)[0]} if source.authors else set()
    if source.group:
        names.add(_group(source).rsplit(" ", 1)[-1])
    return names


def _group(source: Source) -> str:
    """The body a guideline is cited by: its group up to a comma (a panel's name follows)."""
    return (source.group or "").split(",", 1)[0]


def _names(source: Source, cited: str) -> bool:
    """Does the cited text name this source (first author's surname and year, or its group)?"""
    surname = source.authors[0].rsplit(" ", 1)[0] if source.authors else ""
    by_author = bool(surname) and bool(re.search(rf"\b{re.escape(surname)}\b", cited)) and (
        source.year is None or str(source.year) in cited)
    return by_author or bool(source.group and _group(source) in cited)


def _cited_claims(cited: str, level: int) -> list[Claim]:
    """Claims at ``level`` whose sources the text names, every author-year in it among them."""
    kb = knowledge()
    pairs = set(AUTHOR_YEAR.findall(cited))
    found = []
    for claim in kb.claims.values():
        sources = [s for s, _ in kb.cited_sources(claim.id)]
        named = [s for s in sources if _names(s, cited)]
        known = {(name, str(s.year)) for s in sources for name in _cited_names(s)}
        if claim.level == level and pairs <= known and (
                named or (not sources and "no source found" in cited)):
            found.append(claim)
    return found


def test_evidence_cited_in_notebook_text_matches_the_knowledge_base() -> None:
    """Prose cites author, year, design and level in words; each citation must be a claim of
    the registry at that level (and partly verified when it says so)."""
    mentions = [m for path in notebook_paths(REPO / "notebooks") for text in _markdown(path)
                for m in CITATION.finditer(text)]
    assert len(mentions) >= 8, "the notebooks cite their sources with their levels"
    for mention in mentions:
        claims = _cited_claims(mention["cited"], int(mention["level"]))
        assert claims, f"no claim at level {mention['level']} cites: {mention['cited']!r}"
        if mention["partly"]:
            assert any(c.status == "partly_verified" for c in claims), mention["cited"]


def test_the_citation_check_refuses_a_wrong_level_year_or_author() -> None:
    assert _cited_claims("Cho et al. 2010, systematic review", 3)
    assert not _cited_claims("Cho et al. 2010, systematic review", 1)
    assert not _cited_claims("Cho et al. 2011, systematic review", 3)
    assert not _cited_claims("Blunt et al. 1996 and Smith 2001, case reports", 4)


def test_student_notebook_prose_shows_no_internal_ids() -> None:
    """Students read 00-02; the instructors' notebooks (03, 04) may name case files."""
    kb = knowledge()
    internal = {*kb.claims, *kb.steps, *kb.sources, *list_cases(), *kb.diagnoses}
    for path in notebook_paths(REPO / "notebooks"):
        if not path.name.startswith(STUDENT_NOTEBOOKS):
            continue
        for text in _markdown(path):
            leaked = set(IDENTIFIER.findall(text)) & internal
            assert not leaked, f"{path.name}: {sorted(leaked)}"
