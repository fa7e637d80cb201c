"""Instructor authoring: the case-file reference, the new-case scaffold and the case preview.

Everything here is derived from the case model (``Case.model_json_schema()``) and the knowledge
base, so the reference and the scaffold cannot drift from what the validator accepts. The CLI
(:mod:`dystonia_teach.cli`) only prints what these functions return.
"""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dystonia_teach.casefiles.loader import CaseReport
from dystonia_teach.core.case_model import SCHEMA_VERSION, Case
from dystonia_teach.core.errors import ISSUE_CODES
from dystonia_teach.core.kb_model import KnowledgeBase
from dystonia_teach.core.knowledge import knowledge, source_ref
from dystonia_teach.core.predicates import PREDICATES, is_hidden
from dystonia_teach.core.vocabulary import PHASE_LABELS

#: Notes for authors, by dotted field path, added to the model's own descriptions.
FIELD_NOTES: dict[str, str] = {
    "schema_version": f"The case-format version: write {SCHEMA_VERSION}.",
    "id": "Lower-case letters, digits, _ and -; the same as the file name without .yaml.",
    "title": "One line shown above the vignette. No patient names.",
    "summary": "One sentence for case lists and the instructor's overview.",
    "patient.age": "Whole years, a number without a unit (46, not '46 years').",
    "course.symptom_weeks": "Weeks since the symptoms began, a number without a unit "
                            "(1.5 for ten days).",
    "course.conservative_care_weeks": "At most symptom_weeks. Six or more weeks means an "
                                      "adequate conservative trial has been completed.",
    "course.conservative_care": "See the step ids in `dystonia-teach schema`.",
    "red_flags": "Red flags present; [] when there are none. Any red flag changes the derived "
                 "pathway (urgent imaging, and surgical referral for neurological ones).",
    "conditions": "Stated once for the whole case. A name (- heart_failure) or a mapping "
                  "({name: ckd, stage: 4}); pregnancy needs weeks. The knowledge base applies "
                  "them to every step (a course pack may add conditions).",
    "dystonia.postures": "The observed postures of the foot and toes (at least one).",
    "dystonia.triggers": "What brings the dystonia on (at least one).",
    "dystonia.relieved_by_rest": "Does stopping or sitting relieve it?",
    "dystonia.sensory_trick": "Does a sensory trick (geste antagoniste) ease it?",
    "dystonia.present_at_rest": "Is the posture present at rest too?",
    "dystonia.diurnal_worsening": "Is it worse later in the day?",
    "functional_signs": "Positive signs of a functional disorder found; [] when none.",
    "other_signs": "Other findings, often pointing to a mimic; [] when none (a course pack may "
                   "add signs).",
    "radicular.root": "The clinically affected root; none when there are no root signs.",
    "radicular.side": "Side of the root signs; leave ~ when root is none.",
    "radicular.weakness": "Free text for the record; learners read stages.examination.",
    "radicular.sensory_loss": "Free text for the record; learners read stages.examination.",
    "radicular.reflexes": "Free text for the record; learners read stages.examination.",
    "investigations": "Give a result for every test the derived pathway orders (else "
                      "missing_result); leave out tests this patient has no result for.",
    "investigations.imaging.root": "The root the lesion compresses, if any.",
    "investigations.electrodiagnosis.root": "The root EMG localises to, if any.",
    "pathology": "The structural cause on imaging; none when there is no compressive lesion.",
    "disabling": "Do the symptoms disable the patient (walking, work, quality of life)?",
    "diagnosis": "The true diagnosis, revealed only after the learner submits: one of the "
                 "knowledge's diagnoses (a course pack may add one).",
    "stages.presentation": "Shown first: the history. Keep examination findings for later.",
    "stages.examination": "Shown once the learner chooses an assessment step.",
    "stages.follow_up": "Shown after the learner submits: what happened next.",
    "teaching_notes": "Shown after submission: the teaching point, with honest evidence levels.",
    "visits": "Follow-up visits, each a section with `week` (weeks since symptoms began), "
              "`presentation` (what the patient reports then) and, optionally, `examination` "
              "and the facts that changed: `conservative_care_weeks`, `conservative_care`, "
              "`red_flags`, `other_signs`, `radicular`, `disabling`, `investigations`, "
              "`operation` (done since the visit before), `pathology`. Facts left out stay as "
              "they were; the plan is judged again at each visit.",
    "evidence": "Ids of the evidence claims this case teaches; see the evidence ids in "
                "`dystonia-teach schema`.",
}

