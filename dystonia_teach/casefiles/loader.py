"""Load and validate case files, reporting every problem of a file at once.

A file is read (:mod:`~dystonia_teach.casefiles.yamlio`), its text checked, its fields checked
against the case model, then its ids and facts (:mod:`~dystonia_teach.casefiles.checks`): a
problem of one kind never hides one of another, and a bad field in a visit does not hide the
visit's other problems.

A case is checked with the knowledge of its course: the packs of ``DYSTONIA_TEACH_CASES`` and
the ``knowledge/`` folder beside it (:mod:`~dystonia_teach.core.packs`). Validating a folder
also checks its pack's files, each problem on its line (:func:`pack_reports`).
"""

from __future__ import annotations

import os
import re
import reprlib
import typing
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from dystonia_teach.casefiles.checks import (
    Hints,
    data_issues,
    fact_issues,
    salvaged_case,
    text_issues,
    vocabulary_issues,
)
from dystonia_teach.casefiles.locate import CASE_SUFFIXES, case_dirs, case_files
from dystonia_teach.casefiles.upgrade import upgrade
from dystonia_teach.casefiles.yamlio import YamlDocument, read_yaml_file, read_yaml_text
from dystonia_teach.core.case_model import SCHEMA_VERSION, Case, Visit
from dystonia_teach.core.errors import CaseInvalidError, CaseNotFoundError, Issue, did_you_mean
from dystonia_teach.core.knowledge import load_knowledge, refresh_knowledge
from dystonia_teach.core.packs import (
    course_folders_in_use,
    course_pack,
    env_course_folders,
    package_pack,
    use_course_folder,
)

_SHORT_REPR = reprlib.Repr()
_SHORT_REPR.maxstring = _SHORT_REPR.maxother = 60
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
    """Validate one case file with its course's knowledge; never raises for bad content (a
    broken course pack beside it is reported with the case's issues)."""
    path = Path(path)
    refresh_knowledge()
    folders, broken = course_knowledge(path.parent)
    report = _validate_with(path, folders)
    report.issues[:0] = broken
    if broken:
        report.case = None
    return report


def _validate_with(path: Path, folders: tuple[Path, ...]) -> CaseReport:
    with course_folders_in_use(folders):
        return _validate_document(read_yaml_file(path), expected_id=path.stem)


def course_knowledge(folder: Path) -> tuple[tuple[Path, ...], list[Issue]]:
    """The course folders whose packs a case in ``folder`` is checked with (those of
    ``DYSTONIA_TEACH_CASES``, then ``folder``), and the issues of the packs left out because
    they cannot be used (the case is then checked without them)."""
    wanted = tuple(dict.fromkeys([*env_course_folders(), folder]))
    kb, issues = load_knowledge(_packs(wanted))
    if kb is not None:
        return wanted, []
    usable = tuple(f for f in wanted if load_knowledge(_packs((f,)))[0] is not None)
    if load_knowledge(_packs(usable))[0] is None:
        usable = ()
    return usable, list(issues)


def _packs(folders: Iterable[Path]) -> tuple[Any, ...]:
    packs = (course_pack(f) for f in folders)
    return (package_pack(), *(p for p in packs if p.folder.is_dir()))


def pack_reports(folders: Iterable[Path]) -> list[CaseReport]:
    """One report per file of the course packs in ``folders`` (with the packs of
    ``DYSTONIA_TEACH_CASES`` loaded before them), each issue at its file and line. A file's
    text is read as a case file's is (tabs, control characters, YAML syntax in plain words)."""
    reports: list[CaseReport] = []
    for folder in dict.fromkeys(folders):
        pack = course_pack(folder)
        if not pack.folder.is_dir():
            continue
        _, issues = load_knowledge(_packs(dict.fromkeys([*env_course_folders(), folder])))
        for file in pack.files():
            shown = f"{pack.shown}/{file.name}"
            text = [replace(issue, file=shown) for issue in read_yaml_file(file).issues]
            unread = bool(_READING_CODES.intersection(i.code for i in text))
            found = [i for i in issues
                     if i.file == shown and not (unread and i.code in _READING_CODES)]
            reports.append(CaseReport(shown, issues=sorted(found + text, key=_line_order)))
        reports += [CaseReport(i.file, issues=[i]) for i in issues
                    if not i.file.startswith(pack.shown + "/")]
    return reports


#: Problems that stop a file being read: the case files' reader words them best.
_READING_CODES = frozenset({"yaml_syntax", "duplicate_key", "yaml_alias", "empty_file",
                            "not_a_mapping", "binary_file", "unreadable_file"})


_PACK_UNUSABLE = "the knowledge packs in use have problems, listed above: checked without them"
#: Issues about an id that a knowledge pack may define.
_KNOWLEDGE_IDS = frozenset({"invalid_value", "unknown_step", "unknown_evidence"})


def _line_order(issue: Issue) -> tuple[int, str]:
    return issue.line or 0, issue.field


