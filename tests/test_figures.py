"""Figures are checked by their data (traces, customdata), never by pixels."""

from __future__ import annotations

import re
import subprocess
import sys
from itertools import pairwise

import pytest

from dystonia_teach import ActionError, evidence_table, load_case, recommended_pathway
from dystonia_teach.core.knowledge import knowledge
from dystonia_teach.core.visits import case_at_visit
from dystonia_teach.render.figures import (
    ADVISED_AGAINST,
    EDGES,
    LABEL_FONT_SIZE,
    LABEL_SHIFT,
    NODE_BY_ID,
    NODES,
    X_RANGE,
    Y_RANGE,
    algorithm_description,
    algorithm_figure,
    evidence_map_description,
    evidence_map_figure,
    node_of_steps,
    recommended_route,
)
from tests.conftest import make_case

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
CONSERVATIVE_ONLY = {"conservative", "persistent", "no_surgery"}

CASES = {
    "red_flag": lambda: load_case("cauda_equina_red_flags"),
    "early": lambda: load_case("early_uncomplicated"),
    "stenosis": lambda: load_case("failed_conservative_stenosis"),
    "functional": lambda: load_case("functional_dystonia_mimic"),
    "systemic_after_trial": lambda: make_case(red_flags=["suspected_infection"]),
    "not_disabling": lambda: make_case(disabling=False),
    "discordant": lambda: make_case(investigations__imaging__concordant=False),
    "young_onset": lambda: make_case(diagnosis="isolated_dystonia", radicular__root="none"),
}


def trace(fig, name_start: str):
    found = [t for t in fig.data if (t.name or "").startswith(name_start)]
    assert len(found) == 1, [t.name for t in fig.data]
    return found[0]


def test_plotly_stays_out_of_the_core() -> None:
    code = ("import sys, dystonia_teach, dystonia_teach.core.evidence_filter\n"
            "print('plotly' in sys.modules, 'ipywidgets' in sys.modules)\n"
            "import dystonia_teach.render.figures\n"
            "print('plotly' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False", "True"]


def test_every_pathway_block_is_drawn_by_exactly_one_node() -> None:
    drawn = [block for node in NODES for block in node.blocks]
    assert sorted(drawn) == sorted(block.id for block in knowledge().pathway)
    assert all(src in NODE_BY_ID and dst in NODE_BY_ID for src, dst, _ in EDGES)


def test_red_flag_case_highlights_the_urgent_branch_not_conservative_care() -> None:
    case = load_case("cauda_equina_red_flags")
    fig = algorithm_figure(case)
    rings = set(trace(fig, "Recommended node").customdata)
    # the learner's path ends with the urgent referral: the surgeon decides on the operation
    assert rings == {"assessment", "red_flags", "urgent"}
    assert not rings & (CONSERVATIVE_ONLY | {"work_up", "mimics", "procedure", "aftercare"})
    line = trace(fig, "Recommended path")
    points = set(zip(line.x, line.y, strict=True))
    assert (NODE_BY_ID["urgent"].x, NODE_BY_ID["urgent"].y) in points
    assert (NODE_BY_ID["conservative"].x, NODE_BY_ID["conservative"].y) not in points
    text = algorithm_description(case)
    assert "Red flags? [yes] → Red flag: imaging now" in text
    assert "Under 6 weeks" not in text


def test_early_case_stays_on_the_conservative_branch() -> None:
    rings = set(trace(algorithm_figure(load_case("early_uncomplicated")),
                      "Recommended node").customdata)
    assert rings == {"assessment", "red_flags", "conservative"}


@pytest.mark.parametrize("name", sorted(CASES))
def test_route_follows_edges_and_holds_every_recommended_step(name: str) -> None:
    case = CASES[name]()
    chains = recommended_route(case)
    edges = {(src, dst) for src, dst, _ in EDGES}
    on_route: set[str] = set()
    for chain in chains:
        assert not on_route or chain[0] in on_route, chains  # the route is connected
        assert all(pair in edges for pair in pairwise(chain)), chain
        on_route.update(chain)
    steps = [item.step for item in recommended_pathway(case)
             if item.required and not item.only_with]  # optional decisions are side roads
    assert set(node_of_steps(steps, case)) <= on_route


def test_route_of_a_mimic_skips_the_spine_branch() -> None:
    chains = recommended_route(load_case("functional_dystonia_mimic"))
    assert chains == [["assessment", "mimics"]]


