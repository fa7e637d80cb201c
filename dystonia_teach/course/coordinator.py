"""The class report's sections for a coordinator: learners who may need help
(``course.needs_help``) and cases that may be faulty (``course.faulty_cases``), each as a
heading, the rules in words, the findings as text and as an HTML table."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from dystonia_teach.course.assignments import Assignment
from dystonia_teach.course.faulty_cases import FaultRules, faulty_cases
from dystonia_teach.course.needs_help import HelpRules, who_may_need_help
from dystonia_teach.render.reasons_table import reasons_table

Section = dict[str, Any]


@dataclass(frozen=True)
class Coordination:
    """What the coordinator's sections need beyond the attempts: the class list, the
    assignments, and whether learner ids are pseudonyms."""

    roster: tuple[str, ...] = ()
    assignments: tuple[Assignment, ...] = ()
    pseudonymous: bool = False


#: No class list, no assignments, learners by their stored ids.
PLAIN = Coordination()


def help_section(frame: pd.DataFrame, pass_mark: float, who: Coordination) -> Section:
    """Learners who may need help, each with the reasons."""
    rules = HelpRules(pass_mark=pass_mark)
    table = who_may_need_help(frame, who.roster, who.assignments, rules)
    rows = [{"name": row.learner_id, "reasons": row.reasons} for row in table.itertuples()]
    return {"heading": "Learners who may need help", "intro": rules.describe(),
            "text": "\n".join(f"- {r['name']}: {'; '.join(r['reasons'])}" for r in rows)
            or "No learner meets these rules.",
            "table": reasons_table("Learner", "Why they may need help", rows) if rows else None}


def faulty_section(frame: pd.DataFrame, pass_mark: float) -> Section:
    """Cases that may be faulty, each with the reasons and the command that checks it."""
    rules = FaultRules(pass_mark=pass_mark)
    table = faulty_cases(frame, rules)
    rows = [{"name": row.title, "reasons": row.reasons, "command": row.command}
            for row in table.itertuples()]
    return {"heading": "Cases that may be faulty", "intro": rules.describe(),
            "text": "\n".join(f"- {r['name']}: {'; '.join(r['reasons'])}. Check it with: "
                              f"{r['command']}" for r in rows) or "No case meets these rules.",
            "table": reasons_table("Case", "Why it may be faulty", rows) if rows else None}


def section_text(section: Section) -> str:
    """A section as plain text: heading, rules, findings."""
    return f"{section['heading']}\n{section['intro']}\n{section['text']}"
