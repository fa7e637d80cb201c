"""Evidence is taught honestly: levels carry their scheme; weak claims carry caveats."""

from __future__ import annotations

from dystonia_teach import evaluate, evidence_table, recommended_actions
from dystonia_teach.core.knowledge import knowledge

from .conftest import make_case


def test_table_has_one_row_per_claim_with_scheme() -> None:
    table = evidence_table()
    assert len(table) == len(knowledge().claims)
    assert set(table["scheme"]) == {"OCEBM 2011"}
    assert table["level"].between(1, 5).all()


def test_weak_claims_carry_caveats() -> None:
    table = evidence_table()
    weak = table[table["weak"]]
    assert len(weak) > 0
    assert (weak["caveat"].str.len() > 20).all()


# Phrases from the reviewers' working notes that mean nothing to a student.
_REVIEWER_MARKERS = (
    "from memory",
    "as above",
    "evidence: 4 (",
    "evidence: 5 (",
    "(—)",
    "verified (",
    "not seen",
    " seen;",
    "excerpt",
)


def _caveat_problems(claim_id: str, caveat: str) -> list[str]:
    """Why a weak claim's caveat is not plain learner text (empty list when it is)."""
    text = " ".join(caveat.split())
    if not text:
        return [f"{claim_id}: empty caveat"]
    problems = [
        f"{claim_id}: reviewer marker {marker!r}"
        for marker in _REVIEWER_MARKERS
        if marker in text.lower()
    ]
    if not text.endswith("."):
        problems.append(f"{claim_id}: does not end with a full stop")
    return problems


def test_weak_claim_caveats_are_plain_sentences_without_reviewer_notes() -> None:
    problems = [
        problem
        for claim_id, claim in knowledge().claims.items()
        if claim.weak
        for problem in _caveat_problems(claim_id, claim.caveat)
    ]
    assert not problems, "\n".join(problems)


def test_seed_errors_are_taught_as_corrections() -> None:
    claims = knowledge().claims
    assert claims["paraspinal_mapping_sensitivity"].status != "verified"
    assert "specificity" in claims["paraspinal_mapping_sensitivity"].seed_correction.lower()
    assert claims["surgery_best_for_walking_dystonia"].level == 4
    assert claims["postop_xray_12mo"].status == "not_found"
    assert claims["kicking_vs_lifting_types"].seed_claim


def test_entity_rests_on_case_reports() -> None:
    claim = knowledge().claims["lss_root_compression_can_cause_foot_dystonia"]
    assert claim.level == 4 and claim.caveat


def test_findings_cite_level_with_scheme() -> None:
    case = make_case()
    assessment = evaluate(case, [a.as_data() for a in recommended_actions(case)] + ["tlif"])
    for finding in assessment.findings:
        for source in finding.sources:
            assert source.level_text.startswith("OCEBM 2011 level ")
    surgery = next(i for i in assessment.recommended if i.step == "decompressive_laminectomy")
    assert any(s.claim_id == "decompression_abolished_dystonia" and s.weak for s in surgery.sources)
