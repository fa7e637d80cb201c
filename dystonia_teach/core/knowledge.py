"""The clinical knowledge base: load the knowledge packs in use and check every cross-reference.

One loading path for every pack (:mod:`dystonia_teach.core.packs` says which are in use): the
package's own ``dystonia_teach/knowledge/*.yaml`` first, then each course's ``knowledge/``
folder, read by the same code. Each file holds sections (``steps:``, ``diagnoses:`` …), merged
pack by pack: a pack adds items, and replaces an earlier pack's item only where it says so
(``overrides: <id>``). Every problem is an :class:`~dystonia_teach.core.errors.Issue` at its
file and line: an id defined twice (naming both places), an override of nothing, a field the
schema does not know, a reference to nothing, a predicate that reads the hidden diagnosis, a
step, rule or caution that cites no evidence. The schema is :mod:`dystonia_teach.core.kb_model`.

:func:`knowledge` returns the knowledge of the packs in use, built once per set of packs;
whatever is cached from a knowledge base registers with :func:`on_knowledge_change` and is
dropped when another one comes into use. :func:`refresh_knowledge` notices edited pack files.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from dystonia_teach.core.bibliography import citation_text, identifier_problems
from dystonia_teach.core.errors import Issue, KnowledgeBaseError, did_you_mean
from dystonia_teach.core.kb_model import (
    Caution,
    Claim,
    ConditionEntry,
    Decision,
    DiagnosisScript,
    Feature,
    FindingKind,
    KnowledgeBase,
    Rule,
    Scheme,
    Scoring,
    Sign,
    Source,
    Step,
    split_option,
)
from dystonia_teach.core.pack_files import FieldPath, PackFile, read_pack_file
from dystonia_teach.core.packs import Pack, pack_key, packs_in_use
from dystonia_teach.core.predicates import FEATURE_TEXT, PREDICATES, is_hidden
from dystonia_teach.core.results import SourceRef
from dystonia_teach.core.rules import RULE_KINDS, rule_step_ids
from dystonia_teach.core.vocabulary import CONDITION_NAMES, OTHER_SIGNS


@dataclass(frozen=True)
class Section:
    """A list of items in pack files: its id key, schema and what one item is called."""

    key: str
    model: type[BaseModel]
    what: str


#: The sections a pack file may hold, in the order the engine reads them.
SECTIONS: dict[str, Section] = {
    "steps": Section("id", Step, "step"),
    "findings": Section("code", FindingKind, "finding code"),
    "cautions": Section("id", Caution, "caution"),
    "pathway": Section("id", Decision, "decision"),
    "rules": Section("id", Rule, "rule"),
    "claims": Section("id", Claim, "evidence claim"),
    "sources": Section("id", Source, "source"),
    "diagnoses": Section("id", DiagnosisScript, "diagnosis"),
    "signs": Section("id", Sign, "sign"),
    "conditions": Section("id", ConditionEntry, "condition"),
    "features": Section("id", Feature, "feature"),
}
#: Settings only the package's own pack gives (how plans are scored, the evidence scheme);
#: ``doi_prefixes`` may be extended by a course pack (a source from another publisher).
SETTINGS: dict[str, Any] = {"scoring": Scoring, "scheme": Scheme,
                            "doi_prefixes": dict[str, tuple[str, ...]]}
#: The package's review notes (read by the codes catalogue, not by the engine).
NOTES = frozenset({"argued"})
_SETTING_ADAPTERS = {name: TypeAdapter(kind) for name, kind in SETTINGS.items()}
_PACKAGE_PREDICATES = "dystonia_teach/core/predicates.py"
_TYPE_ERRORS = frozenset({
    "int_parsing", "int_type", "float_parsing", "float_type", "bool_parsing", "bool_type",
    "string_type", "tuple_type", "list_type", "model_type", "model_attributes_type",
    "dict_type"})


@dataclass(frozen=True)
class Place:
    """Where an item is defined: its file and its path in the file (``("steps", 4)``)."""

    file: PackFile
    path: FieldPath

    def __str__(self) -> str:
        return f"{self.file.shown}:{self.file.line_of(self.path)}"

    def issue(self, field: FieldPath, code: str, message: str, hint: str = "") -> Issue:
        return self.file.issue((*self.path, *field), code, message, hint)


@dataclass
class _Merged:
    """The packs' items merged in order, with where each was defined."""

    items: dict[str, dict[str, tuple[dict[str, Any], Place, Pack]]]
    settings: dict[str, tuple[Any, Place]]
    issues: list[Issue]


