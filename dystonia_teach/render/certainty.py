"""Certainty-based marks and calibration, as text and HTML (escaped, deterministic).

After a submission, :func:`marks_html` lists each response given a certainty, right or wrong
and its mark, apart from the score; across attempts, :func:`calibration_html` shows how often
the learner was right at each certainty level against the chance at which that level pays::

    marks_text(report.certainty)            # or marks_html(report.certainty)
    calibration_text(calibration(records))  # or calibration_html(...)
"""

from __future__ import annotations

from html import escape

from dystonia_teach.core.calibration import Calibration, LevelRecord
from dystonia_teach.core.certainty import KINDS, LEVELS, PAYS_ABOVE, CertaintyMarks

#: The scheme and its source, said wherever marks are shown.
SCHEME = ("Certainty-based marking (Gardner-Medwin; as in Moodle): right answers score +1, +2 "
          "or +3 at low, medium or high certainty; wrong ones 0, −2 or −6. It does not change "
          "your score.")
LEVEL_NAMES = {"low": "low (1)", "medium": "medium (2)", "high": "high (3)"}


def _signed(mark: float) -> str:
    return f"{mark:+.0f}".replace("-", "−") if mark == int(mark) else (
        f"{mark:+.2f}".replace("-", "−"))


def pays_text(certainty: str) -> str:
    """When ``certainty`` pays best on average, in words ("right 67% to 80% of the time")."""
    i = LEVELS.index(certainty)
    low = round(100 * PAYS_ABOVE[certainty])
    if i == len(LEVELS) - 1:
        return f"right more than {low}% of the time"
    high = round(100 * PAYS_ABOVE[LEVELS[i + 1]])
    return (f"right less than {high}% of the time" if not i else
            f"right {low}% to {high}% of the time")


def marks_lines(marks: CertaintyMarks) -> list[str]:
    """One line per marked response, then the total."""
    lines = [f"{r.label} ({KINDS[r.kind]}?): {r.certainty} certainty, "
             f"{'right' if r.right else 'wrong'} — {r.why}: {_signed(r.mark)}"
             for r in marks.responses]
    n = len(marks.responses)
    lines.append(f"Total: {_signed(marks.total)} of a possible {_signed(marks.maximum)} "
                 f"({n} {'response' if n == 1 else 'responses'} with a certainty).")
    return lines


def marks_text(marks: CertaintyMarks) -> str:
    if not marks.responses:
        return "No certainty said: certainty-based marks need a low, medium or high beside a " \
               "diagnosis, test or step."
    return "\n".join(["Certainty-based marks", *(f"  - {line}" for line in marks_lines(marks)),
                      SCHEME])


def marks_html(marks: CertaintyMarks, *, level: int = 5) -> str:
    """The marks as a table (nothing when no certainty was said)."""
    if not marks.responses:
        return ""
    rows = "".join(
        f"<tr><th scope=\"row\">{escape(r.label)}</th><td>{escape(KINDS[r.kind])}?</td>"
        f"<td>{escape(r.certainty)}</td><td>{'right' if r.right else 'wrong'}: "
        f"{escape(r.why)}</td><td>{escape(_signed(r.mark))}</td></tr>"
        for r in marks.responses)
    return (f'<div class="dt-certainty" role="region" aria-label="Certainty-based marks">'
            f"<h{level}>Certainty-based marks</h{level}><table><thead><tr>"
            "<th scope=\"col\">Your answer</th><th scope=\"col\">How sure that it…</th>"
            "<th scope=\"col\">Certainty</th><th scope=\"col\">Judged</th>"
            f"<th scope=\"col\">Mark</th></tr></thead><tbody>{rows}</tbody></table>"
            f"<p><b>Total:</b> {escape(_signed(marks.total))} of a possible "
            f"{escape(_signed(marks.maximum))}.</p><p><i>{escape(SCHEME)}</i></p></div>")


def verdict_text(row: LevelRecord) -> str:
    """The level's use in a sentence ("Too sure: at 70% right, medium certainty pays more.")."""
    if not row.responses:
        return "Not used."
    if row.verdict in ("well used", "too few to judge"):
        return {"well used": "Well used.", "too few to judge": "Too few answers to judge."}[
            row.verdict]
    share = round(100 * (row.share_right or 0))
    better = LEVELS[LEVELS.index(row.certainty) + (-1 if row.verdict == "too sure" else 1)]
    return f"{row.verdict.capitalize()}: at {share}% right, {better} certainty pays more."


def _level_line(row: LevelRecord) -> str:
    name = LEVEL_NAMES[row.certainty]
    if not row.responses:
        return f"{name}: not used."
    return (f"{name}: {row.right} right of {row.responses} "
            f"({round(100 * (row.share_right or 0))}%), mean mark "
            f"{_signed(round(row.mean_mark or 0, 2))}. It pays best when you are "
            f"{pays_text(row.certainty)}. {verdict_text(row)}")


def _counted(table: Calibration) -> str:
    left = (f"; {table.resubmissions} resubmission{'s' if table.resubmissions != 1 else ''} "
            "after feedback left out" if table.resubmissions else "")
    return (f"{table.responses} answers with a certainty in {table.submissions} "
            f"submission{'s' if table.submissions != 1 else ''}{left}")


def calibration_text(table: Calibration, title: str = "Calibration across your attempts"
                     ) -> str:
    """How often the learner was right at each certainty level, as text under ``title``."""
    if not table.responses:
        return (f"{title}: no answer with a certainty yet. Say low, medium or high beside "
                "a diagnosis, test or step, submit, and the calibration appears here.")
    return "\n".join([f"{title} ({_counted(table)}):",
                      *(f"- {_level_line(row)}" for row in table.levels), SCHEME])


def calibration_html(table: Calibration, *, level: int = 4) -> str:
    """The same as a table, a region named "Your calibration"."""
    head = (f'<div class="dt-calibration" role="region" aria-label="Your calibration">'
            f"<h{level}>Your calibration</h{level}>")
    if not table.responses:
        return f"{head}<p>{escape(calibration_text(table))}</p></div>"
    rows = "".join(
        f"<tr><th scope=\"row\">{escape(LEVEL_NAMES[r.certainty])}</th><td>{r.responses}</td>"
        f"<td>{r.right}</td><td>{'' if r.share_right is None else round(100 * r.share_right)}"
        f"{'' if r.share_right is None else '%'}</td>"
        f"<td>{'' if r.mean_mark is None else escape(_signed(round(r.mean_mark, 2)))}</td>"
        f"<td>{escape(pays_text(r.certainty))}</td><td>{escape(verdict_text(r))}</td></tr>"
        for r in table.levels)
    return (f"{head}<p>Across your attempts: {escape(_counted(table))}.</p><table><thead><tr>"
            "<th scope=\"col\">Certainty</th><th scope=\"col\">Answers</th>"
            "<th scope=\"col\">Right</th><th scope=\"col\">Share right</th>"
            "<th scope=\"col\">Mean mark</th><th scope=\"col\">Pays best when</th>"
            f"<th scope=\"col\">Your use of it</th></tr></thead><tbody>{rows}</tbody></table>"
            f"<p><i>{escape(SCHEME)}</i></p></div>")
