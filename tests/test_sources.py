"""The source registry: one record per source, identifiers that belong together, honest status."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from dystonia_teach.core.bibliography import citation_text, doi_year, identifier_problems
from dystonia_teach.core.kb_model import KnowledgeBase, Source
from dystonia_teach.core.knowledge import evidence_problems, knowledge, source_ref


def _record(source_id: str, **changes: object) -> Source:
    data = knowledge().sources[source_id].model_dump()
    return Source.model_validate({**data, **changes})


def _problems_with(*extra: Source, replace: bool = False) -> list[str]:
    kb = knowledge()
    records = dict(kb.sources)
    for source in extra:
        if not replace:
            assert source.id not in records
        records[source.id] = source
    return identifier_problems(records.values(), kb.doi_prefixes)


def test_registry_identifiers_agree() -> None:
    kb = knowledge()
    assert identifier_problems(kb.sources.values(), kb.doi_prefixes) == []


@pytest.mark.parametrize(("bad", "message"), [
    # Peul's record carrying SPORT's PMID: the PMID is already another record's.
    (lambda: _record("peul_2007", pmid="17119140"), "share pmid 17119140"),
    # A new record with SPORT's DOI (a pair that belongs to another record).
    (lambda: _record("peul_2007", id="peul_copy", doi="10.1001/jama.296.20.2441",
                     journal="JAMA", year=2006, volume="296", issue="20", pages="2441-2450"),
     "share doi"),
    # A NEJM DOI on a record that says JAMA.
    (lambda: _record("weinstein_2006_sport_disc", doi="10.1056/NEJMoa064039", pmid=None),
     "belongs to N Engl J Med, not JAMA"),
    # NORDSTEN's 2021 DOI on a record dated 2016.
    (lambda: _record("austevoll_2021", year=2016), "dates from 2021, not 2016"),
    # The issue date a Spine DOI encodes.
    (lambda: _record("ahn_2000", year=2001), "dates from 2000, not 2001"),
    # A JAMA DOI names its volume, issue and first page.
    (lambda: _record("weinstein_2006_sport_disc", volume="295"), "gives volume 296, not 295"),
    # An old Wiley DOI names its volume and issue.
    (lambda: _record("blunt_1996", issue="5"), "gives issue 6, not 5"),
    # A 1996 PMID on a record dated 2017.
    (lambda: _record("mathieson_2017", pmid="8914102"), "PMIDs rise with the year"),
    # A DOI from a publisher nobody has checked against its journals.
    (lambda: _record("blunt_1996", doi="10.9999/unknown.1"), "prefix missing from doi_prefixes"),
])
def test_record_whose_identifiers_disagree_is_rejected(bad, message) -> None:
    problems = _problems_with(bad(), replace=True)
    assert any(message in problem for problem in problems), problems


def test_doi_years() -> None:
    assert doi_year("10.1056/NEJMoa2100990") == (2021, False)
    assert doi_year("10.1097/00007632-200006150-00010") == (2000, True)
    assert doi_year("10.1016/S0140-6736(14)60805-9") == (2014, False)
    assert doi_year("10.1002/mds.25475") is None


@pytest.mark.parametrize(("changes", "message"), [
    ({"unchecked": ["authors"]}, "a verified source has no unchecked details"),
    ({"status": "partly_verified"}, "names its unchecked details"),
    ({"journal": ""}, "needs its journal"),
    ({"authors": (), "et_al": False}, "needs authors or a group"),
    ({"title": ""}, "needs a title"),
    ({"pmid": "PMID 8914101"}, "String should match pattern"),
    ({"doi": "doi:10.1002/mds.870110620"}, "String should match pattern"),
])
def test_source_schema_rejects_incomplete_records(changes, message) -> None:
    with pytest.raises(ValidationError, match=message):
        _record("blunt_1996", **changes)


def test_sentence_fragments_cannot_be_sources() -> None:
    # The old `seed_consistency_rules_out_psychogenic` "sources" were pieces of one sentence.
    with pytest.raises(ValidationError):
        Source(id="fragment", kind="article", title="absence of distractibility does not "
               "exclude FMD,", status="verified")


def _claim_errors(claim_id: str, **changes: object) -> list[str]:
    data = knowledge().model_dump()
    data["claims"][claim_id].update(changes)
    return [p[4] for p in evidence_problems(KnowledgeBase.model_validate(data))]


@pytest.mark.parametrize(("claim_id", "changes", "message"), [
    ("acetaminophen_alternative", {"sources": ["williams_2014_pace", "acetaminophen_label"]},
     "a verified claim cites an unverified source"),
    ("acetaminophen_alternative", {"sources": []}, "a verified claim needs a source"),
    ("nsaid_doses", {"sources": []}, "a partly_verified claim needs a source"),
    ("acetaminophen_alternative", {"sources": ["pace_2014"]}, "unknown source 'pace_2014'"),
    ("acp_lbp_stepwise", {"harm_of": ["appropriate_step"]}, "not a pitfall code"),
])
def test_claim_is_never_surer_than_its_sources(claim_id, changes, message) -> None:
    assert any(message in error for error in _claim_errors(claim_id, **changes))


def test_every_source_is_cited_and_every_claim_cites_only_records() -> None:
    kb = knowledge()
    cited = {c.source for claim in kb.claims.values() for c in claim.sources}
    assert cited == set(kb.sources)


def test_no_prose_is_shown_as_a_citation() -> None:
    prose = ("as above", "(above)", "no source", "was found", "excerpt", "only blunt",
             "label dosing", "note attached", "direction of the idea", "wording matches", "†")
    for claim_id in knowledge().claims:
        for text in source_ref(claim_id).citations:
            assert not any(word in text.lower() for word in prose), (claim_id, text)


def test_verified_trials_are_not_shown_unverified_beside_others() -> None:
    kb = knowledge()
    for claim_id, source_id in (("acetaminophen_alternative", "williams_2014_pace"),
                                ("paraspinal_mapping_sensitivity", "dillingham_2000")):
        assert kb.sources[source_id].status == "verified"
        text = dict((s.id, citation_text(s, w)) for s, w in kb.cited_sources(claim_id))[source_id]
        assert "not yet" not in text
    assert kb.claims["acetaminophen_alternative"].status == "verified"


def test_peul_and_sport_keep_their_own_identifiers() -> None:
    kb = knowledge()
    peul, sport = kb.sources["peul_2007"], kb.sources["weinstein_2006_sport_disc"]
    assert (peul.doi, peul.pmid, peul.journal) == ("10.1056/NEJMoa064039", None, "N Engl J Med")
    assert (sport.doi, sport.pmid, sport.journal) == ("10.1001/jama.296.20.2441", "17119140",
                                                      "JAMA")
    assert {c.source for c in kb.claims["microdiscectomy_for_ldh"].sources} >= {
        "peul_2007", "weinstein_2006_sport_disc"}


def test_haig_1993_does_not_carry_the_1995_papers_authors() -> None:
    haig = knowledge().sources["haig_1993"]
    assert "Powley SG" not in haig.authors and haig.year == 1993
    assert "authors" in haig.unchecked


def test_articles_name_their_authors_or_say_they_are_unchecked() -> None:
    for source in knowledge().sources.values():
        if source.kind in ("article", "chapter") and not (source.authors or source.group):
            assert "authors" in source.unchecked, source.id
    for source_id in ("neurol_clin_2009", "long_2020_ces"):
        assert knowledge().sources[source_id].authors


def test_every_dosed_drug_names_its_label() -> None:
    kb = knowledge()
    for step in kb.steps.values():
        if step.dose is None:
            continue
        labels = [s for s, _ in kb.cited_sources(step.dose.source) if s.kind == "label"]
        assert any(step.id.split("_")[0] in s.title.lower() for s in labels), step.id


def _cited_for(code: str) -> dict[str, set[str]]:
    """What the learner is shown as evidence when a pitfall is raised: the caution's evidence
    for each caution that raises it (the `contraindicated` rule), else the finding entry's."""
    kb = knowledge()
    default = set(kb.findings[code].evidence)
    places = {}
    for rule in kb.rules:
        if rule.kind == "contraindicated":
            codes = {"critical": rule.code, "warning": rule.params["warning_code"],
                     "info": rule.params["info_code"]}
            places.update({f"caution {c.id}": set(c.evidence) or default
                           for c in kb.cautions if codes[c.severity] == code})
    return places or {"findings.yaml": default}


