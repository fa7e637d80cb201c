"""The saved form of a reasoning session (``ReasoningSession.record()``), checked field by field.

A record is plain JSON data: the problem statement, the differential (and the one being
composed, not yet committed), the confidence, one entry per visit (its steps, justified tests
with their priority, differentials, confidence, score and number of submissions) and the
debrief's reflection. Certainties (low, medium, high) appear only where the learner said one:
beside each diagnosis (``certainty`` of a differential), test and plan step
(``step_certainty``), with each submitted visit's marks (``certainty_marks``). Records written
before certainties existed read as they always did; older versions ignore these fields.
:func:`check_record` refuses a record of the wrong shape with a :class:`RecordError` naming the
field (``record.visits[0].tests[1].change``), so a damaged store row is reported, never
half-replayed. It checks shape, not meaning: unknown step ids are
found when the session is rebuilt.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dystonia_teach.core.certainty import KINDS, LEVELS
from dystonia_teach.core.errors import DystoniaTeachError

#: The record format this version writes (``record["format"]``; a record without it is format 1).
RECORD_FORMAT = 1


class RecordError(DystoniaTeachError, ValueError):
    """A saved reasoning record of the wrong shape; ``field`` is the path of the first problem."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field


def _text(value: object, field: str, *, optional: bool = True) -> None:
    if not (isinstance(value, str) or (optional and value is None)):
        raise RecordError(field, f"is {value!r}, not text")


def _percent(value: object, field: str) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                              or not 0 <= value <= 100):
        raise RecordError(field, f"is {value!r}, not a whole percentage from 0 to 100")


def _number(value: object, field: str) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
        raise RecordError(field, f"is {value!r}, not a number")


def _level(value: object, field: str) -> None:
    if value is not None and value not in LEVELS:
        raise RecordError(field, f"is {value!r}, not a certainty ({', '.join(LEVELS)})")


def _levels(value: object, field: str) -> None:
    """A mapping of ids to certainty levels (absent: none said)."""
    if value is None:
        return
    for key, level in _object(value, field).items():
        _text(key, f"{field} key", optional=False)
        _level(level, f"{field}.{key}")


def _list(value: object, field: str) -> list[Any]:
    if not isinstance(value, list):
        raise RecordError(field, f"is {type(value).__name__}, not a list")
    return value


def _object(value: object, field: str, required: tuple[str, ...] = ()) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise RecordError(field, f"is {type(value).__name__}, not an object")
    for key in required:
        if key not in value:
            raise RecordError(f"{field}.{key}", "is missing")
    return value


def _differential(value: object, field: str) -> None:
    if value is None:
        return
    data = _object(value, field, ("ranked",))
    ranked = _list(data["ranked"], f"{field}.ranked")
    for i, item in enumerate(ranked):
        _text(item, f"{field}.ranked[{i}]", optional=False)
    _text(data.get("must_not_miss"), f"{field}.must_not_miss")
    _levels(data.get("certainty"), f"{field}.certainty")


def _action(value: object, field: str) -> None:
    if isinstance(value, str):
        return
    data = _object(value, field, ("step",))
    _text(data["step"], f"{field}.step", optional=False)
    _number(data.get("dose_mg_per_day"), f"{field}.dose_mg_per_day")
    _text(data.get("priority"), f"{field}.priority")
    extra = set(data) - {"step", "dose_mg_per_day", "priority"}
    if extra:
        raise RecordError(field, f"has unknown keys {sorted(extra)}")


def _visit(value: object, field: str) -> None:
    data = _object(value, field, ("actions",))
    for i, action in enumerate(_list(data["actions"], f"{field}.actions")):
        _action(action, f"{field}.actions[{i}]")
    for i, test in enumerate(_list(data.get("tests", []), f"{field}.tests")):
        where = f"{field}.tests[{i}]"
        test = _object(test, where, ("step", "change"))
        _text(test["step"], f"{where}.step", optional=False)
        _text(test["change"], f"{where}.change", optional=False)
        _text(test.get("target"), f"{where}.target")
        _text(test.get("priority"), f"{where}.priority")
        _level(test.get("certainty"), f"{where}.certainty")
    for i, entry in enumerate(_list(data.get("differentials", []), f"{field}.differentials")):
        where = f"{field}.differentials[{i}]"
        _text(_object(entry, where, ("stage",))["stage"], f"{where}.stage", optional=False)
        _differential(entry, where)
    _levels(data.get("step_certainty"), f"{field}.step_certainty")
    for i, mark in enumerate(_list(data.get("certainty_marks", []), f"{field}.certainty_marks")):
        where = f"{field}.certainty_marks[{i}]"
        mark = _object(mark, where, ("kind", "item", "certainty", "right"))
        if mark["kind"] not in KINDS:
            raise RecordError(f"{where}.kind", f"is {mark['kind']!r}, not one of "
                                               f"{', '.join(KINDS)}")
        _text(mark["item"], f"{where}.item", optional=False)
        if mark["certainty"] not in LEVELS:
            _level(mark["certainty"] or "none", f"{where}.certainty")
        if not isinstance(mark["right"], bool):
            raise RecordError(f"{where}.right", f"is {mark['right']!r}, not true or false")
    _percent(data.get("confidence"), f"{field}.confidence")
    _number(data.get("score"), f"{field}.score")
    attempts = data.get("attempts")
    if attempts is not None and (isinstance(attempts, bool) or not isinstance(attempts, int)
                                 or attempts < 0):
        raise RecordError(f"{field}.attempts", f"is {attempts!r}, not a count")


def check_record(record: object, *, case_id: str | None = None) -> Mapping[str, Any]:
    """Return ``record`` if it has the shape of a saved reasoning session (of ``case_id``, when
    given); else raise :class:`RecordError` naming the first field that is wrong."""
    data = _object(record, "record", ("case_id", "visits"))
    fmt = data.get("format", 1)
    if isinstance(fmt, bool) or not isinstance(fmt, int) or fmt > RECORD_FORMAT:
        raise RecordError("record.format", f"is {fmt!r}; this version reads format "
                                           f"{RECORD_FORMAT} (a newer dystonia_teach wrote it?)")
    _text(data["case_id"], "record.case_id", optional=False)
    if case_id is not None and data["case_id"] != case_id:
        raise RecordError("record.case_id", f"is {data['case_id']!r}, not {case_id!r}")
    _text(data.get("problem_statement"), "record.problem_statement")
    _differential(data.get("differential"), "record.differential")
    draft = data.get("draft_differential")
    if draft is not None:
        for i, item in enumerate(_list(draft, "record.draft_differential")):
            _text(item, f"record.draft_differential[{i}]")
    for i, level in enumerate(_list(data.get("draft_certainty", []),
                                    "record.draft_certainty")):
        _level(level, f"record.draft_certainty[{i}]")
    _percent(data.get("confidence"), "record.confidence")
    _text(data.get("reflection"), "record.reflection")
    visits = _list(data["visits"], "record.visits")
    if not visits:
        raise RecordError("record.visits", "is empty; a record has at least the first visit")
    for i, visit in enumerate(visits):
        _visit(visit, f"record.visits[{i}]")
    return data
