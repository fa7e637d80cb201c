"""The bad-case corpus: one file per failure mode, each reported with its code, line and field.

Files in tests/bad_cases/ are named ``<expected code>__<failure mode>.yaml``. Each is a
near-copy of a valid case with one defect; its second line says where the defect is::

    # expect: <code> [line=N] [field=dotted.path] [also=other_code,...] [hint=text in the hint]

``also`` lists codes the one defect necessarily brings with it (a misspelt field is both an
unknown field and a missing one). Files that cannot hold a comment (empty, binary) have none.
Modes that git cannot hold, or only as bulk, are generated here rather than committed: a file
over the size limit, two files sharing one id, filesystem oddities (FIFOs, devices, broken links,
link loops, folders named ``*.yaml``, unreadable files) and fields built to make a naive lint
backtrack.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dystonia_teach import validate_file, validate_text
from dystonia_teach.casefiles.checks import HINTS_PER_FILE
from dystonia_teach.casefiles.lints import UNSAFE_IN_TEXT
from dystonia_teach.casefiles.loader import validate_paths
from dystonia_teach.casefiles.yamlio import MAX_BYTES
from dystonia_teach.core.errors import ISSUE_CODES

from .conftest import BAD_CASES_DIR, CASES_DIR

CORPUS = sorted(BAD_CASES_DIR.glob("*.yaml"))
GENERATED_CODES = {"file_too_large", "duplicate_case_id", "unreadable_file", "not_a_file"}
#: Codes of knowledge packs' problems: tests/test_knowledge_packs.py raises each of them.
PACK_CODES = {"duplicate_id", "override_of_nothing", "unknown_reference", "unknown_predicate",
              "hidden_predicate", "no_evidence"}
EXPECT = re.compile(r"^# expect: (?P<code>\w+)(?: line=(?P<line>\d+))?(?: field=(?P<field>\S+))?"
                    r"(?: also=(?P<also>[\w,]+))?(?: hint=(?P<hint>.+))?$", re.M)
PWNED = Path("/tmp/dystonia_teach_bad_case_pwned")  # what the yaml_tag case's command would write
TIMEOUT = 180  # generous: a fresh interpreter starts slowly on a loaded machine (20 s flaked)


@dataclass(frozen=True)
class Expected:
    code: str
    line: int | None = None
    field: str | None = None
    also: frozenset[str] = frozenset()
    hint: str | None = None


def expected(path: Path) -> Expected:
    """What ``path`` must produce: the code from its name, the rest from its ``# expect:`` line."""
    code = path.stem.split("__")[0]
    match = EXPECT.search(path.read_bytes().decode("latin-1"))
    if match is None:
        return Expected(code)
    assert match["code"] == code, f"{path.name}: the expect line names {match['code']}"
    return Expected(code, int(match["line"]) if match["line"] else None, match["field"],
                    frozenset(match["also"].split(",")) if match["also"] else frozenset(),
                    match["hint"])


def run_cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "dystonia_teach", *map(str, args)],
                          capture_output=True, text=True, timeout=TIMEOUT, check=False)


def test_corpus_names_and_coverage() -> None:
    assert len(CORPUS) >= 30
    for path in CORPUS:
        assert re.fullmatch(r"[a-z_]+__[a-z0-9_]+", path.stem), path.name
    covered = {path.stem.split("__")[0] for path in CORPUS}
    assert covered <= set(ISSUE_CODES)
    assert covered | GENERATED_CODES | PACK_CODES == set(ISSUE_CODES), (
        "every issue code has a bad case")


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.stem)
def test_bad_case_reports_its_code_line_and_field(path: Path) -> None:
    want = expected(path)
    report = validate_file(path)
    assert report.case is None and not report.ok
    assert {issue.code for issue in report.issues} == {want.code, *want.also}, (
        "\n".join(map(str, report.issues)))
    located = [
        issue for issue in report.issues
        if issue.code == want.code
        and (want.line is None or issue.line == want.line)
        and (want.field is None or issue.field == want.field)
        and (want.hint is None or want.hint in f"{issue.message} {issue.hint}")
    ]
    assert located, f"no {want} among:\n" + "\n".join(map(str, report.issues))
    for issue in report.issues:
        assert str(issue).startswith(f"{path}:"), str(issue)


@pytest.fixture(scope="module")
def corpus_run() -> subprocess.CompletedProcess[str]:
    """``validate`` over the whole corpus folder, once (one process is ~0.7 s)."""
    return run_cli("validate", BAD_CASES_DIR)


