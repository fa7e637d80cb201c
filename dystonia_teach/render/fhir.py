"""The algorithm as a FHIR R4 PlanDefinition, read from the same knowledge base as the engine.

One action per decision of ``knowledge/algorithm.yaml`` (its ``when`` as an applicability
condition; its required, selection and the priority of each option as PlanDefinition's own
``requiredBehavior``, ``selectionBehavior`` and ``priority``; one sub-action per option) and one
per rule (what it checks and the finding it raises). Evidence is cited as ``relatedArtifact``
entries that carry their OCEBM 2011 level. The header is honest: a draft, experimental, for
teaching, shareable but not computable (the conditions name predicates, there is no CQL).
"""

from __future__ import annotations

from typing import Any

from dystonia_teach.core.bibliography import citation_text
from dystonia_teach.core.kb_model import Decision, KnowledgeBase, Rule, split_option
from dystonia_teach.core.knowledge import knowledge
from dystonia_teach.core.predicates import PREDICATES

#: Not a published canonical base: example.org is FHIR's own namespace for illustrations.
BASE = "http://example.org/fhir/dystonia-teach"
PLAN_URL = f"{BASE}/PlanDefinition/walking-foot-dystonia-radiculopathy"
LEVEL_EXTENSION = f"{BASE}/StructureDefinition/ocebm-2011-level"
LEVEL_SYSTEM = f"{BASE}/CodeSystem/ocebm-2011-level"
STATUS_EXTENSION = f"{BASE}/StructureDefinition/verification-status"
PREDICATE_LANGUAGE = "text/x-dystonia-teach-predicates"
CAPABILITY = "http://hl7.org/fhir/uv/cpg/StructureDefinition/cpg-knowledgeCapability"
RULE_CHECKS = {
    "require_steps": "each of {steps} is in the plan",
    "require_any": "at least one of {steps} is in the plan",
    "forbid_steps": "none of {steps} is in the plan",
    "require_with": "a plan with any of {if_any} also has one of {needs_any}",
    "procedure_fits_pathology": "the procedure chosen fits the pathology",
    "symptomatic_only": "the plan is not only symptomatic treatment when surgery is indicated",
    "contraindicated": "no drug is contraindicated for the patient",
    "dose_in_range": "every drug has a daily dose within the patient's range",
    "at_most_one": "at most one of {steps} is in the plan",
}


def condition_expression(when: tuple[str, ...]) -> str:
    """The block's ``when`` list as one expression, e.g. ``a and not b`` (``true`` if empty)."""
    return " and ".join(when) or "true"


def condition_description(when: tuple[str, ...]) -> str:
    """The conditions in words, from the predicates' own docstrings where they have one."""
    if not when:
        return "Always applies."
    parts = []
    for name in when:
        bare = name.removeprefix("not ")
        predicate = PREDICATES.get(bare)  # a course pack's or a diagnosis's: its name
        doc = (predicate.__doc__ or "").strip().splitlines() if predicate else []
        text = doc[0].rstrip(".") if doc and doc[0] else bare.replace("_", " ")
        parts.append(f"not ({text})" if name.startswith("not ") else text)
    return "Applies when: " + "; and ".join(parts) + "."


def citation(kb: KnowledgeBase, claim_id: str) -> dict[str, Any]:
    """A ``relatedArtifact`` citing one evidence claim, with its level and status.

    ``citation`` gives each registered source's reference (authors, title, journal, year,
    DOI/PMID, and what is not yet checked); ``url`` links a DOI only of a verified source.
    """
    claim = kb.claim(claim_id)
    cited = kb.cited_sources(claim_id)
    level = f"{kb.scheme} level {claim.level}"
    artifact: dict[str, Any] = {
        "extension": [
            {"url": LEVEL_EXTENSION, "valueCodeableConcept": {"coding": [
                {"system": LEVEL_SYSTEM, "code": str(claim.level), "display": level}]}},
            {"url": STATUS_EXTENSION, "valueCode": claim.status},
        ],
        "type": "citation",
        "label": claim.id,
        "display": f"{claim.claim} ({level}, {claim.status.replace('_', ' ')}, "
                   f"{claim.directness})" + (f" Caveat: {claim.caveat}" if claim.caveat else ""),
        "citation": " | ".join(citation_text(source, where) for source, where in cited),
    }
    doi = next((s.doi for s, _ in cited if s.status == "verified" and s.doi), None)
    if doi:
        artifact["url"] = f"https://doi.org/{doi}"
    return artifact


def _step_action(kb: KnowledgeBase, prefix: str, option: str,
                 decision: Decision | None = None) -> dict[str, Any]:
    step_id, priority = split_option(option)
    step = kb.step(step_id)
    action: dict[str, Any] = {
        "id": f"{prefix}-{step.id}",
        "title": step.label,
        "description": step.description,
        "code": [{"coding": [{"system": f"{BASE}/CodeSystem/step", "code": step.id,
                              "display": step.label}]}],
    }
    if priority != "routine":
        action["priority"] = priority
    example = decision.example if decision is not None else None
    if example is not None and example.step == step.id:
        action["precheckBehavior"] = "yes"  # the example
        if example.priority != "routine":
            action["priority"] = example.priority
        if example.dose_mg_per_day:
            action["textEquivalent"] = f"{step.label}, {example.dose_mg_per_day:g} mg per day"
    refs = (*step.evidence, *([step.dose.source] if step.dose else ()))
    if refs:
        action["documentation"] = [citation(kb, ref) for ref in dict.fromkeys(refs)]
    return action


