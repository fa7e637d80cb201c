"""Plotly figures: the algorithm as a flowchart, the evidence map and a learner's calibration
(data in, figures out).

Only this module imports plotly. Functions return ``go.Figure`` objects and never show them;
each figure has a plain-text alternative (``algorithm_description``, ``evidence_map_description``,
``render.certainty.calibration_text``).
Colours are Okabe-Ito (``render_html.PALETTE``) and every colour comes with a second signal
(marker symbol, line dash or text).
"""

from __future__ import annotations

import textwrap
from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import dataclass
from html import escape

import plotly.graph_objects as go

from dystonia_teach.core.calibration import Calibration
from dystonia_teach.core.case_model import Case
from dystonia_teach.core.certainty import LEVELS, PAYS_ABOVE
from dystonia_teach.core.engine import ActionLike, parse_action, recommended_pathway
from dystonia_teach.core.kb_model import Claim, Decision, KnowledgeBase
from dystonia_teach.core.knowledge import knowledge
from dystonia_teach.core.predicates import holds
from dystonia_teach.core.vocabulary import PHASE_LABELS, PHASES
from dystonia_teach.render.html import PALETTE
from dystonia_teach.render.student_text import student_claim_text, without_draft_history


@dataclass(frozen=True, slots=True)
class Node:
    """A box of the flowchart: a decision, or the steps of some pathway blocks."""

    id: str
    label: str
    kind: str  # "steps", "decision" or "outside"
    x: float
    y: float
    blocks: tuple[str, ...] = ()  # pathway block ids of knowledge/algorithm.yaml drawn here
    detail: str = ""


