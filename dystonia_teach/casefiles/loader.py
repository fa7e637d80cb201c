"""Load and validate case files, reporting every problem of a file at once."""

from __future__ import annotations

import os
import re
import reprlib
import types
import typing
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from dystonia_teach.casefiles.lints import text_problems
from dystonia_teach.casefiles.locate import CASE_SUFFIXES, case_dirs, case_files
from dystonia_teach.casefiles.upgrade import upgrade
from dystonia_teach.casefiles.yamlio import YamlDocument, read_yaml_file, read_yaml_text
from dystonia_teach.core.case_model import SCHEMA_VERSION, Case, Visit
from dystonia_teach.core.errors import CaseInvalidError, CaseNotFoundError, Issue, did_you_mean
from dystonia_teach.core.knowledge import knowledge
from dystonia_teach.core.visits import case_at_visit, visit_count

#: Signs that make cauda equina syndrome a red flag the case must state.
CAUDA_EQUINA_SIGNS = frozenset({"saddle_anaesthesia", "bladder_dysfunction"})
_LINT_HINTS = {
    "control_character": "delete it: case text is plain, printable text",
    "markup_in_text": "write plain text; no markup and no real identifiers",
    "patient_identifier": "write plain text; no markup and no real identifiers",
}
#: "Did you mean" hints per file; each compares a word with a whole catalogue, so a file of
#: thousands of almost-right ids would otherwise take seconds.
HINTS_PER_FILE = 20
_SHORT_REPR = reprlib.Repr()
_SHORT_REPR.maxstring = _SHORT_REPR.maxother = 60
#: Chronic reinnervation on EMG needs about three months of denervation (emg_timing).
REINNERVATION_WEEKS = 12
#: Text that denies the need for imaging (a contradiction in a red-flag case).
NO_IMAGING_TEXT = re.compile(
    r"\b(no (need for )?(imaging|MRI|scan)( is)? (needed|indicated|required)"
    r"|(imaging|MRI|a scan) (is|was) not (needed|indicated|required))\b", re.IGNORECASE)
#: Versions read (older ones are upgraded first, casefiles.upgrade).
SUPPORTED_VERSIONS = (1, SCHEMA_VERSION)
_TYPE_ERRORS = {
    "int_parsing", "int_type", "int_from_float", "float_parsing", "float_type", "bool_parsing",
    "bool_type", "string_type", "tuple_type", "list_type", "model_type", "model_attributes_type",
    "dict_type", "none_required", "is_instance_of",
}


@dataclass
class CaseReport:
    """The outcome of validating one file: the case when valid, and every issue."""

    file: str
    case: Case | None = None
    issues: list[Issue] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.case is not None and not self.issues


def validate_text(text: str, file: str = "<text>", expected_id: str | None = None) -> CaseReport:
    """Validate case-file text (the case builder's draft); with ``expected_id`` the case's id
    must equal it, as a file's id must equal its name."""
    return _validate_document(read_yaml_text(text, file), expected_id)


def validate_file(path: Path | str) -> CaseReport:
    """Validate one case file; never raises for bad content."""
    path = Path(path)
    return _validate_document(read_yaml_file(path), expected_id=path.stem)


def validate_paths(paths: Iterable[Path | str]) -> list[CaseReport]:
    """Validate files and folders (their ``*.yaml``), also checking ids are unique; a folder
    that cannot be listed is reported as an unreadable file."""
    files: dict[str, Path] = {}  # a file named twice (cases/ and cases/x.yaml) is read once
    reports: list[CaseReport] = []
    for raw in paths:
        path = Path(raw)
        try:
            entries = case_files(path) if path.is_dir() else [path]
        except OSError as err:
            reports.append(CaseReport(str(path), issues=[Issue(
                str(path), None, "", "unreadable_file",
                f"cannot list the folder: {err.strerror or err}")]))
            continue
        for file in entries:
            files.setdefault(os.path.realpath(file), file)  # realpath: a link loop is no error
    reports += [validate_file(p) for p in files.values()]
    first: dict[str, str] = {}
    for report in reports:
        if report.case is None:
            continue
        case_id = report.case.id
        if case_id in first:
            report.issues.append(Issue(report.file, 1, "id", "duplicate_case_id",
                                       f"the id {case_id!r} is also used by {first[case_id]}",
                                       "give each case its own id"))
            report.case = None
        else:
            first[case_id] = report.file
    return reports


