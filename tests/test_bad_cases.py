"""The bad-case corpus: one file per failure mode, each reported with its code, line and field.

Files in tests/bad_cases/ are named ``<expected code>__<failure mode>.yaml``. Each is a
near-copy of a valid case with one defect; its second line says where the defect is::

    # expect: <code> [line=N] [field=dotted.path] [also=other_code,...] [hint=text in the hint]

``also`` lists codes the one defect necessarily brings with it (a misspelt field is both an
unknown field and a missing one). Files that cannot hold a comment (empty, binary) have none.
Two modes are generated here rather than committed: a file over the size limit, and two files
sharing one id.
"""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dystonia_teach import validate_file, validate_text
from dystonia_teach.casefiles.yamlio import MAX_BYTES
from dystonia_teach.core.errors import ISSUE_CODES

from .conftest import BAD_CASES_DIR, CASES_DIR

CORPUS = sorted(BAD_CASES_DIR.glob("*.yaml"))
GENERATED_CODES = {"file_too_large", "duplicate_case_id"}
EXPECT = re.compile(r"^# expect: (?P<code>\w+)(?: line=(?P<line>\d+))?(?: field=(?P<field>\S+))?"
                    r"(?: also=(?P<also>[\w,]+))?(?: hint=(?P<hint>.+))?$", re.M)
PWNED = Path("/tmp/dystonia_teach_bad_case_pwned")  # what the yaml_tag case's command would write
TIMEOUT = 20


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
    assert covered | GENERATED_CODES == set(ISSUE_CODES), "every issue code has a bad case"


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