#: The algorithm of specification §3 (v3). Every decision of algorithm.yaml belongs to one node.
NODES: tuple[Node, ...] = (
    Node("assessment", "Assessment", "steps", 0, 10,
         ("red_flag_history", "neurological_examination", "describe_the_dystonia",
          "functional_signs", "description_can_wait", "description_at_a_review",
          "gait_in_each_task", "gait_in_several_tasks"),
         "Red-flag history, neurological examination, dystonia, functional signs"),
    Node("red_flags", "Red flags?", "decision", 0, 9, (),
         "Cauda equina, severe or progressive motor deficit; suspected infection, cancer, "
         "fracture"),
    Node("urgent", "Red flag: imaging now (a surgeon now for a deficit)", "steps", -2.5, 8,
         ("urgent_lumbar_mri", "urgent_imaging_without_mri", "urgent_surgical_opinion",
          "urgent_imaging_for_infection_or_malignancy", "imaging_for_infection_without_mri",
          "markers_and_cultures", "imaging_for_a_suspected_fracture", "foot_drop_orthosis",
          "follow_up_beside_the_urgent_work_up", "advice_beside_the_urgent_work_up",
          "pain_relief_beside_the_urgent_work_up", "electrodiagnosis_beside_the_urgent_work_up"),
         "Cauda equina or a severe or progressive deficit: urgent MRI and an urgent surgical "
         "referral. Suspected infection or cancer: MRI without waiting (with or without "
         "contrast), and markers and blood cultures for infection. Suspected fracture: "
         "radiographs, CT or MRI without contrast, no surgeon implied."),
    Node("conservative", "Under 6 weeks: non-drug care", "steps", 2.5, 8,
         ("follow_up", "advice_to_stay_active", "exercise_therapy", "pain_relief",
          "pain_relief_for_chronic_pain", "epidural_for_acute_severe_sciatica",
          "toxin_for_a_settled_root_dystonia"),
         "Advice to stay active, exercise therapy and follow-up; pain relief is optional (an "
         "NSAID in its range, or acetaminophen)"),
    Node("persistent", "Persistent after 6 weeks?", "decision", 2.5, 7, (),
         "Symptoms persist after six weeks of optimal conservative care"),
    Node("work_up", "MRI without contrast + EMG/NCS", "steps", 2.5, 6,
         ("lumbar_mri_after_a_trial", "lumbar_imaging_without_mri", "ct_myelography_after_a_trial",
          "imaging_already_done",
          "electrodiagnosis_when_imaging_disagrees", "electrodiagnosis_optional"),
         "MRI without contrast; EMG/NCS when imaging and examination disagree"),
    Node("surgical_decision", "Concordant compression + disabling?", "decision", 0, 5, (),
         "A compressive lesion matching the clinical and EMG level, with disabling symptoms"),
    Node("shared_decision", "Surgical opinion, shared decision", "steps", -2.5, 5.2,
         ("surgical_opinion", "instability_films", "films_before_a_decompression",
          "conservative_care_while_deciding"),
         "Surgery is offered; the patient, informed, decides"),
    Node("procedure", "Procedure by pathology", "steps", -2.5, 4,
         ("decompression_for_stenosis", "microdiscectomy_for_disc", "fusion_for_instability",
          "operation_for_a_debated_slip", "films_for_the_surgeon"),
         "Stenosis: laminectomy; disc herniation: microdiscectomy; a high-grade, isthmic or "
         "unstable slip: decompression with fusion (TLIF); a grade I degenerative slip: either "
         "(debated)"),
    Node("aftercare", "Postoperative rehabilitation + follow-up", "steps", -2.5, 3,
         ("rehabilitation_after_the_operation", "complications_after_the_operation",
          "follow_up_after_the_operation", "rehabilitation_at_the_review",
          "complications_at_the_review", "advice_and_exercise_at_the_review")),
    Node("no_surgery", "Do not operate: continue conservative care", "steps", 2.5, 4,
         ("informed_choice_exercise", "informed_choice_advice")),
    Node("mimics", "Features of a mimic: work-up by feature", "steps", 2.5, 2.5,
         ("follow_up_of_a_mimic", "explain_the_functional_disorder", "functional_physiotherapy",
          "advice_without_root_signs", "exercise_without_root_signs", "wilson_screen",
          "levodopa_trial_in_young_onset_dystonia", "genetic_testing_before_30",
          "brain_mri_in_young_onset_dystonia", "wilson_screen_reasonable",
          "wilson_screen_beside_root_signs",
          "levodopa_trial_for_diurnal_fluctuation", "treatment_of_a_focal_dystonia",
          "work_up_of_an_adult_onset_dystonia", "dopaminergic_work_up",
          "brain_mri_with_parkinsonian_signs", "nerve_conduction_for_length_dependent_signs",
          "polyneuropathy_cause_screen", "pain_relief_for_a_painful_neuropathy",
          "b12_when_the_screen_finds_a_deficiency", "glut1_work_up",
          "ketogenic_diet_for_glut1_deficiency", "brain_mri_with_paroxysmal_attacks",
          "ankle_brachial_index", "supervised_exercise_for_claudication",
          "vascular_risk_and_referral", "cord_imaging_for_upper_motor_neuron_signs",
          "brain_mri_for_upper_motor_neuron_signs", "b12_for_upper_motor_neuron_signs",
          "copper_for_upper_motor_neuron_signs", "genetic_testing_for_spastic_paraplegia",
          "toxin_for_focal_spasticity", "conduction_studies_for_a_tarsal_tinel_sign"),
         "Positive functional signs (functional dystonia); isolated dystonia before 40 "
         "(Wilson screen, levodopa trial, genetics before 30); adult-onset focal dystonia; "
         "diurnal fluctuation (dopa-responsive dystonia); parkinsonian signs (levodopa or a DaT "
         "scan); length-dependent signs (polyneuropathy: conduction studies, cause screen); "
         "attacks that outlast rest (GLUT1: work-up, ketogenic diet); absent foot pulses "
         "(ankle-brachial index, supervised exercise); upper motor neuron signs (cord and brain "
         "MRI, B12, copper: myelopathy, hereditary spastic paraplegia, Wilson); a tarsal Tinel "
         "sign (tibial nerve conduction)"),
    Node("outside", "Not in the algorithm", "outside", -2.5, 10, (),
         "Steps no decision lists (for example splinting, bed rest, opioids)"),
)
#: (from, to, label): labels name a decision's answer.
EDGES: tuple[tuple[str, str, str], ...] = (
    ("assessment", "red_flags", ""),
    ("red_flags", "urgent", "yes"),
    ("red_flags", "conservative", "no"),
    ("conservative", "persistent", ""),
    ("persistent", "work_up", "yes"),
    ("urgent", "surgical_decision", ""),
    ("work_up", "surgical_decision", ""),
    ("surgical_decision", "shared_decision", "yes"),
    ("shared_decision", "procedure", "operate"),
    ("procedure", "aftercare", ""),
    ("shared_decision", "no_surgery", "continue"),
    ("surgical_decision", "no_surgery", "no"),
    ("no_surgery", "mimics", ""),
    ("assessment", "mimics", "features of a mimic"),
    ("red_flags", "aftercare", "no, after an operation"),
)
#: Edges a recommended route may take only when these predicates hold for the case.
EDGE_WHEN: dict[tuple[str, str], tuple[str, ...]] = {
    ("red_flags", "aftercare"): ("already_operated",),
    ("red_flags", "urgent"): ("any_red_flag",),
    ("red_flags", "conservative"): ("not any_red_flag",),
}
#: Bends of edges that would otherwise cross other nodes.
WAYPOINTS: dict[tuple[str, str], tuple[tuple[float, float], ...]] = {
    ("assessment", "mimics"): ((5.8, 10), (5.8, 1.9), (2.5, 1.9)),
    # round the outside of the left column's labels, into the aftercare box from below
    ("red_flags", "aftercare"): ((-7.0, 9), (-7.0, 2.3), (-2.5, 2.3)),
    # below the surgical decision, into the right column
    ("shared_decision", "no_surgery"): ((-1.2, 4.5), (1.2, 4.5)),
}
NODE_BY_ID = {node.id: node for node in NODES}
_BLOCK_NODE = {block: node.id for node in NODES for block in node.blocks}
#: Decisions that apply with or without a red flag: in the red-flag box with one, else in the
#: box named here (an orthosis for a foot drop is conservative care, not an emergency).
WITHOUT_A_RED_FLAG: dict[str, str] = {"foot_drop_orthosis": "conservative"}
#: Where a course pack's decisions are drawn (NODES place the package's): with the work-up by
#: feature, which is what a course adds (docs/authoring.md, "Course knowledge packs").
PACK_NODE = "mimics"
RECOMMENDED_COLOUR = PALETTE["info"]
LEARNER_COLOUR = PALETTE["critical"]
LEARNER_OFFSET = (0.3, -0.25)
#: Node labels sit beside their node (left of the left column, right of the others), wrapped
#: to LABEL_CHARS; X_RANGE leaves each side column room for them, so that they stay whole in
#: a container from about 370 px wide (a narrow notebook) upwards.
LABEL_CHARS = 15
LABEL_FONT_SIZE = 11
LABEL_SHIFT = 16  # px between a node's centre and its label
X_RANGE = (-7.3, 7.3)
Y_RANGE = (1.6, 10.5)


