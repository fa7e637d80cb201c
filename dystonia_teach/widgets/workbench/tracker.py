"""The step tracker: where the learner is in the encounter and what is still needed, redrawn
from the session after every action, with the offer to resume unfinished work."""

from __future__ import annotations

from html import escape

from ipywidgets import HTML, Button, HBox, Layout

from dystonia_teach.core.encounter import (
    DONE,
    LATER,
    NOT_NEEDED,
    OPTIONAL,
    TO_DO,
    Stage,
    current_stage,
    encounter_stages,
)
from dystonia_teach.widgets.workbench._panel import ROW, Panel

_MARK = {DONE: "✔", TO_DO: "□", OPTIONAL: "○", LATER: "·", NOT_NEEDED: "–"}


def tracker_html(stages: tuple[Stage, ...], visit: int, visits: int) -> str:
    """The stages as one compact ordered list (each with its state in words), the current
    one marked for eyes and screen readers, and what to do next."""
    now = current_stage(stages)
    items = []
    for stage in stages:
        current = stage is now
        mark = "▶" if current else _MARK.get(stage.state, "")
        attributes = ' aria-current="step" class="dt-now"' if current else ""
        items.append(f"<li{attributes}>{mark} {escape(stage.label)} "
                     f"<small>({'now' if current else escape(stage.state)})</small></li>")
    where = f"Visit {visit + 1} of {visits}. " if visits > 1 else ""
    next_step = (f"Next: {now.label.lower()} — {now.note}." if now else
                 "Every stage of this case is done.")
    return (f'<ol class="dt-tracker">{"".join(items)}</ol>'
            f'<p class="dt-next"><b>{escape(where)}{escape(next_step)}</b></p>')


class TrackerPanel(Panel):
    """Where you are: the encounter's stages, and "Resume where you stopped"."""

    title = "Where you are"

    def __init__(self, host) -> None:
        super().__init__(host)
        self.resume_note = HTML()
        self.resume_button = Button(description="Resume where you stopped", icon="play",
                                    layout=Layout(display="none"),
                                    tooltip="Continue your unfinished work on this case")
        self.resume_button.on_click(self.act(lambda _: self.host.resume()))
        self.saved_note = HTML()
        self.stages = HTML()
        self.children = (self.heading, self.stages,
                         HBox([self.resume_note, self.resume_button], layout=ROW),
                         self.message, self.saved_note)

    def offer(self, when: str | None) -> None:
        """Offer the learner's unfinished work (saved at ``when``), or withdraw the offer."""
        self.resume_button.layout.display = None if when else "none"
        self.resume_note.value = (
            f"<p>You have unfinished work on this case (saved {escape(when)} UTC). Resume it, "
            "or start afresh: your next change replaces it.</p>" if when else "")

    def redraw(self) -> None:
        s = self.host.session
        self.stages.value = tracker_html(encounter_stages(s), s.visit, s.visit_count)
