"""Course knowledge packs (issue 18): one loading path for the package's knowledge and a
course's, overrides only where a pack says so, clashes and every other problem at its file and
line, one diagnosis vocabulary, caches that follow the packs in use, and the worked example
(docs/examples/peroneal) with its verdicts."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from dystonia_teach import evaluate, load_case, recommended_pathway, validate_file, validate_paths
from dystonia_teach.casefiles.loader import validate_text
from dystonia_teach.cli import cli
from dystonia_teach.core.case_model import Case
from dystonia_teach.core.diagnoses import derived_differential, search_diagnoses
from dystonia_teach.core.errors import Issue, KnowledgeBaseError
from dystonia_teach.core.knowledge import knowledge, load_knowledge, refresh_knowledge
from dystonia_teach.core.packs import CASES_VARIABLE, course_pack, package_pack, packs_in_use
from dystonia_teach.course.manifest import build_manifest, check_manifest
from dystonia_teach.render.figures import algorithm_description, recommended_route

from .conftest import CASES_DIR, REPO

EXAMPLE = REPO / "docs" / "examples" / "peroneal"
EXAMPLE_CASE = EXAMPLE / "catching_right_foot.yaml"
IDEAL = ["history_red_flags", "neuro_exam", "emg_ncs", "ankle_foot_orthosis",
         "clinical_followup"]
STEP = """
  - id: {id}
    label: A step of the course
    phase: assessment
    category: examination
    harm: examination
    description: What it is.
    evidence: [{evidence}]
"""


@pytest.fixture(autouse=True)
def _no_course_folders(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CASES_VARIABLE, raising=False)


def pack_issues(folder: Path, text: str) -> tuple[Issue, ...]:
    """The issues of the package's knowledge with a course pack holding ``text``."""
    (folder / "knowledge").mkdir(parents=True, exist_ok=True)
    (folder / "knowledge" / "pack.yaml").write_text(text)
    return load_knowledge((package_pack(), course_pack(folder)))[1]


def only(issues: tuple[Issue, ...], code: str) -> Issue:
    [found] = [issue for issue in issues if issue.code == code]
    return found


def line_of(path: Path, text: str) -> int:
    return path.read_text().splitlines().index(text) + 1


def example_copy(tmp_path: Path) -> Path:
    course = tmp_path / "course"
    shutil.copytree(EXAMPLE, course)
    return course


# --- Loading: one path, the package's pack first --------------------------------------------

def test_knowledge_pack_of_the_package_is_the_first_and_loaded_by_the_same_code() -> None:
    packs = packs_in_use()
    assert packs == (package_pack(),)
    kb, issues = load_knowledge(packs)
    assert issues == () and kb is knowledge()
    assert len(kb.diagnoses) > 20 and kb.scoring.coverage_points == 100


def test_knowledge_pack_beside_the_cases_is_used_through_dystonia_teach_cases(
        monkeypatch: pytest.MonkeyPatch) -> None:
    package = knowledge()
    monkeypatch.setenv(CASES_VARIABLE, str(EXAMPLE))
    with_pack = knowledge()
    assert [p.folder for p in packs_in_use()] == [package_pack().folder, EXAMPLE / "knowledge"]
    assert "nerve_conduction_across_the_fibular_head" in {d.id for d in with_pack.pathway}
    assert "ankle_inversion_spared" in with_pack.sign_ids
    assert "ankle_inversion_spared" not in package.sign_ids
    monkeypatch.delenv(CASES_VARIABLE)
    assert knowledge() is package