def validate_paths(paths: Iterable[Path | str]) -> list[CaseReport]:
    """Validate files and folders (their ``*.yaml``), also checking ids are unique, and the
    course packs beside them (first); a folder that cannot be listed is reported as an
    unreadable file."""
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
    refresh_knowledge()
    by_folder: dict[Path, list[Path]] = {Path(p): [] for p in paths if Path(p).is_dir()}
    for file in files.values():
        by_folder.setdefault(file.parent, []).append(file)
    reports[:0] = pack_reports(by_folder)
    for folder, in_folder in by_folder.items():
        usable, broken = course_knowledge(folder)
        checked = [_validate_with(p, usable) for p in in_folder]
        if broken:  # say why an id of the pack is unknown
            for report in checked:
                report.issues = [replace(i, hint=f"{_PACK_UNUSABLE}; {i.hint}")
                                 if i.code in _KNOWLEDGE_IDS else i for i in report.issues]
        reports += checked
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
    report.issues += text_issues(doc)
    case = None
    if _schema_version_ok(doc, report):
        hints = Hints()
        report.issues += data_issues(doc, expected_id, hints)
        data = upgrade(doc.data)
        report.issues += vocabulary_issues(doc, data, hints)
        left_out: dict[int, frozenset[str]] = {}
        try:
            case = Case.model_validate(data)
        except ValidationError as err:
            repeated = any(issue.code == "duplicate_condition" for issue in report.issues)
            report.issues += [  # a repeated condition is named above, with both its lines
                issue for issue in _pydantic_issues(doc, err, hints,
                                                    renamed=_renamed_fields(doc.data))
                if not (repeated and "listed twice" in issue.message)]
            case, left_out = salvaged_case(data, err)
        if case is not None:
            report.issues += fact_issues(doc, case, left_out)
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
    """The model in ``annotation``: itself, or one inside ``X | None`` or ``tuple[X, ...]``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
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


def _shown(value: Any) -> str:
    """``repr(value)``, shortened (a pasted page or a long list is cut)."""
    return _SHORT_REPR.repr(value)


def _renamed_fields(data: dict[str, Any]) -> dict[str, str]:
    """Version 2 field -> the version 1 field it was upgraded from (to point at its line)."""
    return {"conditions": "contraindications"} if data.get("schema_version") == 1 else {}


def _pydantic_issues(doc: YamlDocument, err: ValidationError, hints: Hints,
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
                _visit_field_hint(loc) or _ANSWER_FIELD_HINT.get(str(loc[-1]))
                or "see `dystonia-teach schema` for the fields")
        elif kind == "missing":
            code, message = "missing_field", "this required field is missing"
            hint = "see `dystonia-teach schema`"
        elif kind == "literal_error":
            code, message = "invalid_value", f"{_shown(value)} is not allowed here"
            allowed = _allowed_literals(loc)
            hint = hints(str(value), allowed) or ("allowed: " + ", ".join(allowed))
        elif kind in _TYPE_ERRORS:
            code, message = "wrong_type", f"{error['msg'].lower()}, found {_shown(value)}"
            hint = _type_hint(kind, value)
        else:
            code, message = "invalid_value", f"{error['msg'].lower()}, found {_shown(value)}"
        if kind not in ("missing", "extra_forbidden") and value in (None, "", [], ()):
            message = "this field is still empty: fill it in"  # a scaffold placeholder
        issues.append(doc.issue(loc, code, message, hint))
    return issues


_ANSWER_HINT = ("answers are never written in a case: the engine derives the pathway and the "
                "feedback from the facts; delete this field")
#: Fields an author may write expecting an answer key.
_ANSWER_FIELD_HINT = dict.fromkeys(("recommended", "answer", "answers", "key", "correct",
                                    "pathway", "expected", "score"), _ANSWER_HINT)
_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?")


def _type_hint(kind: str, value: Any) -> str:
    """How to write a value of the wanted type (a number without its unit, true or false...)."""
    if kind.startswith(("int_", "float_")):
        number = _NUMBER.search(value) if isinstance(value, str) else None
        whole = "a whole number" if kind.startswith("int_") else "a number"
        if number and number.group() != value.strip():
            return f"write {whole} alone, without a unit: {number.group()}"
        return f"write {whole}, such as 12"
    if kind.startswith("bool_"):
        return "write true or false"
    if kind in ("list_type", "tuple_type"):
        return "write a list: [first, second], or one '- item' per line"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return "write the fields of this section under it, indented (see `dystonia-teach schema`)"
    if kind == "string_type" and isinstance(value, dict):
        return "write a single value here, not fields: a step is its id alone, without a dose"
    if kind == "string_type":
        return "write text; put quotes around a value that looks like a number or a date"
    return "see `dystonia-teach schema`"


def _visit_field_hint(loc: Sequence[Any]) -> str:
    """Why a case field is refused inside a visit: it is fixed for the whole case."""
    if len(loc) != 3 or loc[0] != "visits" or loc[-1] not in Case.model_fields:
        return ""
    return (f"{loc[-1]!r} is fixed for the whole case: write it once at the top level. A visit "
            f"may change only: {', '.join(Visit.model_fields)}")


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
    """Load a case by file path or by id; raises CaseNotFoundError or CaseInvalidError. A case
    file's course pack (the ``knowledge/`` folder beside it) is in use from then on."""
    path = case_path(path_or_id)
    report = validate_file(path)
    if report.case is None:
        raise CaseInvalidError(path, report.issues)
    if course_pack(path.parent).folder.is_dir():
        use_course_folder(path.parent)
    return report.case
