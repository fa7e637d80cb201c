"""Your differential and confidence: diagnoses found by search (relevance order), placed in a
ranked draft with a must-not-miss (each with an optional certainty that it belongs there),
committed; then how sure the learner is of the leading one. The draft is the session's, so it
is kept with unfinished work."""

from __future__ import annotations

from typing import Any

from ipywidgets import HTML, Button, Dropdown, HBox, IntSlider, Select, Text

from dystonia_teach.core.diagnoses import search_diagnoses
from dystonia_teach.core.errors import ActionError
from dystonia_teach.core.reasoning import SLOTS
from dystonia_teach.render.reasoning import differential_html, sure_text
from dystonia_teach.widgets._choices import refill
from dystonia_teach.widgets.workbench._panel import (
    FULL,
    ROW,
    WIDE,
    Message,
    Panel,
    certainty_picker,
)

PLACES = ("1st (most likely)", "2nd", "3rd", "Must not miss")


class DifferentialPanel(Panel):
    title = "Your differential and confidence"

    def __init__(self, host, number: int) -> None:
        super().__init__(host, number)
        self.search = Text(description="Search diagnoses", style=WIDE, layout=FULL,
                           placeholder="type a few letters or an abbreviation, e.g. 'root', "
                                       "'L5', 'parkin', 'CES'",
                           tooltip="Every diagnosis the course knows can be found here")
        self.matches = Select(options=[], rows=5, description="Matches", style=WIDE,
                              layout=FULL, tooltip="Diagnoses matching your search, best first")
        self.place = Dropdown(options=list(zip(PLACES, range(SLOTS), strict=True)), value=0,
                              description="Place", style=WIDE,
                              tooltip="Where the chosen diagnosis goes in your differential")
        self.sure = certainty_picker("How sure that it belongs there?")
        self.put = Button(description="Put in my differential", icon="arrow-down",
                          tooltip="Put the selected match at the chosen place")
        self.clear = Button(description="Clear", icon="eraser",
                            tooltip="Empty your draft differential")
        self.commit = Button(description="Commit differential", icon="check",
                             tooltip="Record this ranking (you may revise it later)")
        self.view = HTML()
        self.confidence = IntSlider(value=50, min=0, max=100, step=5, continuous_update=False,
                                    description="How sure are you of your leading diagnosis "
                                                "(%)?", style=WIDE, layout=FULL)
        self.record_confidence = Button(description="Record confidence", icon="check",
                                        tooltip="Record the confidence the slider shows")
        self.confidence_note = Message()
        self.search.observe(self.message.guard(self._on_search), names="value")
        self.put.on_click(self.act(self._on_put))
        self.clear.on_click(self.act(lambda _: self._draft_changed(
            self.host.session.clear_draft(), "Draft emptied.")))
        self.commit.on_click(self.act(self._on_commit))
        guard = self.confidence_note.guard
        self.confidence.observe(self.act(guard(self._on_confidence)), names="value")
        self.record_confidence.on_click(self.act(guard(self._on_confidence)))
        self.children = (self.heading, self.search, self.matches,
                         HBox([self.place, self.sure], layout=ROW),
                         HBox([self.put, self.clear, self.commit], layout=ROW),
                         self.message, self.view,
                         HBox([self.confidence, self.record_confidence], layout=ROW),
                         self.confidence_note)

    def _on_search(self, change: dict[str, Any]) -> None:
        text = change["new"].strip()
        found = search_diagnoses(text, limit=0) if len(text) >= 2 else []
        refill(self.matches, [(d.label, d.id) for d in found], found[0].id if found else None)

    def _draft_changed(self, _: object, note: str) -> None:
        self.host.changed()
        self.message.say(note)

    def _on_put(self, _: Button) -> None:
        if not self.matches.value:
            raise ActionError("search for a diagnosis and select it in Matches first")
        label = dict((v, k) for k, v in self.matches.options)[self.matches.value]
        slot, sure = self.place.value, self.sure.value or None
        self.host.session.place(slot, self.matches.value, certainty=sure)
        self.place.value, self.sure.value = min(slot + 1, SLOTS - 1), ""
        self._draft_changed(None, f"{label} placed {PLACES[slot].split(' ')[0].lower()}"
                                  f"{sure_text(sure)}: press Commit differential to record it.")

    def _on_commit(self, _: Button) -> None:
        self.host.session.commit_differential()
        self.message.say("Differential recorded; you may revise it as results come in."
                         + ("" if self.host.session.confidence is not None else
                            " Now say how sure you are, below."))

    def _on_confidence(self, *_: object) -> None:
        self.host.session.set_confidence(int(self.confidence.value))
        self.confidence_note.say(f"Recorded: {self.confidence.value}% sure of your leading "
                                 "diagnosis.")

    def sync(self) -> None:
        s = self.host.session
        self.confidence.value = s.confidence if s.confidence is not None else 50

    def redraw(self) -> None:
        s = self.host.session
        self.view.value = differential_html(
            list(zip(PLACES, s.draft_differential, s.draft_certainty, strict=True)),
            s.differential)
        if s.confidence is None and self.confidence_note.last_error is None:
            self.confidence_note.value = ("<p><i>Move the slider, or press Record confidence, "
                                          "to record how sure you are.</i></p>")
