"""Read YAML case files safely, keeping line numbers and reporting every problem as an Issue.

Case files are plain data: tags (``!!python/object``) and anchors/aliases (the "billion laughs"
alias bomb) are refused before anything is constructed; duplicate keys, tabs, binary and huge
files are reported with their line.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.scanner import ScannerError

from dystonia_teach.core.errors import Issue

MAX_BYTES = 256 * 1024
MAX_DEPTH = 32  # case files nest four levels; deeper input would exhaust Python's recursion
_PLAIN_TAGS = {
    "tag:yaml.org,2002:" + name
    for name in ("str", "int", "float", "bool", "null", "map", "seq", "timestamp")
}


@dataclass
class YamlDocument:
    """A parsed YAML mapping plus the issues met while reading it."""

    file: str
    data: Any = None
    issues: list[Issue] = field(default_factory=list)

    def line_of(self, path: Sequence[str | int]) -> int | None:
        """1-based line of the deepest existing node on ``path`` (a dotted field's parts)."""
        return line_of(self.data, path)

    def issue(self, path: Sequence[str | int], code: str, message: str, hint: str = "") -> Issue:
        """Build an Issue located at ``path`` in this document."""
        dotted = ".".join(str(p) for p in path)
        return Issue(self.file, self.line_of(path), dotted, code, message, hint)


def line_of(data: Any, path: Sequence[str | int]) -> int | None:
    """1-based line of ``path`` inside round-trip loaded ``data`` (nearest existing parent)."""
    line: int | None = None
    node = data
    for part in path:
        try:
            if isinstance(node, CommentedMap) and part in node:
                line = node.lc.key(part)[0] + 1
                node = node[part]
            elif isinstance(node, CommentedSeq) and isinstance(part, int) and part < len(node):
                line = node.lc.item(part)[0] + 1
                node = node[part]
            else:
                break
        except (KeyError, IndexError, TypeError, AttributeError):
            break
    if line is None and isinstance(data, CommentedMap) and data.lc.line is not None:
        line = data.lc.line + 1
    return line


def round_trip_yaml() -> YAML:
    """The YAML instance used for reading and writing case files (keeps comments and order)."""
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 100
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def read_yaml_text(text: str, file: str) -> YamlDocument:
    """Parse ``text``; structural problems become issues and ``data`` stays None."""
    doc = YamlDocument(file)
    tab_lines = [
        n
        for n, line in enumerate(text.splitlines(), 1)
        if "\t" in line[: len(line) - len(line.lstrip())]
    ]
    for n in tab_lines:
        doc.issues.append(Issue(file, n, "", "tab_indent", "tab used for indentation",
                                "indent with spaces (two per level)"))
    if tab_lines:
        return doc
    yaml = round_trip_yaml()
    try:
        root = yaml.compose(io.StringIO(text))
    except MarkedYAMLError as err:
        doc.issues.append(_syntax_issue(err, file))
        return doc
    except YAMLError as err:
        doc.issues.append(Issue(file, None, "", "yaml_syntax", _first_line(str(err))))
        return doc
    except RecursionError:
        doc.issues.append(Issue(file, None, "", "yaml_syntax", "the YAML is nested too deeply",
                                f"case files nest at most {MAX_DEPTH} levels"))
        return doc
    if root is None:
        doc.issues.append(Issue(file, None, "", "empty_file", "the file holds no data",
                                "start from `dystonia-teach new-case ID`"))
        return doc
    doc.issues.extend(_structure_issues(root, file))
    if doc.issues:
        return doc
    if not isinstance(root, MappingNode):
        doc.issues.append(Issue(file, root.start_mark.line + 1, "", "not_a_mapping",
                                "the top level must be a mapping of `field: value` lines"))
        return doc
    doc.data = yaml.load(io.StringIO(text))
    return doc


def read_yaml_file(path: Path) -> YamlDocument:
    """Read and parse a case file from disk, never raising for bad content."""
    file = str(path)
    try:
        raw = path.read_bytes()
    except OSError as err:
        return YamlDocument(file, issues=[Issue(file, None, "", "binary_file",
                                                f"cannot read the file: {err.strerror}")])
    if len(raw) > MAX_BYTES:
        return YamlDocument(file, issues=[Issue(
            file, None, "", "file_too_large",
            f"{len(raw):,} bytes; a case file may hold at most {MAX_BYTES:,}",
            "split long teaching notes or remove pasted material")])
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


def _structure_issues(root: Node, file: str) -> list[Issue]:
    """Tags, anchors/aliases and duplicate keys, found by walking the composed node graph."""
    issues: list[Issue] = []
    seen: set[int] = set()
    stack: list[tuple[Node, str, int]] = [(root, "", 0)]
    while stack:
        node, path, depth = stack.pop()
        line = node.start_mark.line + 1
        if id(node) in seen:  # an alias: its anchor is reported once, where it is defined
            continue
        seen.add(id(node))
        if depth > MAX_DEPTH:
            issues.append(Issue(file, line, path, "yaml_syntax", "the YAML is nested too deeply",
                                f"case files nest at most {MAX_DEPTH} levels"))
            break
        if getattr(node, "anchor", None):
            issues.append(Issue(file, line, path, "yaml_alias",
                                f"an anchor (&{node.anchor}) is used", "write values out in full"))
        if node.tag not in _PLAIN_TAGS:
            issues.append(Issue(
                file, line, path, "yaml_tag", f"the tag {node.tag!r} is not allowed",
                "remove the tag; case files hold plain text, numbers and lists"))
            continue
        children: list[tuple[Node, str, int]] = []
        if isinstance(node, MappingNode):
            keys: set[str] = set()
            for key_node, value_node in node.value:
                key = key_node.value if isinstance(key_node, ScalarNode) else "?"
                child = f"{path}.{key}" if path else str(key)
                if key in keys:
                    issues.append(Issue(file, key_node.start_mark.line + 1, child, "duplicate_key",
                                        f"the key {key!r} appears more than once here",
                                        "keep one of them"))
                keys.add(key)
                children += [(key_node, child, depth + 1), (value_node, child, depth + 1)]
        elif isinstance(node, SequenceNode):
            children = [(item, f"{path}.{i}" if path else str(i), depth + 1)
                        for i, item in enumerate(node.value)]
        stack.extend(reversed(children))  # document order: an anchor is met before its aliases
    return sorted(issues, key=lambda issue: (issue.line or 0, issue.code))


def _syntax_issue(err: MarkedYAMLError, file: str) -> Issue:
    """A yaml_syntax issue on the line the author must fix.

    A scanner error, or an unclosed flow ``[``/``{``, is located where the bad token starts (an
    unclosed quote is reported where it opens, not at the end of the file); other parser errors
    where the parser stopped.
    """
    problem, context = err.problem_mark, err.context_mark
    use_context = context is not None and (
        isinstance(err, ScannerError) or "flow" in (err.context or ""))
    mark = context if use_context else problem or context
    hint = _first_line(err.context or "")
    if use_context and problem is not None and problem.line != context.line:
        hint = f"{hint}; noticed on line {problem.line + 1}"
    return Issue(file, mark.line + 1 if mark else None, "", "yaml_syntax",
                 _first_line(err.problem or str(err)), hint)


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""
