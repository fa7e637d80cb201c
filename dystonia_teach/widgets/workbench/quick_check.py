"""Quick check: the workbench's second mode. The case's key-feature questions one at a time,
each answered by typing (no options shown before the learner types), with the number of
answers allowed; submitting scores the question and shows its key with the reasons and the
evidence. A view over a :class:`~dystonia_teach.core.quick_check.QuickCheck`, apart from the
reasoning session: a quick check changes nothing in the worked case.

:class:`ModeSwitch` shows either the workbench's stage panels ("Work the case") or this panel.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape
from typing import Any

from ipywidgets import HTML, Button, HBox, Layout, Select, Text, ToggleButtons, Widget

from dystonia_teach.core.errors import ActionError
from dystonia_teach.core.long_menu import answer_label, search_menu
from dystonia_teach.core.quick_check import QuickCheck
from dystonia_teach.render.key_features import (
    allowed_text,
    question_html,
    result_html,
    score_text,
    stem_html,
)
from dystonia_teach.widgets._choices import refill
from dystonia_teach.widgets.workbench._panel import FULL, ROW, WIDE, Panel

INTRO = ("<p>A few questions on the decisions that matter most in this case, visit by visit. "
         "Type a few letters of your answer, choose it among the matches and press "
         "<b>Add answer</b>; the question says how many answers it allows. A question scores "
         "the share of its key answers you give; more answers than allowed, or one that would "
         "harm the patient, scores 0. Each answer is shown once you submit it, so work the "
         "case first if you want to meet it fresh.</p>")
MODES = (("Work the case", "work"), ("Quick check", "quick"))


class QuickCheckPanel(Panel):
    title = "Quick check: the key decisions of this case"

    def __init__(self, host) -> None:
        super().__init__(host)
        self.check = QuickCheck(host.case)
        self.stem = HTML()
        self.question = HTML()
        self.search = Text(description="Type your answer", style=WIDE, layout=FULL,
                           placeholder="a few letters, e.g. 'mri', 'parac', 'root'",
                           tooltip="Matches appear below as you type")
        self.matches = Select(options=[], rows=5, description="Matching answers", style=WIDE,
                              layout=FULL, tooltip="Answers matching what you typed, best first")
        self.add = Button(description="Add answer", icon="plus",
                          tooltip="Add the selected match to your answers")
        self.answers = Select(options=[], rows=4, description="Your answers", style=WIDE,
                              layout=FULL, tooltip="The answers you will submit")
        self.remove = Button(description="Remove answer", icon="minus",
                             tooltip="Remove the selected answer")
        self.submit = Button(description="Submit answers", icon="check",
                             tooltip="Score this question and see its key")
        self.next = Button(description="Next question", icon="arrow-right",
                           tooltip="Go on to the next question")
        self.restart = Button(description="Start again", icon="undo",
                              tooltip="Answer every question of this case again")
        self.result = HTML()
        self.progress = HTML()
        self.search.observe(self.message.guard(self._on_search), names="value")
        self.add.on_click(self._act(self._on_add))
        self.remove.on_click(self._act(self._on_remove))
        self.submit.on_click(self._act(self._on_submit))
        self.next.on_click(self._act(self._on_next))
        self.restart.on_click(self._act(self._on_restart))
        self.children = (self.heading, HTML(INTRO), self.progress, self.stem, self.question,
                         self.search, self.matches, self.answers,
                         HBox([self.add, self.remove, self.submit, self.next, self.restart],
                              layout=ROW),
                         self.message, self.result)
        self.redraw()

    def _act(self, handler: Callable[[Button], None]) -> Callable[[Button], None]:
        """A button's callback: its message or error here, beside the buttons; then redrawn."""
        guarded = self.message.guard(handler)

        def callback(button: Button) -> None:
            guarded(button)
            self.redraw()

        return callback

    def _on_search(self, change: dict[str, Any]) -> None:
        item = self.check.current
        found = search_menu(item.menu, change["new"]) if item and not self.check.scored else []
        refill(self.matches, found, found[0][1] if found else None)

    def _on_add(self, _: Button) -> None:
        if not self.matches.value:
            raise ActionError("type a few letters of your answer and choose one of the matches")
        label = self.check.add(self.matches.value)
        self.search.value = ""
        item, count = self.check.current, len(self.check.answers)
        if item is not None and count > item.allowed:
            self.message.say(f"Added: {label}. That makes {count} answers where up to "
                             f"{item.allowed} are allowed: with more than allowed the question "
                             "scores 0. Remove one before you submit.")
        else:
            self.message.say(f"Added: {label}.")

    def _on_remove(self, _: Button) -> None:
        if not self.answers.value:
            raise ActionError("choose one of your answers to remove")
        self.message.say(f"Removed: {self.check.remove(self.answers.value)}.")

    def _on_submit(self, _: Button) -> None:
        self.message.say(score_text(self.check.submit()))

    def _on_next(self, _: Button) -> None:
        item = self.check.next()
        self.search.value = ""
        self.message.say(f"Question {self.check.index + 1} of {len(self.check.items)}: "
                         f"{allowed_text(item)}" if item else self.summary())

    def _on_restart(self, _: Button) -> None:
        self.check.restart()
        self.search.value = ""
        self.message.say("Started again from the first question.")

    def summary(self) -> str:
        """The quick check's score so far, as one sentence (deterministic: for notebooks)."""
        c = self.check
        if not c.scores:
            return f"Quick check: {len(c.items)} questions, none answered yet."
        done = "finished" if c.done else f"{len(c.scores)} of {len(c.items)} answered"
        return f"Quick check {done}: mean score {c.score:.2f} over {len(c.scores)} questions."

    def redraw(self) -> None:
        c = self.check
        item = c.current
        shown = item or (c.items[-1] if c.items else None)
        self.stem.value = stem_html(c.case, shown.visit) if shown else ""
        self.question.value = (question_html(item, c.index + 1, len(c.items)) if item else
                               f"<p><b>{escape(self.summary())}</b></p>")
        self.answers.options = [(answer_label(item.menu, a), a) for a in c.answers] if item else []
        self.result.value = result_html(c.scores[c.index]) if c.scored else ""
        self.progress.value = f"<p><i>{escape(self.summary())}</i></p>" if c.scores else ""
        answering = item is not None and not c.scored
        for control in (self.search, self.matches, self.answers, self.add, self.remove,
                        self.submit):
            control.disabled = not answering
        self.next.layout.display = None if c.scored else "none"
        self.restart.layout.display = None if c.done else "none"


class ModeSwitch(ToggleButtons):
    """Work the case (the stage panels) or take the quick check (its panel)."""

    def __init__(self, stages: Sequence[Widget], quick: QuickCheckPanel) -> None:
        super().__init__(options=MODES, value="work", description="Mode", style=WIDE,
                         tooltips=["Work the case as a clinician, stage by stage",
                                   "Answer a few questions on the case's key decisions"],
                         layout=Layout(width="auto"))
        self.stages, self.quick = tuple(stages), quick
        self.observe(lambda _: self.show(), names="value")
        self.show()

    def show(self) -> None:
        quick = self.value == "quick"
        for panel in self.stages:
            panel.layout.display = "none" if quick else None
        self.quick.layout.display = None if quick else "none"