def label_lines(text: str, width: int = LABEL_CHARS) -> list[str]:
    """``text`` wrapped to lines of at most ``width`` characters (never cut: long words are
    broken at a hyphen or, failing that, hyphenated)."""
    lines: list[str] = []
    for line in textwrap.wrap(text, width, break_on_hyphens=True, break_long_words=False):
        while len(line) > width:
            lines.append(line[:width - 1] + "-")
            line = line[width - 1:]
        lines.append(line)
    return lines


def edge_points(src: str, dst: str) -> list[tuple[float, float]]:
    """The corner points of an edge, from node centre to node centre, in data units."""
    return [(NODE_BY_ID[src].x, NODE_BY_ID[src].y), *WAYPOINTS.get((src, dst), ()),
            (NODE_BY_ID[dst].x, NODE_BY_ID[dst].y)]


def _wrap(text: str, width: int = 24) -> str:
    return "<br>".join(textwrap.wrap(text, width))


def node_of_block(block: str, case: Case | None = None) -> str:
    """The box a decision is drawn in (for ``case``: see WITHOUT_A_RED_FLAG)."""
    if (case is not None and block in WITHOUT_A_RED_FLAG
            and not holds(case, ["any_red_flag"])):
        return WITHOUT_A_RED_FLAG[block]
    return _BLOCK_NODE.get(block, PACK_NODE)


def _applied_blocks(case: Case, kb: KnowledgeBase) -> set[str]:
    """Ids of the decisions on the recommended pathway (as ``recommended_pathway`` derives)."""
    return {item.decision for item in recommended_pathway(case)}


