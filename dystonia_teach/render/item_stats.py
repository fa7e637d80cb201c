"""Item statistics as text and as an HTML table, for the class report.

The inputs are the plain tables of ``course.item_stats`` (items: kind, item, label, learners,
difficulty, discrimination, low, high, upper_lower, flag; reliability: kind, alpha, items,
learners, note); nothing is computed here. Flags are written out in words, never shown by
colour alone.
"""

from __future__ import annotations

import math

import jinja2
import pandas as pd

KIND_NAMES = {"case": "cases", "pitfall": "pitfalls", "decision": "decisions"}
#: How the flag of an item with too few learners to judge begins.
TOO_FEW = "too few learners to judge"

_HTML = jinja2.Environment(autoescape=True).from_string("""\
{% if too_small %}<p class="dt-demo"><b>Too few learners to judge items:</b> {{ learners }}
learners; at least {{ min_learners }} are needed. The figures are for information only.</p>
{% endif %}<ul class="dt-reliability">{% for r in reliability %}
<li>{{ r.text }}</li>{% endfor %}</ul>
<table class="dt-items"><caption>Item statistics (first attempts; difficulty: mean score
from 0 to 1; discrimination: correlation with the learner's other items of the same kind, with
its 95% interval; upper–lower: upper 27% minus lower 27%)</caption>
<thead><tr><th scope="col">Item</th><th scope="col">Kind</th><th scope="col">Learners</th>
<th scope="col">Difficulty</th><th scope="col">Discrimination (95% interval)</th>
<th scope="col">Upper–lower</th><th scope="col">Flag</th></tr></thead>
<tbody>{% for row in rows %}
<tr><th scope="row">{{ row.label }}</th><td>{{ row.kind }}</td><td>{{ row.learners }}</td>
<td>{{ row.difficulty }}</td><td>{{ row.discrimination }}</td><td>{{ row.upper_lower }}</td>
<td>{% if row.flag %}<b>⚑ {{ row.flag }}</b>{% endif %}</td></tr>{% endfor %}
</tbody></table>
""")


def _number(value: float, signed: bool = False) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:+.2f}" if signed else f"{value:.2f}"


def _discrimination(row: pd.Series) -> str:
    r = _number(row["discrimination"], signed=True)
    if math.isnan(row["low"]):
        return r
    return f"{r} ({_number(row['low'], True)} to {_number(row['high'], True)})"


def reliability_text(reliability: pd.DataFrame, learners: int) -> list[str]:
    """One sentence per kind of item (``learners``: the class's learners)."""
    out = []
    for r in reliability.itertuples():
        name = KIND_NAMES.get(r.kind, r.kind)
        if r.alpha is None or (isinstance(r.alpha, float) and math.isnan(r.alpha)):
            out.append(f"Reliability of the {name}: not computed ({r.note}).")
            continue
        if r.learners >= learners:
            took = "every learner took all of them"
        else:
            took = (f"{r.learners} of {learners} learners took all of them, and the others "
                    "count through the pairs of items they took" if r.learners else
                    "no learner took all of them: it comes from the pairs of items each "
                    "learner took")
        out.append(f"Reliability of the {name}: Cronbach's α {r.alpha:.2f} over {r.items} "
                   f"items; {took}.")
    return out


def item_stats_text(table: pd.DataFrame, reliability: pd.DataFrame, learners: int,
                    min_learners: int) -> str:
    """The item statistics in words: class size, reliability, flagged items, then all items."""
    lines = [f"Item statistics from the first attempts of {learners} learners "
             f"(an item is judged from {min_learners} learners on)."]
    if learners < min_learners:
        lines.append(f"Too few learners to judge items: {learners}; at least {min_learners} "
                     "are needed. The figures are for information only.")
    lines += reliability_text(reliability, learners)
    unjudged = table["flag"].str.startswith(TOO_FEW)
    flagged = table[(table["flag"] != "") & ~unjudged]
    if learners >= min_learners and unjudged.any():
        count = int(unjudged.sum())
        lines.append(f"{count} item{'' if count == 1 else 's'} had too few learners to judge.")
    if len(flagged):
        lines.append("Flagged items:")
        lines += [f"- {row.label} ({row.kind}): {row.flag}" for row in flagged.itertuples()]
    elif learners >= min_learners:
        lines.append("No item is flagged.")
    lines.append("All items (difficulty; discrimination with its 95% interval; upper–lower):")
    lines += [f"- {row['label']} ({row['kind']}, {row['learners']} learners): "
              f"{_number(row['difficulty'])}; {_discrimination(row)}; "
              f"{_number(row['upper_lower'], True)}" for _, row in table.iterrows()]
    return "\n".join(lines)


def item_stats_html(table: pd.DataFrame, reliability: pd.DataFrame, learners: int,
                    min_learners: int) -> str:
    """The item statistics as an HTML fragment: the reliabilities and one table of items."""
    rows = [{"label": row["label"], "kind": row["kind"], "learners": row["learners"],
             "difficulty": _number(row["difficulty"]), "discrimination": _discrimination(row),
             "upper_lower": _number(row["upper_lower"], True), "flag": row["flag"]}
            for _, row in table.iterrows()]
    return _HTML.render(too_small=learners < min_learners, learners=learners,
                        min_learners=min_learners, rows=rows,
                        reliability=[{"text": t} for t in reliability_text(reliability,
                                                                            learners)])