# --- Reading and merging the packs ---------------------------------------------------------

def _merge(packs: Iterable[Pack]) -> _Merged:
    merged = _Merged({name: {} for name in SECTIONS}, {}, [])
    for pack in packs:
        for path in pack.files():
            file, problems = read_pack_file(path, f"{pack.shown}/{path.name}")
            merged.issues += problems
            if file is not None:
                _merge_file(merged, pack, file)
    return merged


def _merge_file(merged: _Merged, pack: Pack, file: PackFile) -> None:
    for name, value in file.data.items():
        place = Place(file, (name,))
        if name in NOTES and pack.is_package:
            continue
        if name in SETTINGS:
            _merge_setting(merged, pack, name, value, place)
        elif name not in SECTIONS:
            hint = did_you_mean(str(name), [*SECTIONS, *SETTINGS]) or (
                "a pack file holds " + ", ".join(SECTIONS))
            merged.issues.append(place.issue((), "unknown_field",
                                             f"{name!r} is not a section of a knowledge pack",
                                             hint))
        elif not isinstance(value, list):
            merged.issues.append(place.issue((), "wrong_type",
                                             f"{name} is a list of items (each starting `- `)"))
        else:
            for index, item in enumerate(value):
                _merge_item(merged, pack, name, item, Place(file, (name, index)))


def _merge_setting(merged: _Merged, pack: Pack, name: str, value: Any, place: Place) -> None:
    if name == "doi_prefixes" and name in merged.settings and isinstance(value, dict):
        before, _ = merged.settings[name]
        merged.settings[name] = ({**before, **{k: (*before.get(k, ()), *v)
                                               for k, v in value.items()}}, place)
    elif not pack.is_package:
        merged.issues.append(place.issue(
            (), "unknown_field", f"{name} is set by the package's own knowledge only",
            "a course pack adds diagnoses, steps, conditions, signs, features, cautions, "
            "decisions (pathway), rules, claims and sources"))
    elif name in merged.settings:
        merged.issues.append(place.issue((), "duplicate_id", f"{name} is also set at "
                                         f"{merged.settings[name][1]}"))
    else:
        merged.settings[name] = (value, place)


def _merge_item(merged: _Merged, pack: Pack, section: str, item: Any, place: Place) -> None:
    spec = SECTIONS[section]
    if not isinstance(item, dict):
        merged.issues.append(place.issue((), "wrong_type", f"each item of {section} is a "
                                         f"section of fields (`{spec.key}:` first)"))
        return
    overrides = item.get("overrides")
    key = item.get(spec.key, overrides)
    if overrides is not None and not isinstance(overrides, str):
        merged.issues.append(place.issue(("overrides",), "wrong_type",
                                         f"overrides names one {spec.what} id"))
        return
    if not isinstance(key, str):
        merged.issues.append(place.issue((), "missing_field",
                                         f"this {spec.what} has no {spec.key}",
                                         f"start the item with `- {spec.key}: ...`"))
        return
    if overrides is not None and key != overrides:
        merged.issues.append(place.issue(
            (spec.key,), "invalid_value", f"{spec.key} {key!r} differs from overrides "
            f"{overrides!r}", f"an override keeps the id of what it replaces: {overrides}"))
        return
    data = {k: v for k, v in item.items() if k != "overrides"}
    data[spec.key] = key
    table = merged.items[section]
    if key in table:
        earlier = table[key]
        if overrides is not None and earlier[2] != pack:
            table[key] = (data, place, pack)  # replaced where it stood: the order is kept
            return
        hint = (f"give it another id, or write `overrides: {key}` to replace the one of "
                f"{earlier[2].name}" if earlier[2] != pack else "give each its own id")
        merged.issues.append(place.issue(
            (spec.key,), "duplicate_id",
            f"{spec.what} {key!r} is already defined at {earlier[1]}", hint))
    elif overrides is not None:
        hint = did_you_mean(key, table) or f"leave out `overrides:` to add a new {spec.what}"
        merged.issues.append(place.issue(
            ("overrides",), "override_of_nothing",
            f"overrides {spec.what} {key!r}, but no earlier pack defines it", hint))
    else:
        table[key] = (data, place, pack)


