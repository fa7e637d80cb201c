"""Certainty on each decision, marked by Gardner-Medwin's certainty-based marking (CBM).

A learner may say how sure they are of each response: each entry of the differential, each
ordered test (said before its result) and each step of the plan, as low, medium or high (CBM's
certainty 1, 2 and 3). At submission every response with a certainty is marked:

    ==============  ========  ===========  =========
    certainty       low (1)   medium (2)   high (3)
    ==============  ========  ===========  =========
    right           +1        +2           +3
    wrong           0         -2           -6
    ==============  ========  ===========  =========

(Gardner-Medwin, *Confidence assessment in the teaching of basic science*, ALT-J 1995; Moodle
Docs, "Using certainty-based marking"). The expected mark is best at low certainty when the
chance of being right is below 2/3, at medium between 2/3 and 4/5, at high above 4/5: the
scheme rewards saying honestly how sure one is. The marks are kept apart from the plan's score
and its safety verdict. What counts as right (``docs/certainty.md`` says it for learners):

- a ranked diagnosis: it is in the differential the case's facts support (never the hidden
  diagnosis: no hindsight);
- the must-not-miss diagnosis: it is one that must not be missed, and no must-not-miss
  diagnosis the facts point to is left out of the differential;
- an ordered test: at submission it is indicated or reasonable (not low value);
- a plan step: the engine finds it an option of a decision (required or optional) and names
  no warning or critical problem about it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from dystonia_teach.core.case_model import Case
from dystonia_teach.core.diagnoses import derived_differential, diagnosis_label, diagnosis_scripts
from dystonia_teach.core.errors import ActionError
from dystonia_teach.core.knowledge import knowledge
from dystonia_teach.core.results import Assessment

#: The certainty levels, least sure first (CBM's certainty 1, 2, 3).
LEVELS = ("low", "medium", "high")
#: CBM's marks by certainty: (when right, when wrong).
MARKS: dict[str, tuple[int, int]] = {"low": (1, 0), "medium": (2, -2), "high": (3, -6)}
#: The chance of being right above which each level pays best on average (CBM's thresholds).
PAYS_ABOVE: dict[str, float] = {"low": 0.0, "medium": 2 / 3, "high": 4 / 5}
#: What a certainty is about, by kind of response (the question the learner answers).
KINDS = {"diagnosis": "belongs in the differential", "must_not_miss": "must not be missed",
         "test": "is worth ordering now", "step": "is right for this patient now"}
#: Tests' judged values that count as right.
RIGHT_TEST_VALUES = ("indicated", "reasonable")
_RIGHT_CODES = ("appropriate_step", "acceptable_step")


def check_certainty(value: object) -> str | None:
    """``value`` if it is a certainty level (or None: not said); else an ActionError."""
    if value is None or value in LEVELS:
        return value  # type: ignore[return-value]
    raise ActionError(f"certainty {value!r} is not one of {', '.join(LEVELS)} (or none)")


def cbm_mark(certainty: str, right: bool) -> int:
    """The CBM mark of one response."""
    return MARKS[certainty][0 if right else 1]


def expected_mark(certainty: str, chance_right: float) -> float:
    """The mean mark at ``certainty`` for a learner right with probability ``chance_right``."""
    gain, loss = MARKS[certainty]
    return chance_right * gain + (1 - chance_right) * loss


def best_certainty(chance_right: float) -> str:
    """The level whose expected mark is highest at ``chance_right`` (the less sure on a tie)."""
    return max(LEVELS, key=lambda level: (round(expected_mark(level, chance_right), 9),
                                          -LEVELS.index(level)))


@dataclass(frozen=True)
class MarkedResponse:
    """One response with its certainty, judged right or wrong, and why in a few words."""

    kind: str  # a key of KINDS
    item: str  # the diagnosis or step id
    label: str
    certainty: str
    right: bool
    why: str

    @property
    def mark(self) -> int:
        return cbm_mark(self.certainty, self.right)

    def as_data(self) -> dict[str, object]:
        """What the saved record keeps (enough for calibration across attempts)."""
        return {"kind": self.kind, "item": self.item, "certainty": self.certainty,
                "right": self.right}


@dataclass(frozen=True)
class CertaintyMarks:
    """The certainty-based marks of one submission (none when no certainty was said)."""

    responses: tuple[MarkedResponse, ...] = ()

    @property
    def total(self) -> int:
        return sum(r.mark for r in self.responses)

    @property
    def maximum(self) -> int:
        """The total had every response been right at high certainty."""
        return MARKS["high"][0] * len(self.responses)


def _supported(case: Case) -> dict[str, str]:
    return {e.diagnosis: e.label for e in derived_differential(case)}


def diagnosis_response(case: Case, diagnosis: str, certainty: str) -> MarkedResponse:
    """A ranked diagnosis: right when the facts support it."""
    right = diagnosis in _supported(case)
    why = "the facts support it" if right else "the facts do not point to it"
    return MarkedResponse("diagnosis", diagnosis, diagnosis_label(diagnosis), certainty, right,
                          why)


def must_not_miss_response(case: Case, named: Iterable[str], pick: str,
                           certainty: str) -> MarkedResponse:
    """The must-not-miss diagnosis ``pick`` (``named``: every diagnosis of the differential)."""
    scripts = diagnosis_scripts()
    missed = [e.label.lower() for e in derived_differential(case)
              if e.must_not_miss and e.diagnosis not in {*named, pick}]
    if not scripts[pick].must_not_miss:
        right, why = False, "it is not a diagnosis that must not be missed"
    elif missed:
        right, why = False, f"the facts point to {', '.join(missed)}, which was left out"
    else:
        right, why = True, "it must not be missed, and nothing the facts point to is left out"
    return MarkedResponse("must_not_miss", pick, scripts[pick].label, certainty, right, why)


def ordered_test_response(step: str, label: str, value: str, certainty: str) -> MarkedResponse:
    """An ordered test: right when indicated or reasonable at submission."""
    return MarkedResponse("test", step, label, certainty, value in RIGHT_TEST_VALUES,
                          f"judged {value}")


def step_response(assessment: Assessment, step: str, certainty: str) -> MarkedResponse:
    """A plan step: right when an option of a decision with no warning or critical problem."""
    findings = [f for f in assessment.findings if f.step == step]
    problems = [f for f in findings if f.code not in _RIGHT_CODES and f.severity != "info"]
    option = any(f.code in _RIGHT_CODES for f in findings)
    right = option and not problems
    if right:
        why = "an option of a decision here"
    elif problems:
        why = problems[0].summary[:1].lower() + problems[0].summary[1:]
    else:
        why = "not an option of any decision here"
    return MarkedResponse("step", step, knowledge().steps[step].label, certainty, right, why)


def certainty_marks(case: Case, assessment: Assessment, *,
                    ranked: Sequence[str] = (), must_not_miss: str | None = None,
                    diagnosis_certainty: Mapping[str, str] | None = None,
                    tests: Iterable[tuple[str, str, str, str | None]] = (),
                    step_certainty: Mapping[str, str] | None = None) -> CertaintyMarks:
    """Mark every response with a certainty at one submission: the differential (``ranked``
    and ``must_not_miss``, their certainties by diagnosis), the tests as ``(step, label,
    judged value, certainty)`` and the plan's steps (their certainties by step id)."""
    said = diagnosis_certainty or {}
    responses = [diagnosis_response(case, d, said[d]) for d in ranked if said.get(d)]
    if must_not_miss and said.get(must_not_miss) and must_not_miss not in ranked:
        responses.append(must_not_miss_response(case, ranked, must_not_miss,
                                                said[must_not_miss]))
    responses += [ordered_test_response(step, label, value, c)
                  for step, label, value, c in tests if c]
    chosen = {a.step for a in assessment.chosen}
    responses += [step_response(assessment, step, c)
                  for step, c in (step_certainty or {}).items() if c and step in chosen]
    return CertaintyMarks(tuple(responses))
