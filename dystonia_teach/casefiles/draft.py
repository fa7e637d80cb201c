"""A case file being edited as data: the core of the case builder (no Jupyter code).

The draft keeps ruamel's round-trip data, so editing an existing file keeps its comments, key
order and the style of untouched values. Values are set by dotted field path
(``dystonia.postures``); every change can be validated at once, and :meth:`CaseDraft.save`
writes only a valid case, atomically, so a failed save never damages the file on disk.
"""

from __future__ import annotations

import io
import os
import tempfile
import textwrap
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import FoldedScalarString

from dystonia_teach.casefiles.authoring import case_id_problem, scaffold
from dystonia_teach.casefiles.loader import CaseReport, case_path, validate_text
from dystonia_teach.casefiles.yamlio import (
    YamlDocument,
    read_yaml_file,
    read_yaml_text,
    round_trip_yaml,
)
from dystonia_teach.core.errors import CaseInvalidError, Issue

#: Text longer than this is written as a folded block (``>-``), wrapped for reading.
FOLD_OVER = 72
WRAP_AT = 88
UNWRAPPED = 1_000_000


class CaseDraft:
    """Editable case data bound to the file it will be saved to."""

    def __init__(self, data: CommentedMap, path: Path) -> None:
        self.data = data
        self.path = path
        self._report: CaseReport | None = None

    @classmethod
    def new(cls, case_id: str, folder: Path | str, *, results: bool = True) -> CaseDraft:
        """A draft from the commented scaffold, to be saved as ``folder/<case_id>.yaml``
        (without the optional investigation results when ``results`` is false)."""
        problem = case_id_problem(case_id)
        if problem:
            raise ValueError(problem)
        path = Path(folder) / f"{case_id}.yaml"
        if path.exists():
            raise FileExistsError(f"{shown(path)} already exists: open it to edit it, or "
                                  "choose another id")
        return cls(_round_trip(read_yaml_text(scaffold(case_id, str(path), results=results),
                                              str(path))), path)

    @classmethod
    def open(cls, path_or_id: Path | str) -> CaseDraft:
        """A draft of an existing case file (by path or id); a file that is not readable YAML
        raises :class:`CaseInvalidError` (fix it as text first: the form cannot show it)."""
        path = case_path(path_or_id)
        return cls(_round_trip(read_yaml_file(path)), path)

    # --- reading and changing values ---------------------------------------------------------

    def get(self, field: str, default: Any = None) -> Any:
        """The value at a dotted ``field``, or ``default`` when it (or a parent) is absent."""
        node: Any = self.data
        for part in field.split("."):
            if not isinstance(node, dict) or part not in node:
                return default
            node = node[part]
        return node

    def set(self, field: str, value: Any) -> None:
        """Set a dotted ``field``, creating parent sections; lists keep their flow style and
        long text becomes a wrapped folded block."""
        *parents, name = field.split(".")
        node = self.data
        for part in parents:
            if not isinstance(node.get(part), dict):
                node[part] = CommentedMap()
            node = node[part]
            node.fa.set_block_style()  # an empty `{}` section becomes indented lines
        node[name] = _yaml_value(node.get(name), value)
        self._report = None

    def remove(self, field: str) -> None:
        """Remove a dotted ``field`` (an optional value or a whole optional section).

        Comments written inside the removed section go with it."""
        *parents, name = field.split(".")
        parent = self.get(".".join(parents)) if parents else self.data
        if not isinstance(parent, CommentedMap) or name not in parent:
            return
        del parent[name]
        parent.ca.items.pop(name, None)
        if not parent and parents:  # a comment left above an emptied `{}` would break the file
            parent.ca.comment = None
            grandparent = self.get(".".join(parents[:-1])) if parents[:-1] else self.data
            grandparent.ca.items.pop(parents[-1], None)
        self._report = None

    # --- text, validation and saving ---------------------------------------------------------

    @property
    def case_id(self) -> str:
        return str(self.get("id") or "")

    def text(self) -> str:
        """The case file as it would be saved."""
        out = io.StringIO()
        yaml = round_trip_yaml()
        yaml.width = UNWRAPPED  # untouched long lines stay as written
        yaml.representer.add_representer(type(None), _tilde)
        yaml.dump(self.data, out)
        return out.getvalue()

    def validate(self) -> CaseReport:
        """Validate the current values (cached until the next change)."""
        if self._report is None:
            self._report = validate_text(self.text(), str(self.path), self.path.stem)
        return self._report

    def save(self) -> Path:
        """Write the file if the case is valid (atomically); otherwise raise
        :class:`CaseInvalidError` listing every problem, leaving the file untouched."""
        report = self.validate()
        if not report.ok:
            raise CaseInvalidError(self.path, report.issues)
        text = self.text()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(text)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return self.path


def shown(path: Path) -> str:
    """``path`` relative to the working folder (stable across checkouts), else absolute."""
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)


def _round_trip(doc: YamlDocument) -> CommentedMap:
    """The document's text as ruamel round-trip data (comments kept), once the fast reader
    found no problem in it; raises :class:`CaseInvalidError` otherwise."""
    if not doc.issues:
        try:
            return round_trip_yaml().load(doc.text)
        except YAMLError as err:  # a YAML 1.2 parser may refuse what libyaml read
            doc.issues.append(Issue(doc.file, None, "", "yaml_syntax", str(err).splitlines()[0]))
    raise CaseInvalidError(doc.file, doc.issues)


def _tilde(representer: Any, _value: None) -> Any:
    """Write null as ``~``, as the scaffold and the authoring guide do."""
    return representer.represent_scalar("tag:yaml.org,2002:null", "~")


def _yaml_value(old: Any, value: Any) -> Any:
    """The value to store; an unchanged value keeps its old node (and so its style)."""
    if isinstance(old, list) and isinstance(value, list | tuple) and list(old) == list(value):
        return old
    if isinstance(old, str) and isinstance(value, str) and " ".join(old.split()) == " ".join(
            value.split()):
        return old
    if isinstance(value, list | tuple):
        seq = old if isinstance(old, CommentedSeq) else CommentedSeq()
        if not seq:  # identifiers read best on one line: [a, b]; a written list keeps its style
            seq.fa.set_flow_style()
        seq[:] = list(value)
        return seq
    if isinstance(value, str):
        text = " ".join(value.split()) if "\n" not in value.strip() else value.strip()
        if len(text) > FOLD_OVER and "\n" not in text:
            return folded(text)
        return text
    return value


def folded(text: str, width: int = WRAP_AT) -> FoldedScalarString:
    """``text`` as a ``>-`` block wrapped at ``width`` (the folds read back as spaces)."""
    block = FoldedScalarString(text)
    positions, column = [], 0
    for line in textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False):
        column += len(line)
        if column < len(text):
            positions.append(column)
        column += 1  # the space the fold replaces
    block.fold_pos = positions  # type: ignore[attr-defined]
    return block
