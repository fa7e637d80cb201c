"""Read YAML case files safely and fast, with line numbers, reporting every problem as an Issue.

Validation parses with libyaml (PyYAML's ``CSafeLoader``) into nodes that keep their lines and
builds plain dicts and lists itself, with the YAML 1.2 core schema (as ruamel reads it: ``yes``
is text, ``010`` is ten). Case files are plain data: tags (``!!python/object``) and aliases (the
"billion laughs" bomb) are refused before anything is built; duplicate keys (also keys that
read the same, ``~`` and ``null``), values that cannot be read as their tag or form says
(``!!int forty-six``, ``2030-13-45``), control characters, tabs, deep nesting, binary, huge and
special files (folders, FIFOs, devices, broken links) are reported with their line. Reading is
bounded: a file's size and kind are checked before it is opened, and no more than the limit is
read.

The case builder edits files with ruamel's round trip instead (it keeps comments):
:func:`round_trip_yaml`.
"""

from __future__ import annotations

import datetime
import errno
import os
import re
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from yaml.error import MarkedYAMLError, YAMLError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from dystonia_teach.casefiles.lints import CONTROL_CHARACTERS, describe_character
from dystonia_teach.casefiles.syntax import syntax_issue
from dystonia_teach.core.errors import Issue

if TYPE_CHECKING:
    from ruamel.yaml import YAML

MAX_BYTES = 256 * 1024
MAX_DEPTH = 32  # case files nest four levels; libyaml itself crashes on ~100,000 open brackets
_YAML = "tag:yaml.org,2002:"
_FLOW_BRACKETS = re.compile(r"[\[\]{}]")
_TAB_INDENT = re.compile(r"\n[^\S\n]*\t")


#: The YAML 1.2 core schema's implicit types (plus dates, which ruamel also reads), by the
#: first character of a plain scalar; ``<<`` is resolved so that it is refused as a tag.
_IMPLICIT: dict[str, list[tuple[str, re.Pattern[str]]]] = {}
for _tag, _pattern, _first in (
    ("bool", r"(?:true|True|TRUE|false|False|FALSE)", "tTfF"),
    ("int", r"(?:[-+]?0b[0-1_]+|[-+]?0o[0-7_]+|[-+]?[0-9_]+|[-+]?0x[0-9a-fA-F_]+)",
     "-+0123456789"),
    ("float", r"(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?"
              r"|[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)|[-+]?\.[0-9_]+(?:[eE][-+]?[0-9]+)?"
              r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))", "-+0123456789."),
    ("null", r"(?:~|null|Null|NULL|)", ["~", "n", "N", ""]),
    ("timestamp", r"(?:[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}"
                  r":[0-9]{2}(?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)?)",
     "0123456789"),
    ("merge", r"<<", "<"),
):
    for _char in _first:
        _IMPLICIT.setdefault(_char, []).append((_YAML + _tag, re.compile(_pattern)))
_DEFAULT_TAGS = {ScalarNode: _YAML + "str", SequenceNode: _YAML + "seq",
                 MappingNode: _YAML + "map"}


class _CaseLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """libyaml's parser (PyYAML's own, slower, where it was built without libyaml), resolving
    plain scalars with :data:`_IMPLICIT`."""

    def resolve(self, kind: type[Node], value: str, implicit: tuple[bool, bool]) -> str:
        if kind is ScalarNode and implicit[0]:
            for tag, pattern in _IMPLICIT.get(value[:1], ()):
                if pattern.fullmatch(value):
                    return tag
        return _DEFAULT_TAGS[kind]


