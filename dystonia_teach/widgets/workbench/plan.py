"""Your plan: treatments, referrals and follow-up chosen phase by phase (drugs with their daily
dose, each step with an optional certainty that it is right), and the whole plan of this visit
as a numbered list."""

from __future__ import annotations

from typing import Any

from ipywidgets import HTML, Button, Dropdown, FloatText, HBox, Layout, Select

from dystonia_teach.core.errors import ActionError
from dystonia_teach.core.kb_model import KnowledgeBase
from dystonia_teach.core.knowledge import knowledge
from dystonia_teach.core.vocabulary import PHASE_LABELS, PHASES
from dystonia_teach.render.reasoning import plan_html, step_text, sure_text
from dystonia_teach.widgets._choices import refill
from dystonia_teach.widgets.workbench._panel import (
    FULL,
    ROW,
    STACKED,
    WIDE,
    Panel,
    certainty_picker,
)


def step_options(kb: KnowledgeBase, *, phase: str | None = None) -> list[tuple[str, str]]:
    """(label, step id) of the plan's steps (neither an assessment nor a test), by phase in
    pathway order; ``phase`` only that phase's."""
    return [(step.label, step.id)
            for p in PHASES if phase in (None, p) for step in kb.steps.values()
            if step.phase == p and p != "assessment" and not step.reveals]


def step_phases(kb: KnowledgeBase) -> list[tuple[str, str]]:
    """(phase label, phase) of every phase the plan's list offers, in pathway order."""
    kept = {kb.steps[step_id].phase for _, step_id in step_options(kb)}
    return [(PHASE_LABELS[phase], phase) for phase in PHASES if phase in kept]


class PlanPanel(Panel):
    title = "Your plan"

    def __init__(self, host, number: int) -> None:
        super().__init__(host, number)
        kb = knowledge()
        phases = step_phases(kb)
        self.phase = Dropdown(options=phases, value=phases[0][1], description="Phase",
                              style=WIDE, tooltip="Show the steps of this phase")
        self.step = Select(options=step_options(kb, phase=phases[0][1]), value=None,
                           description="Step", style=WIDE, layout=FULL,
                           rows=max(len(step_options(kb, phase=p)) for _, p in phases),
                           tooltip="The chosen phase's steps", _dom_classes=STACKED)
        self.dose = FloatText(value=0.0, description="Daily dose (mg/day)", style=WIDE,
                              disabled=True, tooltip="Total daily dose in mg, for drugs only",
                              layout=Layout(width="28em", max_width="98%"))
        self.sure = certainty_picker("How sure that it is right now?")
        self.add = Button(description="Add step", icon="plus",
                          tooltip="Add the selected step (with its dose) to your plan")
        self.undo = Button(description="Undo last step", icon="undo",
                           tooltip="Remove the last step that is not a test")
        self.plan = HTML()
        self.phase.observe(self.message.guard(self._on_phase), names="value")
        self.step.observe(self.message.guard(self._on_step), names="value")
        self.add.on_click(self.act(self._on_add))
        self.undo.on_click(self.act(self._on_undo))
        self.children = (self.heading, self.phase, self.step, self.dose, self.sure,
                         HBox([self.add, self.undo], layout=ROW), self.message,
                         HTML("<p><b>This visit's plan so far</b> (examinations and tests "
                              "included):</p>"), self.plan)

    def choose(self, step_id: str) -> None:
        """Select ``step_id``, showing its phase first (for notebooks and tests)."""
        step = knowledge().steps.get(step_id)
        if step is None or step_id not in {v for _, v in step_options(knowledge())}:
            raise ActionError(f"{step_id!r} is not a step of the plan's list")
        self.phase.value = step.phase
        self.step.value = step_id

    def _on_phase(self, change: dict[str, Any]) -> None:
        refill(self.step, step_options(knowledge(), phase=change["new"]), None)

    def _on_step(self, change: dict[str, Any]) -> None:
        step = knowledge().steps.get(change["new"]) if change["new"] else None
        self.dose.value = 0.0
        self.dose.disabled = step is None or step.dose is None
        self.step.tooltip = step.description if step else "Choose a step"

    def _on_add(self, _: Button) -> None:
        if not self.step.value:
            raise ActionError("choose a step in the list first, then press Add step")
        dose = self.dose.value or None  # 0 means "no dose entered": the engine judges that
        sure = self.sure.value or None
        added = self.host.session.add({"step": self.step.value, "dose_mg_per_day": dose}
                                      if dose is not None else self.step.value, certainty=sure)
        self.sure.value = ""
        self.message.say(f"Added to your plan: {step_text(added)}{sure_text(sure)}.")

    def _on_undo(self, _: Button) -> None:
        removed = self.host.session.undo()
        self.message.say(f"Removed: {step_text(removed)}." if removed else
                         "Nothing to undo: ordered tests stay (their results are known).")

    def redraw(self) -> None:
        s = self.host.session
        self.plan.value = plan_html(s.actions, s.step_certainty)
