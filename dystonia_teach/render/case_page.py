"""A case as one self-contained, printable HTML page (for an LMS upload or a handout).

The page needs no script: the vignette, the recommended pathway derived from the facts with its
reasons, the evidence with levels and caveats, and the flowchart as inline SVG. Every piece of
case text is escaped, so a case file can never put live markup on the page.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape
from pathlib import Path

from dystonia_teach.core.case_model import Case
from dystonia_teach.core.diagnoses import diagnosis_label
from dystonia_teach.core.engine import recommended_pathway
from dystonia_teach.core.knowledge import knowledge, source_ref
from dystonia_teach.core.results import PathwayItem, SourceRef
from dystonia_teach.core.visits import case_at_visit, visit_count
from dystonia_teach.core.vocabulary import PHASE_LABELS
from dystonia_teach.render.flowchart_svg import flowchart_svg, route_description
from dystonia_teach.render.pathway import decision_heading, options_text

STYLE = """
body{font-family:system-ui,sans-serif;line-height:1.5;color:#1a1a1a;background:#fff;
 max-width:62rem;margin:0 auto;padding:1rem 1.5rem}
h1{font-size:1.7rem}h2{border-bottom:1px solid #999;margin-top:2rem}
.dt-level{border:1px solid #333;border-radius:4px;padding:0 4px;white-space:nowrap}
.dt-weak{border:2px dashed #8a3a6b}
.dt-note{background:#f3f3f3;border-left:4px solid #595959;padding:.5rem 1rem}
table{border-collapse:collapse;width:100%}th,td{border:1px solid #999;padding:4px 6px;
 vertical-align:top;text-align:left}
@media print{h2{break-after:avoid}svg{break-inside:avoid}}
"""
INVESTIGATION_LABELS = {
    "imaging": "Lumbar imaging",
    "instability": "Flexion-extension films",
    "electrodiagnosis": "EMG and nerve conduction",
    "brain_imaging": "Brain imaging",
    "dat_scan": "DaT scan",
    "levodopa_response": "Levodopa trial",
    "genetics": "Genetic testing",
}


def _e(text: object) -> str:
    return escape(" ".join(str(text).split()), quote=True)


def level_badge(source: SourceRef) -> str:
    """The level as text; a weak claim says so in words (and by a dashed border)."""
    weak = source.weak
    css = "dt-level dt-weak" if weak else "dt-level"
    return f'<span class="{css}">{"⚠ weak: " if weak else ""}{_e(source.badge)}</span>'


def _pathway_item(item: PathwayItem, numbers: dict[str, int]) -> str:
    refs = " ".join(f"{level_badge(s)} [{numbers[s.claim_id]}]" for s in item.sources)
    evidence = f"<br>Evidence: {refs}" if refs else ""
    return (f"<li><b>{_e(decision_heading(item))}:</b> {_e(options_text(item))} "
            f"<span>({_e(PHASE_LABELS[item.phase])})</span><br>"
            f"Why: {_e(item.reason)}{evidence}</li>")


def _claims(case: Case, pathways: Iterable[tuple[PathwayItem, ...]]) -> list[SourceRef]:
    """The case's own evidence, then every claim the pathways cite, once each."""
    ids = [*case.evidence,
           *(s.claim_id for items in pathways for item in items for s in item.sources)]
    return [source_ref(claim_id) for claim_id in dict.fromkeys(ids)]


def _visit_section(at_visit: Case, index: int, count: int, items: tuple[PathwayItem, ...],
                   numbers: dict[str, int]) -> str:
    """One visit: what the patient tells, the examination, results, pathway and flowchart."""
    week = f"week {at_visit.course.symptom_weeks:g} of symptoms"
    results = "".join(f"<dt>{_e(INVESTIGATION_LABELS.get(name, name))}</dt>"
                      f"<dd>{_e(value.report)}</dd>"
                      for name, value in at_visit.investigations if value is not None)
    parts = [f"<h2>Visit {index + 1} of {count} ({week})</h2>" if count > 1 else
             f"<h2>Vignette ({week})</h2>"]
    if index == 0:
        parts.append(f"<p><b>Patient:</b> {_e(at_visit.patient.age)}-year-old "
                     f"{_e(at_visit.patient.sex)}</p>")
    parts += [
        f"<h3>Presentation</h3><p>{_e(at_visit.stages.presentation)}</p>",
        f"<h3>Examination</h3><p>{_e(at_visit.stages.examination)}</p>",
        f"<h3>Results of investigations (when ordered)</h3><dl>{results}</dl>" if results else "",
        "<h3>Recommended pathway</h3>",
        "<p>Derived from the patient's facts at this visit by the course's algorithm; numbers "
        "in brackets point to the evidence table.</p>",
        f'<ol class="dt-pathway">{"".join(_pathway_item(i, numbers) for i in items)}</ol>',
        "<h3>Flowchart</h3>",
        f"<figure>{flowchart_svg(at_visit, key=f'dt-fc{index + 1}')}<figcaption>Recommended "
        f"path (thick line, bold boxes marked ✔): {_e(route_description(at_visit))}."
        "</figcaption></figure>",
    ]
    return "".join(parts)


def _evidence_table(claims: list[SourceRef]) -> str:
    rows = []
    for number, ref in enumerate(claims, 1):
        caveat = _e(ref.caveat) if ref.caveat else "—"
        rows.append(f"<tr><td>[{number}]</td><td>{_e(ref.claim)}</td>"
                    f"<td>{level_badge(ref)}</td><td>{caveat}</td>"
                    f"<td>{'<br>'.join(_e(c) for c in ref.citations)}</td></tr>")
    head = "".join(f'<th scope="col">{h}</th>' for h in
                   ("No.", "Statement", "Level of evidence", "Caveat", "Sources"))
    return (f"<table><caption>Evidence cited by this case and its pathway "
            f"({_e(knowledge().scheme)} levels)</caption><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>")


def case_page(case: Case) -> str:
    """The whole page for ``case`` as an HTML document (a string)."""
    count = visit_count(case)
    visits = [case_at_visit(case, index) for index in range(count)]
    pathways = [recommended_pathway(at_visit) for at_visit in visits]
    claims = _claims(case, pathways)
    numbers = {ref.claim_id: n for n, ref in enumerate(claims, 1)}
    sections = [
        f"<h1>{_e(case.title)}</h1>",
        f"<p>{_e(case.summary)}</p>",
        '<p class="dt-note">A teaching case. The link between root compression and foot '
        "dystonia rests on two case reports (level 4); the steps below borrow from the "
        "evidence on low back pain, radiculopathy and lumbar stenosis. Weak claims are marked "
        "⚠ weak.</p>",
        *(_visit_section(at_visit, index, count, items, numbers)
          for index, (at_visit, items) in enumerate(zip(visits, pathways, strict=True))),
        "<h2>Outcome and teaching notes</h2>",
        f"<h3>What happened next</h3><p>{_e(case.stages.follow_up)}</p>",
        f"<h3>Diagnosis</h3><p>{_e(diagnosis_label(case.diagnosis))}</p>",
        f"<h3>Teaching notes</h3><p>{_e(case.teaching_notes)}</p>",
        "<h2>Evidence</h2>",
        _evidence_table(claims),
    ]
    return ("<!DOCTYPE html>\n"
            '<html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{_e(case.title)}</title><style>{STYLE}</style></head>"
            f"<body><main>{''.join(sections)}</main></body></html>\n")


def write_case_pages(cases: Iterable[Case], folder: Path) -> list[Path]:
    """One page per case, ``<folder>/<case id>.html`` (folder created); the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for case in cases:
        path = folder / f"{case.id}.html"
        path.write_text(case_page(case), encoding="utf-8")
        written.append(path)
    return written