def decision_action(kb: KnowledgeBase, decision: Decision) -> dict[str, Any]:
    """One decision: its condition, whether it is required, how many options to choose, and
    one sub-action per option."""
    action: dict[str, Any] = {
        "id": decision.id,
        "title": decision.label[0].upper() + decision.label[1:],
        "description": decision.reason,
        "condition": [{"kind": "applicability", "expression": {
            "description": condition_description(decision.when),
            "language": PREDICATE_LANGUAGE,
            "expression": condition_expression(decision.when)}}],
        "groupingBehavior": "logical-group",
        "selectionBehavior": decision.select,
        "requiredBehavior": decision.required,
        "action": [_step_action(kb, decision.id, option, decision)
                   for option in decision.options],
    }
    if decision.only_with:
        names = " or ".join(kb.step(s).label for s in decision.only_with)
        action["textEquivalent"] = f"Only with {names}."
    return action


def _option_label(kb: KnowledgeBase, option: str) -> str:
    step, priority = split_option(option)
    return kb.step(step).label + (f" ({priority})" if priority != "routine" else "")


def rule_action(kb: KnowledgeBase, rule: Rule) -> dict[str, Any]:
    """One rule: when it applies, what it checks, and the finding raised when the check fails."""
    finding = kb.findings[rule.code]
    names = {key: ", ".join(_option_label(kb, s) for s in value)
             for key, value in rule.params.items() if key in ("steps", "if_any", "needs_any")}
    check = RULE_CHECKS.get(rule.kind, rule.kind.replace("_", " ")).format(**names)
    action: dict[str, Any] = {
        "id": f"rule-{rule.id}",
        "title": f"Check that {check}",
        "description": f"Otherwise: {finding.label} ({finding.severity}). {finding.why}",
        "condition": [{"kind": "applicability", "expression": {
            "description": condition_description(rule.when),
            "language": PREDICATE_LANGUAGE,
            "expression": condition_expression(rule.when)}}],
    }
    if finding.evidence:
        action["documentation"] = [citation(kb, ref) for ref in finding.evidence]
    return action


def plan_definition(kb: KnowledgeBase | None = None, version: str = "") -> dict[str, Any]:
    """The algorithm as a PlanDefinition resource (a JSON-ready dict)."""
    kb = kb or knowledge()
    cited = dict.fromkeys(ref for step in kb.steps.values() for ref in step.evidence)
    plan: dict[str, Any] = {
        "resourceType": "PlanDefinition",
        "id": "walking-foot-dystonia-radiculopathy",
        "extension": [{"url": CAPABILITY, "valueCode": "shareable"}],
        "url": PLAN_URL,
        "name": "WalkingFootDystoniaRadiculopathy",
        "title": "Walking (action-induced) foot dystonia caused by lumbar radiculopathy: "
                 "teaching algorithm",
        "type": {"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/plan-definition-type",
            "code": "clinical-protocol", "display": "Clinical Protocol"}]},
        "status": "draft",
        "experimental": True,
        "publisher": "dystonia_teach (a teaching package)",
        "description": (
            "The teaching algorithm of the dystonia_teach course as data. The entity rests on "
            "two case reports (OCEBM 2011 level 4); every downstream step borrows from the "
            "evidence on low back pain, radiculopathy and lumbar stenosis. Each citation "
            "carries its level and verification status."),
        "purpose": "Teaching medical students; not for clinical decision support.",
        "usage": ("Action conditions name predicates over a teaching case's facts "
                  f"({PREDICATE_LANGUAGE}); they are not executable CQL."),
        "relatedArtifact": [citation(kb, ref) for ref in cited],
        "action": [
            {"id": "pathway", "title": "Recommended pathway",
             "description": "Each decision applies when its condition holds for what the "
                            "clinician can know of the case; a required one must be made, an "
                            "optional one may be.",
             "groupingBehavior": "logical-group", "selectionBehavior": "all",
             "action": [decision_action(kb, decision) for decision in kb.pathway]},
            {"id": "checks", "title": "Checks of a learner's plan",
             "description": "Each check that applies and fails raises a finding.",
             "groupingBehavior": "logical-group", "selectionBehavior": "all",
             "action": [rule_action(kb, rule) for rule in kb.rules]},
        ],
    }
    if version:
        plan["version"] = version
    return plan


def bundle(version: str = "") -> dict[str, Any]:
    """A collection Bundle holding the PlanDefinition."""
    plan = plan_definition(version=version)
    return {"resourceType": "Bundle", "id": "dystonia-teach-algorithm", "type": "collection",
            "entry": [{"fullUrl": plan["url"], "resource": plan}]}
