"""The source registry's checks and citation text.

Identifiers must belong to their record: a DOI's publisher prefix names the record's journal,
the year, volume, issue or first page some DOIs embed agree with the record, no DOI, PMID or
PMCID appears on two records, and PMIDs (issued in order) rise with the publication year.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from dystonia_teach.core.kb_model import Source

# Years some DOIs embed, and how far the publication year may follow them (online first, or
# the year of submission in NEJM's DOIs). 10.1097/0000xxxx-YYYYMM... encodes the issue date.
_ISSUE_DATE = re.compile(r"^10\.1097/0000\d{4}-(\d{4})\d")
_DOI_YEARS = (
    re.compile(r"^10\.1056/nejmoa(\d{2})"),
    re.compile(r"^10\.7326/m(\d{2})-"),
    re.compile(r"/s\d{4}-\d{3}[\dx]\((\d{2})\)"),
    re.compile(r"/s\d{5}-0(\d{2})-"),
    re.compile(r"[./-]((?:19|20)\d{2})[./-]"),
)
_YEAR_SLACK = 2
# JAMA- and BMJ-style DOIs end in volume.issue.first page; old Wiley DOIs in 8x + vvv + ii + nn.
_VOLUME_ISSUE_PAGE = re.compile(r"\.(\d{1,3})\.(\d{1,2})\.(\d+)$")
_WILEY_VOLUME_ISSUE = re.compile(r"\.8[5-9](\d{3})(\d{2})\d{2}$")
_PMID_YEAR_SLACK = 1

_DETAIL_WORDS = {"authors": "authors", "year": "year", "title": "title", "journal": "journal",
                 "volume": "volume", "pages": "pages", "doi": "DOI", "pmid": "PMID"}


def doi_year(doi: str) -> tuple[int, bool] | None:
    """The year a DOI embeds and whether the record's year must equal it (None: no year)."""
    text = doi.lower()
    if match := _ISSUE_DATE.match(text):
        return int(match[1]), True
    for pattern in _DOI_YEARS:
        if match := pattern.search(text):
            year = int(match[1])
            return (year if year > 99 else 2000 + year if year < 50 else 1900 + year), False
    return None


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def _record_problems(source: Source, doi_prefixes: Mapping[str, tuple[str, ...]]) -> list[str]:
    if source.doi is None:
        return []
    doi = source.doi.lower()
    where = f"source {source.id}: DOI {source.doi}"
    problems: list[str] = []
    journals = [names for prefix, names in doi_prefixes.items() if doi.startswith(prefix.lower())]
    if not journals:
        problems.append(f"{where} has a prefix missing from doi_prefixes")
    elif source.journal not in journals[0] and source.kind == "article":
        problems.append(f"{where} belongs to {' / '.join(journals[0])}, "
                        f"not {source.journal or 'no journal'}")
    embedded = doi_year(doi)
    if embedded and source.year is not None:
        year, exact = embedded
        if source.year < year or source.year > year + (0 if exact else _YEAR_SLACK):
            problems.append(f"{where} dates from {year}, not {source.year}")
    if match := _VOLUME_ISSUE_PAGE.search(doi):
        given = (source.volume, source.issue, source.pages.split("-")[0])
        for name, from_doi, value in zip(("volume", "issue", "first page"), match.groups(),
                                         given, strict=True):
            if value and _digits(value) != from_doi:
                problems.append(f"{where} gives {name} {from_doi}, not {value}")
    if match := _WILEY_VOLUME_ISSUE.search(doi):
        for name, from_doi, value in zip(("volume", "issue"), match.groups(),
                                         (source.volume, source.issue), strict=True):
            if value and int(_digits(value)) != int(from_doi):
                problems.append(f"{where} gives {name} {int(from_doi)}, not {value}")
    return problems


def identifier_problems(sources: Iterable[Source],
                        doi_prefixes: Mapping[str, tuple[str, ...]]) -> list[str]:
    """Every way the records' identifiers disagree with their records or with each other."""
    records = list(sources)
    problems = [p for source in records for p in _record_problems(source, doi_prefixes)]
    for field in ("doi", "pmid", "pmcid"):
        owners: dict[str, str] = {}
        for source in records:
            value = getattr(source, field)
            if value is None:
                continue
            key = value.lower()
            if key in owners:
                problems.append(f"sources {owners[key]} and {source.id} share {field} {value}")
            owners.setdefault(key, source.id)
    latest: tuple[int, int, str] | None = None  # the newest (year, PMID, id) seen so far
    for pmid, year, source_id in sorted((int(s.pmid), s.year, s.id)
                                        for s in records if s.pmid and s.year):
        if latest and latest[0] > year + _PMID_YEAR_SLACK:
            problems.append(f"sources {latest[2]} and {source_id}: PMID {latest[1]} "
                            f"({latest[0]}) is lower than PMID {pmid} ({year}); PMIDs rise "
                            "with the year")
        if latest is None or year > latest[0]:
            latest = (year, pmid, source_id)
    return problems


def _sentence(text: str) -> str:
    text = text.strip()
    return text if not text or text[-1] in ".?!…" else text + "."


def citation_text(source: Source, where: str = "") -> str:
    """The reference as a reader sees it, with what is not yet checked said plainly."""
    names = ", ".join(source.authors) + (", et al" if source.et_al else "")
    byline = "; ".join(part for part in (names, source.group) if part)
    title = source.title or "(Title not recorded)"
    parts = [_sentence(byline), _sentence(title)]
    if source.kind == "chapter":
        parts.append(_sentence(f"In: {source.journal}" + (f", {source.edition}" if
                                                          source.edition else "")))
    elif source.journal:
        volume = source.volume + (f"({source.issue})" if source.issue else "")
        dated = ";".join(part for part in (str(source.year or ""), volume) if part)
        if source.pages:
            dated += f":{source.pages}" if dated else source.pages
        parts.append(_sentence(f"{source.journal} {dated}".strip()))
    elif source.year:
        parts.append(_sentence(str(source.year)))
    if source.bookshelf:
        parts.append(_sentence(source.bookshelf))
    if source.doi:
        parts.append(_sentence(f"doi:{source.doi}"))
    if source.pmid:
        parts.append(_sentence(f"PMID {source.pmid}"))
    if source.pmcid:
        parts.append(_sentence(source.pmcid))
    text = " ".join(part for part in parts if part)
    if where:
        text += f" ({where})"
    if source.status == "unverified":
        text += " [not yet verified]"
    elif source.unchecked:
        words = {**_DETAIL_WORDS, **({"authors": "maker"} if source.kind == "label" else {})}
        text += " [not yet checked: " + ", ".join(words[d] for d in source.unchecked) + "]"
    return text


def short_citation(source: Source) -> str:
    """E.g. "Blunt et al. 1996, Mov Disord" or "American College of Radiology 2021"."""
    if source.authors:
        surname = source.authors[0].rsplit(" ", 1)[0]
        who = surname + (" et al." if len(source.authors) > 1 or source.et_al else "")
    else:
        who = source.group or source.title
    text = " ".join(part for part in (who, str(source.year or "")) if part)
    if source.journal and source.kind == "article":
        text += f", {source.journal}"
    if source.status == "unverified":
        text += " (not yet verified)"
    elif source.unchecked:
        text += " (partly checked)"
    return text
