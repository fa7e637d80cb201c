"""The step catalogue describes what each step is, never when it is right.

A student reads these descriptions while choosing a plan; a description that names a timing
rule or an indication ("after six weeks", "when red flags are present") gives the answer away.
"""

from __future__ import annotations

import re

import pytest

from dystonia_teach.core.knowledge import knowledge

#: Phrases that state a timing rule, an indication or a place in a treatment ladder.
GIVEAWAYS = (
    r"\b(?:one|two|three|four|six|twelve|\d+)[- ]weeks?\b",
    r"\bwhen\b",
    r"\bonce\b",
    r"\bunless\b",
    r"\bfirst[- ]line\b",
    r"\bsecond[- ]line\b",
    r"\bfirst study\b",
    r"\bred[- ]flags?\b",
    r"\bsuspected\b",
    r"\b(?:contra)?indicat",
    r"\bsuggests?\b",
    r"\bpersists?\b",
    r"\bfor (?:lumbar |canal )*(?:stenosis|instability|disc|herniation|radiculopathy|sciatica)",
    r"\bin (?:young-onset|primary|isolated|suspected)\b",
    r"\bno (?:clear )?benefit\b",
    r"\blittle proven\b",
)
_GIVEAWAY = re.compile("|".join(GIVEAWAYS), re.IGNORECASE)


@pytest.mark.parametrize("step_id", sorted(knowledge().steps))
def test_step_description_names_no_timing_rule_or_indication(step_id: str) -> None:
    description = knowledge().steps[step_id].description
    hit = _GIVEAWAY.search(description)
    assert hit is None, f"{step_id}: description gives away when to use it: {hit.group(0)!r}"


@pytest.mark.parametrize("text", [
    "First-line imaging once symptoms persist after six weeks of optimal care.",
    "Imaging without waiting when red flags are present.",
    "Second-line drug for chronic low back pain.",
    "Decompression for lumbar canal stenosis.",
    "TOR1A (DYT1) and related genes in young-onset dystonia.",
])
def test_the_giveaway_list_catches_the_old_descriptions(text: str) -> None:
    assert _GIVEAWAY.search(text), text