# --- The schema of each item -----------------------------------------------------------------

def _validated(merged: _Merged) -> tuple[dict[str, dict[str, Any]], dict[str, Any],
                                         dict[tuple[str, str], Place]]:
    """Each merged item as its model (invalid ones left out, with their issues), the settings,
    and where each item is defined."""
    models: dict[str, dict[str, Any]] = {}
    places: dict[tuple[str, str], Place] = {}
    for section, table in merged.items.items():
        model = SECTIONS[section].model
        models[section] = {}
        for key, (data, place, _) in table.items():
            places[section, key] = place
            try:
                models[section][key] = model.model_validate(data)
            except ValidationError as err:
                merged.issues += _schema_issues(place, err, model)
    settings: dict[str, Any] = {}
    for name, adapter in _SETTING_ADAPTERS.items():
        if name not in merged.settings:
            continue
        value, place = merged.settings[name]
        try:
            settings[name] = adapter.validate_python(value)
        except ValidationError as err:
            merged.issues += _schema_issues(place, err, None)
    return models, settings, places


def _schema_issues(place: Place, err: ValidationError, model: type[BaseModel] | None
                   ) -> list[Issue]:
    issues = []
    for error in err.errors(include_url=False):
        loc = tuple(p for p in error["loc"]
                    if not (isinstance(p, str) and p.startswith("function-")))
        kind, value = error["type"], error.get("input")
        hint = ""
        if kind == "extra_forbidden":
            code, message = "unknown_field", f"{loc[-1]!r} is not a field here"
            fields = model.model_fields if model is not None and len(loc) == 1 else ()
            names = [info.alias or name for name, info in dict(fields).items()]
            hint = did_you_mean(str(loc[-1]), [*names, "overrides"]) or (
                "its fields: " + ", ".join(names) if names else "")
        elif kind == "missing":
            code, message = "missing_field", "this required field is missing"
        elif kind == "literal_error":
            code = "invalid_value"
            message = f"{value!r} is not allowed here ({error['msg'].lower()})"
        elif kind in _TYPE_ERRORS:
            code, message = "wrong_type", f"{error['msg'].lower()}, found {value!r}"
        else:
            code, message = "invalid_value", f"{error['msg'].lower()}, found {value!r}"
        issues.append(place.issue(loc, code, _short(message), hint))
    return issues