def test_learner_path_is_a_distinct_dashed_trace_of_crosses() -> None:
    case = load_case("cauda_equina_red_flags")
    chosen = ["history_red_flags", "neuro_exam", {"step": "naproxen", "dose_mg_per_day": 1000},
              "rigid_splinting", "microdiscectomy"]
    fig = algorithm_figure(case, chosen)
    mine, recommended = trace(fig, "Your path"), trace(fig, "Recommended path")
    rings = trace(fig, "Recommended node")
    assert list(mine.customdata) == ["assessment", "conservative", "outside", "procedure"]
    assert mine.line.dash == "dash" and recommended.line.dash is None
    assert mine.marker.symbol == "x" and rings.marker.symbol == "circle-open"
    assert mine.line.color != recommended.line.color
    assert mine.showlegend is not False and recommended.showlegend is not False
    assert "outside" in trace(fig, "Not in the algorithm").customdata
    text = algorithm_description(case, chosen)
    # the recommended path ends at the urgent referral: naming the operation goes beyond it
    assert ("Off the recommended path: Naproxen, Rigid splint or cast for the dystonic foot, "
            "Microdiscectomy.") in text


def test_outside_node_only_when_a_choice_needs_it() -> None:
    names = [t.name for t in algorithm_figure(load_case("early_uncomplicated"), ["naproxen"]).data]
    assert "Not in the algorithm" not in names
    assert not any((t.name or "").startswith("Recommended") for t in algorithm_figure().data)


def test_unknown_learner_step_is_a_clear_error() -> None:
    with pytest.raises(ActionError, match=r"'naproxn'; did you mean 'naproxen'\?"):
        algorithm_figure(chosen=["naproxn"])


def test_plain_description_lists_every_edge_and_what_each_box_holds() -> None:
    lines = algorithm_description().splitlines()[1:]
    edges = [line for line in lines if line.startswith("- ")]
    assert len(edges) == len(EDGES)
    assert ("- Red flags? → Red flag: imaging now (a surgeon now for a deficit) [yes]"
            in edges)
    # review v3 finding 34: every mimic's presenting feature is named, and a red flag other
    # than a deficit does not send the patient to a surgeon
    mimics = next(line for line in lines if line.startswith(NODE_BY_ID["mimics"].label))
    for feature in ("functional", "before 40", "parkinsonian", "length-dependent",
                    "outlast rest", "foot pulses", "upper motor neuron", "Tinel"):
        assert feature in mimics, feature
    urgent = next(line for line in lines if line.startswith(NODE_BY_ID["urgent"].label))
    assert "Suspected fracture" in urgent and "no surgeon implied" in urgent


def test_figures_are_deterministic() -> None:
    case = load_case("failed_conservative_stenosis")
    for build in (lambda: algorithm_figure(case, ["neuro_exam", "tlif"]), evidence_map_figure):
        first, second = build().to_json(), build().to_json()
        assert first == second
        assert not UUID.search(first)


def _points(fig):
    for t in fig.data:
        if t.name == "row order":
            continue
        for (step, claim, level), x, hover in zip(t.customdata, t.x, t.hovertext, strict=True):
            yield t, step, claim, level, x, hover


def test_evidence_map_has_one_point_per_step_citation() -> None:
    table = evidence_table().set_index("claim_id")
    expected = sorted((step, claim) for claim, steps in table["steps"].items() if steps
                      for step in steps.split(", "))
    points = list(_points(evidence_map_figure()))
    assert sorted((step, claim) for _, step, claim, *_ in points) == expected
    for _, _, claim, level, x, _ in points:
        assert level == table.loc[claim, "level"] and abs(x - level) < 0.5


def test_weak_claims_are_marked_by_symbol_colour_and_caveat() -> None:
    from dystonia_teach.render.student_text import without_draft_history

    table = evidence_table().set_index("claim_id")
    strong_style = None
    for t, _, claim, _, _, hover in _points(evidence_map_figure()):
        weak = bool(table.loc[claim, "weak"])
        assert t.name.startswith("⚠") == weak
        if weak:
            assert t.marker.symbol != "circle"
            caveat = without_draft_history(table.loc[claim, "caveat"])
            assert "draft" not in hover and (not caveat or caveat.split()[0] in hover)
        else:
            strong_style = (t.marker.symbol, t.marker.color)
    weak_styles = {(t.marker.symbol, t.marker.color) for t in evidence_map_figure().data
                   if (t.name or "").startswith("⚠")}
    assert strong_style is not None and len(weak_styles) == 3
    assert strong_style not in weak_styles
    assert len({symbol for symbol, _ in weak_styles}) == 3
    assert len({colour for _, colour in weak_styles}) == 3


def test_evidence_map_axis_and_description() -> None:
    fig = evidence_map_figure()
    assert fig.layout.xaxis.title.text == "OCEBM 2011 level (1 = strongest)"
    n = sum(len(t.customdata) for t in fig.data if t.name != "row order")
    assert evidence_map_description().startswith(f"Evidence map: {n} citations")


def test_steps_advised_against_are_grouped_as_such_on_the_evidence_map() -> None:
    kb = knowledge()
    for t, step, _, _, _, _ in _points(evidence_map_figure()):
        groups = {group for group, label in zip(*t.y, strict=True)
                  if label == kb.steps[step].label}
        expected = ADVISED_AGAINST if kb.steps[step].phase == "harmful" else None
        if expected:
            assert groups == {expected}, step
        else:
            assert ADVISED_AGAINST not in groups, step
    assert ADVISED_AGAINST in evidence_map_description()