@dataclass
class YamlDocument:
    """A parsed YAML mapping (plain dicts and lists), the issues met while reading it, and the
    nodes it was built from (for the line of each field)."""

    file: str
    data: Any = None
    issues: list[Issue] = field(default_factory=list)
    text: str = ""
    root: Node | None = None
    #: every text value and key with its path (keys by their text), in document order
    strings: list[tuple[tuple[str | int, ...], str]] = field(default_factory=list, repr=False)
    #: the node each of ``strings`` was read from (to find a place inside it)
    string_nodes: list[Node] = field(default_factory=list, repr=False)
    _lines: dict[tuple[str | int, ...], int] | None = field(default=None, repr=False)

    def line_of(self, path: Sequence[str | int]) -> int | None:
        """1-based line of the deepest existing node on ``path`` (a dotted field's parts)."""
        if self.root is None:
            return None
        if self._lines is None:  # indexed on the first question: a valid file is never asked
            self._lines = _line_index(self.root)
        parts = tuple(path)
        for end in range(len(parts), -1, -1):
            line = self._lines.get(parts[:end])
            if line is not None:
                return line
        return None

    def issue(self, path: Sequence[str | int], code: str, message: str, hint: str = "",
              line: int | None = None) -> Issue:
        """Build an Issue located at ``path`` in this document (on ``line`` if given)."""
        dotted = ".".join(str(p) for p in path)
        return Issue(self.file, line or self.line_of(path), dotted, code, message, hint)

    def lines_in_string(self, index: int, spans: Sequence[tuple[int, int]]) -> list[int]:
        """The file line of each of ``spans`` (start, end; sorted by start) of
        ``strings[index]``: in a block of several lines, the line the text is on.

        The text is looked for in the node's source, word by word (folding turned its line
        breaks into spaces), each search going on from where the one before matched; text
        that cannot be found (an escape in double quotes) is put on the node's first line.
        """
        node, value = self.string_nodes[index], self.strings[index][1]
        first = node.start_mark.line + 1
        if node.end_mark.line == node.start_mark.line or (
                node.end_mark.line == node.start_mark.line + 1 and node.end_mark.column == 0):
            return [first] * len(spans)
        source = self.text[node.start_mark.index:node.end_mark.index]
        lines: list[int] = []
        position, previous = 0, None
        for start, end in spans:
            if start == previous:  # the same place, found by another check
                lines.append(lines[-1])
                continue
            previous = start
            words = value[start:end].split()
            if getattr(node, "style", None) == "'":
                words = [word.replace("'", "''") for word in words]
            found = re.compile(r"\s+".join(map(re.escape, words))).search(source, position) \
                if words else None
            if found is None:
                lines.append(first)
                continue
            position = found.start() + 1
            lines.append(first + source.count("\n", 0, found.start()))
        return lines


def read_yaml_text(text: str, file: str) -> YamlDocument:
    """Parse ``text``; any problem becomes an issue and ``data`` stays None."""
    doc = YamlDocument(file, text=text)
    doc.issues = _text_issues(text, file)
    if doc.issues:
        return doc
    try:
        root = yaml.compose(text, Loader=_CaseLoader)
    except MarkedYAMLError as err:
        doc.issues.append(syntax_issue(err, text, file))
        return doc
    except YAMLError as err:
        doc.issues.append(Issue(file, None, "", "yaml_syntax", _first_line(str(err))))
        return doc
    if root is None or (root.tag == _YAML + "null" and root.value == ""):  # nothing, or `---`
        doc.issues.append(Issue(file, None, "", "empty_file", "the file holds no data",
                                "start from `dystonia-teach new-case ID`"))
        return doc
    builder = _Builder(file, aliases_possible="&" in text)
    data = builder.value(root, (), 0)
    if builder.issues:
        doc.issues = sorted(builder.issues, key=lambda issue: (issue.line or 0, issue.code))
        return doc
    if not isinstance(root, MappingNode):
        doc.issues.append(Issue(file, root.start_mark.line + 1, "", "not_a_mapping",
                                "the top level must be a mapping of `field: value` lines"))
        return doc
    doc.data, doc.root = data, root
    doc.strings, doc.string_nodes = builder.strings, builder.string_nodes
    return doc


def read_yaml_file(path: Path) -> YamlDocument:
    """Read and parse a case file from disk, never raising for bad content or a bad file."""
    file = str(path)
    raw = _read_bounded(path)
    if isinstance(raw, Issue):
        return YamlDocument(file, issues=[raw])
    if b"\x00" in raw:
        return YamlDocument(file, issues=[Issue(file, None, "", "binary_file",
                                                "the file contains NUL bytes: not a text file")])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        return YamlDocument(file, issues=[Issue(file, line, "", "binary_file",
                                                "the file is not valid UTF-8 text",
                                                "save it as UTF-8")])
    return read_yaml_text(text, file)


def round_trip_yaml() -> YAML:
    """The ruamel YAML instance the case builder reads and writes with (keeps comments and
    order); imported on first use, as validation does not need it."""
    from ruamel.yaml import YAML

    rt = YAML(typ="rt")
    rt.preserve_quotes = True
    rt.width = 100
    rt.indent(mapping=2, sequence=4, offset=2)
    return rt


