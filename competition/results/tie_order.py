"""The chief judge's order of entries still tied after every other tie-break rule.

The last step of an event's tie-break chain may be the chief judge's decision
(``chief_judge``): entries of a division still equal after the total and every
earlier step share a rank until the chief judge orders them. ``still_tied``
finds those groups in the live results; ``decide_order`` records the order
(``TieBreakDecision``: position 1 first) with its reason. Before publication
that is all; while the results are on public notice the order is a correction:
the published results are recomputed and the notice starts again
(``publication.republish``). Once final, nothing changes.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from competition.audit.log import record
from competition.auth.models import User
from competition.dbtypes import utcnow
from competition.entries.models import Entry
from competition.errors import N_, DomainError
from competition.events.models import Division, Event, PanelRole
from competition.events.tenancy import panel_role
from competition.results import publishing
from competition.results.models import PublicationStatus, TieBreakDecision
from competition.results.standings import event_results

CHIEF_STEP = "chief_judge"


class TieOrderError(DomainError):
    """An order of tied entries that cannot be recorded as asked."""


@dataclass(frozen=True)
class TiedGroup:
    """Entries of one division sharing a rank after every tie-break step."""

    division: Division
    rank: int
    entries: tuple[Entry, ...]


def still_tied(session: Session, event: Event) -> list[TiedGroup]:
    """Every group of two or more ranked entries of the event sharing a rank, by division
    then rank."""
    by_rank: dict[tuple[int, int], list[int]] = defaultdict(list)
    for result in event_results(session, event.id):
        if result.rank is not None:
            by_rank[(result.division_id, result.rank)].append(result.entry_id)
    groups = {key: ids for key, ids in by_rank.items() if len(ids) > 1}
    if not groups:
        return []
    entries = {e.id: e for e in session.scalars(select(Entry).where(
        Entry.id.in_([i for ids in groups.values() for i in ids])))}
    divisions = {d.id: d for d in event.divisions}
    return [TiedGroup(divisions[division_id], rank,
                      tuple(sorted((entries[i] for i in ids),
                                   key=lambda e: (e.code or "", e.id))))
            for (division_id, rank), ids in sorted(
                groups.items(), key=lambda item: (divisions[item[0][0]].position,
                                                  item[0][0], item[0][1]))]


def decide_order(session: Session, actor: User, event: Event, ordered_entry_ids: list[int],
                 reason: str) -> TiedGroup:
    """Record the chief judge's order of one tied group (first = best), with the reason.

    Refused unless the actor is the event's chief judge, the event's tie-break chain
    ends with the chief judge's decision, the entries are exactly one group still tied,
    and the division's results are not final. After publication the results are
    republished (a correction) with the reason."""
    if panel_role(session, actor, event.id) != PanelRole.CHIEF:
        raise TieOrderError(N_("Only the event's chief judge orders tied entries."))
    if CHIEF_STEP not in (event.tie_break or []):
        raise TieOrderError(N_("The tie-break rules of this event do not include the chief "
                               "judge's decision; add it to the event's tie-break order "
                               "first."))
    reason = (reason or "").strip()
    if not reason:
        raise TieOrderError(N_("Give the reason for the order (e.g. the drawing of lots, "
                               "the fewer deductions)."))
    wanted = list(ordered_entry_ids)
    group = next((g for g in still_tied(session, event)
                  if {e.id for e in g.entries} == set(wanted)), None)
    if group is None or len(wanted) != len(set(wanted)):
        raise TieOrderError(N_("These entries are not one group still tied: reload the page "
                               "and order the group as it stands now."))
    published = publishing.publication_of(session, group.division.id)
    if published is not None and published.status == PublicationStatus.FINAL:
        raise TieOrderError(N_("The results of %(division)s are final: the order can no "
                               "longer change."), division=group.division.name)
    decisions = {d.entry_id: d for d in session.scalars(
        select(TieBreakDecision).where(TieBreakDecision.entry_id.in_(wanted)))}
    for position, entry_id in enumerate(wanted, start=1):
        decision = decisions.get(entry_id)
        if decision is None:
            decision = TieBreakDecision(entry_id=entry_id)
            session.add(decision)
        decision.position = position
        decision.reason = reason
        decision.decided_by_id = actor.id
        decision.decided_at = utcnow()
    session.flush()
    codes = [next(e.code or str(e.id) for e in group.entries if e.id == entry_id)
             for entry_id in wanted]
    record(session, actor_id=actor.id, action="tie_break.decide", object_type="division",
           object_id=group.division.id, event_id=event.id,
           new={"rank": group.rank, "order": codes}, reason=reason)
    if published is not None:
        publishing.republish(session, group.division, actor=actor,
                              reason=f"{reason}（{' > '.join(codes)}）")
    return group
