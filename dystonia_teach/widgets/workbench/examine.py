"""History and examination: one button per assessment step (the red-flag history, the
examinations); an examination reveals the findings just below the buttons."""

from __future__ import annotations

from ipywidgets import HTML, Button, HBox, Layout

from dystonia_teach.core.knowledge import knowledge
from dystonia_teach.widgets.workbench._panel import ROW, Panel, paragraphs

NOT_EXAMINED = ("<p><i>Examine the patient to see the findings: choose an examination "
                "above.</i></p>")


class ExaminePanel(Panel):
    title = "History and examination"

    def __init__(self, host, number: int) -> None:
        super().__init__(host, number)
        self.steps = {s.id: s for s in knowledge().steps.values() if s.phase == "assessment"}
        self.buttons = {}
        for step in self.steps.values():
            button = Button(description=step.label, tooltip=step.description,
                            layout=Layout(width="auto"))
            button.on_click(self.act(lambda _, step_id=step.id: self._do(step_id)))
            self.buttons[step.id] = button
        self.examination = HTML()
        self.children = (self.heading,
                         HTML("<p>Choose what to do; each choice becomes part of your plan.</p>"),
                         HBox(list(self.buttons.values()), layout=ROW), self.message,
                         self.examination)

    def _do(self, step_id: str) -> None:
        s = self.host.session
        s.add(step_id)
        step = self.steps[step_id]
        self.message.say(f"Done: {step.label}. " + (
            "The examination findings are below." if s.examination else
            "The answers are in what the patient tells you, above."))

    def redraw(self) -> None:
        s = self.host.session
        chosen = {a.step for a in s.actions}
        for step_id, button in self.buttons.items():
            done = step_id in chosen
            button.icon = "check" if done else ""
            button.disabled = done
            button.tooltip = ("Done (Undo last step in Your plan removes it)" if done
                              else self.steps[step_id].description)
        self.examination.value = ("<h4>Examination</h4>" + paragraphs(s.examination)
                                  if s.examination else NOT_EXAMINED)