def _validate_document(doc: YamlDocument, expected_id: str | None) -> CaseReport:
    report = CaseReport(doc.file, issues=list(doc.issues))
    if report.issues:
        return report
    data = doc.data
    for path, code, message in text_problems(doc.strings):
        report.issues.append(doc.issue(path, code, message, _LINT_HINTS[code]))
    if not _schema_version_ok(doc, report):
        return report
    hints = _Hints()
    try:
        case = Case.model_validate(upgrade(data))
    except ValidationError as err:
        report.issues.extend(_pydantic_issues(doc, err, hints, renamed=_renamed_fields(data)))
        report.issues.sort(key=lambda i: (i.line or 0, i.field))
        return report
    report.issues.extend(_semantic_issues(doc, case, expected_id, hints))
    report.issues.sort(key=lambda i: (i.line or 0, i.field))
    report.case = None if report.issues else case
    return report


def _schema_version_ok(doc: YamlDocument, report: CaseReport) -> bool:
    version = doc.data.get("schema_version")
    if isinstance(version, int) and not isinstance(version, bool) and version > SCHEMA_VERSION:
        report.issues.append(doc.issue(
            ["schema_version"], "schema_too_new",
            f"schema_version {version} is newer than this dystonia_teach understands "
            f"({SCHEMA_VERSION})", "upgrade dystonia_teach, or write the case for "
            f"schema_version: {SCHEMA_VERSION}"))
        return False
    if version not in SUPPORTED_VERSIONS or type(version) is not int:  # not true, not 1.0
        report.issues.append(doc.issue(
            ["schema_version"], "schema_unknown",
            f"schema_version must be {SCHEMA_VERSION} (or an older "
            f"{', '.join(map(str, SUPPORTED_VERSIONS[:-1]))}), found {_shown(version)}",
            f"add `schema_version: {SCHEMA_VERSION}` as the first line"))
        return False
    return True


def _model_at(loc: Sequence[str | int]) -> type[BaseModel] | None:
    """The model class whose fields live at ``loc`` (for "did you mean" on unknown fields)."""
    model: type[BaseModel] | None = Case
    for part in loc:
        if model is None:
            return None
        if isinstance(part, int):
            continue
        info = model.model_fields.get(str(part))
        model = _model_in(info.annotation) if info else None
    return model


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        for arg in typing.get_args(annotation):
            found = _model_in(arg)
            if found:
                return found
    return None


def _allowed_literals(loc: Sequence[str | int]) -> tuple[str, ...]:
    parts = list(loc)
    while parts and isinstance(parts[-1], int):  # an item of a list field: look at the field
        parts.pop()
    model = _model_at(parts[:-1]) if parts else None
    info = model.model_fields.get(str(parts[-1])) if model else None
    if info is None:
        return ()
    values: list[str] = []
    stack = [info.annotation]
    while stack:
        ann = stack.pop()
        if typing.get_origin(ann) is typing.Literal:
            values.extend(str(v) for v in typing.get_args(ann))
        else:
            stack.extend(typing.get_args(ann))
    return tuple(values)


class _Hints:
    """"Did you mean" hints, at most HINTS_PER_FILE of them (then a pointer to the list)."""

    def __init__(self) -> None:
        self.left = HINTS_PER_FILE

    def __call__(self, word: str, choices: Iterable[str]) -> str:
        if self.left <= 0:
            return ""
        self.left -= 1
        return did_you_mean(word, choices)


def _shown(value: Any) -> str:
    """``repr(value)``, shortened (a pasted page or a long list is cut)."""
    return _SHORT_REPR.repr(value)


def _renamed_fields(data: Any) -> dict[str, str]:
    """Version 2 field -> the version 1 field it was upgraded from (to point at its line)."""
    return {"conditions": "contraindications"} if data.get("schema_version") == 1 else {}


def _pydantic_issues(doc: YamlDocument, err: ValidationError, hints: _Hints,
                     renamed: dict[str, str] | None = None) -> list[Issue]:
    issues = []
    for error in err.errors(include_url=False):
        loc = [p for p in error["loc"] if not (isinstance(p, str) and p.startswith("function-"))]
        if loc and renamed and loc[0] in renamed:
            loc[0] = renamed[str(loc[0])]
        kind, value = error["type"], error.get("input")
        hint = ""
        if kind == "extra_forbidden":
            code, message = "unknown_field", f"{loc[-1]!r} is not a field here"
            model = _model_at(loc[:-1])
            hint = hints(str(loc[-1]), model.model_fields if model else ()) or (
                _visit_field_hint(loc) or "see `dystonia-teach schema` for the fields")
        elif kind == "missing":
            code, message = "missing_field", "this required field is missing"
            hint = "see `dystonia-teach schema`"
        elif kind == "literal_error":
            code, message = "invalid_value", f"{_shown(value)} is not allowed here"
            allowed = _allowed_literals(loc)
            hint = hints(str(value), allowed) or ("allowed: " + ", ".join(allowed))
        elif kind in _TYPE_ERRORS:
            code, message = "wrong_type", f"{error['msg'].lower()}, found {_shown(value)}"
        else:
            code, message = "invalid_value", f"{error['msg'].lower()}, found {_shown(value)}"
        if kind not in ("missing", "extra_forbidden") and value in (None, "", [], ()):
            message = "this field is still empty: fill it in"  # a scaffold placeholder
        issues.append(doc.issue(loc, code, message, hint))
    return issues


