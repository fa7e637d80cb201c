"""The case builder: a form over :class:`~dystonia_teach.casefiles.draft.CaseDraft` for
instructors who do not write YAML.

The form is generated from the case model
(:func:`~dystonia_teach.casefiles.authoring.field_docs`), so it cannot drift from the file
format. Every change is written into the draft and validated at once; each problem appears
beside its field, the preview shows the learner-facing vignette and the derived recommended
pathway, and Save writes a valid file only. Tests drive it headless: set
``builder.controls[field].widget.value`` and call ``builder.save_button.click()``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

import yaml
from ipywidgets import (
    HTML,
    Button,
    Checkbox,
    Dropdown,
    HBox,
    Layout,
    SelectMultiple,
    Text,
    Textarea,
    VBox,
    Widget,
)

from dystonia_teach.casefiles.authoring import FieldDoc, field_docs
from dystonia_teach.casefiles.draft import CaseDraft
from dystonia_teach.casefiles.locate import case_dirs
from dystonia_teach.core.engine import recommended_pathway
from dystonia_teach.core.errors import Issue
from dystonia_teach.core.knowledge import knowledge
from dystonia_teach.render.html import PALETTE, case_html, pathway_html
from dystonia_teach.widgets._errors import ErrorArea
from dystonia_teach.widgets._keyboard import KeyboardGuard

CHOOSE = "— choose —"
FIXED_FIELDS = ("schema_version", "visits")  # not edited in the form (visits: in YAML)
LONG_TEXT = ("stages.", "teaching_notes", ".report")
#: List fields whose items may carry details, typed as YAML lines (with the placeholder shown).
_YAML_LISTS = {"conditions": "one a line, e.g.\n- falls_history\n- {name: ckd, stage: 4}\n"
                             "- {name: anticoagulant, drug: warfarin}"}
_LABEL = {"description_width": "initial"}
_WIDTH = Layout(width="98%")


@dataclass
class FieldControl:
    """One form control, its field path, its message area and how to read its value."""

    doc: FieldDoc
    widget: Widget
    message: HTML
    read: Callable[[], Any]

    @property
    def path(self) -> str:
        return self.doc.path


def _label(doc: FieldDoc) -> str:
    name = doc.path.rsplit(".", 1)[-1].replace("_", " ")
    return name if doc.required else f"{name} (optional)"


def _number(text: str) -> Any:
    """Parse a typed number; text that is not a number is kept for the validator to report."""
    text = text.strip()
    if not text:
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def _options(doc: FieldDoc) -> list[tuple[str, str]]:
    kb = knowledge()
    if doc.path == "course.conservative_care":
        return [(f"{step.label} ({step.id})", step.id) for step in kb.steps.values()
                if step.phase == "conservative"]
    if doc.path == "evidence":
        return [(f"{claim_id} (level {claim.level})", claim_id)
                for claim_id, claim in kb.claims.items()]
    return [(value.replace("_", " "), value) for value in doc.allowed]


def _with_unknown(options: list[tuple[str, Any]], values: list[Any]) -> list[tuple[str, Any]]:
    """Keep values the form does not know (a misspelt id in an opened file) as visible options,
    so nothing is lost and the validator can name them."""
    known = {value for _, value in options}
    return options + [(f"⚠ unknown: {value}", value) for value in values
                      if value not in known and value not in (None, "")]


def _yaml_lines(value: Any) -> str:
    """A list whose items may be mappings, one flow item a line: ``- {name: ckd, stage: 4}``."""
    if not isinstance(value, list):
        return ""
    return "\n".join("- " + _flow(item) for item in value)


def _flow(item: Any) -> str:
    if isinstance(item, dict):
        return "{" + ", ".join(f"{key}: {_flow(val)}" for key, val in item.items()) + "}"
    return str(item)


def _parse_yaml_lines(text: str) -> Any:
    """The typed list; text that is not a YAML list is kept for the validator to report."""
    if not text.strip():
        return []
    try:
        parsed = yaml.load(text, Loader=yaml.CSafeLoader)
    except yaml.YAMLError:
        return text
    return parsed if isinstance(parsed, list) else text


def make_control(doc: FieldDoc, value: Any) -> FieldControl:
    """The widget for one field, showing ``value`` (the draft's current value)."""
    tooltip = doc.description or _label(doc)
    common: dict[str, Any] = {"description": _label(doc), "style": _LABEL, "tooltip": tooltip}
    widget: Widget
    if doc.kind == "true or false":
        options: list[tuple[str, Any]] = [("yes", True), ("no", False)]
        if doc.required:
            options.insert(0, (CHOOSE, None))
        shown = value if isinstance(value, bool) else (None if doc.required else doc.default)
        widget = Dropdown(options=options, value=shown, **common)
        read: Callable[[], Any] = lambda: widget.value  # noqa: E731
    elif doc.is_list and doc.path in _YAML_LISTS:
        widget = Textarea(value=_yaml_lines(value), continuous_update=False, rows=4,
                          placeholder=_YAML_LISTS[doc.path], layout=_WIDTH, **common)
        read = lambda: _parse_yaml_lines(widget.value)  # noqa: E731
    elif doc.is_list:
        values = list(value) if isinstance(value, list) else []
        options = _with_unknown(_options(doc), values)
        widget = SelectMultiple(options=options, value=tuple(values),
                                rows=min(len(options), 8), layout=_WIDTH, **common)
        read = lambda: list(widget.value)  # noqa: E731
    elif doc.allowed:
        options = _with_unknown([(CHOOSE, None), *_options(doc)], [value])
        shown = value if value in {v for _, v in options} else None
        widget = Dropdown(options=options, value=shown, **common)
        read = lambda: widget.value  # noqa: E731
    elif doc.kind in ("number", "whole number"):
        widget = Text(value="" if value is None else str(value), continuous_update=False,
                      placeholder=doc.limits, **common)
        read = lambda: _number(widget.value)  # noqa: E731
    else:
        long = any(marker in doc.path for marker in LONG_TEXT)
        box = Textarea if long else Text
        widget = box(value="" if value is None else str(value), continuous_update=False,
                     placeholder=doc.description, layout=_WIDTH,
                     **({"rows": 4} if long else {}), **common)
        read = lambda: widget.value.strip()  # noqa: E731
    return FieldControl(doc, widget, HTML(), read)


def issue_html(issues: list[Issue]) -> str:
    """Problems beside a field: symbol and text, not only colour."""
    if not issues:
        return ""
    items = "".join(f"<li>{escape(issue.message)}"
                    + (f" <i>({escape(issue.hint)})</i>" if issue.hint else "")
                    + f" <small>[{escape(issue.code)}"
                    + (f", line {issue.line}" if issue.line else "") + "]</small></li>"
                    for issue in issues)
    return (f'<div role="alert" style="border-left:4px solid {PALETTE["critical"]};'
            f'padding-left:6px;margin:0 0 6px 0"><b>⚠ Fix:</b><ul style="margin:0">{items}'
            "</ul></div>")


def _where(path: Path) -> str:
    """The case file as its folder and name ("cases/my_case.yaml"): the same text wherever the
    notebook runs, so a saved output matches a fresh run in any checkout."""
    return f"{path.parent.name}/{path.name}"

class CaseBuilder(VBox):
    """A form for one case file: fields with live validation, a preview, and Save."""

    def __init__(self, draft: CaseDraft) -> None:
        super().__init__(layout=Layout(width="100%"), _dom_classes=("dt-root",))
        self.draft = draft
        self.controls: dict[str, FieldControl] = {}
        self.sections: dict[str, Checkbox] = {}
        self.errors = ErrorArea()
        self.problems = HTML()
        self.preview = HTML()
        self.status = HTML()
        self.save_button = Button(description="Save case file", icon="save",
                                  button_style="primary",
                                  tooltip=f"Write {_where(draft.path)} (only when valid)")
        guard = self.errors.guard
        self.save_button.on_click(guard(self._on_save))

        form: list[Widget] = []
        for doc in field_docs():
            if doc.path in FIXED_FIELDS:
                continue
            if doc.is_section:
                form.append(HTML(f"<h4>{escape(doc.path.replace('_', ' '))}</h4>"))
                if doc.nullable:
                    included = Checkbox(value=draft.get(doc.path) is not None, indent=False,
                                        description=f"This patient has a result for "
                                                    f"{doc.path.rsplit('.', 1)[-1]}")
                    included.observe(guard(self._on_section), names="value")
                    self.sections[doc.path] = included
                    form.append(included)
                continue
            control = make_control(doc, draft.get(doc.path))
            control.widget.observe(guard(lambda _c, c=control: self._on_field(c)), names="value")
            self.controls[doc.path] = control
            form += [control.widget, control.message]
        self._enable_sections()
        self.children = (
            KeyboardGuard(),
            HTML(f"<h3>Case builder: {escape(_where(draft.path))}</h3>"),
            self.problems,
            HBox([VBox(form, layout=Layout(flex="1 1 55%")),
                  VBox([HTML("<h4>Preview</h4>"), self.preview], layout=Layout(flex="1 1 45%"))],
                 layout=Layout(flex_flow="row wrap")),
            self.save_button, self.status, self.errors)
        self.refresh()

    @classmethod
    def new_case(cls, case_id: str, folder: Path | str | None = None) -> CaseBuilder:
        """A builder for a new case, to be saved as ``<folder>/<case_id>.yaml`` (default: the
        first case folder: ``DYSTONIA_TEACH_CASES`` or the course's ``cases/``)."""
        folder = folder if folder is not None else case_dirs()[0]
        return cls(CaseDraft.new(case_id, folder, results=False))

    @classmethod
    def from_file(cls, path_or_id: Path | str) -> CaseBuilder:
        """A builder editing an existing case file (by path or id)."""
        return cls(CaseDraft.open(path_or_id))

    def __repr__(self) -> str:  # the text/plain a notebook saves: short and deterministic
        return f"CaseBuilder(path={_where(self.draft.path)!r})"

    def summary(self) -> str:
        """Deterministic text: the file and every problem left (for notebooks and tests)."""
        report, where = self.draft.validate(), _where(self.draft.path)
        if report.ok:
            return f"{where}: no problems; ready to save."
        lines = [f"{where}: {len(report.issues)} problem(s) to fix:"]
        lines += [f"  {issue.field or '<file>'}: {issue.code}: {issue.message}"
                  for issue in report.issues]
        return "\n".join(lines)

    # -- handlers ------------------------------------------------------------------------------

    def _on_field(self, control: FieldControl) -> None:
        section = self._section_of(control.path)
        if section is not None and not self.sections[section].value:
            return
        self.draft.set(control.path, control.read())
        self.status.value = ""
        self.refresh()

    def _on_section(self, _change: dict[str, Any]) -> None:
        for section, included in self.sections.items():
            if not included.value:
                self.draft.remove(section)
            elif self.draft.get(section) is None:
                for path, control in self.controls.items():
                    if path.startswith(section + ".") and (control.doc.required
                                                           or control.read() not in (None, "")):
                        self.draft.set(path, control.read())
        self._enable_sections()
        self.refresh()

    def _on_save(self, _button: Button) -> None:
        report = self.draft.validate()
        if not report.ok:
            raise ValueError(f"not saved: {len(report.issues)} problem(s) left; fix the "
                             f"fields marked ⚠ (the file on disk is unchanged)")
        path = escape(_where(self.draft.save()))
        self.status.value = (f'<div role="status" aria-live="polite">✔ Saved {path}. Check it '
                             f"any time with <code>dystonia-teach validate {path}</code>.</div>")

    # -- rendering -----------------------------------------------------------------------------

    def _section_of(self, path: str) -> str | None:
        return next((s for s in self.sections if path.startswith(s + ".")), None)

    def _enable_sections(self) -> None:
        for path, control in self.controls.items():
            section = self._section_of(path)
            control.widget.disabled = section is not None and not self.sections[section].value

    def _owner(self, issue: Issue) -> str | None:
        """The control whose field holds (or contains) the issue's field."""
        owners = [p for p in self.controls if issue.field == p or issue.field.startswith(p + ".")]
        return max(owners, key=len) if owners else None

    def refresh(self) -> None:
        """Validate the draft and show every problem beside its field, and the preview."""
        report = self.draft.validate()
        placed: dict[str, list[Issue]] = {path: [] for path in self.controls}
        general: list[Issue] = []
        for issue in report.issues:
            owner = self._owner(issue)
            (placed[owner] if owner else general).append(issue)
        for path, control in self.controls.items():
            control.message.value = issue_html(placed[path])
        if report.ok:
            self.problems.value = "<p><b>✔ No problems:</b> the case is ready to save.</p>"
        else:
            self.problems.value = (f"<p><b>⚠ {len(report.issues)} problem(s) to fix</b>, each "
                                   "shown beside its field.</p>" + issue_html(general))
        case = report.case
        if case is None:
            self.preview.value = "<p><i>The preview appears once the case has no problems.</i></p>"
            return
        self.preview.value = (case_html(case, examination=True, debrief=True)
                              + "<h4>Recommended pathway (derived from the facts)</h4>"
                              + pathway_html(recommended_pathway(case)))


def case_builder(case: Path | str | None = None, *, new_id: str | None = None,
                 folder: Path | str | None = None) -> CaseBuilder:
    """Open ``case`` (a path or id) in the builder, or start a new case ``new_id``."""
    if (case is None) == (new_id is None):
        raise ValueError("give either a case to edit or new_id for a new case")
    return (CaseBuilder.from_file(case) if case is not None
            else CaseBuilder.new_case(str(new_id), folder))