def _required_blocks(case: Case) -> set[str]:
    """Ids of the required decisions on the recommended pathway (not those that exist only
    with an optional step, such as the aftercare of an operation)."""
    return {item.decision for item in recommended_pathway(case)
            if item.required and not item.only_with}


def _open_edges(case: Case) -> list[tuple[str, str]]:
    """The edges a route for ``case`` may take (see EDGE_WHEN)."""
    return [(src, dst) for src, dst, _ in EDGES
            if holds(case, EDGE_WHEN.get((src, dst), ()))]


def _shortest(start: str, goal: str, edges: list[tuple[str, str]]) -> list[str] | None:
    """Shortest node path along ``edges`` (breadth first, ties in table order)."""
    previous: dict[str, str | None] = {start: None}
    queue = deque([start])
    while queue:
        here = queue.popleft()
        if here == goal:
            path = [goal]
            while (step := previous[path[-1]]) is not None:
                path.append(step)
            return path[::-1]
        for src, dst in edges:
            if src == here and dst not in previous:
                previous[dst] = here
                queue.append(dst)
    return None


def recommended_route(case: Case) -> list[list[str]]:
    """The recommended path for ``case`` as chains of node ids.

    Nodes whose pathway blocks apply are joined, in flowchart order, to the nearest node
    already on the path; the decisions (and any box passed through) in between join the path.
    """
    recommending = {node_of_block(block, case) for block in _required_blocks(case)}
    targets = [n.id for n in NODES if n.id in recommending]
    if not targets:
        return []
    edges = _open_edges(case)
    chains: list[list[str]] = [[targets[0]]]
    on_path = [targets[0]]
    for target in targets[1:]:
        if target in on_path:
            continue
        paths = [p for p in (_shortest(src, target, edges) for src in on_path) if p] or [
            [target]]
        path = min(paths, key=len)
        if chains[-1][-1] == path[0]:
            chains[-1].extend(path[1:])
        else:
            chains.append(path)
        on_path.extend(n for n in path if n not in on_path)
    return chains


def _edge_label(src: str, dst: str) -> str:
    return next((label for s, d, label in EDGES if (s, d) == (src, dst)), "")


def _home_nodes(kb: KnowledgeBase, only: set[str] | None = None, case: Case | None = None
                ) -> dict[str, str]:
    """Each step's node among the decisions of ``only`` (all when None): where it is a required
    decision's first option, else any option of a required decision, else an option of an
    optional one (first node wins)."""
    by_node: dict[str, list[Decision]] = {node.id: [] for node in NODES}
    for block in kb.pathway:
        if only is None or block.id in only:
            by_node[node_of_block(block.id, case)].append(block)
    ranks: list[dict[str, set[str]]] = [{}, {}, {}]
    for node in NODES:
        for rank in ranks:
            rank[node.id] = set()
        for block in by_node[node.id]:
            if block.required == "could":
                ranks[2][node.id].update((*block.options, *block.steps))
            else:
                first = block.example
                ranks[0][node.id].add(block.options[0] if first is None else (
                    first.step + ("!urgent" if first.priority == "urgent" else "")))
                ranks[1][node.id].update((*block.options, *block.steps))
    home: dict[str, str] = {}
    for rank in ranks:
        for node in NODES:
            for step in rank[node.id]:
                home.setdefault(step, node.id)
    return home


def node_of_steps(steps: Iterable[str], case: Case | None = None) -> list[str]:
    """The node id of each step id: its node among the pathway blocks that apply to ``case``,
    else its home node in the whole algorithm (where it is a slot's first option, so an
    ordinary MRI is drawn on the work-up, not on the urgent branch), else "outside"."""
    kb = knowledge()
    anywhere = _home_nodes(kb)
    here = _home_nodes(kb, _applied_blocks(case, kb), case) if case is not None else {}
    steps = [kb.steps[s].alias_of or s if s in kb.steps else s for s in steps]
    bare = [step.partition("!")[0] for step in steps]
    return [here.get(step) or anywhere.get(step) or here.get(plain)
            or anywhere.get(plain, "outside") for step, plain in zip(steps, bare, strict=True)]