def test_cli_over_the_corpus_exits_1_without_traceback(corpus_run) -> None:
    assert corpus_run.returncode == 1
    assert "Traceback" not in corpus_run.stdout + corpus_run.stderr
    problems = sum(len(validate_file(path).issues) for path in CORPUS)
    last = corpus_run.stdout.strip().splitlines()[-1]
    assert last == f"{problems} problems in {len(CORPUS)} of {len(CORPUS)} files"


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.stem)
def test_cli_prints_each_issue_line(corpus_run, path: Path) -> None:
    printed = set(corpus_run.stdout.splitlines())
    for issue in validate_file(path).issues:
        assert str(issue) in printed


@pytest.mark.parametrize("name", [
    "yaml_tag__python_object_apply",
    "yaml_alias__billion_laughs",
    "yaml_syntax__nested_too_deeply",
    "binary_file__png_image",
])
def test_hostile_file_alone(name: str) -> None:
    """Hostile files one at a time: quick exit 1, the issue printed, and nothing executed."""
    PWNED.unlink(missing_ok=True)
    path = BAD_CASES_DIR / f"{name}.yaml"
    result = run_cli("validate", path)
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    assert str(validate_file(path).issues[0]) in result.stdout.splitlines()
    assert not PWNED.exists(), "a YAML tag was constructed and ran a command"


def test_cli_output_carries_no_control_characters(corpus_run) -> None:
    """Escape sequences and bidi overrides in bad files never reach the terminal raw."""
    assert any("control_character" in line for line in corpus_run.stdout.splitlines())
    assert not UNSAFE_IN_TEXT.search(corpus_run.stdout + corpus_run.stderr)


def test_show_and_try_escape_what_they_print(tmp_path: Path) -> None:
    """Even a file name carrying escapes is printed as escapes."""
    path = tmp_path / "x\x1b]0;owned\x07\u202e.yaml"
    path.write_text(GOOD_TEXT)
    for verb in ("show", "try"):
        result = run_cli(verb, path)
        assert result.returncode == 1, result.stderr
        assert "x\\x1b]0;owned\\x07\\u202e.yaml" in result.stdout
        assert not UNSAFE_IN_TEXT.search(result.stdout + result.stderr)


def test_file_over_the_size_limit(tmp_path: Path) -> None:
    path = tmp_path / "file_too_large__padded.yaml"
    text = (CASES_DIR / "failed_conservative_stenosis.yaml").read_text()
    path.write_text(text + "# padding\n" * (MAX_BYTES // 10 + 1))
    assert path.stat().st_size > MAX_BYTES
    [issue] = validate_file(path).issues
    assert issue.code == "file_too_large" and issue.file == str(path)
    result = run_cli("validate", path)
    assert result.returncode == 1 and "Traceback" not in result.stdout + result.stderr
    assert str(issue) in result.stdout.splitlines()


def test_two_files_sharing_one_id(tmp_path: Path) -> None:
    text = (CASES_DIR / "early_uncomplicated.yaml").read_text()
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "early_uncomplicated.yaml").write_text(text)
    result = run_cli("validate", tmp_path / "a", tmp_path / "b")
    assert result.returncode == 1
    second = tmp_path / "b" / "early_uncomplicated.yaml"
    assert f"{second}:1: id: duplicate_case_id:" in result.stdout
    assert result.stdout.strip().endswith("1 problem in 1 of 2 files")


GOOD_TEXT = (CASES_DIR / "failed_conservative_stenosis.yaml").read_text()


def oddities(folder: Path) -> dict[str, str]:
    """Filesystem entries named like case files that are not readable case files, made in
    ``folder``: name -> the code each must be reported with."""
    made = {}

    def add(name: str, code: str, make) -> None:
        make(folder / name)
        made[name] = code

    add("fifo.yaml", "not_a_file", os.mkfifo)
    add("folder.yaml", "not_a_file", lambda p: p.mkdir())
    add("zero.yaml", "not_a_file", lambda p: p.symlink_to("/dev/zero"))
    add("broken.yaml", "unreadable_file", lambda p: p.symlink_to(folder / "nowhere.yaml"))
    add("loop.yaml", "unreadable_file", lambda p: p.symlink_to(p))
    add("hop.yml", "unreadable_file", lambda p: (p.symlink_to(folder / "hop2.yml"),
                                                 (folder / "hop2.yml").symlink_to(p)))
    made["hop2.yml"] = "unreadable_file"
    return made


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs POSIX FIFOs and symlinks")
def test_folder_reports_every_entry_it_cannot_read(tmp_path: Path) -> None:
    """FIFOs, /dev/zero, broken links, link loops and folders named *.yaml: each is a located
    error in the folder's report (none skipped), read without blocking or reading unbounded."""
    made = oddities(tmp_path)
    (tmp_path / "failed_conservative_stenosis.yaml").write_text(GOOD_TEXT)
    (tmp_path / ".#failed_conservative_stenosis.yaml").symlink_to("user@host.1234")  # a lock
    reports = {Path(r.file).name: r for r in validate_paths([tmp_path])}
    assert set(reports) == {*made, "failed_conservative_stenosis.yaml"}
    assert reports.pop("failed_conservative_stenosis.yaml").ok
    for name, report in reports.items():
        [issue] = report.issues
        assert (issue.code, issue.file) == (made[name], str(tmp_path / name)), str(issue)
    result = run_cli("validate", tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stdout + result.stderr
    assert result.stdout.strip().endswith(f"{len(made)} problems in {len(made)} of "
                                          f"{len(made) + 1} files")


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="root reads files whatever their permissions")
def test_unreadable_file_has_its_own_code(tmp_path: Path) -> None:
    path = tmp_path / "failed_conservative_stenosis.yaml"
    path.write_text(GOOD_TEXT)
    path.chmod(0)
    [issue] = validate_file(path).issues
    assert issue.code == "unreadable_file" and "permission denied" in issue.message


def test_folder_that_cannot_be_listed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(_self: Path):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "iterdir", refuse)
    [report] = validate_paths([tmp_path])
    [issue] = report.issues
    assert (issue.file, issue.code) == (str(tmp_path), "unreadable_file")
    assert "cannot list the folder" in issue.message


