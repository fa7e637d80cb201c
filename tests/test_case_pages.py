"""Static case pages: self-contained, readable without script, every case text inert."""

from __future__ import annotations

import re
import subprocess
import sys
from html import unescape
from html.parser import HTMLParser
from itertools import pairwise
from pathlib import Path

import pytest

from dystonia_teach import list_cases, load_case, recommended_pathway
from dystonia_teach.core.knowledge import source_ref
from dystonia_teach.core.visits import case_at_visit, visit_count
from dystonia_teach.render.case_page import case_page
from dystonia_teach.render.figures import NODES
from dystonia_teach.render.flowchart_svg import BOX_H, BOX_W, SVG_LABEL_CHARS, flowchart_svg

from .conftest import make_case

HOSTILE = '<script>alert("x")</script><img src=x onerror="alert(1)"><a href="javascript:1">'


class Page(HTMLParser):
    """Every start tag with its attributes, the text, and whether the document closed cleanly."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    @property
    def plain(self) -> str:
        return " ".join(" ".join(self.text).split())

    def names(self) -> set[str]:
        return {tag for tag, _ in self.tags}


def _hostile_case():
    return make_case(title=f"Hostile {HOSTILE}", summary=HOSTILE, teaching_notes=HOSTILE,
                     stages__presentation=HOSTILE, stages__examination=HOSTILE,
                     stages__follow_up=HOSTILE,
                     investigations__imaging__report=HOSTILE)


def test_hostile_case_text_is_shown_as_text_never_as_markup() -> None:
    page = Page(case_page(_hostile_case()))
    assert not {"script", "img", "a", "iframe", "object"} & page.names()
    for tag, attrs in page.tags:
        assert not [name for name in attrs if name.startswith("on")], tag
        assert not any("javascript:" in (value or "") for value in attrs.values()), tag
    assert page.plain.count('<script>alert("x")</script>') >= 6  # shown, as text


@pytest.mark.parametrize("case_id", ["early_uncomplicated", "cauda_equina_red_flags",
                                     "functional_dystonia_mimic"])
def test_page_holds_vignette_pathway_flowchart_and_evidence(case_id: str) -> None:
    case = load_case(case_id)
    html = case_page(case)
    page = Page(html)
    text = page.plain
    assert page.tags[0][0] == "html" and page.tags[0][1].get("lang") == "en"
    assert "svg" in page.names() and "script" not in page.names()
    for stage in (case.stages.presentation, case.stages.examination, case.stages.follow_up):
        assert " ".join(stage.split())[:60] in text
    items = recommended_pathway(case)
    assert items
    for item in items:
        assert item.label in text and " ".join(item.reason.split()) in text
    for claim_id in case.evidence:
        ref = source_ref(claim_id)
        assert " ".join(ref.claim.split())[:60] in text
        assert ref.badge in text
        if ref.weak:
            assert " ".join(ref.caveat.split())[:60] in text
    ids = [attrs["id"] for _, attrs in page.tags if "id" in attrs]
    assert len(ids) == len(set(ids))  # one flowchart per visit, each with its own ids
    headings = [int(tag[1]) for tag, _ in page.tags if tag in ("h1", "h2", "h3", "h4")]
    assert headings[0] == 1 and all(b - a <= 1 for a, b in pairwise(headings))


def test_each_visit_has_its_story_pathway_and_flowchart() -> None:
    case = load_case("early_uncomplicated")
    assert visit_count(case) > 1
    page = Page(case_page(case))
    assert sum(tag == "svg" for tag, _ in page.tags) == visit_count(case)
    for index in range(visit_count(case)):
        at_visit = case_at_visit(case, index)
        assert f"Visit {index + 1} of {visit_count(case)}" in page.plain
        assert " ".join(at_visit.stages.presentation.split())[:60] in page.plain
        for item in recommended_pathway(at_visit):
            assert item.label in page.plain


def test_flowchart_marks_the_recommended_path_by_more_than_colour() -> None:
    early = Page(case_page(load_case("early_uncomplicated")))
    urgent = Page(case_page(load_case("cauda_equina_red_flags")))
    assert "✔ Under 6 weeks: non-drug care" in early.plain
    assert "✔ Red flag: imaging now" in urgent.plain and "✔ Under 6 weeks" not in urgent.plain
    bold = [attrs for tag, attrs in urgent.tags if tag == "text" and "font-weight" in attrs]
    assert bold  # recommended boxes are bold as well as blue


@pytest.mark.parametrize("case_id", ["early_uncomplicated", "disc_herniation_after_trial"])
def test_flowchart_box_labels_are_whole_and_fit_their_boxes(case_id: str) -> None:
    """Labels wrap inside their box (bold 13 px, at most ~0.6 em a character), never cut."""
    svg = flowchart_svg(load_case(case_id))
    boxes = re.findall(r'<text text-anchor="middle"[^>]*>(.*?)</text>', svg)
    shown = [[unescape(t) for t in re.findall(r"<tspan[^>]*>(.*?)</tspan>", box)]
             for box in boxes]
    expected = [n.label for n in NODES if n.kind != "outside"]
    assert [" ".join(lines).removeprefix("✔ ") for lines in shown] == expected
    for lines in shown:
        assert max(map(len, lines)) <= SVG_LABEL_CHARS and SVG_LABEL_CHARS * 13 * 0.62 < BOX_W
        assert len(lines) * 14 <= BOX_H - 6, lines


def test_page_has_no_internal_ids_or_authoring_notes() -> None:
    case = load_case("early_uncomplicated")
    text = Page(case_page(case)).plain
    assert "§" not in text and "specification" not in text.lower()
    ids = [i.step for i in recommended_pathway(case) if "_" in i.step] + list(case.evidence)
    assert len(ids) > 3
    assert not [step_or_claim for step_or_claim in ids if step_or_claim in text]


def test_cli_writes_one_page_and_the_whole_bank(tmp_path: Path) -> None:
    run = [sys.executable, "-m", "dystonia_teach", "export", "html"]
    one = tmp_path / "one.html"
    result = subprocess.run([*run, "early_uncomplicated", "-o", str(one)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert Page(one.read_text()).names() >= {"html", "svg", "table", "ol"}
    result = subprocess.run([*run, "--all", "-o", str(tmp_path / "bank")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert sorted(p.stem for p in (tmp_path / "bank").glob("*.html")) == sorted(list_cases())
    result = subprocess.run([*run, "-o", str(tmp_path / "x.html")], capture_output=True, text=True)
    assert result.returncode == 2 and "either a CASE or --all" in result.stderr
    assert "Traceback" not in result.stderr
