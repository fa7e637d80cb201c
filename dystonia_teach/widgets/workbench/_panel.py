"""What every panel of the workbench shares: a heading, its own message line beside its
controls, and the host (the :class:`~dystonia_teach.widgets.workbench.Workbench`) that owns
the session and redraws every panel after an action.

A panel's handler is wrapped by :meth:`Panel.act`: the other panels' messages are cleared, the
handler runs, its confirmation or its error appears in this panel's message line (so beside
the control that caused it), and every panel redraws from the session.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import TYPE_CHECKING, Any, ClassVar

from ipywidgets import HTML, Dropdown, Layout, VBox

from dystonia_teach.widgets._errors import ErrorArea

if TYPE_CHECKING:
    from dystonia_teach.widgets.workbench import Workbench

WIDE = {"description_width": "initial"}
FULL = Layout(width="98%")
#: A list whose option texts must stay readable in a narrow window (see the guard's CSS).
STACKED = ("dt-stacked",)
ROW = Layout(flex_flow="row wrap")
#: The certainty a learner may say beside an answer (optional; CBM's 1, 2, 3).
CERTAINTY_OPTIONS = [("— not said —", ""), ("low", "low"), ("medium", "medium"),
                     ("high", "high")]


def certainty_picker(question: str) -> Dropdown:
    """An optional certainty beside an answer ("How sure …?"), empty until chosen."""
    return Dropdown(options=CERTAINTY_OPTIONS, value="", description=question, style=WIDE,
                    tooltip="Optional. Certainty-based marks: +1, +2, +3 when right; 0, −2, −6 "
                            "when wrong. They do not change your score.")


class Message(ErrorArea):
    """A panel's message line: a confirmation (announced politely) or an error (an alert).
    Its element carries ``dt-message``: the page scrolls it into view when it changes."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(_dom_classes=("dt-message",), **kwargs)

    def say(self, text: str) -> None:
        self.last_error = None
        self.value = f'<p role="status">{escape(text)}</p>'


def paragraphs(text: str) -> str:
    return "".join(f"<p>{escape(p.strip())}</p>" for p in text.split("\n\n") if p.strip())


class Panel(VBox):
    """One stage of the encounter: a heading, controls, a message line; ``redraw`` shows the
    session's state, ``sync`` sets the controls from it (without acting)."""

    title: ClassVar[str] = ""

    def __init__(self, host: Workbench, number: int | None = None) -> None:
        super().__init__(layout=Layout(width="100%"), _dom_classes=("dt-panel",))
        self.host = host
        self.heading = HTML(f"<h3>{f'{number}. ' if number else ''}{escape(self.title)}</h3>")
        self.message = Message()

    def act(self, handler: Callable[..., Any]) -> Callable[..., None]:
        """``handler`` as a callback: other messages cleared, errors shown here, then every
        panel redrawn (also after an error: the session is the truth)."""
        guarded = self.message.guard(handler)

        def callback(*args: Any) -> None:
            if self.host.syncing:  # the workbench is setting controls, not the learner
                return
            self.host.quiet(self)
            guarded(*args)
            self.host.redraw()

        return callback

    def redraw(self) -> None:
        """Show the session's current state (controls the learner edits are left alone)."""

    def sync(self) -> None:
        """Set this panel's controls from the session (after resuming or a new visit)."""