@pytest.mark.parametrize(("field", "unit"), [
    ("teaching_notes", "a."),            # the e-mail lint's worst case
    ("teaching_notes", "<a "),           # an unclosed tag
    ("teaching_notes", "Mr "),           # titles without a name
    ("teaching_notes", "1 "),            # digits for the number and address lints
    ("teaching_notes", "patient  : "),   # the name label
    ("title", "onx "),                   # handler-like words
])
def test_lints_on_a_pathological_field_finish(tmp_path: Path, field: str, unit: str) -> None:
    """A 120 KB field built to make a backtracking pattern take minutes is validated by the
    CLI well within the subprocess timeout (the patterns' repeats are bounded)."""
    long_text = (unit * (120_000 // len(unit))).strip()
    text = re.sub(rf"(?m)^{field}: .*$", f"{field}: '{long_text}'", GOOD_TEXT, count=1)
    path = tmp_path / "failed_conservative_stenosis.yaml"
    path.write_text(text)
    result = run_cli("validate", path)
    assert "Traceback" not in result.stdout + result.stderr
    assert result.returncode in (0, 1)


def test_thousands_of_almost_right_ids(tmp_path: Path) -> None:
    """Every unknown evidence id is reported; the "did you mean" search, which compares each
    with the whole catalogue, is done for the first few only."""
    ids = [f"laminectomy_for_ls{i}" for i in range(5_600)]
    text = re.sub(r"(?m)^evidence: .*$", f"evidence: [{', '.join(ids)}]", GOOD_TEXT)
    report = validate_text(text, "many.yaml")
    unknown = [issue for issue in report.issues if issue.code == "unknown_evidence"]
    assert len(unknown) == len(ids)
    hinted = [issue for issue in unknown if "did you mean" in issue.hint]
    assert 0 < len(hinted) <= HINTS_PER_FILE

@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mangled_cases_never_raise(data: st.DataObject) -> None:
    """Random damage to a valid file (cut, splice, stray characters) gives issues, never a crash."""
    text = GOOD_TEXT
    for _ in range(data.draw(st.integers(1, 3))):
        i = data.draw(st.integers(0, len(text)))
        j = data.draw(st.integers(i, min(len(text), i + 40)))
        junk = data.draw(st.text(alphabet=st.sampled_from(list(":-[]{}&*!|>#'\"\t\n ?%@`,ab1")),
                                 max_size=6))
        text = text[:i] + junk + text[j:]
    report = validate_text(text, "mangled.yaml")
    assert report.ok or report.issues
    for issue in report.issues:
        assert issue.code in ISSUE_CODES and str(issue).startswith("mangled.yaml")