def _segment_xy(chains: list[list[str]]) -> tuple[list[float | None], list[float | None]]:
    xs: list[float | None] = []
    ys: list[float | None] = []
    for chain in chains:
        for i, node_id in enumerate(chain):
            if i:
                for wx, wy in WAYPOINTS.get((chain[i - 1], node_id), ()):
                    xs.append(wx)
                    ys.append(wy)
            xs.append(NODE_BY_ID[node_id].x)
            ys.append(NODE_BY_ID[node_id].y)
        xs.append(None)
        ys.append(None)
    return xs, ys


def _chain_text(chain: list[str]) -> str:
    parts = []
    for i, node_id in enumerate(chain):
        text = NODE_BY_ID[node_id].label
        if i + 1 < len(chain) and (answer := _edge_label(node_id, chain[i + 1])):
            text += f" [{answer}]"
        parts.append(text)
    return " → ".join(parts)


def _step_ids(chosen: Iterable[ActionLike] | None) -> list[str]:
    """Step ids of the learner's actions (ids, dicts or Actions), ``step!urgent`` for an urgent
    order; unknown ids raise ActionError."""
    kb = knowledge()
    parsed = [parse_action(action, kb) for action in chosen or ()]
    return [f"{a.step}!urgent" if a.urgent else a.step for a in parsed]


def _label(step: str) -> str:
    bare, _, priority = step.partition("!")
    return knowledge().steps[bare].label + (", urgent" if priority else "")


def algorithm_description(
    case: Case | None = None, chosen: Iterable[ActionLike] | None = None
) -> str:
    """Plain-text alternative of :func:`algorithm_figure`: the highlighted and learner paths."""
    steps = _step_ids(chosen)
    lines = ["Flowchart of the algorithm."]
    if case is None and not steps:
        lines += [f"- {NODE_BY_ID[s].label} → {NODE_BY_ID[d].label}" + (f" [{a}]" if a else "")
                  for s, d, a in EDGES]
        lines += [f"{node.label}: {node.detail}" for node in NODES
                  if node.kind == "steps" and node.detail]
        return "\n".join(lines)
    on_route: set[str] = set()
    if case is not None:
        route = recommended_route(case)
        on_route = {n for chain in route for n in chain}
        lines.append("Recommended path: "
                     + "; then ".join(_chain_text(chain) for chain in route) + ".")
        items = [item for item in recommended_pathway(case)
                 if item.required and not item.only_with]
        placed = node_of_steps([item.step for item in items], case)
        for node in NODES:
            labels = [i.label for i, n in zip(items, placed, strict=True) if n == node.id]
            if labels:
                lines.append(f"- {node.label}: {', '.join(labels)}")
    if steps:
        placed = node_of_steps(steps, case)
        pairs = [(_label(s), n) for s, n in zip(steps, placed, strict=True)]
        lines.append("Your path: " + " → ".join(
            f"{label} ({NODE_BY_ID[node].label})" for label, node in pairs) + ".")
        off = [label for label, node in pairs if node not in on_route]
        if case is not None and off:
            lines.append("Off the recommended path: " + ", ".join(off) + ".")
    return "\n".join(lines)


