"""Keeping a learning record store (LRS) in step with the class, re-grades included.

xAPI statements are immutable: a re-graded attempt gets a new statement (its id follows from
its content), which names the statement it replaces, and the old one is voided (verb
``voided``, object a ``StatementRef``; xAPI 1.0.3 Data 2.3.2). An attempt removed from the
store (quarantined or deleted) has its statement voided too. The ledger
(``course.xapi_ledger``) remembers what the LRS acknowledged, so a run sends only what changed:
running it again sends nothing. The order keeps the LRS whole at every step: new statements
first, then the voiding statements of those they replaced.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from dystonia_teach.course.lrs import lrs_target, post_statements
from dystonia_teach.course.xapi import Statement, replacing, voiding
from dystonia_teach.course.xapi_ledger import Acknowledged, Stored, XapiLedger


@dataclass(frozen=True)
class SyncPlan:
    """What one run sends: ``fresh`` statements (new attempts), ``replacing`` ones (re-graded
    attempts, with the id each replaces), the ``withdrawn`` slots (attempts gone from the
    store) and the statements already stored as they are (``unchanged``)."""

    fresh: list[Statement]
    replacing: list[tuple[Statement, str]]
    withdrawn: list[str]
    unchanged: int
    to_void: int  # voiding statements left over from an interrupted run

    @property
    def voids(self) -> int:
        return len(self.replacing) + len(self.withdrawn) + self.to_void


def plan_sync(made: Sequence[Statement], stored: dict[str, Stored],
              to_void: Sequence[str] = ()) -> SyncPlan:
    """Compare the statements of the class with what the LRS holds (the ledger's view)."""
    fresh, changed, unchanged = [], [], 0
    for statement in made:
        held = stored.get(statement.slot)
        if held is None:
            fresh.append(statement)
        elif held.content_id == statement.id:
            unchanged += 1
        else:
            changed.append((statement, held.statement_id))
    current = {s.slot for s in made}
    withdrawn = [slot for slot in stored if slot not in current]
    return SyncPlan(fresh, changed, withdrawn, unchanged, len(to_void))


@dataclass(frozen=True)
class SyncReport:
    """What a run did (or, with ``dry_run``, would do) at ``url``."""

    url: str
    plan: SyncPlan
    dry_run: bool = False

    def lines(self) -> list[str]:
        plan, would = self.plan, "would send" if self.dry_run else "sent"
        left = "was" if plan.unchanged == 1 else "were"
        return [f"{would} {_count(len(plan.fresh) + len(plan.replacing), 'new statement')} to "
                f"{self.url} ({len(plan.replacing)} of them replacing statements of re-graded "
                f"attempts) and {_count(plan.voids, 'voiding statement')} "
                f"({len(plan.withdrawn)} for attempts no longer in the store); "
                f"{_count(plan.unchanged, 'statement')} already stored {left} left as they are"]


def _count(n: int, what: str) -> str:
    return f"{n} {what}{'' if n == 1 else 's'}"


def sync_statements(made: Sequence[Statement], endpoint: str, ledger: XapiLedger,
                    homepage: str, *, dry_run: bool = False,
                    **post_options: Any) -> SyncReport:
    """Bring the LRS at ``endpoint`` in step with ``made`` (the class's statements, made with
    ``homepage``); ``post_options`` go to :func:`course.lrs.post_statements`.

    Raises LrsError if the LRS refuses or cannot be reached; what it acknowledged before is in
    the ledger, so the same call later sends only the rest.
    """
    url = lrs_target(endpoint)[0]
    plan = plan_sync(made, ledger.stored(url), ledger.to_void(url))
    report = SyncReport(url, plan, dry_run)
    if dry_run:
        return report
    outgoing = {s.id: Acknowledged(s.slot, s.id, s.id) for s in plan.fresh}
    new = [s.body for s in plan.fresh]
    for statement, previous in plan.replacing:
        replacement = replacing(statement, previous, homepage)
        outgoing[replacement.id] = Acknowledged(statement.slot, statement.id, replacement.id,
                                                previous)
        new.append(replacement.body)

    def remember(batch: list[dict[str, Any]]) -> None:
        ledger.acknowledge(url, (outgoing[s["id"]] for s in batch))

    post_statements(new, endpoint, on_stored=remember, **post_options)
    ledger.withdraw(url, plan.withdrawn)
    voids = {target: voiding(target, homepage) for target in ledger.to_void(url)}
    target_of = {void["id"]: target for target, void in voids.items()}
    post_statements(list(voids.values()), endpoint, on_stored=lambda batch: ledger.voided(
        url, (target_of[s["id"]] for s in batch)), **post_options)
    return report