_KIND_OVERRIDES = {"course.conservative_care": "list of step ids",
                   "evidence": "list of evidence ids",
                   "conditions": "list of conditions (a name, or a mapping with its measure)"}
#: Fields whose identifiers are those of the knowledge in use (a course pack may add some).
_KNOWLEDGE_IDS: dict[str, tuple[str, Callable[[KnowledgeBase], tuple[str, ...]]]] = {
    "diagnosis": ("identifier", lambda kb: tuple(kb.diagnoses)),
    "other_signs": ("list of identifiers", lambda kb: kb.sign_ids),
    "visits.other_signs": ("list of identifiers", lambda kb: kb.sign_ids),
    "conditions": (_KIND_OVERRIDES["conditions"], lambda kb: kb.condition_ids),
}
_TYPE_NAMES = {"string": "text", "number": "number", "integer": "whole number",
               "boolean": "true or false", "object": "section"}
_NO_DEFAULT = object()


@dataclass(frozen=True)
class FieldDoc:
    """One field of the case format, as the reference and the scaffold describe it."""

    path: str
    kind: str
    required: bool
    default: Any
    allowed: tuple[str, ...]
    limits: str
    description: str
    nullable: bool

    @property
    def depth(self) -> int:
        return self.path.count(".")

    @property
    def is_section(self) -> bool:
        return self.kind == "section"

    @property
    def is_list(self) -> bool:
        return self.kind.startswith("list")


def field_docs() -> list[FieldDoc]:
    """Every field of a case file, in file order, walked from ``Case.model_json_schema()``."""
    schema = Case.model_json_schema()
    docs: list[FieldDoc] = []
    _walk(schema, schema["$defs"], "", docs)
    return docs


def _walk(node: dict[str, Any], defs: dict[str, Any], prefix: str, out: list[FieldDoc]) -> None:
    required = set(node.get("required", ()))
    for name, prop in node["properties"].items():
        path = f"{prefix}{name}"
        spec, nullable = _resolve(prop, defs)
        limits = _limits(spec)
        if path in _KNOWLEDGE_IDS:
            kind, ids = _KNOWLEDGE_IDS[path]
            allowed, limits = ids(knowledge()), ""
        elif path in _KIND_OVERRIDES:
            kind, allowed = _KIND_OVERRIDES[path], ()
        else:
            kind, allowed = _kind(spec)
        parts = (spec.get("description") if kind == "section" else "", prop.get("description"),
                 FIELD_NOTES.get(path))
        description = " ".join(p for p in parts if p).replace("``", "`")
        out.append(FieldDoc(path, kind, name in required, prop.get("default", _NO_DEFAULT),
                            allowed, limits, description, nullable))
        if kind == "section":
            _walk(spec, defs, f"{path}.", out)


