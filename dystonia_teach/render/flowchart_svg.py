"""The algorithm's flowchart as static SVG markup (no script needed to read it).

Drawn from the same nodes, edges and recommended route as the plotly flowchart of
:mod:`dystonia_teach.render.figures`, so the page and the widgets show one algorithm. The
recommended path is marked by a thick line, a thick border, bold text and a "✔" in the box as
well as by colour; with ``chosen`` steps, the learner's path is a dashed line with crosses, a
legend names both. Building it needs no plotly figure (the workbench draws it after every
submission, so it keeps a learner's kernel small).
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable
from html import escape

from dystonia_teach.core.case_model import Case
from dystonia_teach.core.engine import ActionLike, parse_action
from dystonia_teach.core.knowledge import knowledge
from dystonia_teach.render.figures import (
    EDGES,
    LEARNER_COLOUR,
    NODE_BY_ID,
    NODES,
    RECOMMENDED_COLOUR,
    WAYPOINTS,
    Node,
    node_of_steps,
    recommended_route,
)

SCALE_X, SCALE_Y = 112.0, 86.0
BOX_W, BOX_H = 236.0, 64.0
X_RANGE, Y_TOP, Y_BOTTOM = (-4.0, 6.4), 10.6, 1.6
GREY = "#595959"  # 7:1 on white: text and lines stay readable
#: Characters per line of a box label: bold 13 px text of this length fits BOX_W.
SVG_LABEL_CHARS = 28
#: The boxes hold their labels here, so a bent edge may pass closer to them than in plotly.
SVG_WAYPOINTS = {**WAYPOINTS, ("red_flags", "aftercare"): ((-3.8, 9), (-3.8, 2.3), (-2.5, 2.3))}
#: The learner's path runs beside the boxes' centres (px), so both paths stay visible.
LEARNER_SHIFT = (BOX_W / 2 - 22, BOX_H / 2 - 10)
LEGEND_H = 34.0


def _xy(x: float, y: float) -> tuple[float, float]:
    return (x - X_RANGE[0]) * SCALE_X, (Y_TOP - y) * SCALE_Y


def _border_point(inside: tuple[float, float], outside: tuple[float, float]) -> tuple[float, float]:
    """Where the segment from the centre ``inside`` towards ``outside`` leaves its box."""
    dx, dy = outside[0] - inside[0], outside[1] - inside[1]
    t = min(1.0, abs(BOX_W / 2 / dx) if dx else 1.0, abs(BOX_H / 2 / dy) if dy else 1.0)
    return inside[0] + dx * t, inside[1] + dy * t


def _edge_points(src: str, dst: str) -> list[tuple[float, float]]:
    a, b = NODE_BY_ID[src], NODE_BY_ID[dst]
    points = [_xy(a.x, a.y), *(_xy(*w) for w in SVG_WAYPOINTS.get((src, dst), ())),
              _xy(b.x, b.y)]
    points[0] = _border_point(points[0], points[1])
    points[-1] = _border_point(points[-1], points[-2])
    return points


def _polyline(points: list[tuple[float, float]], css: str, key: str) -> str:
    coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    return f'<polyline class="{css}" points="{coords}" marker-end="url(#{key}-{css})"/>'


def _node(node: Node, recommended: bool) -> str:
    cx, cy = _xy(node.x, node.y)
    left, top = cx - BOX_W / 2, cy - BOX_H / 2
    css = "dt-node dt-on" if recommended else "dt-node"
    if node.kind == "decision":
        shape = (f'<polygon class="{css}" points="{left:.1f},{cy:.1f} {left + 16:.1f},{top:.1f} '
                 f'{left + BOX_W - 16:.1f},{top:.1f} {left + BOX_W:.1f},{cy:.1f} '
                 f'{left + BOX_W - 16:.1f},{top + BOX_H:.1f} {left + 16:.1f},{top + BOX_H:.1f}"/>')
    else:
        shape = (f'<rect class="{css}" x="{left:.1f}" y="{top:.1f}" width="{BOX_W:.0f}" '
                 f'height="{BOX_H:.0f}" rx="6"/>')
    label = ("✔ " if recommended else "") + node.label
    lines = textwrap.wrap(label, SVG_LABEL_CHARS)
    first = cy - (len(lines) - 1) * 7
    spans = "".join(f'<tspan x="{cx:.1f}" y="{first + 14 * i + 4:.1f}">{escape(line)}</tspan>'
                    for i, line in enumerate(lines))
    weight = ' font-weight="bold"' if recommended else ""
    return f'{shape}<text text-anchor="middle"{weight}>{spans}</text>'


def route_description(case: Case) -> str:
    """The recommended route as plain text, e.g. "Assessment → Red flags? (no) → …"."""
    chains = []
    for chain in recommended_route(case):
        parts = []
        for i, node_id in enumerate(chain):
            text = NODE_BY_ID[node_id].label
            answer = next((lbl for s, d, lbl in EDGES
                           if i + 1 < len(chain) and (s, d) == (node_id, chain[i + 1])), "")
            parts.append(f"{text} ({answer})" if answer else text)
        chains.append(" → ".join(parts))
    return "; then ".join(chains) or "No recommended path"


def learner_nodes(chosen: Iterable[ActionLike], case: Case | None = None) -> list[str]:
    """The boxes the learner's steps fall in, in the order chosen (a box once per run of
    steps in it; steps outside the algorithm left out)."""
    kb = knowledge()
    steps = [parse_action(action, kb).step for action in chosen]
    placed = [n for n in node_of_steps(steps, case) if n in NODE_BY_ID
              and NODE_BY_ID[n].kind != "outside"]
    return [n for i, n in enumerate(placed) if i == 0 or n != placed[i - 1]]


def _learner_path(nodes: list[str]) -> str:
    points = [(x + LEARNER_SHIFT[0], y + LEARNER_SHIFT[1])
              for x, y in (_xy(NODE_BY_ID[n].x, NODE_BY_ID[n].y) for n in nodes)]
    coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    crosses = "".join(f'<path class="dt-you-mark" d="M{x - 6:.1f},{y - 6:.1f} l12,12 '
                      f'm0,-12 l-12,12"/>' for x, y in points)
    line = f'<polyline class="dt-you" points="{coords}"/>' if len(points) > 1 else ""
    return line + crosses


def _legend(y: float, learner: bool) -> str:
    items = [('<line class="dt-edge-on" x1="8" x2="48" y1="0" y2="0"/>',
              "Recommended path (thick line, boxes marked ✔)")]
    if learner:
        items.append(('<line class="dt-you" x1="8" x2="48" y1="0" y2="0"/>'
                      '<path class="dt-you-mark" d="M22,-6 l12,12 m0,-12 l-12,12"/>',
                      "Your path (dashed line, crosses)"))
    parts = []
    for i, (mark, text) in enumerate(items):
        parts.append(f'<g transform="translate({i * 380 + 4},{y:.0f})">{mark}'
                     f'<text x="56" y="5">{escape(text)}</text></g>')
    return "".join(parts)


def flowchart_svg(case: Case | None = None, key: str = "dt-fc",
                  chosen: Iterable[ActionLike] | None = None) -> str:
    """The flowchart as an inline ``<svg>`` element, with the recommended path of ``case``
    and, with ``chosen`` actions, the learner's path; ``key`` prefixes its ids (one key per
    flowchart of a page)."""
    route = recommended_route(case) if case is not None else []
    on_route = {n for chain in route for n in chain}
    route_edges = {(c[i], c[i + 1]) for c in route for i in range(len(c) - 1)}
    mine = learner_nodes(chosen, case) if chosen is not None else []
    width = (X_RANGE[1] - X_RANGE[0]) * SCALE_X
    height = (Y_TOP - Y_BOTTOM) * SCALE_Y + (LEGEND_H if case or chosen is not None else 0)
    title = "Flowchart of the algorithm" + (
        ": your path and the recommended path" if chosen is not None else
        " with the recommended path" if case else "")
    desc = f"Recommended path: {route_description(case)}." if case else "The whole algorithm."
    if chosen is not None:
        desc += (" Your path: " + " → ".join(NODE_BY_ID[n].label for n in mine) + "."
                 if mine else " Your plan has no step in the algorithm's boxes.")
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="dt-flowchart" role="img" '
        f'aria-labelledby="{key}-title {key}-desc" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'width="100%" style="max-width:{width:.0f}px" font-family="sans-serif" font-size="13">',
        f'<title id="{key}-title">{escape(title)}</title>',
        f'<desc id="{key}-desc">{escape(desc)}</desc>',
        "<defs>",
        *(f'<marker id="{key}-{css}" viewBox="0 0 10 10" refX="9" refY="5" '
          f'markerWidth="{size}" markerHeight="{size}" markerUnits="userSpaceOnUse" '
          f'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{colour}"/></marker>'
          for css, colour, size in (("dt-edge", GREY, 10), ("dt-edge-on", RECOMMENDED_COLOUR, 16))),
        "</defs>",
        "<style>.dt-edge{fill:none;stroke:#595959;stroke-width:1.5;stroke-dasharray:5 4}"
        f".dt-edge-on{{fill:none;stroke:{RECOMMENDED_COLOUR};stroke-width:5}}"
        f".dt-you{{fill:none;stroke:{LEARNER_COLOUR};stroke-width:3;stroke-dasharray:9 6}}"
        f".dt-you-mark{{fill:none;stroke:{LEARNER_COLOUR};stroke-width:3}}"
        ".dt-node{fill:#fff;stroke:#333;stroke-width:1.5}"
        f".dt-on{{stroke:{RECOMMENDED_COLOUR};stroke-width:4}}</style>",
    ]
    for src, dst, label in EDGES:
        points = _edge_points(src, dst)
        css = "dt-edge-on" if (src, dst) in route_edges else "dt-edge"
        parts.append(_polyline(points, css, key))
        if label:
            (x0, y0), (x1, y1) = points[0], points[1]
            mx, my = (x0 + x1) / 2, (y0 + y1) / 2
            beside = abs(x1 - x0) < 1  # a vertical edge: the label goes to its right
            lx, ly, anchor = (mx + 8, my + 4, "start") if beside else (mx, my - 4, "middle")
            parts.append(f'<text x="{lx:.1f}" y="{ly:.1f}" text-anchor="{anchor}" '
                         f'font-style="italic" fill="#000" stroke="#fff" stroke-width="4" '
                         f'paint-order="stroke">{escape(label)}</text>')
    parts += [_node(n, n.id in on_route) for n in NODES if n.kind != "outside"]
    if mine:
        parts.append(_learner_path(mine))
    if case or chosen is not None:
        parts.append(_legend((Y_TOP - Y_BOTTOM) * SCALE_Y + LEGEND_H / 2, chosen is not None))
    parts.append("</svg>")
    return "".join(parts)
