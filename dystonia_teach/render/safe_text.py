"""Text from the store made safe for where it goes: a CSV cell, a plotly label, an IRI segment.

Ids and labels in a class's exports may come from a learner's own program (a forged case id), so
each output encodes them for its format instead of trusting them:

- ``csv_cell``: control characters (CR, LF, tab, NUL, ...; U+2028/2029) as visible escapes such as
  ``\\x0d``, so no importer splits a row, then a leading ``'`` before ``= + - @`` (CSV injection);
- ``figure_text``: ``&``, ``<`` and ``>`` as character entities, so plotly shows a label as
  written and never turns it into a link or markup;
- ``iri_segment``: percent-encoded UTF-8 (RFC 3987), so an id is one valid path segment.
"""

from __future__ import annotations

import re
from urllib.parse import quote

_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_FORMULA_START = ("=", "+", "-", "@")


def _escape(match: re.Match[str]) -> str:
    return match.group(0).encode("unicode_escape").decode("ascii")


def csv_cell(text: str) -> str:
    """``text`` as a CSV cell no importer splits and no spreadsheet runs."""
    text = _CONTROLS.sub(_escape, text)
    return "'" + text if text.startswith(_FORMULA_START) else text


def figure_text(text: object) -> str:
    """``text`` for a plotly label, title or hover text: shown as written, never as markup."""
    return (_CONTROLS.sub(_escape, str(text)).replace("&", "&amp;").replace("<", "&lt;")
            .replace(">", "&gt;"))


def iri_segment(text: str) -> str:
    """``text`` as one IRI path segment: unreserved characters kept, the rest percent-encoded."""
    return quote(text, safe="")
