"""The checks of a case file beyond its fields' types, each issue on the line it concerns.

Three kinds, so that one problem never hides another:

* **checks on the data as read** (:func:`data_issues`): ids (the file name, evidence, steps),
  a repeated condition, the order of the visits' weeks; they run whatever else is wrong;
* **checks on the text** (:func:`text_issues`): identifiers, markup and control characters
  (:mod:`~dystonia_teach.casefiles.lints`), and text a learner reads before submitting that
  gives the diagnosis away (:mod:`~dystonia_teach.casefiles.spoilers`), each at the line
  inside a block of text where it is found;
* **checks on the facts** (:func:`fact_issues`): facts that contradict each other, at every
  visit, and results the derived pathway orders but the case does not give. They need facts
  of the right types: a visit with a bad field is checked on its other fields
  (:func:`salvaged_case`), a bad field at the top level stops them.

Each visit's facts are built from the visit before (:func:`~dystonia_teach.core.visits.
cases_at_visits`), so checking takes time in proportion to the number of visits.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from pydantic import TypeAdapter, ValidationError

from dystonia_teach.casefiles.lints import text_problems
from dystonia_teach.casefiles.spoilers import shown_before_submitting, spoilers
from dystonia_teach.casefiles.upgrade import V1_CONTRAINDICATIONS
from dystonia_teach.casefiles.yamlio import YamlDocument
from dystonia_teach.core.case_model import Case, CaseId
from dystonia_teach.core.diagnoses import diagnosis_scripts
from dystonia_teach.core.errors import Issue, did_you_mean
from dystonia_teach.core.knowledge import knowledge
from dystonia_teach.core.visits import cases_at_visits

#: Signs that make cauda equina syndrome a red flag the case must state.
CAUDA_EQUINA_SIGNS = frozenset({"saddle_anaesthesia", "bladder_dysfunction"})
#: "Did you mean" hints per file; each compares a word with a whole catalogue, so a file of
#: thousands of almost-right ids would otherwise take seconds.
HINTS_PER_FILE = 20
#: Chronic reinnervation on EMG needs about three months of denervation (emg_timing).
REINNERVATION_WEEKS = 12
#: Text that denies the need for imaging (a contradiction in a red-flag case).
NO_IMAGING_TEXT = re.compile(
    r"\b(no (need for )?(imaging|MRI|scan)( is)? (needed|indicated|required)"
    r"|(imaging|MRI|a scan) (is|was) not (needed|indicated|required))\b", re.IGNORECASE)
_TEXT_HINTS = {
    "control_character": "delete it: case text is plain, printable text",
    "markup_in_text": "write plain text: no tags, no event handlers, no links",
    "patient_identifier": "cases are fiction: remove it, or describe the person as 'a "
                          "46-year-old postal worker' and time as 'three weeks ago'",
    "spoiler": "learners read this before naming the diagnosis: describe what the patient "
               "reports or what is seen, and let the learner name it",
}
_CASE_ID = TypeAdapter(CaseId)
Path = tuple[str | int, ...]


class Hints:
    """"Did you mean" hints, at most HINTS_PER_FILE of them (then a pointer to the list)."""

    def __init__(self) -> None:
        self.left = HINTS_PER_FILE

    def __call__(self, word: str, choices: Iterable[str]) -> str:
        if self.left <= 0:
            return ""
        self.left -= 1
        return did_you_mean(word, choices)


# --- checks on the data as read -------------------------------------------------------------

def data_issues(doc: YamlDocument, expected_id: str | None, hints: Hints) -> list[Issue]:
    """Ids, repeated conditions and the visits' weeks, checked on the data as read."""
    kb = knowledge()
    data: dict[str, Any] = doc.data
    issues: list[Issue] = []
    case_id = data.get("id")
    if expected_id is not None and isinstance(case_id, str) and case_id != expected_id and (
            _valid_id(case_id)):
        issues.append(doc.issue(["id"], "id_mismatch",
                                f"id {case_id!r} differs from the file name {expected_id!r}",
                                f"rename the file to {case_id}.yaml or set id: {expected_id}"))
    for i, ref in _strings_in(data.get("evidence")):
        if ref not in kb.claims:
            issues.append(doc.issue(["evidence", i], "unknown_evidence",
                                    f"{ref!r} is not in the evidence catalogue",
                                    hints(ref, kb.claims) or "see `dystonia-teach schema`"))
    visits = data.get("visits") if isinstance(data.get("visits"), list) else []
    cares = [(["course", "conservative_care"], _get(data, "course", "conservative_care"))]
    cares += [(["visits", n, "conservative_care"], _get(visit, "conservative_care"))
              for n, visit in enumerate(visits)]
    for path, care in cares:
        for i, ref in _strings_in(care):
            if ref not in kb.steps:
                issues.append(doc.issue([*path, i], "unknown_step", f"{ref!r} is not a step id",
                                        hints(ref, kb.steps) or "see `dystonia-teach schema`"))
    issues += _repeated_conditions(doc)
    week = _get(data, "course", "symptom_weeks")
    for n, visit in enumerate(visits):
        now = _get(visit, "week")
        if _number(now) and _number(week) and now <= week:
            issues.append(doc.issue(["visits", n, "week"], "inconsistent_facts",
                                    f"visit week {now:g} is not after week {week:g}",
                                    "visits are in order: each week later than the one before"))
        week = now if _number(now) else None
    return issues