def _short(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _knowledge_base(models: dict[str, dict[str, Any]], settings: dict[str, Any]
                    ) -> KnowledgeBase:
    return KnowledgeBase.model_construct(
        scoring=settings["scoring"],
        steps=models["steps"],
        cautions=tuple(models["cautions"].values()),
        findings=models["findings"],
        pathway=tuple(models["pathway"].values()),
        rules=tuple(models["rules"].values()),
        claims=models["claims"],
        sources=models["sources"],
        doi_prefixes=settings["doi_prefixes"],
        scheme=settings["scheme"],
        diagnoses=models["diagnoses"],
        signs=models["signs"],
        conditions=models["conditions"],
        features=models["features"],
    )


# --- Cross-references ------------------------------------------------------------------------

#: A problem found on a knowledge base: (section, item id, field path, code, message, hint).
Problem = tuple[str, str, FieldPath, str, str, str]


def feature_text(kb: KnowledgeBase) -> dict[str, str]:
    """Facts an illness script may point to: predicate name -> what a learner reads."""
    return {**FEATURE_TEXT, **{s.id: s.label for s in kb.signs.values()},
            **{f.id: f.label for f in kb.features.values()}}


def cross_reference_problems(kb: KnowledgeBase) -> list[Problem]:
    """Every reference of ``kb`` to something it does not hold, each predicate that reads the
    hidden diagnosis, and each step, rule or caution that cites no evidence."""
    problems: list[Problem] = []

    def add(section: str, key: str, field: FieldPath, code: str, message: str,
            hint: str = "") -> None:
        problems.append((section, key, field, code, message, hint))

    def need(section: str, key: str, field: FieldPath, kind: str, ref: str,
             table: Mapping[str, Any]) -> None:
        if ref in table:
            return
        code = {"step": "unknown_step", "evidence id": "unknown_evidence"}.get(
            kind, "unknown_reference")
        add(section, key, field, code, f"unknown {kind} {ref!r}", did_you_mean(ref, table))

    def predicates(section: str, key: str, field: str, names: Iterable[str]) -> None:
        for name in names:
            if name.removeprefix("not ") not in kb.predicates:
                add(section, key, (field,), "unknown_predicate", f"unknown predicate {name!r}",
                    did_you_mean(name.removeprefix("not "), kb.predicates)
                    or "docs/authoring.md lists the predicates; a pack may add features")
            elif is_hidden(name):
                add(section, key, (field,), "hidden_predicate",
                    f"predicate {name!r} reads the hidden diagnosis",
                    "key it to what the clinician can know: features, known results")

    for step in kb.steps.values():
        for ref in step.evidence:
            need("steps", step.id, ("evidence",), "evidence id", ref, kb.claims)
        if not step.evidence:
            add("steps", step.id, ("evidence",), "no_evidence", "the step cites no evidence",
                "list the claim ids it rests on under evidence:")
        if step.alias_of is not None:
            target = split_option(step.alias_of)[0]
            need("steps", step.id, ("alias_of",), "step", target, kb.steps)
            if target in kb.steps and kb.steps[target].alias_of:
                add("steps", step.id, ("alias_of",), "invalid_value",
                    f"{target!r} is itself an alias")
        if step.dose:
            need("steps", step.id, ("dose", "source"), "evidence id", step.dose.source,
                 kb.claims)
            if step.dose.child:
                need("steps", step.id, ("dose", "child", "source"), "evidence id",
                     step.dose.child.source, kb.claims)
            for adjustment in step.dose.adjustments:
                predicates("steps", step.id, "dose", adjustment.when)
    for caution in kb.cautions:
        for ref in (*caution.steps, *caution.unless_any):
            need("cautions", caution.id, ("steps",), "step", ref, kb.steps)
        for ref in caution.evidence:
            need("cautions", caution.id, ("evidence",), "evidence id", ref, kb.claims)
        if not caution.evidence:
            add("cautions", caution.id, ("evidence",), "no_evidence",
                "the caution cites no evidence", "list the claim ids it rests on")
        predicates("cautions", caution.id, "when", caution.when)
    for severity, code in kb.scoring.not_indicated_codes.items():
        if code not in kb.findings or kb.findings[code].severity != severity:
            add("findings", code, (), "unknown_reference",
                f"scoring's not_indicated_codes.{severity} needs a {severity} finding {code!r}")
    for finding in kb.findings.values():
        for ref in finding.evidence:
            need("findings", finding.code, ("evidence",), "evidence id", ref, kb.claims)
    problems += evidence_problems(kb)
    for decision in kb.pathway:
        predicates("pathway", decision.id, "when", decision.when)
        predicates("pathway", decision.id, "documented_by", decision.documented_by)
        for ref in (*(split_option(o)[0] for o in decision.options), *decision.only_with):
            need("pathway", decision.id, ("options",), "step", ref, kb.steps)
        for ref in decision.reported_by:
            need("pathway", decision.id, ("reported_by",), "finding code", ref, kb.findings)
        for ref in decision.evidence:
            need("pathway", decision.id, ("evidence",), "evidence id", ref, kb.claims)
    for rule in kb.rules:
        _rule_problems(kb, rule, add, need, predicates)
    problems += _vocabulary_problems(kb)
    problems += _diagnosis_problems(kb)
    return problems


def _rule_problems(kb: KnowledgeBase, rule: Rule, add: Callable[..., None],
                   need: Callable[..., None], predicates: Callable[..., None]) -> None:
    if rule.kind not in RULE_KINDS:
        add("rules", rule.id, ("kind",), "invalid_value", f"unknown rule kind {rule.kind!r}",
            did_you_mean(rule.kind, RULE_KINDS) or "one of " + ", ".join(RULE_KINDS))
        return
    need("rules", rule.id, ("code",), "finding code", rule.code, kb.findings)
    for key in ("missing_code", "warning_code", "info_code"):
        if key in rule.params:
            need("rules", rule.id, (key,), "finding code", rule.params[key], kb.findings)
    for ref in rule.params.get("unless_raised", ()):
        need("rules", rule.id, ("unless_raised",), "finding code", ref, kb.findings)
    predicates("rules", rule.id, "when", rule.when)
    for ref in rule_step_ids(rule):
        need("rules", rule.id, ("steps",), "step", ref, kb.steps)
    for ref in rule.evidence:
        need("rules", rule.id, ("evidence",), "evidence id", ref, kb.claims)
    if not rule.evidence and not (rule.code in kb.findings and kb.findings[rule.code].evidence):
        add("rules", rule.id, ("evidence",), "no_evidence",
            f"the rule cites no evidence, and its finding code {rule.code!r} has none",
            "list the claim ids it rests on under evidence:")


def evidence_problems(kb: KnowledgeBase) -> list[Problem]:
    """Claims cite registered sources, and a claim is never surer than its sources."""
    problems: list[Problem] = []
    for text in identifier_problems(kb.sources.values(), kb.doi_prefixes):
        source = re.match(r"sources? (\w+)", text)
        problems.append(("sources", source[1] if source else "", ("doi",), "invalid_value",
                         text, ""))
    for claim in kb.claims.values():
        unknown = [c.source for c in claim.sources if c.source not in kb.sources]
        problems += [("claims", claim.id, ("sources",), "unknown_reference",
                      f"unknown source {ref!r}", did_you_mean(ref, kb.sources))
                     for ref in unknown]
        for code in claim.harm_of:
            finding = kb.findings.get(code)
            if finding is None or not finding.pitfall:
                problems.append(("claims", claim.id, ("harm_of",), "unknown_reference",
                                 f"harm_of names {code!r}, which is not a pitfall code", ""))
        if unknown or claim.status not in ("verified", "partly_verified"):
            continue
        statuses = {kb.sources[c.source].status for c in claim.sources}
        if not statuses:
            problems.append(("claims", claim.id, ("sources",), "no_evidence",
                             f"a {claim.status} claim needs a source", ""))
        elif claim.status == "verified" and "unverified" in statuses:
            problems.append(("claims", claim.id, ("status",), "invalid_value",
                             "a verified claim cites an unverified source",
                             "mark the claim partly_verified or unverified"))
    return problems


def _vocabulary_problems(kb: KnowledgeBase) -> list[Problem]:
    """Signs, conditions and features are predicates too: a name may mean one thing only, and
    a feature may not read the hidden diagnosis or itself."""
    problems: list[Problem] = []
    taken = {name: f"a predicate of the package ({_PACKAGE_PREDICATES})" for name in PREDICATES}
    taken.update({s: "a sign of the package" for s in OTHER_SIGNS})
    taken.update({c: "a condition of the package" for c in CONDITION_NAMES})
    for section, table in (("signs", kb.signs), ("conditions", kb.conditions),
                           ("features", kb.features)):
        for key in table:
            if key in taken:
                problems.append((section, key, ("id",), "duplicate_id",
                                 f"{key!r} is already {taken[key]}", "choose another id"))
            taken[key] = f"a {SECTIONS[section].what}"
    for feature in kb.features.values():
        for field, names in (("all", feature.all_), ("any", feature.any_)):
            for name in names:
                base = name.removeprefix("not ")
                if base not in kb.predicates:
                    problems.append(("features", feature.id, (field,), "unknown_predicate",
                                     f"unknown predicate {name!r}",
                                     did_you_mean(base, kb.predicates)))
                elif is_hidden(name):
                    problems.append(("features", feature.id, (field,), "hidden_predicate",
                                     f"predicate {name!r} reads the hidden diagnosis",
                                     "a feature is what the clinician can know"))
        if feature.id in _features_reached(kb, feature.id):
            problems.append(("features", feature.id, ("all",), "invalid_value",
                             "the feature refers to itself, through other features", ""))
    return problems


def _features_reached(kb: KnowledgeBase, start: str) -> set[str]:
    reached: set[str] = set()
    todo = [start]
    while todo:
        feature = kb.features.get(todo.pop())
        for name in (*feature.all_, *feature.any_) if feature else ():
            base = name.removeprefix("not ")
            if base in kb.features and base not in reached:
                reached.add(base)
                todo.append(base)
    return reached


def _diagnosis_problems(kb: KnowledgeBase) -> list[Problem]:
    """A diagnosis's features, tests, decisions and evidence exist; the required work-up of a
    must-not-miss diagnosis is critical when left empty (spec v3 §0.5)."""
    problems: list[Problem] = []
    facts = feature_text(kb)
    decisions = {d.id: d for d in kb.pathway}
    for d in kb.diagnoses.values():
        def add(field: str, code: str, message: str, hint: str = "", d: DiagnosisScript = d
                ) -> None:
            problems.append(("diagnoses", d.id, (field,), code, message, hint))

        for field, names in (("for", d.for_), ("against", d.against)):
            for name in names:
                if name not in facts:
                    add(field, "unknown_reference", f"unknown feature {name!r}",
                        did_you_mean(name, facts) or "a feature, or a sign a pack adds")
        for step in d.tests:
            if step not in kb.steps:
                add("tests", "unknown_step", f"unknown step {step!r}",
                    did_you_mean(step, kb.steps))
        for claim in d.evidence:
            if claim not in kb.claims:
                add("evidence", "unknown_evidence", f"unknown evidence id {claim!r}",
                    did_you_mean(claim, kb.claims))
        for field, ids in (("work_up", d.work_up), ("management", d.management)):
            for ref in ids:
                if ref not in decisions:
                    add(field, "unknown_reference", f"unknown decision {ref!r}",
                        did_you_mean(ref, decisions))
        if d.must_not_miss:
            for ref in d.work_up:
                decision = decisions.get(ref)
                if decision and decision.required == "must" and decision.if_empty != "critical":
                    add("work_up", "invalid_value",
                        f"{d.id} is must-not-miss, but its work-up {ref!r} is not critical "
                        "when left empty", f"give decision {ref} `if_empty: critical`")
    return problems


# --- Loading, caching and following the packs in use ----------------------------------------

_BUILT: dict[tuple[Pack, ...], tuple[tuple[Any, ...], KnowledgeBase | None, tuple[Issue, ...]]] = {}
_PACKS: dict[tuple[Any, ...], tuple[Pack, ...]] = {}
_CURRENT: list[KnowledgeBase | None] = [None]
_ON_CHANGE: list[Callable[[], None]] = []


def load_knowledge(packs: tuple[Pack, ...]) -> tuple[KnowledgeBase | None, tuple[Issue, ...]]:
    """The knowledge of ``packs`` (merged in order) and every located issue; None with issues.
    Built once per set of packs until :func:`refresh_knowledge` finds a file changed."""
    hit = _BUILT.get(packs)
    if hit is None:
        signature = tuple(p.signature() for p in packs)
        kb, issues = _build(packs)
        hit = _BUILT[packs] = (signature, kb, tuple(sorted(issues, key=_issue_order)))
    return hit[1], hit[2]


def _issue_order(issue: Issue) -> tuple[str, int, str]:
    return issue.file, issue.line or 0, issue.field


def _build(packs: tuple[Pack, ...]) -> tuple[KnowledgeBase | None, list[Issue]]:
    merged = _merge(packs)
    models, settings, places = _validated(merged)
    issues = merged.issues
    for name in SETTINGS:
        if name not in settings and not any(i.field.startswith(name) for i in issues):
            issues.append(Issue(f"{packs[0].shown}", None, name, "missing_field",
                                f"the package's knowledge sets no {name}"))
    if any(name not in settings for name in SETTINGS):
        return None, issues
    kb = _knowledge_base(models, settings)
    for section, key, field, code, message, hint in cross_reference_problems(kb):
        place = places.get((section, key))
        if place is None:  # scoring's codes: the setting itself
            where = merged.settings.get("scoring", (None, None))[1]
            issues.append(where.issue((), code, message, hint) if where else
                          Issue(packs[0].shown, None, section, code, message, hint))
        else:
            issues.append(place.issue(field, code, message, hint))
    return (None if issues else kb), issues


def knowledge() -> KnowledgeBase:
    """The knowledge of the packs in use (the package's, then the courses'): built once per set
    of packs; raises :class:`KnowledgeBaseError` listing every located issue of a broken pack."""
    key = pack_key()
    packs = _PACKS.get(key)
    if packs is None:
        packs = _PACKS[key] = packs_in_use()
    hit = _BUILT.get(packs)
    kb = hit[1] if hit is not None else load_knowledge(packs)[0]
    if kb is None:
        issues = _BUILT[packs][2]
        raise KnowledgeBaseError(f"the knowledge packs in use have {len(issues)} problem(s) "
                                 "(`dystonia-teach validate` on the course folder lists them "
                                 "too):\n" + "\n".join(f"  {issue}" for issue in issues))
    if kb is not _CURRENT[0]:
        _CURRENT[0] = kb
        for forget in _ON_CHANGE:
            forget()
    return kb


def on_knowledge_change(forget: Callable[[], None]) -> Callable[[], None]:
    """Call ``forget`` whenever another knowledge base comes into use (a cache built from the
    knowledge drops what it holds); returns it, so that it can decorate."""
    _ON_CHANGE.append(forget)
    return forget


def refresh_knowledge() -> None:
    """Look for the packs in use again (a ``knowledge/`` folder may have been created) and
    forget every knowledge base whose files changed since it was built."""
    _PACKS.clear()
    for packs, (signature, _, _) in list(_BUILT.items()):
        if tuple(p.signature() for p in packs) != signature:
            del _BUILT[packs]


@on_knowledge_change
def _forget_sources() -> None:
    source_ref.cache_clear()


@cache
def source_ref(claim_id: str) -> SourceRef:
    """The cited form of one evidence claim (cached while the same knowledge is in use)."""
    kb = knowledge()
    claim: Claim = kb.claim(claim_id)
    return SourceRef(
        claim_id=claim.id,
        claim=claim.claim,
        citations=tuple(citation_text(source, where)
                        for source, where in kb.cited_sources(claim.id)),
        level=claim.level,
        scheme=str(kb.scheme),
        status=claim.status,
        directness=claim.directness,
        caveat=claim.caveat,
    )
