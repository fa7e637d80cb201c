"""A case as it stands at one of its visits: the first visit is the case file's own facts,
each later visit applies the facts its ``visits:`` entry changes, cumulatively."""

from __future__ import annotations

from collections.abc import Iterator

from dystonia_teach.core.case_model import Case, Visit

_CASE_FIELDS = ("red_flags", "other_signs", "radicular", "disabling", "investigations",
                "pathology")


def visit_count(case: Case) -> int:
    """The first visit plus the follow-ups in the case file."""
    return 1 + len(case.visits)


def case_at_visit(case: Case, index: int) -> Case:
    """The case's facts and staged text at visit ``index`` (0 = the first visit)."""
    if not 0 <= index < visit_count(case):
        raise IndexError(f"case has {visit_count(case)} visit(s); no visit {index}")
    current = case
    for visit in case.visits[:index]:
        current = _after(current, visit)
    return current.model_copy(update={"visits": ()}) if index else current


def cases_at_visits(case: Case) -> Iterator[Case]:
    """The case at each of its visits in turn, as :func:`case_at_visit` gives them, each built
    from the one before (linear in the number of visits, where calling ``case_at_visit`` for
    every index is quadratic)."""
    yield case
    current = case.model_copy(update={"visits": ()})
    for visit in case.visits:
        current = _after(current, visit)
        yield current


def _after(current: Case, visit: Visit) -> Case:
    """``current`` with the facts and text ``visit`` changes."""
    course: dict[str, object] = {"symptom_weeks": visit.week}
    if visit.conservative_care_weeks is not None:
        course["conservative_care_weeks"] = visit.conservative_care_weeks
    if visit.conservative_care is not None:
        course["conservative_care"] = visit.conservative_care
    if visit.operation is not None:
        course["operation"] = visit.operation
    stages = {"presentation": visit.presentation}
    if visit.examination is not None:
        stages["examination"] = visit.examination
    update = {name: getattr(visit, name) for name in _CASE_FIELDS
              if getattr(visit, name) is not None}
    return current.model_copy(update={
        **update,
        "course": current.course.model_copy(update=course),
        "stages": current.stages.model_copy(update=stages),
    })
