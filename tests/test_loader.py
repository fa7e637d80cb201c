"""Loading and validating case files: every problem of a file at once, located and coded."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dystonia_teach import CaseInvalidError, CaseNotFoundError, list_cases, load_case, validate_file
from dystonia_teach.casefiles.loader import validate_paths

from .conftest import CASES_DIR, bundled_case_paths

GOOD = (CASES_DIR / "failed_conservative_stenosis.yaml").read_text()


def write(tmp_path: Path, text: str, name: str = "failed_conservative_stenosis.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize("path", bundled_case_paths(), ids=lambda p: p.stem)
def test_bundled_cases_are_valid(path: Path) -> None:
    report = validate_file(path)
    assert report.ok, "\n".join(map(str, report.issues))


def test_list_and_load_by_id() -> None:
    ids = list_cases()
    assert {p.stem for p in bundled_case_paths()} <= set(ids)
    assert load_case(ids[0]).id == ids[0]


def test_unknown_id_suggests_the_closest() -> None:
    with pytest.raises(CaseNotFoundError, match="did you mean 'early_uncomplicated'"):
        load_case("early_uncomplicatd")


def test_every_problem_reported_at_once_with_line_and_hint(tmp_path: Path) -> None:
    text = (GOOD.replace("  age: 68", "  agee: 68")
                .replace("pathology: stenosis\n", "pathology: stenosys\n")
                .replace("disabling: true", "disabling: maybe")
                .replace("[decompression_abolished_dystonia,", "[decompression_abolished_dy,"))
    path = write(tmp_path, text)
    with pytest.raises(CaseInvalidError) as err:
        load_case(path)
    by_code = {issue.code: issue for issue in err.value.issues}
    assert set(by_code) >= {"unknown_field", "missing_field", "invalid_value", "wrong_type"}
    unknown = by_code["unknown_field"]
    assert unknown.field == "patient.agee" and "did you mean 'age'" in unknown.hint
    assert text.splitlines()[unknown.line - 1].strip().startswith("agee")
    assert "did you mean 'stenosis'" in by_code["invalid_value"].hint
    assert str(unknown).startswith(f"{path}:{unknown.line}: patient.agee: unknown_field:")


def test_semantic_issues_after_a_valid_model(tmp_path: Path) -> None:
    text = GOOD.replace("[decompression_abolished_dystonia,", "[decompression_abolished_dystonai,")
    text = text.replace("conservative_care: [naproxen,", "conservative_care: [naproxin,")
    report = validate_file(write(tmp_path, text, "other_name.yaml"))
    codes = {i.code: i for i in report.issues}
    assert set(codes) == {"unknown_evidence", "unknown_step", "id_mismatch"}
    assert "did you mean 'naproxen'" in codes["unknown_step"].hint
    assert codes["unknown_step"].field == "course.conservative_care.0"


def test_schema_too_new_names_the_fix(tmp_path: Path) -> None:
    report = validate_file(write(tmp_path, GOOD.replace("schema_version: 2", "schema_version: 7")))
    assert [i.code for i in report.issues] == ["schema_too_new"]
    assert "upgrade dystonia_teach" in report.issues[0].hint


def test_missing_result_for_a_derived_step(tmp_path: Path) -> None:
    start = GOOD.index("  electrodiagnosis:")
    end = GOOD.index("pathology: stenosis")
    discordant = GOOD[:start].replace("concordant: true", "concordant: false")
    report = validate_file(write(tmp_path, discordant + GOOD[end:]))  # EMG is now needed
    assert [i.code for i in report.issues] == ["missing_result"]
    assert "emg_ncs" in report.issues[0].message


def test_duplicate_ids_across_files(tmp_path: Path) -> None:
    write(tmp_path, GOOD)
    (tmp_path / "sub").mkdir()
    write(tmp_path / "sub", GOOD)
    reports = validate_paths([tmp_path, tmp_path / "sub"])
    assert [i.code for r in reports for i in r.issues] == ["duplicate_case_id"]


def test_instructor_folder_is_searched_first(tmp_path: Path, monkeypatch) -> None:
    text = GOOD.replace("id: failed_conservative_stenosis", "id: my_new_case")
    write(tmp_path, text, "my_new_case.yaml")
    monkeypatch.setenv("DYSTONIA_TEACH_CASES", str(tmp_path))
    assert "my_new_case" in list_cases()
    assert load_case("my_new_case").id == "my_new_case"


def test_a_file_named_twice_is_validated_once() -> None:
    from dystonia_teach import validate_paths

    one = CASES_DIR / "early_uncomplicated.yaml"
    reports = validate_paths([CASES_DIR, one, str(one)])
    assert len(reports) == len(bundled_case_paths())
    assert all(report.ok for report in reports)


def hostile_folder(folder: Path) -> dict[str, str]:
    """A folder of one good case and bad entries: case id -> the code loading it must raise."""
    good = GOOD.replace("id: failed_conservative_stenosis", "id: good_one")
    write(folder, good, "good_one.yaml")
    bad = {
        "impossible_date": GOOD.replace("title: ", "title: 2030-13-45 #", 1),
        "words_for_age": GOOD.replace("  age: 68", "  age: !!int forty-six"),
        "null_twice": GOOD + "~: 1\nnull: 2\n",
        "many_digits": GOOD.replace("  age: 68", "  age: " + "9" * 5000),
        "title_escape": GOOD.replace("title: ", 'title: "\\e]0;owned\\a" #', 1),
    }
    for case_id, text in bad.items():
        write(folder, text.replace("id: failed_conservative_stenosis", f"id: {case_id}"),
              f"{case_id}.yaml")
    codes = {"impossible_date": "yaml_value", "words_for_age": "yaml_value",
             "null_twice": "duplicate_key", "many_digits": "yaml_value",
             "title_escape": "control_character"}
    if hasattr(os, "mkfifo"):
        os.mkfifo(folder / "a_fifo.yaml")
        (folder / "a_loop.yaml").symlink_to(folder / "a_loop.yaml")
        codes |= {"a_fifo": "not_a_file", "a_loop": "unreadable_file"}
    return codes


def test_bad_files_in_the_instructor_folder_are_named_not_fatal(tmp_path: Path,
                                                                monkeypatch) -> None:
    """list_cases() lists every entry; loading a bad one raises CaseInvalidError naming it
    (never a YAML or OS exception, never a hang on a FIFO)."""
    codes = hostile_folder(tmp_path)
    monkeypatch.setenv("DYSTONIA_TEACH_CASES", str(tmp_path))
    assert {"good_one", *codes} <= set(list_cases())
    assert load_case("good_one").id == "good_one"
    for case_id, code in codes.items():
        with pytest.raises(CaseInvalidError) as err:
            load_case(case_id)
        assert err.value.path == str(tmp_path / f"{case_id}.yaml")
        assert code in {issue.code for issue in err.value.issues}, str(err.value)


def test_case_picker_lists_the_good_cases_and_names_the_bad(tmp_path: Path,
                                                            monkeypatch) -> None:
    from dystonia_teach.widgets import case_picker

    codes = hostile_folder(tmp_path)
    monkeypatch.setenv("DYSTONIA_TEACH_CASES", str(tmp_path))
    picker = case_picker(save=False)
    listed = {value for _label, value in picker.cases.options}
    assert "good_one" in listed and not listed & set(codes)
    assert {p.stem for p in bundled_case_paths()} <= listed
    for case_id in codes:
        assert f"{case_id}.yaml" in picker.errors.value
    assert "\x1b" not in picker.errors.value


def test_a_bad_file_opened_by_path_is_reported(tmp_path: Path) -> None:
    for name, make in (("folder.yaml", Path.mkdir), ("gone.yaml", None)):
        path = tmp_path / name
        if make is None:
            path.symlink_to(tmp_path / "missing.yaml")
        else:
            make(path)
        with pytest.raises(CaseInvalidError, match=r"not_a_file|unreadable_file"):
            load_case(path)
    with pytest.raises(CaseNotFoundError, match="no case file at"):
        load_case(tmp_path / "never_written.yaml")


def test_a_case_wide_field_in_a_visit_says_it_is_fixed_for_the_case(tmp_path: Path) -> None:
    text = (CASES_DIR / "disc_herniation_after_trial.yaml").read_text(encoding="utf-8")
    assert "\n  - week: " in text
    path = tmp_path / "disc_herniation_after_trial.yaml"
    path.write_text(text.replace("\n  - week: ", "\n  - conditions: [falls_history]\n    week: ",
                                 1), encoding="utf-8")
    with pytest.raises(CaseInvalidError) as err:
        load_case(path)
    (issue,) = err.value.issues
    assert (issue.code, issue.field) == ("unknown_field", "visits.0.conditions")
    assert "fixed for the whole case" in issue.hint and "red_flags" in issue.hint
    assert path.read_text(encoding="utf-8").splitlines()[issue.line - 1].strip().startswith(
        "- conditions:")
