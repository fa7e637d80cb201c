"""Refilling a list control without a race."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ipywidgets import widgets


def refill(choice: widgets.widget_selection._Selection, options: Sequence[Any],
           value: Any) -> None:
    """Give ``choice`` new ``options`` and select ``value``, in one message to the browser.

    Set one after the other, they travel as two messages: an option the learner (or a test)
    selects as the new list appears is undone by the late selection."""
    with choice.hold_sync():
        choice.options = options
        choice.value = value
