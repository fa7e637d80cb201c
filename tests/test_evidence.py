"""Evidence is taught honestly: levels carry their scheme; weak claims carry caveats."""

from __future__ import annotations

import re

import pytest

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


# Reviewer shorthand that must not reach a student in any learner-visible claim text.
_SHORTHAND = {
    "authoring note 'seed'": re.compile(r"\bseed\b", re.IGNORECASE),
    "'ITT'": re.compile(r"\bITT\b"),
    "sample size as 'n=' or 'n≈'": re.compile(r"\bn\s*[=≈]\s*\d"),
    "'SR' or 'MA'": re.compile(r"\b(SR|MA)\b"),
    "'RCT'": re.compile(r"\bRCTs?\b"),
    "'LBP'": re.compile(r"\bLBP\b"),
    "an unexplained abbreviation": re.compile(r"\b(LSS|LDH|EDX|CES|BoNT|PIMD|FMD|ESI|DBS|PT)\b"),
    "a reference number": re.compile(r"\bref\.? ?\d", re.IGNORECASE),
    "a dagger": re.compile("†"),
    "a bare dash for a value": re.compile(r"^\s*—\s*$"),
    "a reviewer's verdict": re.compile(r"^(Verified|Seed claim|Case verified|Underlying case)\b"),
}
_LEARNER_FIELDS = ("claim", "design", "caveat", "seed_correction")


def shorthand_in(text: str) -> list[str]:
    """The kinds of reviewer shorthand in one learner-visible text (empty when it is plain)."""
    return [name for name, pattern in _SHORTHAND.items() if pattern.search(text)]


@pytest.mark.parametrize(("text", "expected"), [
    ("Seed: assess kicking type.", "authoring note 'seed'"),
    ("the seed page's figure", "authoring note 'seed'"),
    ("similar to decompression (ITT)", "'ITT'"),
    ("did not shorten recovery (PACE, n≈1650)", "sample size as 'n=' or 'n≈'"),
    ("RCT (n=169)", "'RCT'"),
    ("Guideline on SR of RCTs", "'SR' or 'MA'"),
    ("second-line for chronic LBP", "'LBP'"),
    ("In LSS surgical candidates", "an unexplained abbreviation"),
    ("—", "a bare dash for a value"),
    ("Verified — seed claim weak", "a reviewer's verdict"),
])
def test_shorthand_guard_catches_reviewer_shorthand(text: str, expected: str) -> None:
    assert expected in shorthand_in(text)


def test_shorthand_guard_passes_plain_sentences() -> None:
    assert shorthand_in("A randomised trial of 169 patients with lumbar spinal stenosis.") == []


def test_learner_visible_claim_texts_have_no_reviewer_shorthand() -> None:
    problems = [
        f"{claim.id}.{field}: {kind}"
        for claim in knowledge().claims.values()
        for field in _LEARNER_FIELDS
        for kind in shorthand_in(getattr(claim, field))
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
