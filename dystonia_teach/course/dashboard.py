"""The class dashboard: report tables turned into labelled figures, text and one HTML file.

The notebook calls these one per cell; ``report_html`` puts them all in one self-contained page
(plotly.js inlined once, no network needed to open it) that an instructor can mail.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path

import jinja2
import pandas as pd
import plotly.graph_objects as go
from markupsafe import Markup

from dystonia_teach import __version__
from dystonia_teach.course import reports
from dystonia_teach.course.assignments import Assignment
from dystonia_teach.course.attention import HEADING, attention_text
from dystonia_teach.course.coordinator import (
    PLAIN,
    Coordination,
    faulty_section,
    help_section,
    section_text,
)
from dystonia_teach.course.demo import DEMO_PREFIX
from dystonia_teach.course.grading_status import case_change_notes, grading_status
from dystonia_teach.course.item_stats import item_stats_section
from dystonia_teach.course.needs_help import HelpRules, who_may_need_help
from dystonia_teach.render import class_figures as figures
from dystonia_teach.render.files import write_text
from dystonia_teach.store import RowProblem, open_store

_TEMPLATE = jinja2.Environment(autoescape=True).from_string("""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font-family:system-ui,sans-serif;max-width:1100px;margin:auto;padding:0 16px;color:#222}
table{border-collapse:collapse;margin:8px 0 16px}th,td{border:1px solid #bbb;padding:3px 6px;
text-align:left;font-size:90%}pre.dt-alt{white-space:pre-wrap;background:#f6f6f6;padding:8px}
.dt-demo{border-left:6px solid #E69F00;padding:6px 10px;background:#fff8e6}
</style></head><body>
<h1>{{ title }}</h1>
<p>{{ attempts }} attempts by {{ learners }} learners at {{ cases }} cases.
Generated {{ generated }} by dystonia_teach {{ version }}.</p>
{% if demo %}<p class="dt-demo"><b>Demo data:</b> a generated class, not real learners.</p>
{% endif %}
{% if pseudonymous %}<p>{{ pseudonyms }}</p>{% endif %}
{% if grading %}<p{% if not trusted %} class="dt-demo"{% endif %}><b>Scores:</b> {{ grading }}</p>
{% endif %}
{% for note in changed %}<p class="dt-demo"><b>Case changed:</b> {{ note }}</p>
{% endfor %}
{% for section in sections %}
<section><h2>{{ section.heading }}</h2>
{% if section.intro %}<p>{{ section.intro }}</p>{% endif %}
{% if section.figure %}<figure role="group" aria-label="{{ section.heading }}">{{ section.figure }}
<figcaption><details open><summary>Text alternative</summary>
<pre class="dt-alt">{{ section.text }}</pre></details></figcaption></figure>
{% elif section.text %}<pre class="dt-alt">{{ section.text }}</pre>{% endif %}
{% if section.table %}{{ section.table }}{% endif %}
</section>
{% endfor %}
</body></html>
""")


#: What a pseudonymous report says of its learner ids.
PSEUDONYMS = ("Learners are shown by pseudonym: the same as in the gradebook export made with "
              "the same course salt, never their names or hub ids.")


def class_frame(store_url: str | None = None) -> pd.DataFrame:
    """Every attempt in the store at ``store_url`` (see ``open_store``), opened read-only;
    scores are the latest re-grades where there are any (column ``graded``)."""
    with open_store(store_url, read_only=True) as store:
        return store.to_frame()


def describe_class(frame: pd.DataFrame) -> str:
    """One line: how many attempts, learners and cases, and whether it is demo data."""
    demo = " (demo data: a generated class, not real learners)" if is_demo(frame) else ""
    return (f"{len(frame)} attempts by {frame['learner_id'].nunique()} learners at "
            f"{frame['case_id'].nunique()} cases{demo}")


def is_demo(frame: pd.DataFrame) -> bool:
    """True when every learner is a generated demo learner."""
    return bool(len(frame)) and bool(frame["learner_id"].str.startswith(DEMO_PREFIX).all())


def overview_table(frame: pd.DataFrame, pass_mark: float = 0.8) -> pd.DataFrame:
    """Attempts, learners and scores per case, with readable column names."""
    table = reports.case_overview(frame, pass_mark).drop(columns="case_id")
    return table.rename(columns=lambda c: c.replace("_", " ").capitalize())


def scores_spec(frame: pd.DataFrame) -> figures.Spec:
    """Score distributions per case: learners' first attempts against their later ones."""
    reports.check_frame(frame)
    first = frame["number"] == 1
    scores = pd.DataFrame({
        "label": frame["case_id"].map(reports.case_title),
        "score": frame["score"],
        "group": first.map({True: "first attempts", False: "later attempts"}),
    }).sort_values(["group", "label"], kind="stable")
    return figures.score_figure(scores)


def scores_text(frame: pd.DataFrame, pass_mark: float = 0.8) -> str:
    return figures.score_description(reports.case_overview(frame, pass_mark))


def pitfalls_spec(frame: pd.DataFrame) -> figures.Spec:
    """Which pitfalls, in which cases, how often."""
    return figures.pitfall_heatmap(reports.pitfall_frequency(frame), reports.case_title)


def pitfalls_text(frame: pd.DataFrame) -> str:
    return figures.pitfall_description(reports.pitfall_totals(frame),
                                       reports.pitfall_frequency(frame), reports.case_title)


def trend_spec(frame: pd.DataFrame) -> figures.Spec:
    """How the most frequent pitfalls change from first to later attempts."""
    return figures.trend_figure(reports.pitfall_trend(frame), reports.pitfall_label)


def trend_text(frame: pd.DataFrame) -> str:
    return figures.trend_description(reports.pitfall_trend(frame), reports.pitfall_label,
                                     reports.attempts_by_number(frame))


def paths_spec(frame: pd.DataFrame, case_id: str) -> figures.Spec:
    """Where learners put each step at one case, the recommended pathway's places marked."""
    return figures.path_grid(reports.step_positions(frame, case_id), reports.step_label,
                             reports.case_title(case_id))


def paths_text(frame: pd.DataFrame, case_id: str) -> str:
    return figures.paths_description(reports.common_paths(frame, case_id), reports.step_label,
                                     reports.recommended_steps(case_id))


def scores_figure(frame: pd.DataFrame) -> go.Figure:
    """Score distributions per case: learners' first attempts against their later ones."""
    return figures.figure(scores_spec(frame))


def pitfalls_figure(frame: pd.DataFrame) -> go.Figure:
    """Which pitfalls, in which cases, how often (a heatmap with the counts written in)."""
    return figures.figure(pitfalls_spec(frame))


def trend_figure(frame: pd.DataFrame) -> go.Figure:
    """How the most frequent pitfalls change from first to later attempts."""
    return figures.figure(trend_spec(frame))


def paths_figure(frame: pd.DataFrame, case_id: str) -> go.Figure:
    """Where learners put each step at one case, the recommended pathway's places marked."""
    return figures.figure(paths_spec(frame, case_id))


def help_table(frame: pd.DataFrame, roster: Iterable[str] = (),
               assignments: Sequence[Assignment] = (), pass_mark: float = 0.8) -> pd.DataFrame:
    """Learners who may need help, each with the reasons (``course.needs_help``)."""
    table = who_may_need_help(frame, roster, assignments, HelpRules(pass_mark=pass_mark))
    return pd.DataFrame({"Learner": table["learner_id"],
                         "Why they may need help": table["reasons"].map("; ".join)})


def faulty_text(frame: pd.DataFrame, pass_mark: float = 0.8) -> str:
    """The cases that may be faulty in words, each with the command that checks it."""
    return faulty_section(frame, pass_mark)["text"]


def _html_table(table: pd.DataFrame) -> Markup:
    return Markup(table.to_html(index=False, escape=True, border=0, na_rep=""))


def report_html(frame: pd.DataFrame, title: str = "Class report", pass_mark: float = 0.8,
                attention: Sequence[RowProblem] = (), who: Coordination = PLAIN) -> str:
    """The whole class report as one self-contained HTML page; ``attention``: the stored rows
    that could not be read (``store.needing_attention``), listed in a section of their own."""
    frame = reports.with_paths(reports.check_frame(frame))
    first = [True]

    def embed(spec: figures.Spec) -> Markup:
        html = figures.spec_html(spec, include_plotlyjs=first[0])
        first[0] = False
        return Markup(html)

    sections = []
    if len(frame):
        frequency = reports.pitfall_frequency(frame)
        trend = reports.pitfall_trend(frame)
        sections += [
            {"heading": "Attempts and scores per case", "figure": embed(scores_spec(frame)),
             "text": scores_text(frame, pass_mark),
             "table": _html_table(overview_table(frame, pass_mark))},
            help_section(frame, pass_mark, who),
            faulty_section(frame, pass_mark),
            {"heading": "Pitfalls: which, where, how often",
             "figure": embed(figures.pitfall_heatmap(frequency, reports.case_title)),
             "text": figures.pitfall_description(reports.pitfall_totals(frame), frequency,
                                                 reports.case_title)},
            {"heading": "Pitfalls over attempts",
             "figure": embed(figures.trend_figure(trend, reports.pitfall_label)),
             "text": figures.trend_description(trend, reports.pitfall_label,
                                               reports.attempts_by_number(frame))},
            item_stats_section(frame),
        ]
        for case_id, at_case in frame.groupby("case_id", sort=True):
            sections.append({"heading": f"Paths through: {reports.case_title(str(case_id))}",
                             "figure": embed(paths_spec(at_case, str(case_id))),
                             "text": paths_text(at_case, str(case_id))})
    else:
        sections.append({"heading": "No attempts yet", "text": "The store holds no attempts."})
        if who.roster:
            sections.append(help_section(frame, pass_mark, who))
    if attention:
        sections.insert(0, {"heading": HEADING, "text": attention_text(attention)})
    status = grading_status(frame)
    return _TEMPLATE.render(
        title=title, attempts=len(frame), learners=frame["learner_id"].nunique(),
        cases=frame["case_id"].nunique(), demo=is_demo(frame), version=__version__,
        pseudonymous=who.pseudonymous, pseudonyms=PSEUDONYMS, grading=status.note(),
        trusted=status.trusted,
        changed=case_change_notes(frame),
        generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), sections=sections)


def report_text(frame: pd.DataFrame, title: str = "Class report", pass_mark: float = 0.8,
                attention: Sequence[RowProblem] = (), who: Coordination = PLAIN) -> str:
    """The report's text alone (every figure's text alternative), for a terminal."""
    frame = reports.with_paths(reports.check_frame(frame))
    parts = [f"{title}: {len(frame)} attempts by {frame['learner_id'].nunique()} learners at "
             f"{frame['case_id'].nunique()} cases"]
    if who.pseudonymous:
        parts.append(PSEUDONYMS)
    if attention:
        parts.append(attention_text(attention))
    if is_demo(frame):
        parts.append("Demo data: a generated class, not real learners.")
    if len(frame):
        parts.append(f"Scores: {grading_status(frame).note()}")
        parts += case_change_notes(frame)
        parts.append(scores_text(frame, pass_mark))
    if len(frame) or who.roster:
        parts.append(section_text(help_section(frame, pass_mark, who)))
    if len(frame):
        parts += [section_text(faulty_section(frame, pass_mark)), pitfalls_text(frame),
                  trend_text(frame), item_stats_section(frame)["text"]]
        parts += [f"Paths through: {reports.case_title(c)}\n{paths_text(frame, c)}"
                  for c in sorted(frame["case_id"].unique())]
    return "\n\n".join(parts)


def write_report(frame: pd.DataFrame, path: Path | str, title: str = "Class report",
                 pass_mark: float = 0.8, attention: Sequence[RowProblem] = (),
                 who: Coordination = PLAIN) -> Path:
    """Write ``report_html`` to ``path`` atomically (``render.files.write_text``)."""
    return write_text(path, report_html(frame, title, pass_mark, attention, who))
