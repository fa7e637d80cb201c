"""The evidence filter (core), the styled table and the explorer widget driven headless."""

from __future__ import annotations

import re
from html import escape

import pytest

from dystonia_teach import evidence_table
from dystonia_teach.core.evidence_filter import filter_evidence
from dystonia_teach.core.knowledge import knowledge
from dystonia_teach.widgets.evidence_explorer import EvidenceExplorer, styled_evidence

CLAIM_CELL = re.compile(r'class="data row\d+ col0" >([^<]*)</td>')


def cited_by(column: str, ref: str) -> set[str]:
    """Claim ids whose comma-separated ``column`` (steps or findings) lists ``ref``."""
    table = evidence_table()
    return {claim for claim, refs in zip(table["claim_id"], table[column], strict=True)
            if ref in refs.split(", ")}


def shown(html: str) -> set[str]:
    return set(CLAIM_CELL.findall(html))


@pytest.mark.parametrize("step", ["naproxen", "neuro_exam", "decompressive_laminectomy",
                                  "rigid_splinting"])
def test_filter_by_step_returns_exactly_the_claims_it_cites(step: str) -> None:
    rows = filter_evidence(step=step)
    assert set(rows["claim_id"]) == cited_by("steps", step)
    assert len(rows) == len(set(rows["claim_id"])) > 0


def test_filter_by_each_pitfall_returns_its_finding_claims() -> None:
    pitfalls = [code for code, kind in knowledge().findings.items() if kind.pitfall]
    # the fourteen of specification §4, unindicated_procedure (v2), against_informed_decision (v3)
    assert len(pitfalls) == 16
    for code in pitfalls:
        assert set(filter_evidence(pitfall=code)["claim_id"]) == cited_by("findings", code)


@pytest.mark.parametrize("level", [1, 2, 3, 4, 5])
def test_filter_by_max_level(level: int) -> None:
    table = evidence_table()
    rows = filter_evidence(table, max_level=level)
    assert (rows["level"] <= level).all()
    assert len(rows) == (table["level"] <= level).sum()


