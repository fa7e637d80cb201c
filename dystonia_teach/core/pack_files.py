"""Read one knowledge-pack file: its data, and the line of every field for located errors.

libyaml (PyYAML's ``CSafeLoader``) parses the file into nodes, which keep their lines; the data
are built from the same nodes. A pack is plain data: an alias (``*name``) or a key given twice
in one mapping is reported, as a YAML error is, with its line. ``validate`` also reads a course
pack's text as it reads a case file's (tabs, control characters, plain-words syntax errors:
:mod:`dystonia_teach.casefiles.yamlio`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from dystonia_teach.core.errors import Issue

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
FieldPath = tuple[str | int, ...]


@dataclass(frozen=True)
class PackFile:
    """One file of a pack: the name shown in messages, its data and its node tree."""

    shown: str
    data: dict[str, Any]
    root: Node | None

    def line_of(self, path: Sequence[str | int]) -> int | None:
        """The line (1-based) of the field at ``path`` (its key), or of the deepest part of it
        that exists."""
        node, line = self.root, 1
        for part in path:
            if isinstance(node, MappingNode):
                found = next(((k, v) for k, v in node.value
                              if isinstance(k, ScalarNode) and k.value == str(part)), None)
                if found is None:
                    return line
                line, node = found[0].start_mark.line + 1, found[1]
            elif isinstance(node, SequenceNode) and isinstance(part, int) and (
                    0 <= part < len(node.value)):
                node = node.value[part]
                line = node.start_mark.line + 1
            else:
                return line
        return line

    def issue(self, path: Sequence[str | int], code: str, message: str, hint: str = "") -> Issue:
        field = ".".join(str(p) for p in path)
        return Issue(self.shown, self.line_of(path), field, code, message, hint)


def read_pack_file(path: Path, shown: str) -> tuple[PackFile | None, list[Issue]]:
    """The file at ``path`` (named ``shown`` in messages), or the issues that stop reading it."""
    try:
        text = path.read_text("utf-8")
    except UnicodeDecodeError:
        return None, [Issue(shown, None, "", "binary_file", "the file is not UTF-8 text",
                            "save it as plain text (UTF-8)")]
    except OSError as err:
        return None, [Issue(shown, None, "", "unreadable_file",
                            f"cannot read the file: {err.strerror or err}")]
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        problems = _plain_data_problems(root, shown)
        data = loader.construct_document(root) if root is not None and not problems else None
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark else None
        column = mark.column + 1 if mark else None
        return None, [Issue(shown, line, "", "yaml_syntax", _one_line(err.problem or str(err)),
                            "`dystonia-teach validate` on the course folder explains it",
                            column=column)]
    except yaml.YAMLError as err:
        return None, [Issue(shown, None, "", "yaml_syntax", _one_line(str(err)))]
    finally:
        loader.dispose()
    if problems:
        return None, problems
    if data is None:
        return None, [Issue(shown, None, "", "empty_file", "the file holds no knowledge",
                            "start from docs/examples/peroneal/knowledge/peroneal.yaml")]
    if not isinstance(data, dict):
        return None, [Issue(shown, 1, "", "not_a_mapping",
                            "the top level must be sections such as `steps:` or `diagnoses:`")]
    return PackFile(shown, data, root), []


def _plain_data_problems(root: Node | None, shown: str) -> list[Issue]:
    """Aliases (a node met twice) and keys given twice in one mapping, each with its line."""
    problems: list[Issue] = []
    seen: set[int] = set()
    stack: list[Node] = [root] if root is not None else []
    while stack:
        node = stack.pop()
        if id(node) in seen:
            problems.append(Issue(shown, node.start_mark.line + 1, "", "yaml_alias",
                                  "an anchor or alias (&name, *name) is used",
                                  "write the value out in full each time"))
            continue
        seen.add(id(node))
        if isinstance(node, MappingNode):
            keys: dict[str, int] = {}
            for key, value in node.value:
                line = key.start_mark.line + 1
                if isinstance(key, ScalarNode) and key.value in keys:
                    problems.append(Issue(
                        shown, line, key.value, "duplicate_key",
                        f"{key.value!r} is given twice, on lines {keys[key.value]} and {line}",
                        "keep one of them"))
                elif isinstance(key, ScalarNode):
                    keys[key.value] = line
                stack.append(value)
        elif isinstance(node, SequenceNode):
            stack.extend(node.value)
    return sorted(problems)


def _one_line(text: str) -> str:
    return " ".join(text.split())