@pytest.mark.parametrize("code", sorted(c for c, f in knowledge().findings.items() if f.pitfall))
def test_every_pitfall_cites_evidence_about_its_harm(code: str) -> None:
    harm = {claim.id for claim in knowledge().claims.values() if code in claim.harm_of}
    missing = [place for place, cited in _cited_for(code).items() if not harm & cited]
    assert not missing, f"{code}: {missing} cite none of {sorted(harm)}"


@pytest.mark.parametrize(("caution_id", "source_id"), [
    ("nsaid_heart_failure", "aha_2016_drugs_heart_failure"),
    ("nsaid_allergy", "nsaid_medication_guide"),
    ("elective_operation_on_antithrombotic", "douketis_2022"),
    ("contrast_in_pregnancy", "acog_723_2017"),
    ("radiation_in_pregnancy", "acog_723_2017"),
])
def test_cautions_cite_the_source_looked_up_for_them(caution_id: str, source_id: str) -> None:
    kb = knowledge()
    caution = next(c for c in kb.cautions if c.id == caution_id)
    cited = {s.id for claim in caution.evidence for s, _ in kb.cited_sources(claim)}
    assert source_id in cited


def test_postoperative_rehabilitation_now_rests_on_a_trial_review() -> None:
    claim = knowledge().claims["postop_rehabilitation_advice"]
    # Level 2, not 1: the review found no high- or moderate-quality evidence (OCEBM grades down).
    assert claim.status == "verified" and claim.level == 2 and claim.directness == "indirect"
    assert [c.source for c in claim.sources] == ["oosterhuis_2014"]
    assert "no_postop_rehab" in claim.harm_of and claim.caveat