def test_weak_only_and_combined_filters() -> None:
    table = evidence_table()
    weak = filter_evidence(table, weak_only=True)
    assert weak["weak"].all() and len(weak) == table["weak"].sum() < len(table)
    both = filter_evidence(table, step="emg_ncs", max_level=2)
    assert set(both["claim_id"]) == {c for c in cited_by("steps", "emg_ncs")
                                     if table.set_index("claim_id").loc[c, "level"] <= 2}
    assert list(filter_evidence(table)["claim_id"]) == list(table["claim_id"])


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"step": "naproxn"}, "unknown step id 'naproxn'; did you mean 'naproxen'"),
    ({"pitfall": "appropriate_step"}, "unknown pitfall code 'appropriate_step'"),
    ({"max_level": 6}, "OCEBM 2011 level 1-5, not 6"),
    ({"max_level": True}, "not True"),
])
def test_bad_filters_are_clear_errors(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        filter_evidence(**kwargs)


def test_styled_table_is_stable_marks_weak_claims_and_hides_the_index() -> None:
    first = styled_evidence(step="neuro_exam", instructor=True).to_html()
    assert first == styled_evidence(step="neuro_exam", instructor=True).to_html()
    assert 'id="T_evidence' in first and not re.search(r"T_[0-9a-f]{5}_", first)
    assert "row_heading" not in first
    table = evidence_table().set_index("claim_id")
    assert shown(first) == cited_by("steps", "neuro_exam")
    for claim in shown(first):
        marked = "⚠ weak: " in _row(first, claim)
        assert marked == bool(table.loc[claim, "weak"]), claim
    weak_claim = next(c for c in sorted(shown(first)) if table.loc[c, "weak"])
    assert table.loc[weak_claim, "caveat"][:40] in _row(first, weak_claim)
    strong = next(c for c in sorted(shown(first)) if not table.loc[c, "weak"])
    assert "⚠" not in _row(first, strong)


def _row(html: str, claim: str) -> str:
    """The HTML of the table row whose first cell is ``claim``."""
    return next(row for row in html.split("<tr>") if f" >{claim}</td>" in row)


def test_styled_table_escapes_text_and_reports_no_match() -> None:
    table = evidence_table()
    table.loc[0, "claim"] = "<script>alert(1)</script>"
    html = styled_evidence(table, instructor=True).to_html()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert not cited_by("steps", "bed_rest") & cited_by("findings", "splinting")
    empty = styled_evidence(step="bed_rest", pitfall="splinting").to_html()
    assert shown(empty) == set() and "No claim matches these filters." in empty


def test_explorer_widget_filters_as_the_controls_change() -> None:
    explorer = EvidenceExplorer(instructor=True)
    everything = set(evidence_table()["claim_id"])
    assert shown(explorer.output.value) == everything
    assert "any" in [label for label, _ in explorer.step.options]

    explorer.step.value = "naproxen"
    assert shown(explorer.output.value) == cited_by("steps", "naproxen")
    explorer.max_level.value = 2
    level = evidence_table().set_index("claim_id")["level"]
    strongest = {c for c in cited_by("steps", "naproxen") if level[c] <= 2}
    assert shown(explorer.output.value) == strongest and strongest

    explorer.step.value = ""
    explorer.max_level.value = 5
    explorer.pitfall.value = "splinting"
    assert shown(explorer.output.value) == cited_by("findings", "splinting")

    explorer.pitfall.value = ""
    explorer.weak_only.value = True
    weak = set(filter_evidence(weak_only=True)["claim_id"])
    assert shown(explorer.output.value) == weak != everything
    assert "⚠ weak: " in explorer.output.value

    explorer.weak_only.value = False
    assert shown(explorer.output.value) == everything


def test_explorer_controls_are_labelled() -> None:
    explorer = EvidenceExplorer()
    for control in (explorer.step, explorer.pitfall, explorer.max_level, explorer.weak_only):
        assert control.description and control.tooltip
    pitfall_codes = {code for _, code in explorer.pitfall.options} - {""}
    assert pitfall_codes == {c for c, k in knowledge().findings.items() if k.pitfall}


def test_explorer_repr_is_short_and_counts_the_shown_claims() -> None:
    explorer = EvidenceExplorer()
    total = len(evidence_table())
    assert repr(explorer) == f"EvidenceExplorer(showing {total} of {total} claims)"
    explorer.step.value = "naproxen"
    assert repr(explorer) == (f"EvidenceExplorer(showing {len(cited_by('steps', 'naproxen'))} "
                              f"of {total} claims)")


def test_step_catalogue_is_grouped_by_phase_in_pathway_order() -> None:
    from dystonia_teach.core.vocabulary import PHASE_LABELS, PHASES
    from dystonia_teach.widgets.evidence_explorer import step_catalogue_html

    html = step_catalogue_html().data
    steps = knowledge().steps.values()
    places = [html.index(f"<b>{escape(PHASE_LABELS[p])}</b>") for p in PHASES]
    assert places == sorted(places) and html.count("<details>") == len(PHASES)
    for step in steps:
        section = html.index(f"<b>{escape(PHASE_LABELS[step.phase])}</b>")
        assert html.count(f"<b>{escape(step.label)}</b>") == 1
        assert html.index(f"<b>{escape(step.label)}</b>") > section
    assert "mg/day" in html and "_" not in html.replace("dt-catalogue", "")


def test_the_explorer_can_open_on_a_step() -> None:
    explorer = EvidenceExplorer(step="neuro_exam")
    assert explorer.step.value == "neuro_exam"
    assert explorer.shown == len(cited_by("steps", "neuro_exam"))


def test_the_student_table_is_plain_words_without_ids_or_draft_history() -> None:
    """Notebook 01's tables: what each claim says, how strong and how well checked in words,
    the caution, the sources and the citing steps' labels; no ids, no "[not yet checked"
    notes, no history of the course's drafts; the columns share the width and wrap."""
    from dystonia_teach.render.student_text import student_text_problems

    table = evidence_table()
    html = styled_evidence(table).to_html()
    text = re.sub(r"<[^>]+>", " ", html.split("</style>")[1])
    assert student_text_problems(text) == []  # no ids, draft history or paths
    assert "[not yet" not in text and "unreviewed draft" not in text
    assert "partly checked" in text and "indirect (studied in another population)" in text
    assert "For: Naproxen" in text  # citing steps by their labels
    assert "table-layout: fixed" in html and "width: 38%" in html
    draft = knowledge().claims["surgery_best_for_walking_dystonia"]
    assert draft.seed_claim and draft.claim[:40] not in text  # the draft's words: not shown
    assert " ".join(draft.seed_correction.split())[:60] in " ".join(text.split())
    instructor = styled_evidence(table, instructor=True).to_html()
    assert "surgery_best_for_walking_dystonia" in instructor  # the instructor view keeps ids
