"""The ``dystonia-teach`` CLI, run as a subprocess: exit status and what it prints."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dystonia_teach import load_case, recommended_pathway, validate_file
from dystonia_teach.casefiles.yamlio import round_trip_yaml
from dystonia_teach.core.errors import ISSUE_CODES
from dystonia_teach.core.knowledge import source_ref
from dystonia_teach.core.vocabulary import PATHOLOGIES
from dystonia_teach.render.text import pathway_lines

from .conftest import BAD_CASES_DIR, BASE_FACTS, bundled_case_paths, flatten

SUBCOMMANDS = ["validate", "new-case", "show", "schema", "codes"]
#: The scaffold's placeholders: the required fields an author must fill in.
PLACEHOLDERS = {
    "title", "summary", "patient.age", "patient.sex", "course.symptom_weeks",
    "course.conservative_care_weeks", "dystonia.foot", "dystonia.postures", "dystonia.triggers",
    "dystonia.relieved_by_rest", "radicular.root", "investigations.imaging.lesion",
    "investigations.imaging.concordant", "investigations.imaging.report",
    "investigations.instability.present", "investigations.instability.report",
    "investigations.electrodiagnosis.result", "investigations.electrodiagnosis.report",
    "investigations.brain_imaging.report", "investigations.dat_scan.report",
    "investigations.levodopa_response.report", "investigations.genetics.report",
    "investigations.ankle_brachial_index.report", "investigations.copper_studies.report",
    "investigations.spinal_cord_imaging.report", "investigations.blood_tests.report",
    "investigations.radiographs.report", "pathology",
    "disabling", "diagnosis", "stages.presentation", "stages.examination", "stages.follow_up",
    "teaching_notes", "evidence",
}


def run(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([sys.executable, "-m", "dystonia_teach", *map(str, args)],
                            capture_output=True, text=True, timeout=60, cwd=cwd, check=False)
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    return result


@pytest.mark.parametrize("command", [[], *([c] for c in SUBCOMMANDS)], ids=lambda c: " ".join(c))
def test_help_ends_with_examples(command: list[str]) -> None:
    result = run(*command, "--help")
    assert result.returncode == 0
    lines = result.stdout.rstrip().splitlines()
    start = lines.index("  Examples:")
    examples = [line.strip() for line in lines[start + 1:]]
    assert examples and all(e.startswith(("dystonia-teach ", "python -m dystonia_teach "))
                            for e in examples), examples
    if command:
        assert any(e.startswith(f"dystonia-teach {command[0]}") for e in examples)


def test_validate_defaults_to_the_bundled_cases() -> None:
    result = run("validate")
    assert result.returncode == 0, result.stdout
    assert result.stdout.strip() == f"{len(bundled_case_paths())} files checked, 0 problems"


def test_validate_reports_problems_and_exits_1(tmp_path: Path) -> None:
    for name in ("wrong_type__weeks_with_unit", "unknown_field__misspelt_age"):
        shutil.copy(BAD_CASES_DIR / f"{name}.yaml", tmp_path)
    result = run("validate", tmp_path)
    assert result.returncode == 1
    lines = result.stdout.strip().splitlines()
    expected = [str(i) for p in sorted(tmp_path.iterdir()) for i in validate_file(p).issues]
    assert lines[:-1] == expected
    assert lines[-1] == "3 problems in 2 of 2 files"
    assert any(": patient.agee: unknown_field: " in line and "did you mean 'age'" in line
               for line in lines)


def test_validate_missing_path_and_empty_folder(tmp_path: Path) -> None:
    missing = run("validate", tmp_path / "nope.yaml")
    assert missing.returncode == 2 and "does not exist" in missing.stderr
    empty = run("validate", tmp_path)
    assert empty.returncode == 1 and "no case files" in empty.stderr


def test_show_previews_stages_facts_pathway_and_evidence() -> None:
    case = load_case("failed_conservative_stenosis")
    result = run("show", "failed_conservative_stenosis")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for heading in ("Presentation", "Examination", "Follow-up", "Teaching notes", "Facts",
                    "Recommended pathway (derived from the facts)", "Evidence"):
        assert f"\n{heading}\n" in out
    assert "Three months after L5-S1 decompression" in out  # the last stage is shown too
    pathway = pathway_lines(recommended_pathway(case))
    assert "decompressive_laminectomy" in "\n".join(pathway)
    assert "\n".join(pathway) in out
    for claim_id in case.evidence:
        assert f"  {claim_id}: {source_ref(claim_id).badge}" in out


def test_show_by_path_invalid_and_unknown(tmp_path: Path) -> None:
    by_path = run("show", bundled_case_paths()[0])
    assert by_path.returncode == 0 and "Recommended pathway" in by_path.stdout
    bad = shutil.copy(BAD_CASES_DIR / "invalid_value__misspelt_pathology.yaml", tmp_path)
    invalid = run("show", bad)
    assert invalid.returncode == 1
    assert str(validate_file(bad).issues[0]) in invalid.stdout.splitlines()
    unknown = run("show", "early_uncomplicatd")
    assert unknown.returncode == 2 and "did you mean 'early_uncomplicated'" in unknown.stderr


def test_schema_is_generated_from_the_model() -> None:
    result = run("schema")
    assert result.returncode == 0
    out = result.stdout
    assert "- `course.conservative_care_weeks`: number; 0 to 1040; required." in out
    pathology = next(line for line in out.splitlines() if line.startswith("- `pathology`"))
    allowed = out.split(pathology, 1)[1].split("\n- ", 1)[0]
    assert all(f"`{value}`" in allowed for value in PATHOLOGIES)
    for code in ISSUE_CODES:
        assert f"- `{code}`: " in out
    assert "- `naproxen`" not in out and "`naproxen`" in out  # listed among the step ids
    assert "`lss_root_compression_can_cause_foot_dystonia` (OCEBM 2011 level 4)" in out


def _fill(path: Path) -> None:
    """Fill every value of the scaffold from the test factory's facts, keeping its comments."""
    yaml = round_trip_yaml()
    data = yaml.load(path.read_text())
    for dotted, value in flatten(BASE_FACTS).items():
        if dotted in ("id", "schema_version"):
            continue
        *parents, leaf = dotted.split(".")
        target = data
        for part in parents:
            target = target[part]
        assert leaf in target, f"the scaffold lacks {dotted}"
        target[leaf] = value
    with path.open("w") as handle:
        yaml.dump(data, handle)