def test_knowledge_pack_overrides_replace_in_place_and_add_after(
        monkeypatch: pytest.MonkeyPatch) -> None:
    package = knowledge()
    monkeypatch.setenv(CASES_VARIABLE, str(EXAMPLE))
    kb = knowledge()
    before = [d.id for d in package.pathway]
    after = [d.id for d in kb.pathway]
    assert after[:len(before)] == before
    assert after[len(before):] == ["nerve_conduction_across_the_fibular_head",
                                   "keep_pressure_off_the_nerve", "description_of_a_weak_foot"]
    describe = next(d for d in kb.pathway if d.id == "describe_the_dystonia")
    assert "not fibular_pattern_foot_drop" in describe.when
    assert "not fibular_pattern_foot_drop" not in next(
        d for d in package.pathway if d.id == "describe_the_dystonia").when
    assert [r.id for r in kb.rules] == [r.id for r in package.rules]
    assert kb.diagnoses["peroneal_neuropathy"].work_up == (
        "nerve_conduction_across_the_fibular_head",)
    assert list(kb.diagnoses) == list(package.diagnoses)  # overridden where it stood


# --- Clashes and located errors ---------------------------------------------------------------

def test_knowledge_pack_clash_names_both_places(tmp_path: Path) -> None:
    issue = only(pack_issues(tmp_path, "steps:" + STEP.format(
        id="neuro_exam", evidence="exam_radiculopathy_signs")), "duplicate_id")
    steps = package_pack().folder / "steps.yaml"
    assert (issue.file, issue.line, issue.field) == (
        f"{tmp_path}/knowledge/pack.yaml", 2, "steps.0.id")
    assert f"dystonia_teach/knowledge/steps.yaml:{line_of(steps, '  - id: neuro_exam')}" in (
        issue.message)
    assert "overrides: neuro_exam" in issue.hint


def test_knowledge_pack_override_of_nothing_is_an_error_with_a_hint(tmp_path: Path) -> None:
    issue = only(pack_issues(tmp_path, """pathway:
  - overrides: describe_the_dystonai
    label: description of the dystonia
    options: [dystonia_phenomenology]
    reason: Describe it.
"""), "override_of_nothing")
    assert (issue.line, issue.field) == (2, "pathway.0.overrides")
    assert "describe_the_dystonia" in issue.hint


def test_knowledge_pack_step_or_rule_citing_no_source_is_an_error(tmp_path: Path) -> None:
    issues = pack_issues(tmp_path, "steps:" + STEP.format(id="course_step", evidence="")
                         + """rules:
  - id: course_rule
    kind: forbid_steps
    when: []
    steps: [course_step]
    code: appropriate_step
""")
    codes = {(i.field, i.code, i.line) for i in issues}
    assert codes == {("steps.0.evidence", "no_evidence", 8),
                     ("rules.0.evidence", "no_evidence", 10)}


def test_knowledge_pack_unknown_or_hidden_predicate_is_located(tmp_path: Path) -> None:
    issues = pack_issues(tmp_path, """pathway:
  - id: course_decision
    label: a decision
    when: [diagnosis_wilson_disease, foot_dorp]
    options: [neuro_exam]
    reason: Why.
""")
    hidden, unknown = only(issues, "hidden_predicate"), only(issues, "unknown_predicate")
    assert (hidden.line, hidden.field, unknown.line) == (4, "pathway.0.when", 4)
    assert "foot_drop" in unknown.hint


def test_knowledge_pack_reference_to_nothing_is_located(tmp_path: Path) -> None:
    issues = pack_issues(tmp_path, """diagnoses:
  - id: course_diagnosis
    label: A diagnosis of the course
    script: What it is.
    for: [fibular_pattern]
    work_up: [no_such_decision]
    evidence: [exam_radiculopathy_signs]
""")
    assert {(i.line, i.field, i.code) for i in issues} == {
        (5, "diagnoses.0.for", "unknown_reference"),
        (6, "diagnoses.0.work_up", "unknown_reference")}


def test_knowledge_pack_vocabulary_may_not_take_a_predicate_name(tmp_path: Path) -> None:
    issue = only(pack_issues(tmp_path, "signs:\n  - id: foot_drop\n    label: a foot drop\n"),
                 "duplicate_id")
    assert "dystonia_teach/core/predicates.py" in issue.message and issue.line == 2