def algorithm_figure(
    case: Case | None = None, chosen: Iterable[ActionLike] | None = None
) -> go.Figure:
    """The algorithm as a flowchart; with ``case`` its recommended path (solid blue line,
    rings, bold labels), with ``chosen`` actions the learner's path (dashed vermillion line,
    crosses). :func:`algorithm_description` is its text alternative."""
    steps = _step_ids(chosen)
    route = recommended_route(case) if case is not None else []
    on_route = {n for chain in route for n in chain}
    placed = node_of_steps(steps, case)
    shown = [n for n in NODES if n.kind != "outside" or "outside" in placed]
    fig = go.Figure()

    edge_x, edge_y = _segment_xy([[s, d] for s, d, _ in EDGES])
    fig.add_trace(go.Scatter(x=edge_x, y=edge_y, mode="lines", name="Algorithm flow",
                             line={"color": PALETTE["neutral"], "width": 1.5},
                             hoverinfo="skip", showlegend=False))
    for src, dst, label in EDGES:
        points = edge_points(src, dst)
        fig.add_annotation(x=points[-1][0], y=points[-1][1], ax=points[-2][0], ay=points[-2][1],
                           axref="x", ayref="y", text="", showarrow=True, arrowhead=2,
                           arrowsize=1.2, standoff=14, arrowcolor=PALETTE["neutral"])
        if label:  # on the first segment; above it when it is horizontal
            (x0, y0), (x1, y1) = points[0], points[1]
            level = y0 == y1
            fig.add_annotation(x=(x0 + x1) / 2, y=(y0 + y1) / 2,
                               text="<br>".join(f"<i>{ln}</i>" for ln in label_lines(label, 14)),
                               showarrow=False, bgcolor="white", font={"size": 12},
                               yanchor="bottom" if level else "middle", yshift=8 if level else 0)

    if route:
        path_x, path_y = _segment_xy(route)
        fig.add_trace(go.Scatter(
            x=path_x, y=path_y, mode="lines", name="Recommended path (solid line, rings)",
            legendgroup="recommended", line={"color": RECOMMENDED_COLOUR, "width": 6},
            opacity=0.6, hoverinfo="skip"))
        ring = [n for n in shown if n.id in on_route]
        fig.add_trace(go.Scatter(
            x=[n.x for n in ring], y=[n.y for n in ring], mode="markers",
            name="Recommended node", legendgroup="recommended", showlegend=False,
            customdata=[n.id for n in ring], hoverinfo="skip",
            marker={"symbol": "circle-open", "size": 34, "color": RECOMMENDED_COLOUR,
                    "line": {"width": 3}}))

    for kind, name, symbol in (("decision", "Decision", "diamond"),
                               ("steps", "Step group", "square"),
                               ("outside", "Not in the algorithm", "square-x")):
        group = [n for n in shown if n.kind == kind]
        if not group:
            continue
        fig.add_trace(go.Scatter(
            x=[n.x for n in group], y=[n.y for n in group], mode="markers", name=name,
            customdata=[n.id for n in group], text=[n.label for n in group],
            hovertext=[_wrap(n.label, 40) + (f"<br>{_wrap(n.detail, 40)}" if n.detail else "")
                       for n in group], hoverinfo="text",
            marker={"symbol": symbol, "size": 18, "color": "white",
                    "line": {"width": 2, "color": "#333333"}}))
        for n in group:
            bold = n.id in on_route
            left = n.x < 0
            fig.add_annotation(
                x=n.x, y=n.y, text="<br>".join(f"<b>{ln}</b>" if bold else ln
                                               for ln in label_lines(n.label)),
                showarrow=False, xanchor="right" if left else "left",
                xshift=-LABEL_SHIFT if left else LABEL_SHIFT, align="right" if left else "left",
                font={"size": LABEL_FONT_SIZE}, bgcolor="rgba(255,255,255,0.85)",
                name=f"label:{n.id}")

    if steps:
        visits = [node for i, node in enumerate(placed) if i == 0 or node != placed[i - 1]]
        labels = {node: [_label(s) for s, n in zip(steps, placed, strict=True)
                         if n == node] for node in visits}
        fig.add_trace(go.Scatter(
            x=[NODE_BY_ID[n].x + LEARNER_OFFSET[0] for n in visits],
            y=[NODE_BY_ID[n].y + LEARNER_OFFSET[1] for n in visits],
            mode="lines+markers", name="Your path (dashed line, crosses)",
            customdata=visits,
            hovertext=[_wrap("Your choice: " + "; ".join(labels[n]), 40) for n in visits],
            hoverinfo="text",
            line={"color": LEARNER_COLOUR, "width": 3, "dash": "dash"},
            marker={"symbol": "x", "size": 13, "color": LEARNER_COLOUR}))

    title = "Algorithm: red flags, conservative care, work-up, surgery, mimics"
    if case is not None:
        title = "Your path and the recommended path" if chosen is not None else "Recommended path"
    fig.update_layout(
        title=wrapped_title(title), template="plotly_white", height=720, autosize=True,
        xaxis={"visible": False, "range": list(X_RANGE), "fixedrange": True},
        yaxis={"visible": False, "range": list(Y_RANGE), "fixedrange": True},
        legend={"orientation": "h", "yanchor": "top", "y": -0.02, "x": 0},
        margin={"l": 10, "r": 10, "t": 50, "b": 40})
    return fig