def vocabulary_issues(doc: YamlDocument, data: dict[str, Any], hints: Hints) -> list[Issue]:
    """A diagnosis, sign or condition the knowledge in use does not know (the package's, and
    the course packs': ``data`` is the file's data upgraded to the current schema)."""
    kb = knowledge()
    conditions = "conditions" if "conditions" in doc.data else "contraindications"
    found: list[tuple[list[str | int], str, str, tuple[str, ...]]] = []
    diagnosis = data.get("diagnosis")
    if isinstance(diagnosis, str):
        found.append((["diagnosis"], diagnosis, "diagnosis", tuple(kb.diagnoses)))
    visits = data.get("visits") if isinstance(data.get("visits"), list) else []
    for path, signs in [(["other_signs"], data.get("other_signs")),
                        *((["visits", n, "other_signs"], _get(v, "other_signs"))
                          for n, v in enumerate(visits))]:
        found += [([*path, i], sign, "sign", kb.sign_ids) for i, sign in _strings_in(signs)]
    for i, item in enumerate(data.get("conditions") or ()) if isinstance(
            data.get("conditions"), list) else ():
        name, path = (item, [conditions, i]) if isinstance(item, str) else (
            _get(item, "name"), [conditions, i, "name"])
        if isinstance(name, str):
            found.append((path, name, "condition", kb.condition_ids))
    return [doc.issue(path, "invalid_value", "this field is still empty: fill it in")
            if not value.strip() else
            doc.issue(path, "invalid_value", f"{value!r} is not a {what} of the knowledge in use",
                      hints(value, allowed) or "allowed: " + ", ".join(allowed)
                      + f"; a course pack may add a {what} (docs/authoring.md)")
            for path, value, what, allowed in found if value not in allowed]


def _repeated_conditions(doc: YamlDocument) -> Iterator[Issue]:
    """A condition listed twice: an error naming both lines, whichever measure comes first
    (the stricter one must not depend on the order of the list)."""
    field = "conditions" if "conditions" in doc.data else "contraindications"
    first: dict[str, int] = {}
    for i, item in enumerate(doc.data.get(field) or ()) if isinstance(
            doc.data.get(field), list) else ():
        name = item.get("name") if isinstance(item, dict) else item
        if field == "contraindications" and isinstance(name, str):
            name = V1_CONTRAINDICATIONS.get(name, name)
            name = name["name"] if isinstance(name, dict) else name
        if not isinstance(name, str):
            continue
        if name in first:
            earlier, here = doc.line_of([field, first[name]]), doc.line_of([field, i])
            yield doc.issue([field, i], "duplicate_condition",
                            f"{name!r} is listed twice, on lines {earlier} and {here}",
                            f"list {name} once, with the measure that holds now; when in "
                            "doubt keep the stricter one, such as the worse CKD stage")
        else:
            first[name] = i


def _valid_id(case_id: str) -> bool:
    try:
        _CASE_ID.validate_python(case_id)
    except ValidationError:
        return False
    return True


def _get(data: Any, *keys: str) -> Any:
    for key in keys:
        data = data.get(key) if isinstance(data, dict) else None
    return data


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _strings_in(value: Any) -> list[tuple[int, str]]:
    return [(i, item) for i, item in enumerate(value) if isinstance(item, str)] if isinstance(
        value, list) else []


# --- checks on the text ---------------------------------------------------------------------

def text_issues(doc: YamlDocument) -> list[Issue]:
    """Identifiers, markup, control characters and spoilers, each on its own line."""
    found: list[tuple[int, str, str, int, int]] = [
        (p.index, p.code, p.message, p.start, p.end)
        for p in text_problems([text for _, text in doc.strings])]
    diagnosis = doc.data.get("diagnosis")
    if isinstance(diagnosis, str) and diagnosis in diagnosis_scripts():
        for index, (path, text) in enumerate(doc.strings):
            if shown_before_submitting(path):
                found += [(index, "spoiler", s.message, s.start, s.end)
                          for s in spoilers(text, diagnosis)]
    return _located(doc, found, _TEXT_HINTS)


