"""Evidence explorer: the evidence table filtered by step, pitfall, level and weakness.

``styled_evidence`` is a pure function returning a pandas Styler (fixed uuid, hidden index,
weak claims marked by a symbol, text and colour); ``EvidenceExplorer`` is a thin ipywidgets
shell over it and :func:`dystonia_teach.core.evidence_filter.filter_evidence`.

Students see the evidence in plain words: what it says, how strong and how well checked it is,
the caution, the sources, and the steps that cite it by their labels, with no internal ids and
no history of the course's drafts (a claim of the first draft shows what the sources say
instead). ``instructor=True`` shows the register as kept: ids, the draft's claims, and what of
each reference is not yet checked. Both wrap in a narrow window.
"""

from __future__ import annotations

import re
from html import escape
from typing import Any

import ipywidgets as widgets
import pandas as pd
from IPython.display import HTML
from pandas.io.formats.style import Styler

from dystonia_teach.core.evidence import evidence_table, step_catalogue
from dystonia_teach.core.evidence_filter import filter_evidence
from dystonia_teach.core.knowledge import knowledge
from dystonia_teach.core.vocabulary import PHASE_LABELS, PHASES
from dystonia_teach.render.html import PALETTE
from dystonia_teach.render.student_text import student_claim_text, without_draft_history
from dystonia_teach.widgets._keyboard import KeyboardGuard

UUID = "evidence"
WEAK_MARK = "⚠ weak: "
#: How well a claim's source was checked, in plain words.
STATUS_WORDS = {"verified": "checked against the source", "partly_verified": "partly checked",
                "unverified": "not yet checked", "misattributed":
                "the cited source says something else", "not_found": "no source found"}
#: What a reference's "not yet checked" note says (instructors' business, not students').
_UNCHECKED = re.compile(r" \[not yet (?:checked|verified)[^\]]*\]")
STUDENT_COLUMNS = ("What the evidence says", "How strong", "Caution", "Sources")
#: Share of the table's width per student column (wrapping text, readable at 800 px).
STUDENT_WIDTHS = ("38%", "17%", "25%", "20%")
COLUMNS = {
    "claim_id": "Claim id",
    "claim": "Claim",
    "level_text": "Level",
    "status_text": "Status",
    "caution": "Caution",
    "sources": "Sources",
    "cited_by": "Cited by",
}
ANY = ""
LEVEL_OPTIONS = [("5 (all levels)", 5), ("4 or stronger", 4), ("3 or stronger", 3),
                 ("2 or stronger", 2), ("1 only", 1)]


def _display_frame(rows: pd.DataFrame) -> pd.DataFrame:
    """The learner-facing columns: weak claims get a "⚠ weak: <caveat>" caution."""
    return pd.DataFrame({
        "claim_id": rows["claim_id"],
        "claim": rows["claim"],
        "level_text": rows["scheme"] + " level " + rows["level"].astype(str),
        "status_text": rows["status"].str.replace("_", " ") + " · " + rows["directness"],
        "caution": [WEAK_MARK + caveat if weak else ""
                    for weak, caveat in zip(rows["weak"], rows["caveat"], strict=True)],
        "sources": rows["sources"],
        "cited_by": [", ".join(part for part in (steps, findings) if part)
                     for steps, findings in zip(rows["steps"], rows["findings"], strict=True)],
    }).rename(columns=COLUMNS)


def _student_frame(rows: pd.DataFrame) -> pd.DataFrame:
    """What a student reads of each claim (no ids, no draft history)."""
    kb = knowledge()
    steps = kb.steps

    def cited(step_ids: str) -> str:
        labels = [steps[s].label for s in step_ids.split(", ") if s in steps]
        return f" (For: {'; '.join(labels)}.)" if labels else ""

    return pd.DataFrame({
        STUDENT_COLUMNS[0]: [student_claim_text(kb.claims[c]) + cited(s)
                             for c, s in zip(rows["claim_id"], rows["steps"], strict=True)],
        STUDENT_COLUMNS[1]: [f"{scheme} level {level}; {STATUS_WORDS.get(status, status)}"
                             + ("; indirect (studied in another population)"
                                if directness == "indirect" else "")
                             for scheme, level, status, directness in zip(
                                 rows["scheme"], rows["level"], rows["status"],
                                 rows["directness"], strict=True)],
        STUDENT_COLUMNS[2]: [WEAK_MARK + without_draft_history(caveat) if weak else ""
                             for weak, caveat in zip(rows["weak"], rows["caveat"], strict=True)],
        STUDENT_COLUMNS[3]: [_UNCHECKED.sub("", sources) for sources in rows["sources"]],
    })


def _filter_text(step: str | None, pitfall: str | None, max_level: int | None,
                 weak_only: bool) -> str:
    kb = knowledge()
    step = kb.steps[step].label if step in kb.steps else step
    pitfall = kb.findings[pitfall].label if pitfall in kb.findings else pitfall
    parts = [f"step {step}" if step else "", f"pitfall {pitfall}" if pitfall else "",
             f"level {max_level} or stronger" if max_level else "",
             "weak or unverified only" if weak_only else ""]
    return "; ".join(p for p in parts if p) or "no filter"


