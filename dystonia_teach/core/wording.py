"""Feedback wording: a finding's summary with its step's label as the subject, the verb agreeing.

Templates in ``knowledge/findings.yaml`` are written for a singular subject ("{step} is
missing from the plan"); a step marked ``plural`` in ``knowledge/steps.yaml`` ("Inflammatory
markers and blood cultures") gets the plural of the verb that follows it.
"""

from __future__ import annotations

#: Third-person singular verbs the templates put after ``{step}``, and their plurals.
PLURAL_VERBS = {"is": "are", "was": "were", "does": "do", "has": "have", "needs": "need",
                "treats": "treat"}


def with_subject(template: str, label: str, plural: bool = False) -> str:
    """``template`` with ``{step}`` replaced by ``label`` and the verb after it agreeing."""
    if plural:
        head, subject, tail = template.partition("{step} ")
        verb, space, rest = tail.partition(" ")
        if subject and verb in PLURAL_VERBS:
            template = f"{head}{subject}{PLURAL_VERBS[verb]}{space}{rest}"
    return template.format(step=label)
