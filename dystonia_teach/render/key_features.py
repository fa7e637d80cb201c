"""Key-feature questions as a learner and an instructor read them: the stem of a visit, a
question with the number of answers it allows, the result of an answer with its arithmetic and
the key's rationale (reasons and evidence with levels, weak evidence marked), and a printable
item set (:func:`item_set_html`: one self-contained page, no script; with ``key=True`` the
instructor's key).

No internal id reaches the text, and nothing before an answer names a diagnosis: the stems are
the case's own staged text, which the authoring checks keep free of spoilers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape

from dystonia_teach.core.case_model import Case
from dystonia_teach.core.key_feature_score import ItemScore
from dystonia_teach.core.key_features import Key, KeyFeatureItem, Killer, key_feature_items
from dystonia_teach.core.knowledge import knowledge
from dystonia_teach.core.long_menu import answer_label
from dystonia_teach.core.results import SourceRef
from dystonia_teach.core.visits import case_at_visit, visit_count
from dystonia_teach.render.student_text import student_claim_text, without_draft_history

STYLE = """
body{font-family:system-ui,sans-serif;line-height:1.5;color:#1a1a1a;background:#fff;
 max-width:62rem;margin:0 auto;padding:1rem 1.5rem}
h2{border-bottom:1px solid #999;margin-top:2rem}
.dt-note{background:#f3f3f3;border-left:4px solid #595959;padding:.5rem 1rem}
.dt-question{margin:.8rem 0}
.dt-lines{list-style:decimal;margin:.3rem 0 0 1.5rem}
.dt-lines li{border-bottom:1px solid #777;height:1.8rem}
.dt-key{border-left:4px solid #0072B2;padding:.2rem .8rem;margin:.4rem 0}
.dt-weak{border:2px dashed #8a3a6b;padding:0 3px}
@media print{h2{break-before:page}h2:first-of-type{break-before:auto}
 .dt-question{break-inside:avoid}}
"""
GIVEN, MISSED = "✔", "✘"


def _e(text: object) -> str:
    return escape(" ".join(str(text).split()), quote=True)


def allowed_text(item: KeyFeatureItem) -> str:
    """How many answers the question allows, as the learner reads it."""
    return "Give one answer." if item.allowed == 1 else f"Give up to {item.allowed} answers."


def visit_heading(case: Case, visit: int) -> str:
    """ "Visit 2 of 2 (week 7)", or "The patient (week 4)" for a case of one visit."""
    week = f"week {case_at_visit(case, visit).course.symptom_weeks:g}"
    count = visit_count(case)
    return f"Visit {visit + 1} of {count} ({week})" if count > 1 else f"The patient ({week})"


def stem_html(case: Case, visit: int, *, level: int = 4) -> str:
    """What the learner is told at ``visit``: the history and the examination."""
    at = case_at_visit(case, visit)
    sub = f"h{level + 1}"
    return (f'<div class="dt-stem"><h{level}>{_e(visit_heading(case, visit))}</h{level}>'
            f"<{sub}>History</{sub}><p>{_e(at.stages.presentation)}</p>"
            f"<{sub}>Examination</{sub}><p>{_e(at.stages.examination)}</p></div>")


def _options_text(item: KeyFeatureItem, key: Key) -> str:
    labels = [answer_label(item.menu, o) for o in key.options]
    return labels[0] if len(labels) == 1 else f"any of {'; '.join(labels)}"


def score_text(result: ItemScore) -> str:
    """The score with its arithmetic, in one sentence."""
    item = result.item
    if result.killers_given:
        names = ", ".join(answer_label(item.menu, k.option) for k in result.killers_given)
        return f"Score 0: {names} would harm this patient, and an answer that harms scores 0."
    if result.too_many:
        return (f"Score 0: {len(result.answers)} answers where up to {item.allowed} are "
                "allowed, and more answers than allowed score 0.")
    given, total = len(result.keys_given), len(item.keys)
    said = (f"you gave {given} of its {total} key answers" if total > 1 else
            "you gave its key answer" if given else "you did not give its key answer")
    return f"Score {given}/{total} = {result.score:.2f}: {said}."


def _badge(source: SourceRef) -> str:
    return f"weak evidence: {source.badge}" if source.weak else source.badge


def _source_html(source: SourceRef) -> str:
    """What the evidence says, its level (weak marked, with its caveat) and its sources."""
    claim = knowledge().claims.get(source.claim_id)
    text = student_claim_text(claim) if claim else source.claim
    caveat = (f" — {_e(without_draft_history(source.caveat))}"
              if source.weak and source.caveat else "")
    cited = "; ".join(source.citations)
    return (f"{_e(text)} <i>{_e(_badge(source))}</i>{caveat}"
            f"{f'<br>Sources: {_e(cited)}' if cited else ''}")


class References:
    """Numbers for the sources of a printed key: cited as [n] with the level, listed once."""

    def __init__(self) -> None:
        self.sources: dict[str, SourceRef] = {}

    def cite(self, sources: Sequence[SourceRef]) -> str:
        if not sources:
            return ""
        cited = []
        for s in dict.fromkeys(sources):
            self.sources.setdefault(s.claim_id, s)
            cited.append(f"[{list(self.sources).index(s.claim_id) + 1}] {_badge(s)}")
        return f"<br><i>Evidence:</i> {_e('; '.join(cited))}"

    def html(self) -> str:
        items = "".join(f"<li>{_source_html(s)}</li>" for s in self.sources.values())
        return f"<section><h2>Evidence</h2><ol>{items}</ol></section>" if items else ""


def _sources_html(sources: Sequence[SourceRef], refs: References | None = None) -> str:
    """The evidence with levels (weak marked): folded under a summary, or numbered in
    ``refs`` (a printed key)."""
    if refs is not None:
        return refs.cite(sources)
    if not sources:
        return ""
    unique = list(dict.fromkeys(sources))
    weak = sum(s.weak for s in unique)
    rows = "".join(f"<li>{_source_html(s)}</li>" for s in unique)
    return (f"<details><summary>Evidence ({len(unique)} source"
            f"{'' if len(unique) == 1 else 's'}, {weak} weak or unverified)</summary>"
            f"<ul>{rows}</ul></details>")


def _key_html(item: KeyFeatureItem, key: Key, mark: str, refs: References | None) -> str:
    options = _options_text(item, key)
    named = (f"<b>{_e(key.label)}</b>" if options == key.label else
             f"<b>{_e(key.label)}:</b> {_e(options)}")
    return (f"<li>{_e(mark)} {named}<br><i>Why:</i> {_e(key.reason)}"
            f"{_sources_html(key.sources, refs)}</li>")


def _killer_html(item: KeyFeatureItem, killer: Killer, refs: References | None) -> str:
    return (f"<li><b>{_e(answer_label(item.menu, killer.option))}:</b> {_e(killer.reason)}"
            f"{_sources_html(killer.sources, refs)}</li>")


def key_html(item: KeyFeatureItem, result: ItemScore | None = None, *,
             refs: References | None = None) -> str:
    """The key answers (marked given or missed when ``result`` is given) and the answers that
    score the question 0, each with its reason and evidence (folded under a summary, or
    numbered in ``refs`` for print)."""
    given = result.keys_given if result else ()
    keys = "".join(_key_html(item, k, (GIVEN if k in given else MISSED) if result else "",
                             refs) for k in item.keys)
    share = f"each scores 1/{len(item.keys)}" if len(item.keys) > 1 else "it scores 1"
    parts = [f'<div class="dt-key"><p><b>Key answers</b> ({share}):</p><ul>{keys}</ul>']
    if item.killers:
        parts.append("<p><b>Answers that score this question 0</b> (they would harm this "
                     "patient):</p><ul>"
                     f"{''.join(_killer_html(item, k, refs) for k in item.killers)}</ul>")
    parts.append("</div>")
    return "".join(parts)


def result_html(result: ItemScore) -> str:
    """What the learner sees after submitting a question: the score, then the key."""
    yours = "; ".join(answer_label(result.item.menu, a) for a in result.answers)
    return (f'<div class="dt-result" role="region" aria-label="Your answer scored">'
            f"<p><b>{_e(score_text(result))}</b></p><p>Your answers: {_e(yours)}.</p>"
            f"{key_html(result.item, result)}</div>")


def result_text(result: ItemScore) -> str:
    """The result as plain text (for notebooks): score, answers, keys given or missed."""
    item = result.item
    lines = [score_text(result),
             "Your answers: " + "; ".join(answer_label(item.menu, a) for a in result.answers)]
    lines += [f"{GIVEN if k in result.keys_given else MISSED} {k.label}: "
              f"{_options_text(item, k)}" for k in item.keys]
    lines += [f"✖ {answer_label(item.menu, k.option)} scores 0 here: {k.reason}"
              for k in result.killers_given]
    return "\n".join(lines)


def questions_text(case: Case) -> str:
    """The case's questions as plain text, visit by visit (for notebooks)."""
    items = key_feature_items(case)
    lines: list[str] = []
    for number, item in enumerate(items, 1):
        if number == 1 or item.visit != items[number - 2].visit:
            lines += [*([""] if lines else []), visit_heading(case, item.visit)]
        lines.append(f"{number}. {item.question} {allowed_text(item)}")
    return "\n".join(lines)


def question_html(item: KeyFeatureItem, number: int, count: int) -> str:
    return (f'<p class="dt-question"><b>Question {number} of {count}:</b> {_e(item.question)} '
            f"<i>{_e(allowed_text(item))}</i></p>")


_INTRO = ("Each question is about this patient at this visit. Write your answers on the lines "
          "(the name of a diagnosis, test, drug or other step). A question scores the share of "
          "its key answers you give; more answers than allowed, or an answer that would harm the "
          "patient, scores 0. A case scores the mean of its questions.")
_KEY_NOTE = ("Instructor's key: not for students. The keys and the answers that score 0 are "
             "derived from each patient's facts by the course's algorithm; a key answer is "
             "given by any of the answers listed for it. Evidence levels are {scheme}; weak or "
             "unverified evidence is marked.")


def _question_block(item: KeyFeatureItem, refs: References | None) -> str:
    body = (key_html(item, refs=refs) if refs is not None else
            '<ol class="dt-lines">' + "<li></li>" * item.allowed + "</ol>")
    return (f'<li class="dt-question"><p>{_e(item.question)} <i>{_e(allowed_text(item))}</i></p>'
            f"{body}</li>")


def _case_section(case: Case, number: int, refs: References | None) -> str:
    items = key_feature_items(case)
    heading = f"Case {number}: {case.title}" + (f" ({case.id})" if refs is not None else "")
    parts = [f"<section><h2>{_e(heading)}</h2>"]
    asked = 0
    for visit in range(visit_count(case)):
        questions = [_question_block(i, refs) for i in items if i.visit == visit]
        parts += [stem_html(case, visit, level=3), f'<ol start="{asked + 1}">', *questions,
                  "</ol>"]
        asked += len(questions)
    parts.append("</section>")
    return "".join(parts)


def item_set_html(cases: Iterable[Case], *, key: bool = False) -> str:
    """A printable set of key-feature questions for ``cases``, one section per case (a page
    each in print): the student version, or with ``key`` the instructor's key and rationale."""
    title = "Key-feature questions" + (": instructor's key" if key else "")
    note = _KEY_NOTE.format(scheme=knowledge().scheme) if key else _INTRO
    refs = References() if key else None
    sections = "".join(_case_section(case, n, refs) for n, case in enumerate(cases, 1))
    if refs is not None:
        sections += refs.html()
    return ("<!DOCTYPE html>\n"
            '<html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{_e(title)}</title><style>{STYLE}</style></head>"
            f'<body><main><h1>{_e(title)}</h1><p class="dt-note">{_e(note)}</p>{sections}'
            "</main></body></html>\n")