def _visit_field_hint(loc: Sequence[Any]) -> str:
    """Why a case field is refused inside a visit: it is fixed for the whole case."""
    if len(loc) != 3 or loc[0] != "visits" or loc[-1] not in Case.model_fields:
        return ""
    return (f"{loc[-1]!r} is fixed for the whole case: write it once at the top level. A visit "
            f"may change only: {', '.join(Visit.model_fields)}")


def _semantic_issues(doc: YamlDocument, case: Case, expected_id: str | None,
                     hints: _Hints) -> list[Issue]:
    from dystonia_teach.core.engine import recommended_pathway

    kb = knowledge()
    issues: list[Issue] = []
    if expected_id is not None and case.id != expected_id:
        issues.append(doc.issue(["id"], "id_mismatch",
                                f"id {case.id!r} differs from the file name {expected_id!r}",
                                f"rename the file to {case.id}.yaml or set id: {expected_id}"))
    for i, ref in enumerate(case.evidence):
        if ref not in kb.claims:
            issues.append(doc.issue(["evidence", i], "unknown_evidence",
                                    f"{ref!r} is not in the evidence catalogue",
                                    hints(ref, kb.claims) or "see evidence_table()"))
    for i, ref in enumerate(case.course.conservative_care):
        if ref not in kb.steps:
            issues.append(doc.issue(["course", "conservative_care", i], "unknown_step",
                                    f"{ref!r} is not a step id",
                                    hints(ref, kb.steps) or "see step_catalogue()"))
    issues.extend(_consistency_issues(doc, case))
    issues.extend(_visit_issues(doc, case))
    if not issues:
        for index in range(visit_count(case)):
            at_visit, where = case_at_visit(case, index), _visit_path(index)
            pathway = recommended_pathway(at_visit)
            if not index and case.patient.child and case.patient.weight_kg is None and any(
                    kb.steps[s].dose for item in pathway for s in item.options):
                issues.append(doc.issue(
                    ["patient"], "missing_weight",
                    "a child's case whose pathway offers a dosed drug gives no weight",
                    "add weight_kg under patient: (kg); children are dosed by weight"))
            for item in pathway:
                reveal = kb.steps[item.step].reveals
                if not item.required:
                    continue
                if reveal and at_visit.result(reveal) is None:
                    issues.append(doc.issue(
                        [*where, "investigations"], "missing_result",
                        f"the derived pathway orders {item.step} but investigations.{reveal} "
                        "is not given", f"add investigations.{reveal} with its report"))
    return issues


def _visit_path(index: int) -> list[str | int]:
    """Where visit ``index`` (0 = the case's own facts) is written in the file."""
    return ["visits", index - 1] if index else []


def _visit_issues(doc: YamlDocument, case: Case) -> list[Issue]:
    """Each follow-up visit: later than the one before, and its facts consistent."""
    kb = knowledge()
    issues: list[Issue] = []
    week = case.course.symptom_weeks
    # a visit inherits the case's facts: report only what the visit itself makes inconsistent
    already = {(issue.code, issue.field) for issue in _consistency_issues(doc, case)}
    for n, visit in enumerate(case.visits):
        where = _visit_path(n + 1)
        if visit.week <= week:
            issues.append(doc.issue([*where, "week"], "inconsistent_facts",
                                    f"visit week {visit.week:g} is not after week {week:g}"))
        week = visit.week
        for i, ref in enumerate(visit.conservative_care or ()):
            if ref not in kb.steps:
                issues.append(doc.issue([*where, "conservative_care", i], "unknown_step",
                                        f"{ref!r} is not a step id",
                                        did_you_mean(ref, kb.steps) or "see step_catalogue()"))
        for issue in _consistency_issues(doc, case_at_visit(case, n + 1)):
            if (issue.code, issue.field) in already:
                continue
            field = issue.field.removeprefix("course.")
            issues.append(doc.issue([*where, *field.split(".")], issue.code,
                                    f"at this visit, {issue.message}", issue.hint))
    return issues


