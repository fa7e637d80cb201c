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
"""

from __future__ import annotations

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
           "margin": {"l": 10, "r": 10, "t": 70, "b": 10}}
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


def _pct(share: float) -> str:
    return f"{100 * share:.0f}%"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


# -- score distributions ---------------------------------------------------------------------

def score_figure(scores: pd.DataFrame) -> Spec:
    """Box plots of scores per case (``label``, ``score``, ``group``: e.g. first attempt /
    later attempts), one colour and legend entry per group."""
    traces = [{"type": "box", "y": [figure_text(t) for t in rows["label"]],
               "x": rows["score"].tolist(), "name": figure_text(group), "orientation": "h",
               "boxpoints": False, "line": {"width": 2},
               "marker": {"color": SERIES_COLOURS[n % len(SERIES_COLOURS)]}}
              for n, (group, rows) in enumerate(scores.groupby("group", sort=False))]
    return {"data": traces, "layout": _layout(
        boxmode="group", title={"text": "Scores per case"},
        height=max(320, 48 * scores["label"].nunique() + 120),
        xaxis={"title": {"text": "score (0 to 1)"}, "range": [0, 1.02], "gridcolor": "#ddd"},
        yaxis={"autorange": "reversed", "automargin": True},
        legend={"orientation": "h", "x": 1, "xanchor": "right", "y": 1.0, "yanchor": "bottom"})}


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

def pitfall_heatmap(frequency: pd.DataFrame, case_label: Callable[[str], str]) -> Spec:
    """Share of each case's attempts with each pitfall (``label``, ``case_id``, ``share``,
    ``attempts``); every cell shows its count, so no value depends on colour alone."""
    if frequency.empty:
        return {"data": [], "layout": _layout(title={"text": "No pitfalls"})}
    grid = frequency.pivot_table(index="label", columns="case_id", values="share", fill_value=0)
    counts = frequency.pivot_table(index="label", columns="case_id", values="attempts",
                                   fill_value=0).reindex_like(grid)
    order = counts.sum(axis=1).sort_values(ascending=False, kind="stable").index
    grid, counts = grid.loc[order], counts.loc[order]
    trace = {"type": "heatmap", "z": grid.to_numpy().tolist(),
             "x": [figure_text(case_label(c)) for c in grid.columns],
             "y": [figure_text(t) for t in grid.index],
             "text": counts.astype(int).to_numpy().tolist(), "texttemplate": "%{text}",
             "colorscale": "Cividis", "zmin": 0,
             "colorbar": {"title": {"text": "share of<br>attempts"}, "tickformat": ".0%"},
             "hovertemplate": "%{y}<br>%{x}<br>%{text} attempts (%{z:.0%})<extra></extra>"}
    return {"data": [trace], "layout": _layout(
        title={"text": "Pitfalls by case (number of attempts in each cell)"},
        height=max(360, 34 * len(grid) + 300),
        xaxis={"tickangle": -35, "automargin": True},
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
    dash and marker symbol per pitfall)."""
    traces = [{"type": "scatter", "x": [f"attempt {c}" for c in trend.columns],
               "y": row.tolist(), "name": figure_text(label(str(code))),
               "mode": "lines+markers",
               "line": {"color": SERIES_COLOURS[n % 8], "dash": DASHES[n % 8], "width": 2.5},
               "marker": {"symbol": SYMBOLS[n % 8], "size": 10}}
              for n, (code, row) in enumerate(trend.head(top).iterrows())]
    return {"data": traces, "layout": _layout(
        title={"text": "How pitfalls change over attempts"}, height=480,
        yaxis={"title": {"text": "share of attempts"}, "tickformat": ".0%",
               "rangemode": "tozero", "gridcolor": "#ddd"},
        legend={"orientation": "h", "y": -0.15})}


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

def _node_text(node: str, label: Callable[[str], str]) -> str:
    position, step = node.split(":", 1)
    return f"{position}. {'other steps' if step == 'other' else label(step)}"


def path_sankey(links: pd.DataFrame, label: Callable[[str], str], title: str) -> Spec:
    """A Sankey of step sequences (``source``, ``target``, ``attempts``, ``recommended``).

    Links along the recommended pathway are blue and their nodes are marked "✓", the others
    grey; the subtitle says so.
    """
    names = sorted(set(links["source"]) | set(links["target"]),
                   key=lambda n: (int(n.split(":", 1)[0]), n))
    index = {n: i for i, n in enumerate(names)}
    on_path = set(links.loc[links["recommended"], "source"]) | set(
        links.loc[links["recommended"], "target"])
    trace = {"type": "sankey", "arrangement": "snap",
             "node": {"label": [figure_text(_node_text(n, label))
                                + (" ✓" if n in on_path else "") for n in names],
                      "color": [PALETTE["info"] if n in on_path else PALETTE["neutral"]
                                for n in names], "pad": 12, "thickness": 14},
             "link": {"source": [index[s] for s in links["source"]],
                      "target": [index[t] for t in links["target"]],
                      "value": links["attempts"].tolist(),
                      "color": ["rgba(0,114,178,0.45)" if r else "rgba(153,153,153,0.35)"
                                for r in links["recommended"]]}}
    return {"data": [trace], "layout": _layout(height=560, title={
        "text": f"{figure_text(title)}<br><sup>Steps in the order chosen; blue and ✓: the "
                "recommended pathway, grey: other paths</sup>"})}


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