def _resolve(prop: dict[str, Any], defs: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """The non-null schema of a property (following ``$ref``) and whether null is allowed."""
    options = prop.get("anyOf", [prop])
    spec = next(o for o in options if o.get("type") != "null")
    nullable = len(options) > 1
    if "$ref" in spec:
        spec = defs[spec["$ref"].rsplit("/", 1)[-1]]
    return spec, nullable


def _kind(spec: dict[str, Any]) -> tuple[str, tuple[str, ...]]:
    if spec.get("type") == "array":
        if "$ref" in spec["items"]:
            return "list of sections", ()
        item_kind, allowed = _kind(spec["items"])
        return f"list of {item_kind}s", allowed
    if "enum" in spec:
        return "identifier", tuple(str(v) for v in spec["enum"])
    return _TYPE_NAMES[spec["type"]], ()


def _limits(spec: dict[str, Any]) -> str:
    parts = []
    if "minimum" in spec and "maximum" in spec:
        parts.append(f"{spec['minimum']:g} to {spec['maximum']:g}")
    if spec.get("minItems"):
        parts.append(f"at least {spec['minItems']} item")
    if spec.get("minLength"):
        parts.append("not empty")
    if "pattern" in spec:
        parts.append(f"pattern {spec['pattern']}")
    return ", ".join(parts)


def case_id_problem(case_id: str) -> str:
    """Why ``case_id`` cannot be a case id, or an empty string when it can."""
    pattern = next(d.limits for d in field_docs() if d.path == "id").removeprefix("pattern ")
    if re.fullmatch(pattern, case_id):
        return ""
    return (f"{case_id!r} is not a valid case id: use 2 to 64 lower-case letters, digits, "
            "'_' or '-', starting with a letter or digit (e.g. early_disc_herniation)")


# --- the reference ------------------------------------------------------------------------------

def schema_reference() -> str:
    """The case-file reference as Markdown: fields, allowed values, step and evidence ids, codes."""
    lines = [f"# Case file reference (schema_version {SCHEMA_VERSION})", "",
             "Generated from the case model, so it always matches the validator. A field is "
             "written `section.field` here and nested under `section:` in the file.", "",
             "## Fields", ""]
    for doc in field_docs():
        need = "required" if doc.required else f"optional, default {_yaml_value(doc.default)}"
        kind = f"{doc.kind}, or ~ (none)" if doc.nullable else doc.kind
        limits = f"; {doc.limits}" if doc.limits else ""
        lines.append(f"- `{doc.path}`: {kind}{limits}; {need}.")
        if doc.description:
            lines.append(f"  {doc.description}")
        if doc.allowed:
            lines.append(f"  Allowed: {', '.join(f'`{v}`' for v in doc.allowed)}.")
    kb = knowledge()
    lines += ["", "## Step ids (for `course.conservative_care`)", ""]
    by_phase: dict[str, list[str]] = {}
    for step in kb.steps.values():
        by_phase.setdefault(step.phase, []).append(f"`{step.id}`")
    lines += [f"- {PHASE_LABELS[phase]}: {', '.join(ids)}" for phase, ids in by_phase.items()]
    lines += ["", "## Evidence ids (for `evidence`)", ""]
    for claim_id in kb.claims:
        ref = source_ref(claim_id)
        lines.append(f"- `{claim_id}` ({ref.badge}): {' '.join(ref.claim.split())}")
    lines += ["", "## Predicates (for `when:` in a knowledge pack, and a feature's `all:` "
              "and `any:`)", "", "Write `not name` to negate one. `diagnosis_<id>` reads the "
              "hidden diagnosis and is refused there.", ""]
    lines += [f"- `{name}`: {text}" for name, text in predicate_descriptions(kb).items()]
    lines += ["", "## Issue codes", "",
              "`dystonia-teach validate` reports each problem as "
              "`file:line: field.path: code: message (hint)`.", ""]
    lines += [f"- `{code}`: {meaning}" for code, meaning in ISSUE_CODES.items()]
    return "\n".join(lines) + "\n"


def predicate_descriptions(kb: KnowledgeBase) -> dict[str, str]:
    """Each predicate a knowledge pack may name, with a one-line description (the hidden
    ``diagnosis_<id>`` ones left out)."""
    described: dict[str, str] = {}
    for name, predicate in kb.predicates.items():
        if is_hidden(name):
            continue
        doc = (getattr(predicate, "__doc__", None) or "").strip()
        described[name] = " ".join(doc.split("\n\n")[0].split()) if doc and (
            name in PREDICATES) else ""
    for name in described:
        if name.startswith("established_") and name.removeprefix("established_") in (
                kb.diagnoses):
            label = kb.diagnoses[name.removeprefix("established_")].label
            described[name] = f"{label}, once a result that shows it is known."
        elif name in kb.signs:
            described[name] = f"Sign (a course pack's): {kb.signs[name].label}."
        elif name in kb.conditions:
            described[name] = f"Condition (a course pack's): {kb.conditions[name].label}."
        elif name in kb.features:
            described[name] = f"Feature (a course pack's): {kb.features[name].label}."
        elif name.startswith("pathology_"):
            described[name] = f"Known imaging shows {name.removeprefix('pathology_')}."
        elif not described[name]:
            described[name] = f"The patient has the condition {name}."
    return described


# --- the scaffold -------------------------------------------------------------------------------

def scaffold(case_id: str, file: str = "", *, results: bool = True) -> str:
    """A commented case file covering every field; its placeholders fail validation until filled.

    Required values are left as placeholders: ``""`` for text and identifiers, ``~`` for numbers
    and true/false, ``[]`` for lists that need at least one item. Optional fields hold their
    defaults. ``file`` is the path the header's commands name (default ``<case_id>.yaml``).
    With ``results=False`` the optional investigation results are left out (the case builder
    adds each one when the instructor ticks it).
    """
    file = file or f"{case_id}.yaml"
    lines = [
        f"# New dystonia_teach case: {case_id}",
        "# Fill in every required field: its placeholder is \"\", ~ or [] marked 'at least 1",
        "# item'. Fields marked Optional may keep their value. Delete an optional result section",
        "# under investigations when this patient has no such result. Then run",
        f"#   dystonia-teach validate {file}",
        "# until it reports 0 problems, and preview with",
        f"#   dystonia-teach show {file}",
        "# Write facts, never answers: the recommended pathway is derived from the facts.",
        "# Never copy from a real record: no names, dates of birth, record numbers or addresses.",
        "",
    ]
    docs = field_docs()
    optional = tuple(f"{d.path}." for d in docs if d.is_section and d.nullable)
    for doc in docs:
        if not results and ((doc.is_section and doc.nullable) or doc.path.startswith(optional)):
            continue
        indent = "  " * doc.depth
        lines += _comment(doc, indent)
        name = doc.path.rsplit(".", 1)[-1]
        if doc.is_section and not results and doc.path == "investigations":
            lines.append(f"{indent}{name}: {{}}")
        elif doc.is_section:
            lines.append(f"{indent}{name}:")
        else:
            lines.append(f"{indent}{name}: {_scaffold_value(doc, case_id)}")
    return "\n".join(lines) + "\n"


def _comment(doc: FieldDoc, indent: str) -> list[str]:
    parts = [doc.description]
    if doc.allowed and not doc.is_section:
        parts.append("Allowed: " + ", ".join(doc.allowed) + ".")
    if doc.limits and doc.path != "id":
        parts.append(f"({doc.limits})")
    if not doc.required and not doc.is_section:
        parts.append("Optional.")
    if doc.is_section and doc.nullable:
        parts.append("Optional section: delete it when this patient has no such result.")
    text = " ".join(p for p in parts if p)
    if not text:
        return []
    return textwrap.wrap(text, 96 - len(indent), initial_indent=f"{indent}# ",
                         subsequent_indent=f"{indent}# ")


def _scaffold_value(doc: FieldDoc, case_id: str) -> str:
    if doc.path == "schema_version":
        return str(SCHEMA_VERSION)
    if doc.path == "id":
        return case_id
    if not doc.required:
        return _yaml_value(doc.default)
    if doc.is_list:
        return "[]"
    return '""' if doc.kind in ("text", "identifier") else "~"


def _yaml_value(value: Any) -> str:
    if value is None or value is _NO_DEFAULT:
        return "~"
    return json.dumps(value)


def write_new_case(case_id: str, folder: Path) -> Path:
    """Write ``folder/<case_id>.yaml`` from the scaffold; never overwrites an existing file.

    Raises ValueError for an invalid id and FileExistsError when the file exists.
    """
    problem = case_id_problem(case_id)
    if problem:
        raise ValueError(problem)
    path = folder / f"{case_id}.yaml"
    folder.mkdir(parents=True, exist_ok=True)
    with path.open("x", encoding="utf-8") as handle:
        handle.write(scaffold(case_id, str(path)))
    return path


# --- the validation summary ----------------------------------------------------

def validation_summary(reports: list[CaseReport]) -> str:
    """``4 files checked, 0 problems`` or ``3 problems in 2 of 31 files``."""
    files = len(reports)
    problems = sum(len(r.issues) for r in reports)
    bad = sum(1 for r in reports if r.issues)
    noun = "file" if files == 1 else "files"
    if not problems:
        return f"{files} {noun} checked, 0 problems"
    return f"{problems} problem{'' if problems == 1 else 's'} in {bad} of {files} {noun}"
