"""The clinical knowledge base: load the data files and check every cross-reference.

The data live in ``dystonia_teach/knowledge/*.yaml``; every cross-reference (a rule naming a
step, a step naming an evidence claim, a predicate name) is checked when they are loaded.
The schema is :mod:`dystonia_teach.core.kb_model`.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from typing import Any

import yaml
from pydantic import ValidationError

from dystonia_teach.core.bibliography import citation_text, identifier_problems
from dystonia_teach.core.errors import KnowledgeBaseError
from dystonia_teach.core.kb_model import Claim, KnowledgeBase, split_option
from dystonia_teach.core.predicates import is_hidden, known_predicate
from dystonia_teach.core.results import SourceRef
from dystonia_teach.core.rules import RULE_KINDS, rule_step_ids


def _read(name: str) -> Any:
    """A knowledge file's data, parsed by libyaml (ruamel's pure-Python parser took most of the
    command line's start-up); tests/test_knowledge.py checks ruamel's strict YAML 1.2 reading
    gives the same data."""
    text = files("dystonia_teach").joinpath("knowledge", name).read_text("utf-8")
    try:
        return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as err:
        raise KnowledgeBaseError(f"dystonia_teach/knowledge/{name}: {err}") from err


def _by_key(items: list[dict[str, Any]], key: str, file: str) -> dict[str, Any]:
    table: dict[str, Any] = {}
    for item in items:
        if item[key] in table:
            raise KnowledgeBaseError(f"{file}: {key} {item[key]!r} is defined twice")
        table[item[key]] = item
    return table


def _cross_reference_errors(kb: KnowledgeBase) -> list[str]:
    errors: list[str] = []

    def need(kind: str, ref: str, table: dict[str, Any], where: str) -> None:
        if ref not in table:
            errors.append(f"{where}: unknown {kind} {ref!r}")

    def predicates(names: tuple[str, ...], where: str) -> None:
        for name in names:
            if not known_predicate(name):
                errors.append(f"{where}: unknown predicate {name!r}")
            elif is_hidden(name):
                errors.append(f"{where}: predicate {name!r} reads the hidden diagnosis; key it "
                              "to what the clinician can know (features, known results)")

    for step in kb.steps.values():
        for ref in step.evidence:
            need("evidence id", ref, kb.claims, f"step {step.id}")
        if step.alias_of is not None:
            target = split_option(step.alias_of)[0]
            need("step", target, kb.steps, f"step {step.id} alias_of")
            if target in kb.steps and kb.steps[target].alias_of:
                errors.append(f"step {step.id} alias_of: {target!r} is itself an alias")
        if step.dose:
            need("evidence id", step.dose.source, kb.claims, f"step {step.id} dose")
            if step.dose.child:
                need("evidence id", step.dose.child.source, kb.claims, f"step {step.id} dose")
            for adjustment in step.dose.adjustments:
                predicates(adjustment.when, f"step {step.id} dose")
    for caution in kb.cautions:
        where = f"caution {caution.id}"
        for ref in (*caution.steps, *caution.unless_any):
            need("step", ref, kb.steps, where)
        for ref in caution.evidence:
            need("evidence id", ref, kb.claims, where)
        predicates(caution.when, where)
    for severity, code in kb.scoring.not_indicated_codes.items():
        need("finding code", code, kb.findings, f"scoring not_indicated_codes.{severity}")
        if code in kb.findings and kb.findings[code].severity != severity:
            errors.append(f"scoring not_indicated_codes.{severity}: {code} is not {severity}")
    for finding in kb.findings.values():
        for ref in finding.evidence:
            need("evidence id", ref, kb.claims, f"finding {finding.code}")
    errors.extend(_evidence_errors(kb))
    ids: set[str] = set()
    for decision in kb.pathway:
        where = f"pathway {decision.id}"
        if decision.id in ids:
            errors.append(f"{where}: defined twice")
        ids.add(decision.id)
        predicates((*decision.when, *decision.documented_by), where)
        for ref in (*(split_option(o)[0] for o in decision.options), *decision.only_with):
            need("step", ref, kb.steps, where)
        for ref in decision.reported_by:
            need("finding code", ref, kb.findings, where)
    for rule in kb.rules:
        if rule.kind not in RULE_KINDS:
            errors.append(f"rule {rule.id}: unknown rule kind {rule.kind!r}")
            continue
        need("finding code", rule.code, kb.findings, f"rule {rule.id}")
        for key in ("missing_code", "warning_code", "info_code"):
            if key in rule.params:
                need("finding code", rule.params[key], kb.findings, f"rule {rule.id}")
        for ref in rule.params.get("unless_raised", ()):
            need("finding code", ref, kb.findings, f"rule {rule.id} unless_raised")
        predicates(rule.when, f"rule {rule.id}")
        for ref in rule_step_ids(rule):
            need("step", ref, kb.steps, f"rule {rule.id}")
        for ref in rule.evidence:
            need("evidence id", ref, kb.claims, f"rule {rule.id}")
    return errors


def _evidence_errors(kb: KnowledgeBase) -> list[str]:
    """Claims cite registered sources, and a claim is never surer than its sources."""
    errors = [f"sources.yaml: {problem}"
              for problem in identifier_problems(kb.sources.values(), kb.doi_prefixes)]
    for claim in kb.claims.values():
        where = f"evidence.yaml: claim {claim.id}"
        unknown = [c.source for c in claim.sources if c.source not in kb.sources]
        errors.extend(f"{where}: unknown source {ref!r}" for ref in unknown)
        for code in claim.harm_of:
            finding = kb.findings.get(code)
            if finding is None or not finding.pitfall:
                errors.append(f"{where}: harm_of names {code!r}, which is not a pitfall code")
        if unknown or claim.status not in ("verified", "partly_verified"):
            continue
        statuses = {kb.sources[c.source].status for c in claim.sources}
        if not statuses:
            errors.append(f"{where}: a {claim.status} claim needs a source")
        elif claim.status == "verified" and "unverified" in statuses:
            errors.append(f"{where}: a verified claim cites an unverified source")
    return errors


@cache
def knowledge() -> KnowledgeBase:
    """Load, validate and cross-check the packaged knowledge base (cached)."""
    try:
        evidence = _read("evidence.yaml")
        registry = _read("sources.yaml")
        algorithm = _read("algorithm.yaml")
        kb = KnowledgeBase(
            scoring=_read("scoring.yaml"),
            steps=_by_key(_read("steps.yaml")["steps"], "id", "steps.yaml"),
            cautions=_read("cautions.yaml")["cautions"],
            findings=_by_key(_read("findings.yaml")["findings"], "code", "findings.yaml"),
            pathway=algorithm["pathway"],
            rules=algorithm["rules"],
            claims=_by_key(evidence["claims"], "id", "evidence.yaml"),
            sources=_by_key(registry["sources"], "id", "sources.yaml"),
            doi_prefixes=registry["doi_prefixes"],
            scheme=evidence["scheme"],
        )
    except ValidationError as err:
        raise KnowledgeBaseError(f"knowledge base is invalid:\n{err}") from err
    errors = _cross_reference_errors(kb)
    if errors:
        raise KnowledgeBaseError("knowledge base cross-references:\n  " + "\n  ".join(errors))
    return kb


@cache
def source_ref(claim_id: str) -> SourceRef:
    """The cited form of one evidence claim (cached: claims never change at run time)."""
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