def test_knowledge_pack_knowledge_base_error_lists_the_located_issues(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pack_issues(tmp_path, "stepz: []\n")
    monkeypatch.setenv(CASES_VARIABLE, str(tmp_path))
    with pytest.raises(KnowledgeBaseError, match=r"pack\.yaml:1: stepz: unknown_field: .* "
                                                 r"\(did you mean 'steps'\?\)"):
        knowledge()


def test_knowledge_pack_errors_in_validate_are_file_line_field_code(tmp_path: Path) -> None:
    course = example_copy(tmp_path)
    pack = course / "knowledge" / "peroneal.yaml"
    text = pack.read_text()
    pack.write_text(text.replace("  - overrides: functional_signs\n",
                                 "  - overrides: functional_sign\n"))
    line = line_of(pack, "  - overrides: functional_sign")
    result = CliRunner().invoke(cli, ["validate", str(course)])
    assert result.exit_code == 1, result.output
    assert (f"{course}/knowledge/peroneal.yaml:{line}: pathway.3.overrides: override_of_nothing: "
            "overrides decision 'functional_sign', but no earlier pack defines it (did you mean "
            "'functional_signs'") in result.output
    # the case is checked without the broken pack, and says so
    assert "catching_right_foot.yaml:" in result.output
    assert "the knowledge packs in use have problems" in result.output


def test_knowledge_pack_yaml_errors_are_worded_as_for_case_files(tmp_path: Path) -> None:
    (tmp_path / "knowledge").mkdir()
    (tmp_path / "knowledge" / "pack.yaml").write_text("signs:\n  - id: a\n    id: b\n  label\n")
    [report] = validate_paths([tmp_path])
    assert report.file.endswith("knowledge/pack.yaml")
    assert [(i.line, i.code) for i in report.issues] == [(4, "yaml_syntax")]
    assert "has no colon" in report.issues[0].message


def test_knowledge_pack_of_the_example_validates() -> None:
    reports = validate_paths([EXAMPLE])
    assert [(Path(r.file).name, r.issues) for r in reports] == [
        ("peroneal.yaml", []), ("catching_right_foot.yaml", [])]


# --- One diagnosis vocabulary ----------------------------------------------------------------

PLEXOPATHY_PACK = """diagnoses:
  - id: lumbosacral_plexopathy
    label: Lumbosacral plexopathy
    names: [plexopathy, lumbosacral plexus]
    script: Weakness and sensory loss beyond one root or one nerve in one leg.
    for: [edx_other_nerve_lesion]
    against: [root_signs]
    tests: [emg_ncs]
    evidence: [edx_confirms_root_level]
"""


def _plexopathy_course(tmp_path: Path) -> Path:
    course = tmp_path / "course"
    pack_issues(course, PLEXOPATHY_PACK)
    text = (CASES_DIR / "tarsal_tunnel_mimic.yaml").read_text()
    (course / "plexus_case.yaml").write_text(
        text.replace("id: tarsal_tunnel_mimic", "id: plexus_case").replace(
            "diagnosis: tarsal_tunnel", "diagnosis: lumbosacral_plexopathy"))
    return course / "plexus_case.yaml"


def test_knowledge_pack_diagnosis_is_a_case_diagnosis(tmp_path: Path) -> None:
    case = _plexopathy_course(tmp_path)
    assert validate_file(case).ok
    moved = tmp_path / "elsewhere"
    moved.mkdir()
    shutil.copy(case, moved / case.name)
    issue = only(tuple(validate_file(moved / case.name).issues), "invalid_value")
    assert issue.field == "diagnosis" and "not a diagnosis of the knowledge in use" in (
        issue.message)


def test_knowledge_pack_diagnosis_is_found_by_search_and_in_the_differential(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    case_file = _plexopathy_course(tmp_path)
    assert search_diagnoses("plexopathy")[0].id == "other"
    monkeypatch.setenv(CASES_VARIABLE, str(case_file.parent))
    assert search_diagnoses("plexopathy")[0].id == "lumbosacral_plexopathy"
    case = load_case("plexus_case")
    before = {e.diagnosis for e in derived_differential(known_view(case, blind=True))}
    after = {e.diagnosis for e in derived_differential(known_view(case))}
    assert "lumbosacral_plexopathy" not in before and "lumbosacral_plexopathy" in after


def known_view(case: Case, *, blind: bool = False) -> Case:
    """The case with its results known (the debrief's view), or none of them (``blind``)."""
    from dystonia_teach.core.predicates import knowable_view, result_kinds

    return knowable_view(case, frozenset() if blind else result_kinds(case))


def test_knowledge_pack_diagnosis_in_try_diagnosis(tmp_path: Path) -> None:
    case = _plexopathy_course(tmp_path)
    right = CliRunner().invoke(cli, ["try", str(case), "neuro_exam", "emg_ncs",
                                     "--diagnosis", "lumbosacral_plexopathy"])
    assert right.exit_code == 0, right.output
    assert "working_diagnosis_correct" in right.output
    wrong = CliRunner().invoke(cli, ["try", str(case), "neuro_exam",
                                     "--diagnosis", "lumbosacral_plexopathi"])
    assert wrong.exit_code == 2
    assert "unknown diagnosis 'lumbosacral_plexopathi'; did you mean 'lumbosacral_plexopathy'" in (
        wrong.output)


def test_knowledge_pack_names_feed_the_spoiler_check(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CASES_VARIABLE, str(EXAMPLE))
    text = EXAMPLE_CASE.read_text().replace(
        "title: A carpet fitter whose right foot slaps and catches on the kerb",
        "title: A carpet fitter with a pressure palsy of the right leg")
    report = validate_text(text, "catching_right_foot.yaml")
    spoiler = only(tuple(report.issues), "spoiler")
    assert spoiler.field == "title" and "'pressure palsy' implies" in spoiler.message


def test_knowledge_pack_condition_and_caution_reach_the_judgement(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A pack adds a condition a case may state and a caution keyed to it (this fixture's
    claim is marked unverified, with no source: it only exercises the loader)."""
    assert pack_issues(tmp_path, """conditions:
  - id: course_condition
    label: a condition the course teaches
cautions:
  - id: naproxen_with_the_course_condition
    steps: [naproxen]
    when: [course_condition]
    severity: warning
    text: The course's condition needs care with naproxen.
    evidence: [course_claim]
claims:
  - id: course_claim
    topic: conservative
    question: harm
    claim: A claim for the loader's test.
    design: None (a test fixture)
    level: 5
    level_note: 5 - a test fixture
    directness: indirect
    status: unverified
    seed_claim: false
    caveat: A test fixture, not evidence.
    sources: []
""") == ()
    monkeypatch.setenv(CASES_VARIABLE, str(tmp_path))
    data = yaml_data(CASES_DIR / "early_uncomplicated.yaml")
    case = Case.model_validate({**data, "conditions": ["course_condition"]})
    plan = ["history_red_flags", "neuro_exam", {"step": "naproxen", "dose_mg_per_day": 1000}]
    found = next(f for f in evaluate(case, plan).findings if f.code == "caution")
    assert found.step == "naproxen" and "course's condition" in found.detail
    text = (CASES_DIR / "early_uncomplicated.yaml").read_text().replace(
        "conditions: []", "conditions: [course_condition]")
    assert validate_text(text, "early_uncomplicated.yaml").ok
    monkeypatch.delenv(CASES_VARIABLE)
    issue = only(tuple(validate_text(text, "early_uncomplicated.yaml").issues), "invalid_value")
    assert issue.field == "conditions.0"


def yaml_data(path: Path) -> dict:
    from ruamel.yaml import YAML

    return YAML(typ="safe").load(path.read_text())


# --- Caches follow the packs in use ----------------------------------------------------------

def _example_facts() -> Case:
    """The example's case built without the loader's vocabulary check (so that the same case
    object is judged under either knowledge)."""
    return Case.model_validate(yaml_data(EXAMPLE_CASE))


def test_knowledge_pack_cache_follows_the_packs_in_use(monkeypatch: pytest.MonkeyPatch) -> None:
    case = _example_facts()
    alone = evaluate(case, IDEAL)
    monkeypatch.setenv(CASES_VARIABLE, str(EXAMPLE))
    with_pack = evaluate(case, IDEAL)
    monkeypatch.delenv(CASES_VARIABLE)
    again = evaluate(case, IDEAL)
    assert with_pack.score == 1.0
    assert alone.score < 1.0 and "low_value_care" in alone.pitfalls
    assert (again.score, again.pitfalls) == (alone.score, alone.pitfalls)


def test_knowledge_pack_edited_is_reloaded_on_refresh(tmp_path: Path) -> None:
    course = example_copy(tmp_path)
    case = load_case(course / EXAMPLE_CASE.name)
    plan = [s for s in IDEAL if s != "emg_ncs"]
    assert "missing_step" in {f.code for f in evaluate(case, plan).findings}
    pack = course / "knowledge" / "peroneal.yaml"
    pack.write_text(pack.read_text().replace(
        "    when: [fibular_pattern_foot_drop]\n    options: [emg_ncs]\n",
        "    when: [fibular_pattern_foot_drop]\n    required: could\n    options: [emg_ncs]\n"))
    refresh_knowledge()
    assert evaluate(case, plan).score == 1.0


# --- The worked example's verdicts ------------------------------------------------------------

@pytest.fixture
def peroneal(monkeypatch: pytest.MonkeyPatch) -> Case:
    monkeypatch.setenv(CASES_VARIABLE, str(EXAMPLE))
    return load_case("catching_right_foot")


def test_knowledge_pack_peroneal_ideal_plan_scores_at_least_90_and_is_safe(
        peroneal: Case) -> None:
    assessment = evaluate(peroneal, IDEAL, "peroneal_neuropathy")
    assert assessment.score >= 0.9 and assessment.safety == "safe", assessment.rubric
    assert "working_diagnosis_correct" in {f.code for f in assessment.findings}
    assert derived_differential(known_view(peroneal))[0].diagnosis == "peroneal_neuropathy"


@pytest.mark.parametrize("operation", ["decompressive_laminectomy", "microdiscectomy", "tlif"])
def test_knowledge_pack_peroneal_lumbar_surgery_is_unsafe(peroneal: Case, operation: str) -> None:
    assert evaluate(peroneal, [*IDEAL, operation]).safety == "unsafe"


def test_knowledge_pack_peroneal_nerve_conduction_is_required_not_low_value(
        peroneal: Case) -> None:
    verdict = next(f for f in evaluate(peroneal, IDEAL).findings if f.step == "emg_ncs")
    assert verdict.code == "appropriate_step"
    without = evaluate(peroneal, [s for s in IDEAL if s != "emg_ncs"])
    assert "emg_ncs" in {f.step for f in without.findings if f.code == "missing_step"}
    imaged = evaluate(peroneal, [*IDEAL, "mri_lumbar_noncontrast"])
    assert "low_value_care" in imaged.pitfalls  # the spine cannot explain this foot


def test_knowledge_pack_peroneal_flowchart_shows_no_red_flag_branch(peroneal: Case) -> None:
    nodes = {node for chain in recommended_route(peroneal) for node in chain}
    assert "urgent" not in nodes and "mimics" in nodes
    text = algorithm_description(peroneal, IDEAL)
    assert "Red flags? [yes]" not in text and "Red flag: imaging now" not in text.split(
        "Recommended path:")[1].split("\n")[0]


def test_knowledge_pack_walkthrough_of_the_guide_builds_a_working_pack(tmp_path: Path) -> None:
    """docs/authoring.md, "Course knowledge packs": its snippets, taken in order as an
    instructor copies them, give a pack that validates after every step and the verdicts the
    guide promises."""
    guide = (REPO / "docs" / "authoring.md").read_text()
    walk = guide[guide.index("### A worked example"):guide.index("### What a pack may hold")]
    parts = re.split(r"\n\*\*(\d)\. ", walk)
    snippets = {int(parts[i]): re.findall(r"```yaml\n(.*?)```", parts[i + 1], re.S)
                for i in range(1, len(parts), 2)}
    course = tmp_path / "my_course"
    (course / "knowledge").mkdir(parents=True)
    case, pack = course / EXAMPLE_CASE.name, course / "knowledge" / "peroneal.yaml"
    text = EXAMPLE_CASE.read_text()
    case.write_text(re.sub(r"^evidence: .*$", "evidence: [ddx_l5_vs_peroneal, afo_foot_drop]",
                           text.replace("other_signs: [ankle_inversion_spared, "
                                        "tinel_at_fibular_head]", "other_signs: []"),
                           flags=re.M))
    example = (EXAMPLE / "knowledge" / "peroneal.yaml").read_text()
    added = {2: snippets[2][0], 3: snippets[3][0], 4: example[example.index("claims:"):],
             5: snippets[5][0], 6: snippets[6][0], 7: snippets[7][0]}
    for step in range(1, 8):
        if step > 1:
            pack.write_text((pack.read_text() if pack.exists() else "") + added[step])
        if step == 2:
            case.write_text(case.read_text().replace(
                "other_signs: []", "other_signs: [ankle_inversion_spared, tinel_at_fibular_head]"))
        if step == 7:
            case.write_text(text)
        problems = [i for r in validate_paths([course]) for i in r.issues]
        assert problems == [], (step, problems)
    judged = load_case(case)
    assert evaluate(judged, IDEAL).score == 1.0
    assert evaluate(judged, [*IDEAL, "decompressive_laminectomy"]).safety == "unsafe"


# --- The release manifest digests each pack -------------------------------------------------

def test_release_digest_of_a_course_pack_names_its_change(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from .test_course_release import tree_copy

    root = tree_copy(tmp_path / "tree", notebooks=False)
    course = example_copy(tmp_path)
    monkeypatch.setenv(CASES_VARIABLE, str(course))
    manifest = json.loads(json.dumps(build_manifest(root, {})))
    names = [p["name"] for p in manifest["knowledge_packs"]]
    assert names == ["dystonia_teach", course.absolute().as_posix()]
    assert check_manifest(root, manifest) == []
    pack = course / "knowledge" / "peroneal.yaml"
    pack.write_text(pack.read_text() + "\n# edited\n")
    [problem] = check_manifest(root, manifest)
    assert problem.startswith(f"{pack.absolute().as_posix()}: knowledge pack "
                              f"{course.absolute().as_posix()} file changed since the release")
    monkeypatch.delenv(CASES_VARIABLE)
    assert check_manifest(root, manifest) == [
        f"knowledge pack {course.absolute().as_posix()}: in the release but not in the tree"]


def test_a_pack_decision_cites_its_own_evidence(monkeypatch: pytest.MonkeyPatch,
                                                tmp_path: Path) -> None:
    """A decision's ``evidence:`` is what the learner sees with it, and what its missing-step
    finding cites, instead of the evidence of its step."""
    course = example_copy(tmp_path)
    monkeypatch.setenv(CASES_VARIABLE, str(course))
    case = load_case(course / EXAMPLE_CASE.name)
    item = next(i for i in recommended_pathway(case)
                if i.decision == "nerve_conduction_across_the_fibular_head")
    assert [s.claim_id for s in item.sources] == ["fibular_neuropathy_electrodiagnosis"]
    judged = evaluate(case, [a for a in IDEAL if a != "emg_ncs"])
    missing = next(f for f in judged.findings if f.code == "missing_step" and f.step == "emg_ncs")
    assert [s.claim_id for s in missing.sources] == ["fibular_neuropathy_electrodiagnosis"]