def test_new_case_round_trip(tmp_path: Path) -> None:
    created = run("new-case", "my_new_case", "--dir", tmp_path)
    assert created.returncode == 0, created.stderr
    path = tmp_path / "my_new_case.yaml"
    assert f"dystonia-teach validate {path}" in created.stdout

    unfilled = run("validate", path)
    assert unfilled.returncode == 1
    report = validate_file(path)
    assert {issue.field for issue in report.issues} == PLACEHOLDERS
    assert {issue.code for issue in report.issues} <= {"invalid_value", "wrong_type"}

    _fill(path)
    assert "# " in path.read_text()  # the guidance comments survive filling
    filled = run("validate", path)
    assert filled.returncode == 0, filled.stdout
    assert filled.stdout.strip() == "1 file checked, 0 problems"

    before = path.read_text()
    again = run("new-case", "my_new_case", "--dir", tmp_path)
    assert again.returncode == 1 and "already exists" in again.stderr
    assert path.read_text() == before


def test_new_case_default_folder_and_bad_id(tmp_path: Path) -> None:
    assert run("new-case", "here_case", cwd=tmp_path).returncode == 0
    assert (tmp_path / "here_case.yaml").is_file()
    (tmp_path / "cases").mkdir()
    assert run("new-case", "in_cases", cwd=tmp_path).returncode == 0
    assert (tmp_path / "cases" / "in_cases.yaml").is_file()
    bad = run("new-case", "My Case", "--dir", tmp_path)
    assert bad.returncode == 2 and "not a valid case id" in bad.stderr
    assert not list(tmp_path.glob("My*"))


