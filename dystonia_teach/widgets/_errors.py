"""Show errors raised inside widget callbacks in the widget itself.

JupyterLab drops ``print`` output and tracebacks from callbacks (ipywidgets#2068), so every
handler is wrapped by :meth:`ErrorArea.guard`, which puts the error in an HTML area instead.
"""

from __future__ import annotations

import functools
import re
import traceback
from collections.abc import Callable
from html import escape
from typing import Any

from ipywidgets import HTML

from dystonia_teach.core.errors import DystoniaTeachError

_BOX = 'role="alert" style="border-left:6px solid #D55E00;padding:4px 8px;margin:4px 0"'
#: Store locations in messages: a database URL or a file path (learners see neither).
_LOCATIONS = re.compile(r"postgres(?:ql)?://\S+?(?=[:;,.]?(?:\s|$))|(?<![\w.])(?:~|/)[^\s'\"(),;]+")


def learner_message(message: str) -> str:
    """``message`` with database URLs and file paths replaced by plain words."""
    return _LOCATIONS.sub("your saved-work store", message)


class ErrorArea(HTML):
    """An HTML area showing the last error of a guarded callback (empty when all is well)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.last_error: BaseException | None = None

    def show(self, exc: BaseException) -> None:
        self.last_error = exc
        if isinstance(exc, DystoniaTeachError | ValueError):
            plain = learner_message(str(exc))
            where = ("" if plain == str(exc) else "<details><summary>Details for your "
                     f"instructor</summary><pre>{escape(str(exc))}</pre></details>")
            self.value = f"<div {_BOX}><b>⚠ Problem:</b> {escape(plain)}{where}</div>"
            return
        details = escape("".join(traceback.format_exception(exc)))
        self.value = (f"<div {_BOX}><b>⚠ Unexpected error ({escape(type(exc).__name__)}):</b> "
                      f"{escape(str(exc))}. This is a bug in dystonia_teach; please tell your "
                      f"instructor.<details><summary>Technical details</summary>"
                      f"<pre>{details}</pre></details></div>")

    def clear(self) -> None:
        self.last_error = None
        self.value = ""

    def guard(self, handler: Callable[..., Any]) -> Callable[..., None]:
        """Wrap a callback: clear the area, run it, and show any exception it raises."""

        @functools.wraps(handler)
        def guarded(*args: Any, **kwargs: Any) -> None:
            self.clear()
            try:
                handler(*args, **kwargs)
            except Exception as exc:  # every error must reach the learner
                self.show(exc)

        return guarded
