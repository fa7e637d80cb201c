"""FHIR export: the algorithm as a valid PlanDefinition; feedback as CDS Hooks cards."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.plandefinition import PlanDefinition

from dystonia_teach import evaluate, load_case, recommended_actions
from dystonia_teach.core.knowledge import knowledge
from dystonia_teach.render.cds_cards import SUMMARY_LIMIT, cards
from dystonia_teach.render.fhir import LEVEL_EXTENSION, PLAN_URL, bundle, plan_definition


def _actions(action: dict[str, Any]) -> list[dict[str, Any]]:
    """An action and every action nested in it."""
    return [action, *(a for child in action.get("action", ()) for a in _actions(child))]


@pytest.fixture(scope="module")
def plan() -> dict[str, Any]:
    return plan_definition(version="9.9.9")


def test_bundle_validates_and_round_trips(tmp_path: Path) -> None:
    data = bundle("9.9.9")
    model = Bundle.model_validate(data)
    again = Bundle.model_validate_json(model.model_dump_json())
    assert again == model
    resource = again.entry[0].resource
    assert isinstance(resource, PlanDefinition)
    assert resource.status == "draft" and resource.experimental is True
    assert resource.version == "9.9.9"
    out = tmp_path / "bundle.json"
    result = subprocess.run([sys.executable, "-m", "dystonia_teach", "export", "fhir", "-o",
                             str(out)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    Bundle.model_validate_json(out.read_text())


def test_an_invalid_plan_is_refused_by_the_validator(plan: dict[str, Any]) -> None:
    """Negative control: the library does validate (a condition without language, a misspelt
    element). It does not check code values, so our header's codes are asserted above."""
    bad_action = {"id": "x", "condition": [{"kind": "applicability",
                                            "expression": {"expression": "true"}}]}
    with pytest.raises(ValueError, match="language"):
        PlanDefinition.model_validate({**plan, "action": [bad_action]})
    with pytest.raises(ValueError, match="colour"):
        PlanDefinition.model_validate({**plan, "colour": "blue"})


def test_each_decision_is_an_action_with_its_condition(plan: dict[str, Any]) -> None:
    by_id = {a["id"]: a for top in plan["action"] for a in _actions(top)}
    kb = knowledge()
    for decision in kb.pathway:
        action = by_id[decision.id]
        (condition,) = action["condition"]
        assert condition["kind"] == "applicability"
        assert condition["expression"]["expression"] == (" and ".join(decision.when) or "true")
        assert action["description"] == decision.reason
        assert (action["requiredBehavior"], action["selectionBehavior"]) == (
            decision.required, decision.select)
        codes = [c["code"] for a in action["action"] for cc in a["code"] for c in cc["coding"]]
        assert codes == list(decision.steps)
        urgent = [a["code"][0]["coding"][0]["code"] for a in action["action"]
                  if a.get("priority") == "urgent"]
        example = decision.example
        assert urgent == [o.split("!")[0] for o in decision.options if o.endswith("!urgent")] or (
            example is not None and urgent == [example.step] and example.priority == "urgent")
    for rule in kb.rules:
        assert by_id[f"rule-{rule.id}"]["condition"][0]["expression"]["expression"] == (
            " and ".join(rule.when) or "true")
    assert len(by_id) == len(set(by_id))


def test_citations_carry_their_level(plan: dict[str, Any]) -> None:
    kb = knowledge()
    cited = plan["relatedArtifact"]
    assert {a["label"] for a in cited} == {c for s in kb.steps.values() for c in s.evidence}
    for artifact in cited:
        claim = kb.claim(artifact["label"])
        (level,) = [e for e in artifact["extension"] if e["url"] == LEVEL_EXTENSION]
        assert level["valueCodeableConcept"]["coding"][0]["code"] == str(claim.level)
        assert f"level {claim.level}" in artifact["display"]
        sources = [source for source, _ in kb.cited_sources(claim.id)]
        for source in sources:  # the registry's record, with its identifiers
            assert source.title in artifact["citation"] or not source.title
            if source.doi:
                assert f"doi:{source.doi}" in artifact["citation"]
            if source.pmid:
                assert f"PMID {source.pmid}" in artifact["citation"]
        if "url" in artifact:  # a link only for a verified source's DOI
            assert any(s.status == "verified" and s.doi and artifact["url"].endswith(s.doi)
                       for s in sources)
        else:
            assert not any(s.status == "verified" and s.doi for s in sources)


@pytest.mark.parametrize("case_id, actions", [
    ("early_uncomplicated", ["neuro_exam", "mri_lumbar_noncontrast", "rigid_splinting",
                             {"step": "naproxen", "dose_mg_per_day": 9000}]),
    ("cauda_equina_red_flags", ["history_red_flags", "naproxen"]),
    ("failed_conservative_stenosis", None),
])
def test_cards_match_the_findings_one_to_one(case_id: str, actions: list | None) -> None:
    case = load_case(case_id)
    assessment = evaluate(case, recommended_actions(case) if actions is None else actions)
    produced = cards(assessment)
    assert len(produced) == len(assessment.findings) > 0
    for card, finding in zip(produced, assessment.findings, strict=True):
        assert card["indicator"] == finding.severity in ("info", "warning", "critical")
        assert len(card["summary"]) < SUMMARY_LIMIT
        assert card["summary"].rstrip("…") in finding.summary
        assert card["source"]["label"] and card["source"]["url"].startswith("http")
        verified = {url for ref in finding.sources
                    for s, _ in knowledge().cited_sources(ref.claim_id) if s.status == "verified"
                    for url in (f"https://doi.org/{s.doi}",
                                f"https://pubmed.ncbi.nlm.nih.gov/{s.pmid}/")}
        assert card["source"]["url"] in verified | {PLAN_URL}  # never an unverified link
        if finding.detail:
            assert finding.detail in card["detail"]
        for source in finding.sources:
            assert source.badge in card["detail"]
    json.dumps(produced)  # plain JSON


def test_cards_command_writes_the_cards_of_a_plan(tmp_path: Path) -> None:
    out = tmp_path / "cards.json"
    run = [sys.executable, "-m", "dystonia_teach", "export", "cards", "early_uncomplicated"]
    result = subprocess.run([*run, "neuro_exam", "naproxen=1000", "-o", str(out)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    expected = cards(evaluate(load_case("early_uncomplicated"),
                              ["neuro_exam", {"step": "naproxen", "dose_mg_per_day": 1000}]))
    assert json.loads(out.read_text()) == {"cards": expected}
    bad = subprocess.run([*run, "neuro_exma", "-o", str(out)], capture_output=True, text=True)
    assert bad.returncode == 2 and "neuro_exam" in bad.stderr and "Traceback" not in bad.stderr
