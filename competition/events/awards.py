"""An event's award settings in words: how its quotas are rounded, whether a small division
has a first prize, and how ties across a band's edge are settled. Shown beside the
settings on the event's form and with its results."""

from __future__ import annotations

from competition.errors import N_, message_text
from competition.events.models import Event

ROUNDING_WORDS = {
    "cumulative": N_("Award quotas are added up band by band and rounded half up"),
    "per_band": N_("Each award quota is rounded half up on its own"),
    "never_more": N_("Each award quota is rounded down, never above its percentage"),
}
TIES_WORDS = {
    "share": N_("entries tied across a band's edge all receive the higher award, which the "
                "chief judge must acknowledge before publication"),
    "tie_break": N_("entries tied across a band's edge are ordered by the tie-break rules "
                    "and, if still tied, by the chief judge before publication; awards go "
                    "by that order"),
}


def award_rule_text(rounding: str | None, first_prize_min_entries: int | None,
                    ties: str | None) -> str:
    """The award rule in words, in the user's language, e.g. 按累计比例四舍五入；…"""
    if first_prize_min_entries:
        first = message_text(N_("a division of at least %(n)s ranked entries has at least "
                                "one first prize, a smaller one none"),
                             n=first_prize_min_entries)
    else:
        first = message_text(N_("first prizes follow the quota alone, so a small division "
                                "may have none"))
    rounding_words = ROUNDING_WORDS.get(rounding or "", ROUNDING_WORDS["cumulative"])
    ties_words = TIES_WORDS.get(ties or "", TIES_WORDS["share"])
    return message_text(N_("%(rounding)s; %(first)s; %(ties)s."),
                        rounding=message_text(rounding_words), first=first,
                        ties=message_text(ties_words))


def award_rule_of(event: Event) -> str:
    """The event's award rule in words (``award_rule_text``)."""
    return award_rule_text(event.award_rounding, event.first_prize_min_entries,
                           event.award_ties)