def test_try_scores_a_learner_pathway_with_its_feedback() -> None:
    good = run("try", "early_uncomplicated", "history_red_flags", "neuro_exam",
               "dystonia_phenomenology", "functional_signs_exam", "naproxen=1000",
               "physical_therapy", "education_stay_active", "clinical_followup",
               "--diagnosis", "radiculopathy_dystonia")
    assert good.returncode == 0, good.stderr
    first, second = good.stdout.splitlines()[:2]
    assert first == "Visit 1 of 2, week 3 (--visit 2 scores a plan at the next visit)"
    assert second == "Case early_uncomplicated: score 100/100, 100 points, safety: safe"
    poor = run("try", "early_uncomplicated", "neuro_exam", "mri_lumbar_noncontrast", "bed_rest")
    assert poor.returncode == 0, poor.stderr
    assert "premature_imaging" in poor.stdout and "low_value_care" in poor.stdout
    assert "OCEBM 2011 level" in poor.stdout


@pytest.mark.parametrize(("step", "message"), [
    ("naproxn", "did you mean 'naproxen'"),
    ("naproxen=lots", "must be a number of mg per day"),
    ("neuro_exam=10", "not a dosed drug"),
])
def test_try_reports_a_bad_step_without_a_traceback(step: str, message: str) -> None:
    result = run("try", "early_uncomplicated", step)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_new_case_creates_its_folder(tmp_path: Path) -> None:
    folder = tmp_path / "seminar" / "week3"
    result = run("new-case", "week3_case", "--dir", folder)
    assert result.returncode == 0, result.stderr
    assert (folder / "week3_case.yaml").is_file()


def test_case_list_text_gives_each_case_its_neutral_numbered_teaser() -> None:
    from dystonia_teach import list_cases, load_case
    from dystonia_teach.render.teaser import case_teaser
    from dystonia_teach.render.text import case_list_text

    cases = [load_case(case_id) for case_id in list_cases()]
    text = case_list_text()
    assert text == case_list_text(cases)
    assert text.splitlines() == [case_teaser(case, n) for n, case in enumerate(cases, 1)]
    for case in cases:
        assert case.id not in text and case.title not in text


def test_case_list_text_names_an_unreadable_case_and_lists_the_others(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dystonia_teach import list_cases
    from dystonia_teach.render.text import case_list_text

    (tmp_path / "aaa_broken.yaml").write_text("id: aaa_broken\npatient: [unclosed\n")
    monkeypatch.setenv("DYSTONIA_TEACH_CASES", str(tmp_path))
    lines = case_list_text().splitlines()
    assert len(lines) == len(list_cases())
    assert lines[0] == ("Case 1 — cannot be opened; your instructor can run "
                        "`dystonia-teach validate` to see why.")
    assert all("cannot be opened" not in line for line in lines[1:])
    assert str(tmp_path) not in "\n".join(lines)


def test_try_scores_a_plan_at_a_later_visit() -> None:
    from dystonia_teach.core.visits import case_at_visit, visit_count

    case = load_case("disc_herniation_after_trial")
    last = visit_count(case)
    assert last >= 2
    steps = [item.action.step for item in recommended_pathway(case_at_visit(case, last - 1))]
    result = run("try", "disc_herniation_after_trial", "--visit", str(last), *steps)
    assert result.returncode == 0, result.stderr
    week = case_at_visit(case, last - 1).course.symptom_weeks
    assert result.stdout.startswith(f"Visit {last} of {last}, week {week:g}\n")
    assert "score 100/100" in result.stdout
    first = run("try", "disc_herniation_after_trial", *steps)
    assert "score 100/100" not in first.stdout  # the first visit's pathway differs
    beyond = run("try", "disc_herniation_after_trial", "--visit", str(last + 1), "neuro_exam")
    assert beyond.returncode == 2 and f"there is no visit {last + 1}" in beyond.stderr


def test_show_prints_the_results_a_later_visit_gives() -> None:
    case = load_case("disc_herniation_after_trial")
    visit = next(v for v in case.visits if v.investigations is not None)
    name, result = next((n, r) for n, r in visit.investigations if r is not None)
    out = run("show", "disc_herniation_after_trial").stdout
    section = out.split(f"(week {visit.week:g};", 1)[1]
    assert "Results at this visit:" in section
    first_words = " ".join(result.report.split()[:4])
    assert f"{name}: {first_words}" in section.split("Recommended pathway at this visit")[0]
