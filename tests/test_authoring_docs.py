"""docs/authoring.md cannot drift: its issue-code table and vocabulary tables match the code."""

from __future__ import annotations

import re
from typing import get_args

import pytest

from dystonia_teach.casefiles.authoring import FIELD_NOTES, field_docs, scaffold
from dystonia_teach.core import vocabulary
from dystonia_teach.core.errors import ISSUE_CODES
from dystonia_teach.core.knowledge import knowledge

from .conftest import REPO

GUIDE = (REPO / "docs" / "authoring.md").read_text()
#: The field named in each vocabulary heading, and the Literal (or the ids of the package's
#: knowledge) it must list.
VOCABULARIES = {
    "red_flags": vocabulary.RedFlag,
    "conditions": vocabulary.ConditionName,
    "functional_signs": vocabulary.FunctionalSign,
    "dystonia.postures": vocabulary.Posture,
    "dystonia.triggers": vocabulary.Trigger,
    "other_signs": vocabulary.OtherSign,
    "radicular.root": vocabulary.Root,
    "pathology": vocabulary.Pathology,
    "diagnosis": tuple(knowledge().diagnoses),
}


def sections(level: str) -> dict[str, str]:
    """Heading text -> body, for the headings of one level (``"##"`` or ``"###"``)."""
    parts = re.split(rf"^{level} (.+)$", GUIDE, flags=re.M)
    return {parts[i].strip(): re.split(r"^#{1,3} ", parts[i + 1], flags=re.M)[0]
            for i in range(1, len(parts), 2)}


def first_column_ids(body: str) -> list[str]:
    """The backticked identifiers in the first column of the Markdown table rows of ``body``."""
    return re.findall(r"^\| `([^`]+)` \|", body, flags=re.M)


def test_issue_code_table_equals_the_catalogue() -> None:
    codes = first_column_ids(sections("##")["Issue codes"])
    assert len(codes) == len(set(codes)), "a code is documented twice"
    assert set(codes) == set(ISSUE_CODES)


def test_vocabulary_tables_equal_the_literals() -> None:
    found: dict[str, list[str]] = {}
    for heading, body in sections("###").items():
        match = re.search(r"`([\w.]+)`$", heading)
        if match and match[1] in VOCABULARIES:
            found[match[1]] = first_column_ids(body)
    assert set(found) == set(VOCABULARIES), "a vocabulary has no section in the guide"
    for field, literal in VOCABULARIES.items():
        ids = literal if isinstance(literal, tuple) else get_args(literal)
        assert found[field] == list(ids), field


def test_guide_names_real_fields_and_commands() -> None:
    paths = {doc.path for doc in field_docs()}
    for dotted in re.findall(r"`((?:stages|course|dystonia|radicular|investigations)\.[\w.]+)`",
                             GUIDE):
        assert re.sub(r"\.\d+$", "", dotted) in paths, dotted  # `x.y.0` is an item of x.y
    for command in ("new-case", "validate", "show", "schema"):
        assert f"dystonia-teach {command}" in GUIDE


def test_field_notes_name_real_fields() -> None:
    paths = {doc.path for doc in field_docs()}
    assert set(FIELD_NOTES) <= paths


@pytest.mark.parametrize("doc", field_docs(), ids=lambda d: d.path)
def test_scaffold_mentions_every_field(doc) -> None:
    text = scaffold("any_case")
    indent = "  " * doc.depth
    name = doc.path.rsplit(".", 1)[-1]
    assert re.search(rf"^{indent}{re.escape(name)}:", text, flags=re.M), doc.path