def _located(doc: YamlDocument, found: Sequence[tuple[int, str, str, int, int]],
             hints: dict[str, str]) -> list[Issue]:
    """An issue for each (string index, code, message, start, end), on the line inside the
    string where it is; the same message on the same line once."""
    by_string: dict[int, list[tuple[int, str, str, int, int]]] = {}
    for item in found:
        by_string.setdefault(item[0], []).append(item)
    issues: list[Issue] = []
    seen: set[tuple[Path, str, int, str]] = set()
    for index, items in sorted(by_string.items()):
        items.sort(key=lambda item: item[3])
        path = doc.strings[index][0]
        for (_, code, message, _, _), line in zip(
                items, doc.lines_in_string(index, [(s, e) for *_, s, e in items]), strict=True):
            if (path, code, line, message) not in seen:
                seen.add((path, code, line, message))
                issues.append(doc.issue(path, code, message, hints.get(code, ""), line=line))
    return issues


# --- checks on the facts --------------------------------------------------------------------

def salvaged_case(data: dict[str, Any], err: ValidationError
                  ) -> tuple[Case | None, dict[int, frozenset[str]]]:
    """The case without the fields of its visits that failed validation (each visit's other
    facts kept), and the fields left out of each visit; None when a field outside the visits
    failed (the facts every visit builds on are unknown)."""
    left_out: dict[int, set[str]] = {}
    for error in err.errors(include_url=False):
        loc = error["loc"]
        if len(loc) < 2 or loc[0] != "visits" or not isinstance(loc[1], int):
            return None, {}
        left_out.setdefault(loc[1], set()).add(str(loc[2]) if len(loc) > 2 else "*")
    visits = list(data["visits"])
    for n, fields in left_out.items():
        visit = visits[n] if isinstance(visits[n], dict) and "*" not in fields else {}
        visit = {key: value for key, value in visit.items() if key not in fields}
        if "week" not in visit:
            fields.add("week")  # its facts are not checked; later visits still build on them
            visit["week"] = _previous_week(data, visits, n)
        visit.setdefault("presentation", "-")
        visits[n] = visit
    try:
        return Case.model_validate({**data, "visits": visits}), {
            n: frozenset(fields) for n, fields in left_out.items()}
    except ValidationError:
        return None, {}


def _previous_week(data: dict[str, Any], visits: list[Any], n: int) -> float:
    before = [_get(visit, "week") for visit in visits[:n]]
    weeks = [week for week in before if _number(week)]
    start = _get(data, "course", "symptom_weeks")
    return weeks[-1] if weeks else start if _number(start) else 0.0


def fact_issues(doc: YamlDocument, case: Case,
                left_out: dict[int, frozenset[str]] | None = None) -> list[Issue]:
    """Contradicting facts at every visit, and results the pathway orders but the case does
    not give. A visit whose fields were ``left_out`` is checked only on facts it kept."""
    from dystonia_teach.core.engine import recommended_pathway

    kb = knowledge()
    left_out = left_out or {}
    first = list(_consistency_problems(case))
    issues = [doc.issue(path, code, message, hint) for path, code, message, hint in first]
    # a visit inherits the case's facts: report only what the visit itself makes inconsistent
    already = {(code, tuple(path)) for path, code, _, _ in first}
    red_flags = bool(case.red_flags)
    for index, at_visit in enumerate(cases_at_visits(case)):
        where: list[str | int] = ["visits", index - 1] if index else []
        missing = left_out.get(index - 1, frozenset()) if index else frozenset()
        if "week" in missing or "*" in missing:
            continue  # facts at an unknown week
        red_flags = red_flags or bool(at_visit.red_flags)
        for path, code, message, hint in _consistency_problems(at_visit) if index else ():
            if (code, tuple(path)) in already:
                continue
            path = path[1:] if path[0] == "course" else path  # a visit writes them directly
            if path[0] not in missing:
                issues.append(doc.issue([*where, *path], code, f"at this visit, {message}",
                                        hint))
        if missing & {"investigations", "pathology", "radicular", "red_flags", "operation"}:
            continue  # the pathway of a visit missing facts would order the wrong tests
        pathway = recommended_pathway(at_visit)
        if not index and case.patient.child and case.patient.weight_kg is None and any(
                kb.steps[s].dose for item in pathway for s in item.options):
            issues.append(doc.issue(
                ["patient"], "missing_weight",
                "a child's case whose pathway offers a dosed drug gives no weight",
                "add weight_kg under patient: (kg); children are dosed by weight"))
        for item in pathway:
            reveal = kb.steps[item.step].reveals
            if reveal and item.required and at_visit.result(reveal) is None:
                issues.append(doc.issue(
                    [*where, "investigations"], "missing_result",
                    f"the derived pathway orders {item.step} but investigations.{reveal} is "
                    "not given", f"add investigations.{reveal} with its report"))
    if red_flags:
        issues += _no_imaging_text(doc)
    return issues


