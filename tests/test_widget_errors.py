"""Errors shown in widgets speak to the learner: no file paths or database URLs up front."""

from __future__ import annotations

from dystonia_teach.store import ProgressStoreError
from dystonia_teach.widgets._errors import ErrorArea, learner_message


def test_store_errors_hide_paths_and_urls_from_the_learner() -> None:
    area = ErrorArea()
    area.show(ProgressStoreError("/home/ana/.dystonia_teach/progress.sqlite3 is damaged; "
                                 "move it aside"))
    shown = area.value.split("<details>")[0]
    assert "/home/ana" not in shown and "progress.sqlite3" not in shown
    assert "your saved-work store is damaged; move it aside" in shown
    assert "/home/ana/.dystonia_teach/progress.sqlite3" in area.value  # for the instructor


def test_database_urls_are_replaced_and_plain_messages_kept() -> None:
    assert learner_message("cannot connect to postgresql://ana:***@db/course: refused") == (
        "cannot connect to your saved-work store: refused")
    area = ErrorArea()
    area.show(ValueError("the dose must be a number of mg per day"))
    assert "<details>" not in area.value
    assert "the dose must be a number of mg per day" in area.value