def test_partly_seen_records_show_what_is_unchecked_to_the_learner() -> None:
    kb = knowledge()
    for source_id, detail in (("aha_2016_drugs_heart_failure", "authors"),
                              ("duloxetine_label", "year"), ("easl_wilson_2012", "pages")):
        source = kb.sources[source_id]
        assert source.status == "partly_verified" and detail in source.unchecked
        assert "[not yet checked:" in citation_text(source)
    # A claim resting on such a record is never shown as verified beyond what was seen.
    assert kb.claims["beers_nsaids"].status == "partly_verified"
    assert kb.claims["imaging_in_pregnancy"].status == "partly_verified"


@pytest.mark.parametrize(("claim_id", "level"), [
    # Levels that overstated their sources (clinical review v3, appendix 1-6).
    ("nsaids_for_sciatica", 2), ("postop_rehabilitation_advice", 2), ("acp_lbp_stepwise", 2),
    ("duloxetine_second_line", 2), ("edx_masked_stenosis_vs_mri", 3),
    ("esi_short_term_radiculopathy", 2),
])
def test_systematic_reviews_of_weak_trials_are_graded_down(claim_id: str, level: int) -> None:
    assert knowledge().claims[claim_id].level == level


def test_claims_say_no_more_than_their_sources() -> None:
    kb = knowledge()
    cited = {claim_id: {c.source for c in claim.sources} for claim_id, claim in kb.claims.items()}
    # SPORT's as-treated result is in the 4-year report, not the randomised trial's paper.
    assert "sport_disc_4_year" in cited["shared_decision_surgery"]
    # Neither electrodiagnosis source says EMG excludes motor neuron disease.
    assert "motor neuron" not in kb.claims["edx_confirms_root_level"].claim
    assert "dillingham_2020" in cited["edx_confirms_root_level"]
    assert "SPORT" in kb.claims["microdiscectomy_for_ldh"].claim
    assert "open discectomy" in kb.claims["microdiscectomy_for_ldh"].claim
    assert "typically the foot" not in kb.claims["functional_dystonia_positive_signs"].claim
    assert "sinuous" not in kb.claims["ddx_plmt"].claim


def test_glut1_claim_rests_on_a_partly_seen_genereviews_record() -> None:
    kb = knowledge()
    claim, record = kb.claims["glut1_ped"], kb.sources["genereviews_glut1"]
    assert [c.source for c in claim.sources] == ["genereviews_glut1"]
    assert claim.status == "partly_verified" and claim.caveat
    assert record.status == "partly_verified" and record.bookshelf is None
    assert "[not yet checked:" in citation_text(record)


def test_corrected_and_completed_records() -> None:
    kb = knowledge()
    pad = kb.sources["gerhard_herman_2016"]
    assert (pad.year, pad.volume, pad.status) == (2017, "135", "verified")
    for source_id in ("long_2020_ces", "kgomotso_2024", "nordsten_instability_review",
                      "ramdhani_2013", "hatori_2023", "cochrane_paracetamol_lbp",
                      "fda_2014_epidural_steroids", "sport_stenosis_4_year", "watters_2008",
                      "lee_jeon_2014", "mckeon_2008", "peul_2008", "abdu_2018"):
        assert kb.sources[source_id].status == "verified", source_id
    assert kb.sources["ibuprofen_label"].status == "partly_verified"
    assert kb.claims["esi_safety_warning"].status == "verified"
