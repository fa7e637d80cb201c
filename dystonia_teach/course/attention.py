"""The "rows needing attention" section every reading tool prints: the stored rows it skipped
because they cannot be read, and how an instructor moves them aside."""

from __future__ import annotations

from collections.abc import Sequence

from dystonia_teach.store.base import RowProblem

HEADING = "Rows needing attention"
QUARANTINE_COMMAND = "dystonia-teach store quarantine --store URL ATTEMPT_ID"


def attention_text(problems: Sequence[RowProblem], left_out_of: str = "this report") -> str:
    """The section as text ("" when no row was skipped)."""
    if not problems:
        return ""
    lines = [f"{HEADING}: {len(problems)} stored row{'s' if len(problems) > 1 else ''} cannot "
             f"be read and {'were' if len(problems) > 1 else 'was'} left out of {left_out_of}:"]
    lines += [f"- {problem.line()}" for problem in problems]
    lines.append(f"Move such an attempt aside (kept in the quarantine table) with "
                 f"`{QUARANTINE_COMMAND}` (add --delete to drop it).")
    return "\n".join(lines)