# --- Evidence map ------------------------------------------------------------------------

#: (key, legend name, marker symbol, colour): the first group a claim falls into.
EVIDENCE_GROUPS: tuple[tuple[str, str, str, str], ...] = (
    ("unverified", "⚠ Weak: not fully verified", "x", PALETTE["critical"]),
    ("indirect", "⚠ Weak: indirect (another population)", "triangle-up", PALETTE["warning"]),
    ("low_level", "⚠ Weak: level 4-5", "diamond", PALETTE["weak"]),
    ("stronger", "Verified, direct, level 1-3", "circle", PALETTE["good"]),
)


ADVISED_AGAINST = "Advised against (the evidence is against them)"


def evidence_group(claim: Claim) -> str:
    """The evidence-map group of a claim (weak claims fall in one of the first three)."""
    if claim.status != "verified":
        return "unverified"
    if claim.directness == "indirect":
        return "indirect"
    return "low_level" if claim.level >= 4 else "stronger"


def step_citations() -> list[tuple[str, str]]:
    """(step id, claim id) for every claim a step cites, steps ordered by phase."""
    kb = knowledge()
    pairs = []
    for phase in PHASES:
        for step in kb.steps.values():
            if step.phase == phase:
                refs = (*step.evidence, *([step.dose.source] if step.dose else []))
                pairs += [(step.id, ref) for ref in dict.fromkeys(refs)]
    return pairs


def evidence_map_description() -> str:
    """Plain-text alternative of :func:`evidence_map_figure` (the full list is the table)."""
    kb = knowledge()
    pairs = step_citations()
    counts = {level: sum(kb.claims[c].level == level for _, c in pairs) for level in range(1, 6)}
    weak = sum(kb.claims[c].weak for _, c in pairs)
    return (f"Evidence map: {len(pairs)} citations of {len({c for _, c in pairs})} claims by "
            f"{len({s for s, _ in pairs})} steps. By {kb.scheme} level: "
            + ", ".join(f"level {lv}: {n}" for lv, n in counts.items())
            + f". {weak} citations are weak, unverified or indirect (marked ⚠). Steps in the "
            f"group '{ADVISED_AGAINST}' are cited with the evidence against them. "
            "The full list with caveats is evidence_table().")


def map_phase(kb: KnowledgeBase, step: str) -> str:
    """The map's row group of a step. Steps the algorithm advises against say so: their
    evidence (e.g. level 1 for long-term opioids) is evidence *against* them."""
    phase = kb.steps[step].phase
    return ADVISED_AGAINST if phase == "harmful" else PHASE_LABELS[phase]


def evidence_map_figure() -> go.Figure:
    """Recommendation (step, grouped by phase) by OCEBM 2011 level, one mark per citation."""
    kb = knowledge()
    pairs = step_citations()
    # Several claims of one step at one level sit side by side, in citation order.
    levels = [kb.claims[ref].level for _, ref in pairs]
    cells = Counter((step, level) for (step, _), level in zip(pairs, levels, strict=True))
    seen: Counter[tuple[str, int]] = Counter()
    offsets = []
    for (step, _), level in zip(pairs, levels, strict=True):
        seen[step, level] += 1
        offsets.append((seen[step, level] - (cells[step, level] + 1) / 2) * 0.14)

    order = [(map_phase(kb, s), kb.steps[s].label) for s in dict.fromkeys(s for s, _ in pairs)]
    fig = go.Figure(go.Scatter(  # no marks: fixes the row order (phase, then catalogue order)
        x=[None] * len(order), y=[[p for p, _ in order], [label for _, label in order]],
        mode="markers", name="row order", showlegend=False, hoverinfo="skip"))
    for key, name, symbol, colour in EVIDENCE_GROUPS:
        rows = [(step, ref, off) for (step, ref), off in zip(pairs, offsets, strict=True)
                if evidence_group(kb.claims[ref]) == key]
        if not rows:
            continue
        claims = [kb.claims[ref] for _, ref, _ in rows]
        fig.add_trace(go.Scatter(
            x=[c.level + off for c, (_, _, off) in zip(claims, rows, strict=True)],
            y=[[map_phase(kb, s) for s, _, _ in rows],
               [kb.steps[s].label for s, _, _ in rows]],
            mode="markers", name=name,
            text=[_short(student_claim_text(c)) for c in claims],
            customdata=[[s, c.id, c.level] for (s, _, _), c in zip(rows, claims, strict=True)],
            hovertext=[_hover(kb, s, c) for (s, _, _), c in zip(rows, claims, strict=True)],
            hoverinfo="text",
            marker={"symbol": symbol, "size": 11, "color": colour,
                    "line": {"width": 1, "color": "#333333"}}))
    fig.update_layout(
        title=wrapped_title("Evidence behind each step (one mark per cited claim)"),
        template="plotly_white", autosize=True, height=max(500, 24 * len(order) + 160),
        xaxis={"title": {"text": f"{kb.scheme} level (1 = strongest)"},
               "range": [0.5, 5.5], "tickvals": [1, 2, 3, 4, 5], "side": "top"},
        yaxis={"type": "multicategory", "autorange": "reversed"},
        legend={"orientation": "h", "yanchor": "top", "y": -0.01, "x": 0,
                "traceorder": "reversed"},
        margin={"l": 10, "r": 10, "t": 90, "b": 40})
    return fig