@pytest.mark.parametrize("case", [None, "early_uncomplicated", "disc_herniation_after_trial"])
def test_each_step_is_drawn_on_the_node_it_belongs_to(case: str | None) -> None:
    """An ordinary MRI is the work-up, not the urgent branch (which its fracture block lists)."""
    loaded = load_case(case) if case else None
    steps = ["mri_lumbar_noncontrast", "urgent_mri", "emg_ncs", "microdiscectomy",
             "postoperative_rehabilitation", "rigid_splinting"]
    assert node_of_steps(steps, loaded) == ["work_up", "urgent", "work_up", "procedure",
                                            "aftercare", "outside"]


def test_learner_mri_in_the_early_case_is_drawn_off_the_path_on_the_work_up() -> None:
    case = load_case("early_uncomplicated")
    fig = algorithm_figure(case, ["history_red_flags", "mri_lumbar_noncontrast"])
    assert list(trace(fig, "Your path").customdata) == ["assessment", "work_up"]
    assert "Off the recommended path: MRI lumbar spine without contrast." in (
        algorithm_description(case, ["history_red_flags", "mri_lumbar_noncontrast"]))


def test_after_an_operation_the_route_goes_to_aftercare_only_then() -> None:
    case = load_case("disc_herniation_after_trial")
    before, after = recommended_route(case_at_visit(case, 0)), recommended_route(
        case_at_visit(case, 1))
    # spec v3 §0.1: before it, the route ends at the shared decision (the operation is an
    # option of it, as is continued conservative care)
    assert before[-1][-2:] == ["surgical_decision", "shared_decision"]
    assert after == [["assessment", "red_flags", "aftercare"]]
    assert "Red flags? [no, after an operation] → Postoperative rehabilitation" in (
        algorithm_description(case_at_visit(case, 1)))


#: A generous width per character of an 11 px label (bold), for checking fit without pixels.
CHAR_PX = 0.64 * LABEL_FONT_SIZE
LINE_PX = 1.3 * LABEL_FONT_SIZE


def _label_boxes(fig, container_px: int) -> dict[str, tuple[float, float, float, float]]:
    """Each node label's (left, right, top, bottom) in px, in a container this wide."""
    margin, height = fig.layout.margin, fig.layout.height
    x_scale = (container_px - margin.l - margin.r) / (X_RANGE[1] - X_RANGE[0])
    y_scale = (height - margin.t - margin.b) / (Y_RANGE[1] - Y_RANGE[0])
    boxes = {}
    for note in fig.layout.annotations:
        if not (note.name or "").startswith("label:"):
            continue
        lines = re.sub(r"</?b>", "", note.text).split("<br>")
        width, tall = max(map(len, lines)) * CHAR_PX, len(lines) * LINE_PX
        x = margin.l + (note.x - X_RANGE[0]) * x_scale + (
            -LABEL_SHIFT if note.xanchor == "right" else LABEL_SHIFT)
        y = margin.t + (Y_RANGE[1] - note.y) * y_scale
        left = x - width if note.xanchor == "right" else x
        boxes[note.name] = (left, left + width, y - tall / 2, y + tall / 2)
    return boxes


@pytest.mark.parametrize("container_px", [370, 800])
def test_node_labels_are_wrapped_whole_and_stay_inside_a_narrow_container(
        container_px: int) -> None:
    case = case_at_visit(load_case("disc_herniation_after_trial"), 0)
    fig = algorithm_figure(case, ["rigid_splinting"])  # every node, the outside one too
    labels = {n.name: n for n in fig.layout.annotations if (n.name or "").startswith("label:")}
    assert set(labels) == {f"label:{node.id}" for node in NODES}
    for name, note in labels.items():
        text = re.sub(r"</?b>", "", note.text).replace("-<br>", "-").replace("<br>", " ")
        assert text == NODE_BY_ID[name.removeprefix("label:")].label  # whole, never cut
    boxes = _label_boxes(fig, container_px)
    for name, (left, right, top, bottom) in boxes.items():
        assert left >= 0 and right <= container_px, (name, left, right)
        assert top >= 0 and bottom <= fig.layout.height, (name, top, bottom)
    names = sorted(boxes)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            (l1, r1, t1, b1), (l2, r2, t2, b2) = boxes[a], boxes[b]
            assert r1 <= l2 or r2 <= l1 or b1 <= t2 or b2 <= t1, (a, b)


def test_edge_labels_on_a_horizontal_line_sit_above_it() -> None:
    fig = algorithm_figure()
    mimic = next(n for n in fig.layout.annotations if "mimic" in (n.text or ""))
    assert mimic.yanchor == "bottom" and mimic.yshift > 0