def styled_evidence(
    table: pd.DataFrame | None = None,
    *,
    step: str | None = None,
    pitfall: str | None = None,
    max_level: int | None = None,
    weak_only: bool = False,
    instructor: bool = False,
) -> Styler:
    """The filtered evidence table as a Styler with a fixed uuid (stable HTML), no index,
    HTML-escaped text and weak claims marked by "⚠ weak: <caveat>" and a coloured border:
    in plain words for students, the register as kept with ``instructor=True``."""
    table = evidence_table() if table is None else table
    rows = filter_evidence(table, step=step, pitfall=pitfall, max_level=max_level,
                           weak_only=weak_only)
    frame = _display_frame(rows) if instructor else _student_frame(rows)
    weak = list(rows["weak"].astype(bool))
    caption = (f"Evidence claims: {len(rows)} of {len(table)} shown "
               f"({_filter_text(step, pitfall, max_level, weak_only)}).")
    if rows.empty:
        caption += " No claim matches these filters."

    def mark_weak(row: pd.Series) -> list[str]:
        if not weak[row.name]:
            return [""] * len(row)
        return [f"border-left: 6px solid {PALETTE['weak']}; font-weight: bold" if col == 0
                else "" for col in range(len(row))]

    return (frame.style.set_uuid(UUID)
            .format(escape="html")
            .hide(axis="index")
            .apply(mark_weak, axis=1)
            .set_caption(escape(caption))
            .set_table_attributes('class="dt-evidence"')
            .set_table_styles([
                {"selector": "", "props": "width: 100%; table-layout: fixed"},
                {"selector": "td, th", "props": "text-align: left; vertical-align: top; "
                                                 "padding: 2px 6px; white-space: normal; "
                                                 "overflow-wrap: break-word; hyphens: auto"},
                {"selector": "caption", "props": "caption-side: top; text-align: left"},
                *([] if instructor else [
                    {"selector": f"th.col{i}", "props": f"width: {width}"}
                    for i, width in enumerate(STUDENT_WIDTHS)]),
            ]))


class EvidenceExplorer(widgets.VBox):
    """Dropdowns for step, pitfall and maximum level, a weak-only checkbox, and the table."""

    def __init__(self, table: pd.DataFrame | None = None, *, step: str = ANY,
                 pitfall: str = ANY, max_level: int = 5, weak_only: bool = False,
                 instructor: bool = False, **kwargs: Any) -> None:
        self.table = evidence_table() if table is None else table
        self.instructor = instructor
        steps = step_catalogue()
        pitfalls = [(kind.label, code) for code, kind in knowledge().findings.items()
                    if kind.pitfall]
        self.step = widgets.Dropdown(
            options=[("any", ANY), *zip(steps["label"], steps["step"], strict=True)],
            value=step, description="Step", tooltip="Show the claims this step cites")
        self.pitfall = widgets.Dropdown(
            options=[("any", ANY), *pitfalls], value=pitfall, description="Pitfall",
            tooltip="Show the claims this pitfall's feedback cites")
        self.max_level = widgets.Dropdown(
            options=LEVEL_OPTIONS, value=max_level, description="Max level",
            tooltip="OCEBM 2011 level of evidence; 1 is strongest")
        self.weak_only = widgets.Checkbox(
            value=weak_only, description="weak/unverified only", indent=False,
            tooltip="Only claims that are level 4-5, not fully verified, or indirect")
        self.output = widgets.HTML()
        controls = (self.step, self.pitfall, self.max_level, self.weak_only)
        for control in controls:
            control.style.description_width = "initial"
            control.observe(self.refresh, names="value")
        kwargs.setdefault("_dom_classes", ("dt-root",))
        super().__init__(children=[KeyboardGuard(), widgets.HBox(controls[:2]),
                                   widgets.HBox(controls[2:]), self.output], **kwargs)
        self.refresh()

    def __repr__(self) -> str:  # the text/plain a notebook saves: short, not the whole table
        return f"EvidenceExplorer(showing {self.shown} of {len(self.table)} claims)"

    def refresh(self, _change: object = None) -> None:
        """Redraw the table for the current filter values."""
        styler = styled_evidence(
            self.table, step=self.step.value or None, pitfall=self.pitfall.value or None,
            max_level=self.max_level.value, weak_only=self.weak_only.value,
            instructor=self.instructor)
        self.shown = len(styler.data)
        self.output.value = styler.to_html()


def step_catalogue_html() -> HTML:
    """The steps a learner can choose, one collapsed section per phase (in pathway order):
    what each step is, the labelled daily dose for drugs, and its strongest evidence level."""
    catalogue = step_catalogue()
    sections = []
    for phase in PHASES:
        rows = catalogue[catalogue["phase"] == phase]
        items = "".join(
            f"<li><b>{escape(row.label)}</b>: {escape(row.description)}"
            + (f" <i>Daily dose: {escape(row.dose_range)}"
               + (" (not yet checked against the label)" if row.dose_status == "unverified"
                  else "") + ".</i>" if row.dose_range else "")
            + (f" Strongest evidence: level {int(row.best_level)}." if pd.notna(row.best_level)
               else " No graded evidence.") + "</li>"
            for row in rows.itertuples())
        sections.append(f"<details><summary><b>{escape(PHASE_LABELS[phase])}</b> "
                        f"({len(rows)} steps)</summary><ul>{items}</ul></details>")
    return HTML(f'<div class="dt-catalogue">{"".join(sections)}</div>')
