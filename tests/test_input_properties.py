"""Property tests over hostile input: the YAML layer and ``evaluate`` raise nothing but the
package's documented errors, and the fast lints find exactly what the plain patterns find."""

from __future__ import annotations

from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dystonia_teach import ActionError, evaluate, load_case, validate_file, validate_text
from dystonia_teach.casefiles.lints import (
    IDENTIFIER_LINTS,
    MARKUP_LINTS,
    match_span,
    text_problems,
)
from dystonia_teach.core.errors import ISSUE_CODES
from dystonia_teach.core.knowledge import knowledge
from dystonia_teach.core.results import Action, Assessment

from .conftest import CASES_DIR

GOOD_TEXT = (CASES_DIR / "failed_conservative_stenosis.yaml").read_text()
SETTINGS = settings(max_examples=100, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow,
                                           HealthCheck.function_scoped_fixture])
#: Pieces that have broken YAML readers: tags, odd scalars, anchors, nesting, control and bidi
#: characters, markup without spaces.
HOSTILE = [
    "!!int forty-six", "!!bool maybe", "!!map male", "!!str 46", "!!seq x", "!!null x",
    "!!timestamp 2030-13-45", "2030-13-45", "2030-02-30 25:61:61", "!!float x", "!!binary AA",
    "!!python/object/apply:os.system ['true']", "!custom", "! 1", "~", "null", "0x1", "0o9",
    "0b2", "1_000", ".nan", "-.inf", "1e400", "9" * 5000, "&a", "*a", "&a [1]", "<<: {}", "? ",
    "- " * 40, "[" * 50, "{" * 40, "\u202e", "\x1b[2J", '"\\e]0;x\\a"', '"\\u202e"', '"\\r"',
    "\t", "\r", "\x85", "\ufeff", "\ufffe", "<a/href=x>", "---", "...", "%YAML 1.1", ": ", "|",
    ">-", "#", "'", '"', "\n  ", "\n- ", "\n? ", "true:", "True:", "~:", "null:", "1:", "0x1:",
]


def hostile_text() -> st.SearchStrategy[str]:
    """The good case with a few hostile pieces (or any text) spliced in."""
    piece = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=8))

    @st.composite
    def spliced(draw: st.DrawFn) -> str:
        text = GOOD_TEXT
        for _ in range(draw(st.integers(1, 4))):
            i = draw(st.integers(0, len(text)))
            j = draw(st.integers(i, min(len(text), i + 30)))
            text = text[:i] + draw(piece) + text[j:]
        return text

    return st.one_of(spliced(), st.text(max_size=300))


def assert_issues_located(report, file: str) -> None:
    assert report.ok or report.issues
    for issue in report.issues:
        assert issue.code in ISSUE_CODES and str(issue).startswith(file)


@SETTINGS
@given(hostile_text())
def test_hostile_text_gives_issues_never_an_exception(text: str) -> None:
    assert_issues_located(validate_text(text, "hostile.yaml"), "hostile.yaml")


@SETTINGS
@given(st.binary(max_size=400) | hostile_text().map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_hostile_bytes_on_disk_give_issues(tmp_path: Path, raw: bytes) -> None:
    path = tmp_path / "failed_conservative_stenosis.yaml"
    path.write_bytes(raw)
    assert_issues_located(validate_file(path), str(path))


SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=10**90, max_value=10**120),
    st.floats(), st.text(max_size=20), st.dates(), st.datetimes())
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(st.text(max_size=5) | st.integers(), inner, max_size=3),
                      max_leaves=8)
FIELDS = ["title", "patient", "course", "red_flags", "dystonia", "radicular", "pathology",
          "disabling", "stages", "evidence", "schema_version", "id"]


@SETTINGS
@given(st.sampled_from(FIELDS), VALUES)
def test_any_yaml_value_in_any_field_gives_issues(field: str, value: object) -> None:
    """A field replaced by any value YAML can write (also keys of other types, huge numbers,
    dates, nested lists) is validated into issues."""
    data = yaml.safe_load(GOOD_TEXT)
    data[field] = value
    text = yaml.safe_dump(data, allow_unicode=True)
    assert_issues_located(validate_text(text, "value.yaml"), "value.yaml")


STEPS = sorted(knowledge().steps)
KEYS = st.sampled_from(["step", "dose_mg_per_day", "dose", "Step"]) | st.text(max_size=4) | (
    st.integers())
JUNK = st.one_of(st.none(), st.booleans(), st.integers(), st.just(10**400), st.just(-(10**5000)),
                 st.floats(), st.text(max_size=10), st.sampled_from(STEPS),
                 st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=3),
                                                                       st.integers(), max_size=2))
ACTIONS = st.one_of(
    st.sampled_from(STEPS), st.text(max_size=12), JUNK,
    st.builds(lambda step, dose: {"step": step, "dose_mg_per_day": dose},
              st.sampled_from(STEPS), JUNK),
    st.dictionaries(KEYS, JUNK, max_size=3),
    st.builds(Action, st.sampled_from(STEPS) | st.text(max_size=5), JUNK))
CASE = load_case("failed_conservative_stenosis")


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.lists(ACTIONS, max_size=6), JUNK),
       st.none() | st.text(max_size=12) | JUNK)
def test_evaluate_raises_only_action_error(actions: object, diagnosis: object) -> None:
    try:
        assessment = evaluate(CASE, actions, working_diagnosis=diagnosis)  # type: ignore[arg-type]
    except ActionError as err:
        assert str(err)
    else:
        assert isinstance(assessment, Assessment) and 0.0 <= assessment.score <= 1.0


WORDS = st.sampled_from([
    "Mr", "Ms", "Miss", "Mx", "DOB", "d.o.b.", "date of birth", "born on", "MRN", "NHS no",
    "hospital number", "record number", "medical record", "patient", "name", "Name", ":", "@",
    "a.b", "<", ">", "/", "=", "onerror", "onclick", "javascript", "JavaScript", "vbscript",
    "12", "123", "4567", "1999", "2023", "-", ".", " ", "  ", "\n", "Street", "Road", "Smith",
    "Jones", "x", "iframe", "a", "href", "src", "John", "Patel", "Mary", "March", "May", "3rd",
    "of", ",",
])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(WORDS, max_size=12).map("".join), min_size=1, max_size=4))
def test_fast_lints_find_what_the_patterns_find(texts: list[str]) -> None:
    """Needles and the joined scan are only speed: each string is flagged at every place the
    patterns alone flag it (overlapping places once), and nowhere else."""
    found: dict[tuple[int, str], list[tuple[int, int]]] = {}
    for problem in text_problems(texts):
        found.setdefault((problem.index, problem.code), []).append((problem.start, problem.end))
        assert repr(texts[problem.index][problem.start:problem.end][:40])[:20] in problem.message
    for i, text in enumerate(texts):
        for code, lints in (("markup_in_text", MARKUP_LINTS),
                            ("patient_identifier", IDENTIFIER_LINTS)):
            places = [match_span(m) for lint in lints for m in lint.pattern.finditer(text)
                      if lint.accept is None or lint.accept(m)]
            reported = found.get((i, code), [])
            assert {start for start, _ in reported} <= {start for start, _ in places}, text
            for start, _ in places:
                assert any(s <= start < e for s, e in reported), (text, start, reported)
