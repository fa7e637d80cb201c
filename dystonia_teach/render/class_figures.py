"""Plotly figures of a class's attempts, each with a text alternative saying the same.

The figures draw the small tables of ``course.reports`` (already labelled); they compute
nothing clinical. Each builder returns a plain plotly figure dict: ``figure(spec)`` makes a
validated ``go.Figure`` of it (notebooks, tests), and ``spec_html`` writes it into a page without
re-validating (plotly's validation costs ~20 ms a figure, too slow for a report of 20 cases).
Colours are Okabe-Ito (``render.html.PALETTE``) or the colour-blind-safe
Cividis scale, and each colour has a second signal: a legend name, a marker symbol, a line
dash or the number written in the cell. Every label goes through ``safe_text.figure_text``:
plotly renders a subset of HTML in labels, and a case id or code from the store is shown as
written, never as a link.

Figures fit the page from 800 px wide up (``tests/test_report_layout.py`` measures their labels
in Chromium): long labels are wrapped onto lines (``wrapped``), labels are never slanted, axes
make room for their labels (``automargin``) and each figure's height follows its rows.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from dystonia_teach.render.html import PALETTE
from dystonia_teach.render.safe_text import figure_text

SERIES_COLOURS = (PALETTE["info"], PALETTE["critical"], PALETTE["good"], PALETTE["warning"],
                  PALETTE["weak"], PALETTE["neutral"], "#56B4E9", "#000000")
SYMBOLS = ("circle", "square", "diamond", "triangle-up", "x", "star", "cross", "hexagon")
DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot", "solid", "dash")
Spec = dict[str, Any]
#: Plain white, without a named template (resolving one costs ~0.1 s a figure).
_LAYOUT = {"font": {"size": 13}, "paper_bgcolor": "white", "plot_bgcolor": "white",
           "margin": {"l": 10, "r": 10, "t": 80, "b": 10}}
#: Pixels a line of a 13 px label takes, with its spacing.
LINE = 17
#: Characters a line of a figure title holds (a title wraps after them).
TITLE_CHARACTERS = 60
_CONFIG = {"displaylogo": False, "responsive": True}


def figure(spec: Spec) -> go.Figure:
    """The validated plotly figure of ``spec`` (raises ValueError on a wrong property)."""
    return go.Figure(spec)


def spec_html(spec: Spec, *, include_plotlyjs: bool) -> str:
    """A ``<div>`` with the figure; with ``include_plotlyjs`` the whole plotly.js inlined."""
    return pio.to_html(spec, full_html=False, include_plotlyjs=include_plotlyjs,
                       include_mathjax=False, config=_CONFIG, validate=False)


def _layout(**extra: Any) -> dict[str, Any]:
    return {**_LAYOUT, **extra}


def wrapped(text: object, width: int) -> str:
    """``text`` shown as written (``figure_text``), wrapped at word breaks onto lines of at
    most ``width`` characters (a longer word stays whole)."""
    lines = textwrap.wrap(str(text), width, break_long_words=False) or [""]
    return "<br>".join(figure_text(line) for line in lines)


def _lines(label: str) -> int:
    return label.count("<br>") + 1


def _title(text: str, subtitle: str = "") -> dict[str, Any]:
    """A figure title wrapped to fit 800 px, with an optional smaller second line (which
    should hold at most about 90 characters)."""
    small = f"<br><sup>{figure_text(subtitle)}</sup>" if subtitle else ""
    return {"text": wrapped(text, TITLE_CHARACTERS) + small, "x": 0.01, "xanchor": "left"}


def _top(title: dict[str, Any]) -> int:
    """The top margin a title needs."""
    return 30 + 22 * _lines(title["text"])


def _pct(share: float) -> str:
    return f"{100 * share:.0f}%"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


# -- score distributions ---------------------------------------------------------------------

def score_figure(scores: pd.DataFrame) -> Spec:
    """Box plots of scores per case (``label``, ``score``, ``group``: e.g. first attempt /
    later attempts), one colour and legend entry per group."""
    labels = {t: wrapped(t, 40) for t in scores["label"].unique()}
    traces = [{"type": "box", "y": [labels[t] for t in rows["label"]],
               "x": rows["score"].tolist(), "name": figure_text(group), "orientation": "h",
               "boxpoints": False, "line": {"width": 2},
               "marker": {"color": SERIES_COLOURS[n % len(SERIES_COLOURS)]}}
              for n, (group, rows) in enumerate(scores.groupby("group", sort=False))]
    row = max([LINE * _lines(t) + 14 for t in labels.values()] + [44])
    title = _title("Scores per case")
    return {"data": traces, "layout": _layout(
        boxmode="group", title=title, margin={**_LAYOUT["margin"], "t": _top(title) + 30},
        height=max(320, row * len(labels) + _top(title) + 110),
        xaxis={"title": {"text": "score (0 to 1)"}, "range": [0, 1.02], "gridcolor": "#ddd",
               "automargin": True},
        yaxis={"autorange": "reversed", "automargin": True},
        legend={"orientation": "h", "x": 0, "xanchor": "left", "y": 1.0, "yanchor": "bottom"})}


def score_description(overview: pd.DataFrame) -> str:
    """The score figure in words: per case, attempts, learners, mean first and best score."""
    lines = ["Scores per case (0 to 1):"]
    for row in overview.itertuples():
        lines.append(f"- {row.title}: {_plural(row.attempts, 'attempt')} by "
                     f"{_plural(row.learners, 'learner')}; mean first score "
                     f"{row.mean_first_score:.2f}, mean best score {row.mean_best_score:.2f}; "
                     f"{row.learners_passed} reached the pass mark")
    return "\n".join(lines)


# -- pitfalls --------------------------------------------------------------------------------

def pitfall_heatmap(frequency: pd.DataFrame, case_label: Callable[[str], str],
                    top: int = 8) -> Spec:
    """Share of each case's attempts with each of the ``top`` most frequent pitfalls (``label``,
    ``case_id``, ``share``, ``attempts``): cases down, pitfalls across; every cell shows its
    count, so no value depends on colour alone."""
    if frequency.empty:
        return {"data": [], "layout": _layout(title=_title("No pitfalls"))}
    grid = frequency.pivot_table(index="case_id", columns="label", values="share", fill_value=0)
    counts = frequency.pivot_table(index="case_id", columns="label", values="attempts",
                                   fill_value=0).reindex_like(grid)
    order = counts.sum().sort_values(ascending=False, kind="stable").index[:top]
    grid, counts = grid[order], counts[order]
    rows = [wrapped(case_label(c), 40) for c in grid.index]
    columns = [wrapped(label, 34) for label in grid.columns]
    row = max([LINE * _lines(r) + 8 for r in rows] + [30])
    trace = {"type": "heatmap", "z": grid.to_numpy().tolist(), "x": columns, "y": rows,
             "text": counts.astype(int).to_numpy().tolist(), "texttemplate": "%{text}",
             "colorscale": "Cividis", "zmin": 0,
             "colorbar": {"title": {"text": "share of attempts", "side": "right"},
                          "tickformat": ".0%"},
             "hovertemplate": "%{y}<br>%{x}<br>%{text} attempts (%{z:.0%})<extra></extra>"}
    title = _title(f"The {len(order)} most frequent pitfalls by case",
                   "number of attempts in each cell")
    return {"data": [trace], "layout": _layout(
        title=title, margin={**_LAYOUT["margin"], "t": _top(title)},
        height=row * len(rows) + _top(title) + 7 * 34 + 40,
        xaxis={"tickangle": -90, "automargin": True, "side": "bottom"},
        yaxis={"autorange": "reversed", "automargin": True})}


def pitfall_description(totals: pd.DataFrame, frequency: pd.DataFrame,
                        case_label: Callable[[str], str], top: int = 8) -> str:
    """The most frequent pitfalls in words: how often, by how many learners, where most."""
    if totals.empty:
        return "No attempt made a pitfall."
    worst = frequency.drop_duplicates("pitfall").set_index("pitfall")
    lines = ["Most frequent pitfalls across the class:"]
    for row in totals.head(top).itertuples():
        where = worst.loc[row.pitfall]
        lines.append(f"- {row.label} ({row.severity}): {_plural(row.attempts, 'attempt')} "
                     f"({_pct(row.share)} of all) by {_plural(row.learners, 'learner')} in "
                     f"{_plural(row.cases, 'case')}; most often in \"{case_label(where.case_id)}\" "
                     f"({_pct(where.share)} of its attempts)")
    return "\n".join(lines)


def trend_figure(trend: pd.DataFrame, label: Callable[[str], str], top: int = 6) -> Spec:
    """Share of attempts with each of the ``top`` pitfalls by attempt number (one line, colour,
    dash and marker symbol per pitfall; the legend lists them one a line below)."""
    shown = trend.head(top)
    traces = [{"type": "scatter", "x": [f"attempt {c}" for c in trend.columns],
               "y": row.tolist(), "name": wrapped(label(str(code)), 60),
               "mode": "lines+markers",
               "line": {"color": SERIES_COLOURS[n % 8], "dash": DASHES[n % 8], "width": 2.5},
               "marker": {"symbol": SYMBOLS[n % 8], "size": 10}}
              for n, (code, row) in enumerate(shown.iterrows())]
    title = _title("How pitfalls change over attempts")
    return {"data": traces, "layout": _layout(
        title=title, margin={**_LAYOUT["margin"], "t": _top(title)},
        height=420 + 24 * len(shown),
        xaxis={"automargin": True},
        yaxis={"title": {"text": "share of attempts"}, "tickformat": ".0%",
               "rangemode": "tozero", "gridcolor": "#ddd", "automargin": True},
        legend={"orientation": "v", "x": 0, "xanchor": "left", "y": -0.12, "yanchor": "top"})}


def trend_description(trend: pd.DataFrame, label: Callable[[str], str], counts: pd.Series,
                      top: int = 6) -> str:
    """The trend in words: each pitfall's share at the first and the last attempt number."""
    if trend.empty:
        return "No attempt made a pitfall."
    first, last = trend.columns[0], trend.columns[-1]
    lines = [f"Share of attempts with each pitfall, attempt {first} "
             f"({_plural(counts[first], 'attempt')}) against attempt {last} "
             f"({_plural(counts[last], 'attempt')}):"]
    for code, row in trend.head(top).iterrows():
        lines.append(f"- {label(str(code))}: {_pct(row[first])} then {_pct(row[last])}")
    return "\n".join(lines)