def _short(text: str, length: int = 120) -> str:
    return text if len(text) <= length else text[:length].rsplit(" ", 1)[0] + " …"


def _hover(kb: KnowledgeBase, step: str, claim: Claim) -> str:
    """What a mark says on hover: the claim in plain words (no id, no draft history), the
    step, the level and how well checked, and the caution of weak evidence."""
    lines = [_wrap(f"<b>{escape(_short(student_claim_text(claim)))}</b>", 60),
             f"Step: {escape(kb.steps[step].label)}",
             f"{kb.scheme} level {claim.level} · {claim.status.replace('_', ' ')} · "
             f"{claim.directness}"]
    caveat = without_draft_history(claim.caveat)
    if claim.weak and caveat:
        lines.append(_wrap(f"⚠ {escape(caveat)}", 60))
    return "<br>".join(lines)


def wrapped_title(text: str, width: int = 44) -> dict[str, object]:
    """A figure title that a narrow window does not cut off: wrapped onto lines of about
    ``width`` characters, left-aligned, with room made for it."""
    return {"text": "<br>".join(textwrap.wrap(text, width)), "x": 0, "xanchor": "left",
            "automargin": True}


def calibration_figure(table: Calibration, title: str = "How often you were right at each "
                                                        "certainty") -> go.Figure:
    """The share right at each certainty level (bars, with the counts written on them) over
    the band in which that level pays best (shaded, with a dashed edge)."""
    names = [f"{level} ({n})" for n, level in enumerate(LEVELS, 1)]
    bands = [(PAYS_ABOVE[level], PAYS_ABOVE[LEVELS[n + 1]] if n + 1 < len(LEVELS) else 1.0)
             for n, level in enumerate(LEVELS)]
    shares = [row.share_right for row in table.levels]
    fig = go.Figure(go.Bar(
        x=names, y=[100 * s if s is not None else 0 for s in shares],
        marker_color=PALETTE["info"], name="share right",
        text=[f"{row.right} of {row.responses}" if row.responses else "not used"
              for row in table.levels], textposition="outside"))
    for n, (low, high) in enumerate(bands):
        fig.add_shape(type="rect", xref="x", yref="y", x0=n - 0.45, x1=n + 0.45,
                      y0=100 * low, y1=100 * high, fillcolor=PALETTE["good"], opacity=0.25,
                      layer="below", line={"color": PALETTE["good"], "dash": "dash", "width": 1})
    heading = wrapped_title(title)
    lines = str(heading["text"]).count("<br>") + 1
    fig.update_layout(
        title={**heading, "y": 1, "yanchor": "top", "pad": {"t": 12}}, template="plotly_white",
        autosize=True, height=360 + 22 * lines, showlegend=False, bargap=0.3,
        margin={"l": 60, "r": 20, "t": 50 + 22 * lines, "b": 50},
        yaxis={"title": "% right (shaded: where this certainty pays best)",
               "range": [0, 112], "automargin": True},
        xaxis={"title": "certainty", "automargin": True})
    return fig
