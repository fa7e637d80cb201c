"""Reading a learner's one-line problem statement as a clinician writes it.

Clinical shorthand is understood (``46M``, ``3/52``, ``3 wk``, ``R``/``L``, ``LBP``, ``PMH``),
and the facts recognised are checked against the case: a wrong age, sex, duration or side is
named, not only a missing one. Pure functions of the text and the case::

    read_statement("46M, 3/52 R leg pain, toes curl on walking")   # Statement(ages=(46,), ...)
    check_problem(case, "46M 5 wk R foot dystonia")  # .missing, .mismatches ("5 weeks ...")
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dystonia_teach.core.case_model import Case

LONG_PROBLEM_WORDS = 40
#: How far a stated duration may be from the case's and still fit (a history says "four
#: months" for 17 weeks): the larger of one week and this share of the true duration.
DURATION_TOLERANCE = 0.3
#: Abbreviations a problem statement may use, with what they mean.
ABBREVIATIONS = {
    "lbp": "low back pain", "pmh": "past medical history", "hx": "history",
    "sx": "symptoms", "c/o": "complaining of", "o/e": "on examination",
    "slr": "straight-leg raise", "dm": "diabetes mellitus", "ckd": "chronic kidney disease",
    "b/l": "bilateral", "bilat": "bilateral", "rt": "right", "lt": "left",
}
_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
            "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
            "eighteen": 18, "twenty": 20}
_NUMBER = r"(\d+(?:\.\d+)?|" + "|".join(_NUMBERS) + r")"
_AGE = re.compile(
    r"\b(?:(\d{1,3})\s*(?:yo\s*|y/o\s*|y\s*)?([mf])(?![a-z/])|aged\s+(\d{1,3})"
    r"|(\d{1,3})\s*-?\s*(?:years?|yrs?|y)\s*-?\s*old|(\d{1,3})\s*(?:yo|y/o|y\.o\.?))",
    re.IGNORECASE)
_DURATION = re.compile(
    _NUMBER + r"\s*-?\s*(days?|d|weeks?|wks?|wk|w|months?|mths?|mo|years?|yrs?|yr|y)\b"
    r"|\b(\d+)\s*/\s*(7|52|12)\b", re.IGNORECASE)
_WEEKS_PER = {"d": 1 / 7, "w": 1.0, "m": 52 / 12, "y": 52.0}
_FRACTION_UNIT = {"7": "d", "52": "w", "12": "m"}
_SEX = re.compile(r"\b(man|male|gentleman|boy|woman|female|lady|girl)\b", re.IGNORECASE)
_SEX_OF = {"man": "male", "male": "male", "gentleman": "male", "boy": "male", "m": "male",
           "woman": "female", "female": "female", "lady": "female", "girl": "female",
           "f": "female"}
_SIDE = re.compile(r"\b(right|rt|r|left|lt|l|both|bilateral|bilat|b/l)\b(?![\d/-]?\d)",
                   re.IGNORECASE)
_SIDE_OF = {"right": "right", "rt": "right", "r": "right", "left": "left", "lt": "left",
            "l": "left", "both": "both", "bilateral": "both", "bilat": "both", "b/l": "both"}
_PERSON = {"male": ("a man", "a boy"), "female": ("a woman", "a girl")}
_TRIGGER = re.compile(r"walk|stand|run|stair|gait|ambulat|exert|exercis|mow|football|"
                      r"claudicat|sport", re.IGNORECASE)
_ABBREVIATION = re.compile(r"(?<![\w/])(" + "|".join(re.escape(a) for a in ABBREVIATIONS)
                           + r")(?![\w/])", re.IGNORECASE)


@dataclass(frozen=True)
class Statement:
    """What a problem statement says, as read: ages, sexes, durations (weeks), sides and
    whether a trigger is named; ``abbreviations`` as "LBP = low back pain"."""

    ages: tuple[int, ...]
    sexes: tuple[str, ...]
    weeks: tuple[float, ...]
    durations: tuple[str, ...]  # as written, for messages
    sides: tuple[str, ...]
    trigger: bool
    abbreviations: tuple[str, ...]


@dataclass(frozen=True)
class ProblemFeedback:
    """The learner's problem statement checked against the case, beside one built from the
    facts: the essentials it names and lacks, and the facts it gets wrong."""

    text: str
    model: str
    included: tuple[str, ...]
    missing: tuple[str, ...]
    too_long: bool
    mismatches: tuple[str, ...] = ()
    understood: tuple[str, ...] = ()


def _number(word: str) -> float:
    return float(_NUMBERS.get(word.lower(), word))


def read_statement(text: str) -> Statement:
    """The facts a problem statement states, clinical shorthand included."""
    ages: list[int] = []
    sexes: list[str] = []
    rest = text
    for match in _AGE.finditer(text):
        age = next(g for i, g in enumerate(match.groups()) if g and i != 1)
        ages.append(int(age))
        if match.group(2):
            sexes.append(_SEX_OF[match.group(2).lower()])
        rest = rest.replace(match.group(0), " " * len(match.group(0)), 1)
    sexes += [_SEX_OF[m.lower()] for m in _SEX.findall(rest)]
    weeks: list[float] = []
    written: list[str] = []
    for match in _DURATION.finditer(rest):
        if match.group(3):
            amount, unit = float(match.group(3)), _FRACTION_UNIT[match.group(4)]
        else:
            amount, unit = _number(match.group(1)), match.group(2)[0].lower()
        weeks.append(amount * _WEEKS_PER[unit])
        written.append(" ".join(match.group(0).split()))
    sides = [_SIDE_OF[m.lower()] for m in _SIDE.findall(rest)]
    found = [m.lower() for m in _ABBREVIATION.findall(text)]
    return Statement(tuple(ages), tuple(dict.fromkeys(sexes)), tuple(weeks), tuple(written),
                     tuple(dict.fromkeys(sides)), bool(_TRIGGER.search(text)),
                     tuple(f"{a.upper() if len(a) <= 3 and '/' not in a else a} = "
                           f"{ABBREVIATIONS[a]}" for a in dict.fromkeys(found)))


def _weeks_text(weeks: float) -> str:
    if weeks < 2:
        days = round(weeks * 7)
        return f"{days} day" + ("" if days == 1 else "s")
    if weeks >= 104:
        return f"{weeks / 52:.0f} years"
    return f"{weeks:g} weeks" if weeks < 26 else f"{round(weeks * 12 / 52)} months"


def _fits(stated: float, actual: float) -> bool:
    return abs(stated - actual) <= max(1.0, DURATION_TOLERANCE * actual)


def _case_sides(case: Case) -> set[str]:
    """The sides a statement may name: the dystonic foot's and the root signs'."""
    sides = {case.dystonia.foot, case.radicular.side or case.dystonia.foot}
    return {"left", "right", "both"} if "both" in sides else sides


def check_statement(case: Case, statement: Statement) -> tuple[tuple[str, ...],
                                                               tuple[str, ...],
                                                               tuple[str, ...]]:
    """(essentials named, essentials missing, facts that disagree with the case)."""
    named = {"age": bool(statement.ages), "sex": bool(statement.sexes),
             "time course": bool(statement.weeks), "what brings it on": statement.trigger,
             "side": bool(statement.sides)}
    wrong: list[str] = []
    age = case.patient.age
    if statement.ages and age not in statement.ages:
        wrong.append(f"age: the patient is {age}, not {statement.ages[0]}")
    sex = case.patient.sex
    if statement.sexes and sex in _PERSON and sex not in statement.sexes:
        wrong.append(f"sex: the patient is {_PERSON[sex][age < 18]}")
    actual = case.course.symptom_weeks
    if statement.weeks and not any(_fits(w, actual) for w in statement.weeks):
        written = statement.durations[0]
        if "/" in written:
            written += f" ({_weeks_text(statement.weeks[0])})"
        wrong.append(f"time course: the symptoms began {_weeks_text(actual)} ago, not {written}")
    sides = _case_sides(case)
    off = [s for s in statement.sides if s not in sides]
    if off:
        where = ("both sides" if case.dystonia.foot == "both"
                 else f"the {case.dystonia.foot} side")
        wrong.append(f"side: the symptoms are on {where}, not "
                     f"{'both sides' if off[0] == 'both' else 'the ' + off[0]}")
    return (tuple(k for k, ok in named.items() if ok), tuple(k for k, ok in named.items()
                                                             if not ok), tuple(wrong))


def understood(statement: Statement) -> tuple[str, ...]:
    """What was read, in words: "age 46", "a man", "3 weeks", "right side", abbreviations."""
    parts = [f"age {a}" for a in statement.ages[:1]]
    parts += [{"male": "male", "female": "female"}[s] for s in statement.sexes[:1]]
    parts += [f"{d} ({_weeks_text(w)})" if "/" in d else d
              for d, w in zip(statement.durations, statement.weeks, strict=True)]
    parts += [f"{s} side" if s != "both" else "both sides" for s in statement.sides]
    parts += list(statement.abbreviations)
    return tuple(parts)


def check_problem(case: Case, text: str, model: str = "") -> ProblemFeedback:
    """Which essentials (age, sex, time course, trigger, side) the statement names, and which
    of the facts it states disagree with the case; ``model`` is a statement built from the
    facts (shown after submission only)."""
    statement = read_statement(text)
    included, missing, mismatches = check_statement(case, statement)
    return ProblemFeedback(text=text, model=model, included=included, missing=missing,
                           too_long=len(text.split()) > LONG_PROBLEM_WORDS,
                           mismatches=mismatches, understood=understood(statement))
