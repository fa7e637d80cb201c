"""YAML syntax errors in plain words: what is wrong, where (line, column, field) and the fix.

libyaml reports a syntax error in its own terms ("mapping values are not allowed in this
context", "while scanning a simple key"). Each kind of error an instructor meets is recognised
here by libyaml's wording and the text at the spot, and told as the mistake made in the file
(a colon inside text, a quote never closed, a line indented too far) with the way to fix it.
The field is read from the indentation of the lines above the error.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from yaml.error import Mark, MarkedYAMLError

from dystonia_teach.core.errors import Issue

#: A line that starts like a field (``  name:`` or ``- name:``): a word without spaces, a colon.
_KEY_LINE = re.compile(r"\s*(?:-\s+)?[A-Za-z_][\w-]*:(?:\s|$)")


@dataclass(frozen=True)
class _Explained:
    message: str
    hint: str
    use_context_mark: bool = False
    #: the line itself is malformed (its indentation or form): name the section it is in
    in_section: bool = False


def _colon(err: MarkedYAMLError, lines: list[str]) -> _Explained:
    mark = err.problem_mark
    line = lines[mark.line] if mark and mark.line < len(lines) else ""
    indent = len(line) - len(line.lstrip(" "))
    above = next((lines[n] for n in range(mark.line - 1, -1, -1) if lines[n].strip()
                  and not lines[n].lstrip().startswith("#")), "") if mark else ""
    above_indent = len(above) - len(above.lstrip(" "))
    if _KEY_LINE.match(line) and indent > above_indent and _KEY_LINE.match(above):
        return _Explained(
            "this line is indented further than the line above it, so it is read as part of "
            "the value above and its colon makes no sense there",
            "indent it exactly as far as the other fields of its section, two spaces per "
            "level", in_section=True)
    return _Explained(
        "a colon followed by a space (': ') inside text: YAML takes it for the start of a "
        "new field",
        "put the whole text in double quotes, as in summary: \"Note: four months\", or write "
        "it as a folded block: the field, then '>-', then the text on the next lines, "
        "indented two more spaces")


def _no_colon(err: MarkedYAMLError, lines: list[str]) -> _Explained:
    mark = err.context_mark
    text = lines[mark.line].strip() if mark and mark.line < len(lines) else ""
    return _Explained(
        f"this line ({_short(text)!r}) has no colon, but every line here must be "
        "'field: value'",
        "add ': ' after the field name; if the line continues the text above, indent it "
        "under that text or write the text as a folded block with '>-'", use_context_mark=True,
        in_section=True)


def _no_key(err: MarkedYAMLError, lines: list[str]) -> _Explained:
    mark = err.problem_mark
    line = lines[mark.line] if mark and mark.line < len(lines) else ""
    at = line[mark.column:] if mark else ""
    if at.startswith("- ") or at == "-":
        return _Explained(
            "a list item ('- ') where a field is expected",
            "put the item under a field that holds a list, indented under it, or remove "
            "the '- '", in_section=True)
    if mark and line[:mark.column].strip():
        return _Explained(
            "text goes on after the closing quote",
            "put the whole text inside the quotes; inside single quotes write an apostrophe "
            "twice, as in 'it''s', or use double quotes: \"it's\"")
    return _Explained(
        "this line's indentation does not match the fields around it",
        "indent it exactly as far as the other fields of its section, two spaces per level",
        in_section=True)


def _explain_by_wording(err: MarkedYAMLError, lines: list[str]) -> _Explained:
    problem, context = err.problem or "", err.context or ""
    for needle, explain in _EXPLANATIONS:
        if needle in problem or needle in context:
            return explain(err, lines) if callable(explain) else explain
    return _Explained(
        f"the YAML cannot be read here (the YAML reader says: {_first_line(problem)}"
        + (f", {_first_line(context)}" if context else "") + ")",
        "look at this line and the one above: a colon inside text, a missing quote or "
        "bracket, or uneven indentation are the usual causes")


def _start_character(err: MarkedYAMLError, lines: list[str]) -> _Explained:
    mark = err.context_mark or err.problem_mark
    char = lines[mark.line][mark.column] if mark and mark.line < len(lines) and (
        mark.column < len(lines[mark.line])) else "?"
    return _Explained(f"text cannot start with {char!r} unless it is quoted",
                      f"put the text in double quotes: \"{char}...\"", use_context_mark=True)


_Explain = _Explained | Callable[[MarkedYAMLError, list[str]], _Explained]
#: libyaml's wording -> the explanation, tried in order.
_EXPLANATIONS: tuple[tuple[str, _Explain], ...] = (
    ("mapping values are not allowed", _colon),
    ("could not find expected ':'", _no_colon),
    ("while scanning a quoted scalar", _Explained(
        "the quote opened here is never closed, so the rest of the file is read as text",
        "add the closing quote at the end of the text; inside single quotes write an "
        "apostrophe twice, as in 'it''s'", use_context_mark=True)),
    ("did not find expected ',' or ']'", _Explained(
        "the list opened with '[' here is not closed, or its items are not separated by "
        "commas", "close it with ']' on the same line and separate the items with ', '; "
        "an item holding ': ' or ',' goes in quotes", use_context_mark=True)),
    ("did not find expected ',' or '}'", _Explained(
        "the '{' opened here is not closed, or its entries are not separated by commas",
        "close it with '}' and separate the entries with ', ', as in {name: ckd, stage: 4}",
        use_context_mark=True)),
    ("did not find expected key", _no_key),
    ("did not find expected '-' indicator", _Explained(
        "a line inside a list that is not an item: each item starts with '- ', lined up "
        "with the others",
        "start the line with '- ' at the same indentation as the other items, or indent a "
        "field of an item further than its '- '", in_section=True)),
    ("expected a single document", _Explained(
        "a second '---' line starts another document; a case file is a single document",
        "remove the '---' line, and anything after it that belongs to another case")),
    ("cannot start any token", _start_character),
    ("while scanning an alias", _Explained(
        "text starting with '*' is read as a YAML alias",
        "put the text in double quotes: \"*...\"", use_context_mark=True)),
    ("while scanning an anchor", _Explained(
        "text starting with '&' is read as a YAML anchor",
        "put the text in double quotes: \"&...\"", use_context_mark=True)),
    ("while scanning a directive", _Explained(
        "a line starting with '%' is read as a YAML directive",
        "put the text in double quotes, or remove the '%'", use_context_mark=True)),
    ("found unknown escape character", _Explained(
        "a backslash inside double quotes starts an escape such as \\n, and this one is "
        "not known", "use single quotes instead, or write the backslash twice: \\\\")),
    ("while scanning a block scalar", _Explained(
        "text follows '>-' or '|' on the same line; the text of a block starts on the next "
        "line", "move the text to the next line, indented two more spaces than the field")),
    ("did not find expected node content", _Explained(
        "a value is missing, or it starts with a character YAML keeps for lists and "
        "mappings (']', '}', ',')", "write the value, in double quotes if it starts with "
        "one of these characters")),
    ("did not find expected <document start>", _Explained(
        "the first field is indented; top-level fields start at the beginning of a line",
        "remove the spaces before the top-level fields", in_section=True)),
)


def syntax_issue(err: MarkedYAMLError, text: str, file: str) -> Issue:
    """A yaml_syntax issue for ``err``, met while composing ``text``."""
    lines = text.splitlines()
    explained = _explain_by_wording(err, lines)
    mark: Mark | None = (err.context_mark if explained.use_context_mark and err.context_mark
                         else err.problem_mark or err.context_mark)
    hint = explained.hint
    problem = err.problem_mark
    if mark is not None and problem is not None and problem.line != mark.line:
        hint += f"; the YAML reader noticed it on line {problem.line + 1}"
    path: list[str | int] = []
    if mark is not None and explained.in_section:
        above = _line_above(lines, mark.line)
        path = field_at(lines, above, own=False) if above is not None else []
    elif mark is not None:
        path = field_at(lines, mark.line)
    field = ".".join(map(str, path))
    return Issue(file, mark.line + 1 if mark else None, field, "yaml_syntax",
                 explained.message, hint, column=mark.column + 1 if mark else None)


#: A line's indentation, its list dashes and the field it starts, if any.
_LINE = re.compile(r"(?P<indent> *)(?P<dashes>(?:-(?: +|$))*)"
                   r"(?:(?P<key>[A-Za-z_][\w-]*|\"[^\"]*\"|'[^']*') *:(?:\s|$))?")


def field_at(lines: list[str], row: int, own: bool = True) -> list[str | int]:
    """The field that line ``row`` (0-based) of a block-style YAML text belongs to, read from
    the indentation alone (a text with a syntax error cannot be parsed): the line's own field
    (unless ``own`` is false), then each less indented field or list item above it, with the
    item's index."""
    path: list[str | int] = []
    limit: int | None = None  # an ancestor is less indented than this
    if not own and row < len(lines):
        limit = len(lines[row]) - len(lines[row].lstrip(" "))
    counting: int | None = None  # the indentation of a list whose items are being counted
    index = 0
    for n in range(min(row, len(lines) - 1), -1, -1):
        line = lines[n]
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _LINE.match(line)
        assert match is not None  # every part of the pattern is optional
        indent = len(match["indent"])
        if counting is not None:
            if indent == counting and match["dashes"]:
                index += 1
                continue
            if indent >= counting:
                continue
            path.append(index)
            counting = None
        if limit is not None and indent >= limit:
            continue
        key_indent = indent + len(match["dashes"])
        if match["key"] and (limit is None or key_indent < limit):
            path.append(match["key"].strip("\"'"))
        if match["dashes"]:
            counting, index = indent, 0
        limit = indent
    if counting is not None:
        path.append(index)
    return path[::-1]


def _line_above(lines: list[str], row: int) -> int | None:
    """The nearest line above ``row`` that holds YAML (not blank, not a comment)."""
    return next((n for n in range(min(row, len(lines)) - 1, -1, -1)
                 if lines[n].strip() and not lines[n].lstrip().startswith("#")), None)


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""
