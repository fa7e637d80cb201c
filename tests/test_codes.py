"""The public code catalogue (`dystonia-teach codes`, docs/findings.md) from the knowledge base."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from dystonia_teach.core.knowledge import knowledge, source_ref
from dystonia_teach.render.codes import codes_catalogue

FINDINGS_MD = Path(__file__).resolve().parents[1] / "docs" / "findings.md"


def test_docs_findings_md_is_the_generated_catalogue() -> None:
    assert FINDINGS_MD.read_text("utf-8") == codes_catalogue(markdown=True), (
        "docs/findings.md is out of date: run `make docs`")


def _section(text: str, code: str) -> str:
    start = text.index(f"\n## {code}\n")
    end = text.find("\n## ", start + 1)
    return text[start:end if end > 0 else None]


def test_every_code_is_documented_with_its_severity_and_evidence_levels() -> None:
    markdown = codes_catalogue(markdown=True)
    for kind in knowledge().findings.values():
        assert f"| [`{kind.code}`](#{kind.code}) | {'yes' if kind.pitfall else 'no'} | " \
               f"{kind.severity} |" in markdown
        section = _section(markdown, kind.code)
        assert f"severity **{kind.severity}" in section
        for claim_id in kind.evidence:
            assert f"`{claim_id}` ({source_ref(claim_id).badge})" in section, (kind.code, claim_id)


def test_text_catalogue_lists_pitfalls_first() -> None:
    text = codes_catalogue()
    kinds = list(knowledge().findings.values())
    headers = [line.split()[0] for line in text.splitlines()
               if line and not line.startswith(" ") and "  [" in line]
    assert headers == [k.code for k in kinds if k.pitfall] + [k.code for k in kinds
                                                              if not k.pitfall]
    assert "{step}" not in text


def test_cli_codes_prints_text_and_markdown() -> None:
    def run(*args: str) -> str:
        result = subprocess.run([sys.executable, "-m", "dystonia_teach", "codes", *args],
                                capture_output=True, text=True, timeout=60, check=True)
        return result.stdout
    assert run() == codes_catalogue()
    assert run("--markdown") == codes_catalogue(markdown=True)