# --- reading the file -----------------------------------------------------------------------

_FILE_KINDS: tuple[tuple[Callable[[int], bool], str], ...] = (
    (stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device"), (stat.S_ISSOCK, "a socket"),
)


def _read_bounded(path: Path) -> bytes | Issue:
    """The file's bytes, or the issue that stops it being read: checked to be a regular file
    of at most MAX_BYTES before it is opened (without blocking), and read no further."""
    file = str(path)
    try:
        info = os.stat(path)
    except OSError as err:
        return Issue(file, None, "", "unreadable_file", _os_problem(path, err))
    problem = _not_a_file(info.st_mode)
    if problem:
        return _kind_issue(file, problem)
    if info.st_size > MAX_BYTES:
        return _too_large(file, info.st_size)
    try:
        with open(path, "rb", opener=_open_nonblocking) as handle:
            problem = _not_a_file(os.fstat(handle.fileno()).st_mode)  # replaced since stat()?
            if problem:
                return _kind_issue(file, problem)
            raw = handle.read(MAX_BYTES + 1)
    except OSError as err:
        return Issue(file, None, "", "unreadable_file", _os_problem(path, err))
    if len(raw) > MAX_BYTES:  # grew since stat(), or a file whose size the system does not know
        return _too_large(file, len(raw))
    return raw


def _kind_issue(file: str, kind: str) -> Issue:
    return Issue(file, None, "", "not_a_file", f"this is {kind}, not a case file",
                 "a case file is a regular text file; rename or move this entry")


def _not_a_file(mode: int) -> str:
    return next((kind for test, kind in _FILE_KINDS if test(mode)),
                "" if stat.S_ISREG(mode) else "not a regular file")


def _too_large(file: str, size: int) -> Issue:
    return Issue(file, None, "", "file_too_large",
                 f"{size:,} bytes or more; a case file may hold at most {MAX_BYTES:,}",
                 "split long teaching notes or remove pasted material")


def _open_nonblocking(path: str, flags: int) -> int:
    return os.open(path, flags | getattr(os, "O_NONBLOCK", 0))


def _os_problem(path: Path, err: OSError) -> str:
    if err.errno == errno.ELOOP:
        return "cannot read the file: a loop of symbolic links"
    if err.errno == errno.ENOENT and os.path.islink(path):
        return "cannot read the file: a broken symbolic link (its target does not exist)"
    if err.errno in (errno.EACCES, errno.EPERM):
        return "cannot read the file: permission denied"
    return f"cannot read the file: {err.strerror or err}"


# --- checks on the text before parsing ------------------------------------------------------

def _text_issues(text: str, file: str) -> list[Issue]:
    """Tab indentation, control characters and over-deep nesting, found before composing."""
    lines = "\n" + text  # every line starts after a "\n": a literal the regex engine skips to
    issues = [Issue(file, lines.count("\n", 0, match.start() + 1), "", "tab_indent",
                    "tab used for indentation", "indent with spaces (two per level)")
              for match in _TAB_INDENT.finditer(lines)]
    last_line = 0
    for match in CONTROL_CHARACTERS.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        if line != last_line:
            issues.append(Issue(file, line, "", "control_character",
                                f"the text carries {describe_character(match.group(0))}",
                                "delete it: case text is plain, printable text"))
            last_line = line
    if issues:
        return issues
    nesting = _nesting_issue(text, lines, file)
    return [nesting] if nesting else []


def _nesting_issue(text: str, lines: str, file: str) -> Issue | None:
    """Nesting deeper than MAX_DEPTH, found before composing (libyaml slows down quadratically
    on deep brackets and crashes on very deep ones).

    A cheap bound first: the deepest flow bracket count plus the longest run of spaces and
    ``-``/``?`` indicators starting a line (a block collection opens only there). Only a file
    over that bound has its parser events counted, which stops at the first event too deep.
    """
    depth = flow = 0
    for match in _FLOW_BRACKETS.finditer(text):
        depth = depth + 1 if match.group(0) in "[{" else max(0, depth - 1)
        if depth > flow:
            flow = depth
    if not _line_prefix(MAX_DEPTH - flow).search(lines):  # within bound, + 1 for a line's mapping
        return None
    depth = 0
    try:
        for event in yaml.parse(text, Loader=_CaseLoader):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    return Issue(file, event.start_mark.line + 1, "", "yaml_syntax",
                                 "the YAML is nested too deeply",
                                 f"case files nest at most {MAX_DEPTH} levels")
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except YAMLError:
        pass  # composing reports the syntax error with its line
    return None


@cache
def _line_prefix(length: int) -> re.Pattern[str]:
    """A line starting with ``length`` or more spaces and ``-``/``?`` indicators."""
    return re.compile(rf"\n[ ?-]{{{max(length, 0)}}}")


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


# --- building plain data from the nodes -----------------------------------------------------

_PLAIN_TAGS = {_YAML + name for name in
               ("str", "int", "float", "bool", "null", "map", "seq", "timestamp")}
_STR = _YAML + "str"
_NODE_OF_TAG: dict[str, type[Node]] = {_YAML + "map": MappingNode, _YAML + "seq": SequenceNode}
_KIND_NAMES = {MappingNode: "a mapping", SequenceNode: "a list", ScalarNode: "a single value"}
_INT_BASES = {"0b": 2, "0o": 8, "0x": 16}


class _Builder:
    """Plain data from a node graph, and every issue found on the way."""

    def __init__(self, file: str, aliases_possible: bool) -> None:
        self.file = file
        self.issues: list[Issue] = []
        #: node id -> where it was first met (an alias is the same node met again); only
        #: tracked when the text has an ``&``, as an anchor needs one
        self._seen: dict[int, tuple[str, int]] | None = {} if aliases_possible else None
        self._reported: set[int] = set()
        #: every text value and key with its path, for the lints (added by the collections)
        self.strings: list[tuple[tuple[str | int, ...], str]] = []
        self.string_nodes: list[Node] = []

    def _add(self, node: Node, path: tuple[str | int, ...], code: str, message: str,
             hint: str = "") -> None:
        self.issues.append(Issue(self.file, node.start_mark.line + 1, ".".join(map(str, path)),
                                 code, message, hint))

    def value(self, node: Node, path: tuple[str | int, ...], depth: int) -> Any:
        if self._seen is not None and self._is_alias(node, path):
            return None
        if depth > MAX_DEPTH:
            self._add(node, path, "yaml_syntax", "the YAML is nested too deeply",
                      f"case files nest at most {MAX_DEPTH} levels")
            return None
        tag = node.tag
        if tag not in _PLAIN_TAGS:
            self._add(node, path, "yaml_tag", f"the tag {tag!r} is not allowed",
                      "remove the tag; case files hold plain text, numbers and lists")
            return None
        kind = type(node)
        if kind is not _NODE_OF_TAG.get(tag, ScalarNode):  # `!!map male`
            self._add(node, path, "yaml_value",
                      f"the tag !!{tag.removeprefix(_YAML)} says "
                      f"{_KIND_NAMES[_NODE_OF_TAG.get(tag, ScalarNode)]}, but this is "
                      f"{_KIND_NAMES[kind]}", "remove the tag")
            return None
        if kind is MappingNode:
            return self._mapping(node, path, depth)
        if kind is SequenceNode:
            items = []
            for i, item in enumerate(node.value):
                items.append(self.value(item, (*path, i), depth + 1))
                if type(items[-1]) is str:
                    self.strings.append(((*path, i), items[-1]))
                    self.string_nodes.append(item)
            return items
        return node.value if tag == _STR else self._scalar(node, path)

    def _is_alias(self, node: Node, path: tuple[str | int, ...]) -> bool:
        """Whether ``node`` was met before; the first time again, the anchor is reported."""
        assert self._seen is not None
        first = self._seen.get(id(node))
        if first is None:
            self._seen[id(node)] = (".".join(map(str, path)), node.start_mark.line + 1)
            return False
        where, anchor_line = first
        if id(node) not in self._reported:
            self._reported.add(id(node))
            self.issues.append(Issue(self.file, anchor_line, where, "yaml_alias",
                                     f"an anchor (&) here is repeated by an alias (*) on line "
                                     f"{node.start_mark.line + 1}", "write values out in full"))
        return True

    def _mapping(self, node: MappingNode, path: tuple[str | int, ...], depth: int) -> Any:
        data: dict[str, Any] = {}
        first: dict[str, ScalarNode] = {}  # key -> the key node that first gave it
        plain = self._seen is None  # no aliases: a text scalar is just its value
        for key_node, value_node in node.value:
            if plain and key_node.tag == _STR and type(key_node) is ScalarNode:
                key = key_node.value
            elif type(key_node) is ScalarNode:
                key = self.value(key_node, (*path, key_node.value), depth + 1)
                key = key if isinstance(key, str) else str(key)
            else:
                self._add(key_node, path, "yaml_value",
                          "a key must be a word, not a list or mapping", "write `field: value`")
                continue
            child = (*path, key)
            if key in first:
                raw = first[key].value
                same = ("appears more than once here" if raw == key_node.value else
                        f"reads as the same key as {raw!r} on line "
                        f"{first[key].start_mark.line + 1}")
                self._add(key_node, child, "duplicate_key",
                          f"the key {key_node.value!r} {same}", "keep one of them")
                continue
            first[key] = key_node
            self.strings.append((child, key))
            self.string_nodes.append(key_node)
            if plain and value_node.tag == _STR and type(value_node) is ScalarNode:
                value = value_node.value
            else:
                value = self.value(value_node, child, depth + 1)
            if type(value) is str:
                self.strings.append((child, value))
                self.string_nodes.append(value_node)
            data[key] = value
        return data

    def _scalar(self, node: ScalarNode, path: tuple[str | int, ...]) -> Any:
        tag, text = node.tag.removeprefix(_YAML), node.value
        try:
            return _SCALARS[tag](text)
        except (ValueError, OverflowError) as err:
            reason = f": {err}" if isinstance(err, _Unreadable) else ""
            self._add(node, path, "yaml_value",
                      f"{_short(text)!r} cannot be read as {_TAG_NAMES[tag]}{reason}",
                      "quote it to keep it as text, or write the value the field expects")
            return None


def _line_index(root: Node) -> dict[tuple[str | int, ...], int]:
    """The line of every field and list item under ``root`` (a document read without issues):
    a key's line for a field, the item's own for a list item; ``()`` is the document's."""
    lines: dict[tuple[str | int, ...], int] = {(): root.start_mark.line + 1}
    stack: list[tuple[Node, tuple[str | int, ...]]] = [(root, ())]
    while stack:
        node, path = stack.pop()
        if isinstance(node, MappingNode):
            for key_node, value_node in node.value:
                key = key_node.value
                if key_node.tag != _STR:
                    key = str(_SCALARS[key_node.tag.removeprefix(_YAML)](key))
                child = (*path, key)
                if child not in lines:  # a later duplicate never reaches the data
                    lines[child] = key_node.start_mark.line + 1
                    stack.append((value_node, child))
        elif isinstance(node, SequenceNode):
            for i, item in enumerate(node.value):
                lines[(*path, i)] = item.start_mark.line + 1
                stack.append((item, (*path, i)))
    return lines


class _Unreadable(ValueError):
    """A scalar that is not what its tag says, with the reason worth telling the author."""


def _int(text: str) -> int:
    digits = text.replace("_", "")
    sign = -1 if digits.startswith("-") else 1
    digits = digits.lstrip("+-")
    base = _INT_BASES.get(digits[:2].lower(), 10)
    if base != 10:
        digits = digits[2:]
    if len(digits) > 100:
        raise _Unreadable(f"a number of {len(digits):,} digits")
    return sign * int(digits, base)


def _bool(text: str) -> bool:
    if text.lower() not in ("true", "false"):
        raise ValueError(text)
    return text.lower() == "true"


def _null(text: str) -> None:
    if text not in ("", "~", "null", "Null", "NULL"):
        raise ValueError(text)


def _float(text: str) -> float:
    special = {".inf": "inf", "+.inf": "inf", "-.inf": "-inf", ".nan": "nan"}
    return float(special.get(text.lower(), text.replace("_", "")))


def _timestamp(text: str) -> datetime.date:
    if len(text) <= 10:
        return datetime.date.fromisoformat("-".join(part.zfill(2) for part in text.split("-")))
    return datetime.datetime.fromisoformat(text)


_SCALARS: dict[str, Callable[[str], Any]] = {
    "str": str, "int": _int, "float": _float, "bool": _bool, "null": _null,
    "timestamp": _timestamp,
}
_TAG_NAMES = {"str": "text", "int": "a whole number", "float": "a number",
              "bool": "true or false", "null": "an empty value (~)", "timestamp": "a date"}


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