# -- paths -----------------------------------------------------------------------------------

def path_grid(positions: pd.DataFrame, label: Callable[[str], str], title: str) -> Spec:
    """Where learners put each step at a case (``step``, ``position``, ``attempts``,
    ``recommended``): steps down (the recommended pathway first, in its order), places in the
    plan across; each cell shows its number of attempts, and "✓" marks the recommended
    pathway's step at its place."""
    def position(p: str) -> int:
        return int(p.rstrip("+"))

    recommended = positions[positions["recommended"]].sort_values(
        "position", key=lambda c: c.map(position))
    totals = positions.groupby("step")["attempts"].sum().sort_values(ascending=False,
                                                                     kind="stable")
    steps = list(dict.fromkeys([*recommended["step"], *(s for s in totals.index
                                                        if s != "other"),
                                *(["other"] if "other" in totals.index else [])]))
    places = sorted(set(positions["position"]), key=position)
    cells = positions.set_index(["step", "position"])
    attempts = max(1, int(positions.loc[positions["position"] == "1", "attempts"].sum()))
    z, text = [], []
    for step in steps:
        z.append([int(cells["attempts"].get((step, p), 0)) / attempts for p in places])
        text.append([(f"{n or ''} ✓".strip() if cells["recommended"].get((step, p), False)
                      else f"{n or ''}")
                     for p in places for n in [int(cells["attempts"].get((step, p), 0))]])
    rows = [wrapped("other steps" if s == "other" else label(s), 28) for s in steps]
    row = max([LINE * _lines(r) + 8 for r in rows] + [30])
    trace = {"type": "heatmap", "z": z, "x": [f"{p}" for p in places], "y": rows, "text": text,
             "texttemplate": "%{text}", "zmin": 0, "zmax": 1,
             "colorscale": [[0, "#ffffff"], [1, PALETTE["info"]]],
             "colorbar": {"title": {"text": "share of attempts", "side": "right"},
                          "tickformat": ".0%"},
             "hovertemplate": "%{y}<br>step %{x} of the plan: %{text} (%{z:.0%} of attempts)"
                              "<extra></extra>"}
    heading = _title(f"Paths through: {title}", "attempts putting each step at each place in "
                     "their plan; ✓: the recommended pathway")
    return {"data": [trace], "layout": _layout(
        title=heading, margin={**_LAYOUT["margin"], "t": _top(heading) + 10},
        height=row * len(rows) + _top(heading) + 110,
        xaxis={"title": {"text": "place in the plan"}, "automargin": True, "type": "category"},
        yaxis={"autorange": "reversed", "automargin": True})}


def paths_description(paths: pd.DataFrame, label: Callable[[str], str],
                      recommended: tuple[str, ...]) -> str:
    """The most common step sequences in words, against the recommended one."""
    lines = ["Recommended pathway: " + (" → ".join(label(s) for s in recommended)
                                        if recommended else
                                        "not available (the case file is not found here: "
                                        "set DYSTONIA_TEACH_CASES to its folder)")]
    for n, row in enumerate(paths.itertuples(), 1):
        mark = " (the recommended pathway)" if row.recommended else ""
        lines.append(f"{n}. {_plural(row.attempts, 'attempt')} by "
                     f"{_plural(row.learners, 'learner')}, mean score {row.mean_score:.2f}"
                     f"{mark}: " + " → ".join(label(s) for s in row.path))
    return "\n".join(lines)