def _consistency_problems(case: Case) -> Iterator[tuple[list[str], str, str, str]]:
    """Facts of ``case`` (the case at one visit) that contradict each other: (the field to
    fix, code, message, hint)."""
    imaging = case.investigations.imaging

    def issue(path: list[str], message: str, hint: str = "") -> tuple[list[str], str, str, str]:
        return path, "inconsistent_facts", message, hint

    if case.course.conservative_care_weeks > case.course.symptom_weeks:
        yield issue(["course", "conservative_care_weeks"],
                    "more weeks of conservative care than of symptoms")
    if case.pathology != "none" and (imaging is None or imaging.lesion != "compressive"):
        yield issue(["pathology"], f"pathology is {case.pathology} but imaging shows no "
                    "compressive lesion", "set investigations.imaging.lesion: compressive, or "
                    "pathology: none")
    if case.pathology == "none" and imaging is not None and imaging.lesion == "compressive":
        yield issue(["pathology"], "imaging shows a compressive lesion but pathology is none",
                    "name the pathology: stenosis, disc_herniation or stenosis_with_instability")
    instability = case.investigations.instability
    with_instability = case.pathology == "stenosis_with_instability"
    if (instability is not None or with_instability) and with_instability != bool(
            instability and instability.present):
        yield issue(["pathology"], "pathology and investigations.instability.present disagree",
                    "with instability present, pathology is stenosis_with_instability")
    if case.diagnosis == "radiculopathy_dystonia" and case.radicular.root == "none":
        yield issue(["radicular", "root"],
                    "radiculopathy dystonia needs radicular findings (a root)",
                    "give the root whose signs the examination finds, or another diagnosis")
    edx = case.investigations.electrodiagnosis
    if edx is not None and edx.chronic_reinnervation and (
            case.course.symptom_weeks < REINNERVATION_WEEKS):
        yield issue(["investigations", "electrodiagnosis", "chronic_reinnervation"],
                    f"chronic reinnervation after {case.course.symptom_weeks:g} weeks of "
                    f"symptoms: it takes about {REINNERVATION_WEEKS} weeks or more",
                    "report fibrillation potentials or a normal study, or lengthen "
                    "symptom_weeks")
    status = case.course.imaging_status
    if status != "not_yet_imaged" and (imaging is None or (imaging.lesion == "compressive") != (
            status == "imaged_with_lesion")):
        yield issue(["course", "imaging_status"], f"imaging_status is {status} but "
                    "investigations.imaging does not show that", "make the two agree")
    if "cauda_equina" in case.red_flags and not (case.radicular.level
                                                 or case.radicular.other_roots):
        yield issue(["radicular"], "cauda equina needs its level or the roots involved",
                    "add radicular.level (e.g. L5-S1) or radicular.other_roots")
    if case.condition("pregnancy") is not None and case.patient.sex == "male":
        yield issue(["conditions"], "pregnancy is recorded for a male patient",
                    "remove the condition, or correct patient.sex")
    cauda_signs = sorted(CAUDA_EQUINA_SIGNS.intersection(case.other_signs))
    if cauda_signs and "cauda_equina" not in case.red_flags:
        yield issue(["red_flags"], f"other_signs lists {', '.join(cauda_signs)} but red_flags "
                    "does not list cauda_equina",
                    "add cauda_equina to red_flags: the engine reads red_flags")


def _no_imaging_text(doc: YamlDocument) -> list[Issue]:
    """Text saying imaging is not needed, in a case with red flags (on its line)."""
    found = [(index, "inconsistent_facts", "the text says imaging is not needed, but the case "
              "has red flags: urgent imaging is part of its pathway", match.start(), match.end())
             for index, (path, text) in enumerate(doc.strings)
             if path and path[0] in ("teaching_notes", "stages", "visits")
             for match in NO_IMAGING_TEXT.finditer(text)]
    return _located(doc, found, {"inconsistent_facts": "rewrite the sentence"})

