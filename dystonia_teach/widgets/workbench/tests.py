"""Tests: say which result would change management, then order; the result appears, and
nothing is judged (whether the test was indicated comes with the feedback)."""

from __future__ import annotations

from ipywidgets import HTML, Button, Checkbox, Dropdown, Text

from dystonia_teach.core.diagnoses import diagnosis_scripts
from dystonia_teach.core.errors import ActionError
from dystonia_teach.core.knowledge import knowledge
from dystonia_teach.render.reasoning import ordered_tests_html
from dystonia_teach.widgets.workbench._panel import FULL, WIDE, Panel

NOT_CHOSEN = "— not chosen yet —"
NOT_SURE = "— not sure —"


def test_options() -> list[tuple[str, str]]:
    """(label, step id) of every test (a step with a result), in the catalogue's order."""
    return [(s.label, s.id) for s in knowledge().steps.values() if s.reveals]


def diagnosis_options() -> list[tuple[str, str]]:
    """(label, id) alphabetically, "another diagnosis" last: the order gives nothing away."""
    return sorted(((d.label, d.id) for d in diagnosis_scripts().values()),
                  key=lambda o: (o[1] == "other", o[0].casefold()))


class TestsPanel(Panel):
    title = "Tests: say why before you see the result"
    __test__ = False  # not a pytest class

    def __init__(self, host, number: int) -> None:
        super().__init__(host, number)
        self.hint = HTML()
        self.picker = Dropdown(options=[(NOT_CHOSEN, ""), *test_options()], value="",
                               description="Test", style=WIDE, layout=FULL,
                               tooltip="A test or investigation to order")
        self.target = Dropdown(options=[(NOT_SURE, ""), *diagnosis_options()], value="",
                               description="It would confirm or exclude", style=WIDE,
                               layout=FULL, tooltip="The diagnosis this test is for")
        # sent when the learner leaves the box: before the click that uses it
        self.change = Text(description="Which result would change management?", style=WIDE,
                           layout=FULL, continuous_update=False,
                           placeholder="e.g. a compressed root at the level of the signs",
                           tooltip="Say this before you see the result")
        # an order's priority (spec v3 §0.6): routine unless ticked
        self.urgent = Checkbox(value=False, description="Urgent: done and reported today",
                               indent=False, tooltip="Order the test urgently, not routinely")
        self.order = Button(description="Order test", icon="flask",
                            tooltip="Order the test; its result appears below")
        self.order.on_click(self.act(self._on_order))
        self.results = HTML()
        self.children = (self.heading, self.hint, self.picker, self.target, self.change,
                         self.urgent, self.order, self.message, self.results)

    def _on_order(self, _: Button) -> None:
        if not self.picker.value:
            raise ActionError("choose a test in the list first")
        order = f"{self.picker.value}!urgent" if self.urgent.value else self.picker.value
        test = self.host.session.order_test(order, change=self.change.value,
                                            target=self.target.value or None)
        priority = ", urgent" if self.urgent.value else ""
        self.picker.value, self.change.value, self.target.value = "", "", ""
        self.urgent.value = False
        self.message.say(f"Ordered: {test.label}{priority}. Its result is below.")

    def redraw(self) -> None:
        s = self.host.session
        self.hint.value = ("" if s.examined else
                           "<p><i>Tests can be ordered once you have examined the patient "
                           "(History and examination, above).</i></p>")
        self.results.value = ordered_tests_html(s.tests, s.visit)