def _consistency_issues(doc: YamlDocument, case: Case) -> list[Issue]:
    issues = []
    imaging = case.investigations.imaging

    def add(path: list[str], message: str, hint: str = "") -> None:
        issues.append(doc.issue(path, "inconsistent_facts", message, hint))

    if case.course.conservative_care_weeks > case.course.symptom_weeks:
        add(["course", "conservative_care_weeks"],
            "more weeks of conservative care than of symptoms")
    if case.pathology != "none" and (imaging is None or imaging.lesion != "compressive"):
        add(["pathology"], f"pathology is {case.pathology} but imaging shows no compressive lesion",
            "set investigations.imaging.lesion: compressive, or pathology: none")
    if case.pathology == "none" and imaging is not None and imaging.lesion == "compressive":
        add(["pathology"], "imaging shows a compressive lesion but pathology is none",
            "name the pathology: stenosis, disc_herniation or stenosis_with_instability")
    instability = case.investigations.instability
    with_instability = case.pathology == "stenosis_with_instability"
    if (instability is not None or with_instability) and with_instability != bool(
        instability and instability.present
    ):
        add(["pathology"], "pathology and investigations.instability.present disagree")
    if case.diagnosis == "radiculopathy_dystonia" and case.radicular.root == "none":
        add(["radicular", "root"], "radiculopathy dystonia needs radicular findings (a root)")
    edx = case.investigations.electrodiagnosis
    if edx is not None and edx.chronic_reinnervation and (
            case.course.symptom_weeks < REINNERVATION_WEEKS):
        add(["investigations", "electrodiagnosis", "chronic_reinnervation"],
            f"chronic reinnervation after {case.course.symptom_weeks:g} weeks of symptoms: it "
            f"takes about {REINNERVATION_WEEKS} weeks or more",
            "report fibrillation potentials or a normal study, or lengthen symptom_weeks")
    status = case.course.imaging_status
    if status != "not_yet_imaged" and (imaging is None or (imaging.lesion == "compressive") != (
            status == "imaged_with_lesion")):
        add(["course", "imaging_status"], f"imaging_status is {status} but "
            "investigations.imaging does not show that", "make the two agree")
    if "cauda_equina" in case.red_flags and not (case.radicular.level
                                                 or case.radicular.other_roots):
        add(["radicular"], "cauda equina needs its level or the roots involved",
            "add radicular.level (e.g. L5-S1) or radicular.other_roots")
    if case.red_flags and NO_IMAGING_TEXT.search(" ".join(
            (case.teaching_notes, *case.stages.model_dump().values()))):
        add(["teaching_notes"], "the text says imaging is not needed, but the case has red "
            "flags: urgent imaging is part of its pathway", "rewrite the sentence")
    pregnancy = case.condition("pregnancy")
    if pregnancy is not None and case.patient.sex == "male":
        add(["conditions"], "pregnancy is recorded for a male patient")
    cauda_signs = sorted(CAUDA_EQUINA_SIGNS.intersection(case.other_signs))
    if cauda_signs and "cauda_equina" not in case.red_flags:
        add(["red_flags"], f"other_signs lists {', '.join(cauda_signs)} but red_flags does not "
            "list cauda_equina", "add cauda_equina to red_flags: the engine reads red_flags")
    return issues


def _find_case_file(case_id: str) -> Path | None:
    """The entry for ``case_id`` in the case folders, also when it is not a readable file (so
    that loading it names the problem instead of saying there is no such case)."""
    for folder in case_dirs():
        for suffix in CASE_SUFFIXES:
            candidate = folder / f"{case_id}{suffix}"
            if os.path.lexists(candidate):
                return candidate
    return None


def list_cases() -> list[str]:
    """Ids of the cases available (instructor folders first, then the bundled ones), sorted.

    Every entry named like a case file counts, readable or not: loading a bad one raises
    :class:`CaseInvalidError` naming its problem. A folder that cannot be listed is passed over.
    """
    ids: set[str] = set()
    for folder in case_dirs():
        try:
            ids.update(path.stem for path in case_files(folder))
        except OSError:
            continue
    return sorted(ids)


def case_path(path_or_id: Path | str) -> Path:
    """The file of a case given by path or by id; raises CaseNotFoundError."""
    path = Path(path_or_id)
    is_path = isinstance(path_or_id, Path) or path.suffix in CASE_SUFFIXES or len(path.parts) > 1
    if not is_path:
        found = _find_case_file(str(path_or_id))
        if found is None:
            hint = did_you_mean(str(path_or_id), list_cases())
            raise CaseNotFoundError(f"no case with id {path_or_id!r}" + (f"; {hint}" if hint else
                                    f"; available: {', '.join(list_cases())}"))
        return found
    if not os.path.lexists(path):
        raise CaseNotFoundError(f"no case file at {path}")
    return path


def load_case(path_or_id: Path | str) -> Case:
    """Load a case by file path or by id; raises CaseNotFoundError or CaseInvalidError."""
    path = case_path(path_or_id)
    report = validate_file(path)
    if report.case is None:
        raise CaseInvalidError(path, report.issues)
    return report.case
