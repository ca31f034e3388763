"""Use cases of promotion (晋升): preview the outcome, and decide it when results are final.

The arithmetic is the pure engine in ``grades.rules``; here the division's
rules, results and contestants are loaded into it, and the decisions are
stored. Functions take the session and plain values, ``flush()`` and raise
``PromotionError`` when a rule is broken; the caller commits once.

- ``preview`` is for the organizer before results are final: computed from
  the published snapshot (``results.models.Result``) once the division is
  published, else from the live draft (``results.service.event_results``).
- ``decide_promotions`` is called by the results stage inside the transaction
  that makes a division's results final. The person then holds the new grade
  (``Contestant.current_grade``), and every decision is audited.

The once-a-year limit looks at every ``Promotion`` in the database, whatever
the competition, by the calendar year in China time (docs/design.md section 5). The
age limits count the age on the competition's first day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from flask import current_app
from flask_babel import force_locale, gettext, to_user_timezone
from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session, joinedload

from competition.audit.log import record
from competition.audit.models import AuditEvent
from competition.auth.models import User
from competition.dbtypes import utcnow
from competition.entries.models import Contestant, Entry
from competition.errors import DomainError
from competition.events.models import Division, Event, PromotionRule
from competition.events.scheme import N_
from competition.grades import rules as engine
from competition.grades.certificates import issue_for_division
from competition.grades.models import Promotion
from competition.judging.models import ScoreSheet, SheetStatus
from competition.results.models import Appeal, AppealStatus, PublicationStatus, Result
from competition.results.publication import publication_of, results_final
from competition.results.service import event_results
from competition.skill_grades import grade_label

DECIDED = "promotion.decide_division"


class PromotionError(DomainError):
    """A rule of promotion was broken."""


@dataclass(frozen=True)
class PromotionLine:
    """One entry of the division on the promotion page: its result and outcome."""

    entry: Entry
    rank: int | None
    total: Decimal
    module_scores: dict[int, Decimal]  # module id → score out of 100, as published
    outcome: engine.Outcome

    @property
    def contestant(self) -> Contestant:
        return self.entry.contestant


def local_year(moment: datetime) -> int:
    """The calendar year of ``moment`` in the app's time zone (China time by default)."""
    return to_user_timezone(moment).year


def phrase_text(phrase: engine.Phrase) -> str:
    """A reason or a rule's words in the user's language; grades as ``三级/高级工``."""
    params = {key: grade_label(value) if isinstance(value, engine.GradeNumber) else value
              for key, value in phrase.params.items()}
    return gettext(phrase.message, **params)


def rule_name(rule: engine.Rule) -> str:
    """The rule's name in the user's language (a preset's name may still be its id)."""
    return gettext(rule.name) if rule.name else ""


def rule_text(rule: engine.Rule) -> str:
    """The rule as it reads now, name and words, kept with each promotion.

    Written in the product's default language (Chinese), whoever decides and
    whether or not there is a request: it is part of the official record.
    """
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        words = "；".join(phrase_text(phrase) for phrase in engine.describe(rule))
        name = rule_name(rule)
    return f"{name}：{words}" if name else words


def division_rules(session: Session, division: Division) -> list[engine.Rule]:
    """The event's rules that apply to the division, in the order they are tried."""
    rows = session.scalars(
        select(PromotionRule).where(PromotionRule.event_id == division.event_id)
        .order_by(PromotionRule.position, PromotionRule.id)).all()
    return [engine.Rule(
        key=row.id, name=row.name, division_id=row.division_id, rank_from=row.rank_from,
        rank_to=row.rank_to, top_percent=row.top_percent, min_total=row.min_total,
        min_module_score=row.min_module_score, required_grade=row.required_grade,
        max_age_male=row.max_age_male, max_age_female=row.max_age_female,
        once_per_year=row.once_per_year, effect=row.effect, grant_grade=row.grant_grade,
        cap_grade=row.cap_grade,
    ) for row in rows if row.division_id in (None, division.id)]


def _first_day(event: Event, now: datetime) -> date:
    """The competition's first day, for the age limits (the event's day, or today,
    when the competition has no dates)."""
    if event.competition.starts_on is not None:
        return event.competition.starts_on
    return to_user_timezone(event.starts_at or now).date()


def _division_results(session: Session, event: Event, division: Division
                      ) -> list[tuple[int, int | None, Decimal, dict[int, Decimal]]]:
    """(entry id, rank, total, module scores) of the division: the published snapshot
    once there is one, else the live draft. Module scores rounded as published."""
    step = Decimal(1).scaleb(-event.decimals)
    publication = publication_of(session, division.id)
    if publication is not None:
        rows = session.scalars(select(Result).where(Result.publication_id == publication.id))
        found = [(r.entry_id, r.rank, Decimal(r.total),
                  {int(k): Decimal(v) for k, v in r.module_scores.items()}) for r in rows]
    else:
        found = [(r.entry_id, r.rank, r.total, dict(r.module_scores))
                 for r in event_results(session, event.id) if r.division_id == division.id]
    return [(entry_id, rank, total.quantize(step, ROUND_HALF_UP),
             {k: v.quantize(step, ROUND_HALF_UP) for k, v in scores.items()})
            for entry_id, rank, total, scores in found]


def _promoted_years(session: Session, contestants: list[Contestant]) -> dict[int, list]:
    """Every decided promotion of these people, in any competition: contestant id →
    [(entry id, year)]. A person is a contestant row per competition, so promotions
    are matched by ID type and number."""
    years: dict[int, list] = {}
    person_of = {(c.id_type, c.id_number): c.id for c in contestants}
    if not person_of:
        return years
    for id_type, id_number, entry_id, year in session.execute(
            select(Contestant.id_type, Contestant.id_number, Promotion.entry_id, Promotion.year)
            .join(Contestant, Contestant.id == Promotion.contestant_id)
            .where(Contestant.id_number.in_(sorted({n for _, n in person_of})))):
        contestant_id = person_of.get((id_type, id_number))
        if contestant_id is not None:
            years.setdefault(contestant_id, []).append((entry_id, year))
    return years


def preview(session: Session, division: Division,
            now: datetime | None = None) -> list[PromotionLine]:
    """Who the division's rules would promote, to what grade by which rule, and for
    everyone else the reasons not; ordered by rank (unranked last), then code.

    The yearly limit counts promotions decided in the calendar year of ``now``
    in any competition, other than the entry's own.
    """
    now = now or utcnow()
    event = session.get(Event, division.event_id)
    results = _division_results(session, event, division)
    entries = {e.id: e for e in session.scalars(
        select(Entry).where(Entry.id.in_([r[0] for r in results]))
        .options(joinedload(Entry.contestant)))}
    history = _promoted_years(session, [e.contestant for e in entries.values()])
    modules = {m.id: m.name for m in event.modules}
    candidates = []
    for entry_id, rank, total, scores in results:
        contestant = entries[entry_id].contestant
        candidates.append(engine.Candidate(
            entry_id=entry_id, division_id=division.id, rank=rank, total=total,
            module_scores=tuple(engine.ModuleScore(modules[m], scores.get(m, Decimal(0)))
                                for m in modules),
            current_grade=contestant.current_grade, sex=contestant.sex,
            birth_date=contestant.birth_date,
            promoted_years=frozenset(year for other, year in history.get(contestant.id, ())
                                     if other != entry_id)))
    outcomes = engine.evaluate_division(division_rules(session, division), candidates,
                                        first_day=_first_day(event, now), year=local_year(now))
    lines = [PromotionLine(entry=entries[o.candidate.entry_id], rank=o.candidate.rank,
                           total=o.candidate.total, module_scores=scores, outcome=o)
             for o, (_, _, _, scores) in zip(outcomes, results, strict=True)]
    lines.sort(key=lambda line: (line.rank is None, line.rank or 0, line.entry.code or "",
                                 line.entry.id))
    return lines


def decided(session: Session, division: Division) -> bool:
    """Whether the division's promotions have been decided (even if nobody was promoted)."""
    return bool(session.scalar(select(exists().where(
        AuditEvent.action == DECIDED, AuditEvent.object_type == "division",
        AuditEvent.object_id == str(division.id)))) or session.scalar(select(exists().where(
            Promotion.entry_id == Entry.id, Entry.division_id == division.id))))


def promotions_of(session: Session, division: Division) -> dict[int, Promotion]:
    """The decided promotions of the division, by entry id."""
    return {p.entry_id: p for p in session.scalars(
        select(Promotion).join(Entry, Entry.id == Promotion.entry_id)
        .where(Entry.division_id == division.id))}


def _check_final_ready(session: Session, division: Division, now: datetime) -> None:
    """The results are final, or may be made final now: the notice period is over, no
    appeal waits for a decision and no sheet reopened for one is still out."""
    publication = publication_of(session, division.id)
    if publication is None:
        raise PromotionError(N_("These results have not been published yet."))
    if publication.status == PublicationStatus.FINAL:
        return
    if now < publication.notice_ends_at:
        raise PromotionError(N_("The public notice runs until %(end)s."),
                             end=publication.notice_ends_at)
    pending = session.scalar(select(func.count(Appeal.id)).join(
        Entry, Entry.id == Appeal.entry_id).where(
        Entry.division_id == division.id, Appeal.status == AppealStatus.PENDING))
    if pending:
        raise PromotionError(N_("%(n)s appeals are still waiting for a decision."), n=pending)
    reviewing = session.scalar(select(func.count(ScoreSheet.id)).join(
        Entry, Entry.id == ScoreSheet.entry_id).where(
        Entry.division_id == division.id, ScoreSheet.reopened_for_review.is_(True),
        ScoreSheet.status == SheetStatus.DRAFT))
    if reviewing:
        raise PromotionError(N_("%(n)s sheets reopened for an appeal are not submitted "
                                "again yet."), n=reviewing)


def decide_promotions(session: Session, actor: User, division: Division,
                      now: datetime) -> list[Promotion]:
    """Decide the division's promotions from its final results, once.

    For every entry the rules promote: a ``Promotion`` with the rule and its
    words as they read now, the calendar year of ``now`` (China time) for the
    once-a-year limit, and the person's ``current_grade`` raised to the new
    grade; each audited, and the decision of the whole division too (so it is
    never taken twice, even when nobody was promoted). Refused when the results
    are not final or ready to be, or the promotions were already decided.
    """
    _check_final_ready(session, division, now)
    if decided(session, division):
        raise PromotionError(N_("The promotions of %(division)s were already decided."),
                             division=division.name)
    year = local_year(now)
    promotions = []
    for line in preview(session, division, now):
        decision = line.outcome.promotion
        if decision is None:
            continue
        contestant = line.contestant
        promotion = Promotion(
            entry_id=line.entry.id, contestant_id=contestant.id, year=year,
            rule_id=decision.rule.key, rule_text=rule_text(decision.rule),
            from_grade=decision.from_grade, to_grade=decision.to_grade, decided_at=now)
        session.add(promotion)
        contestant.current_grade = decision.to_grade
        session.flush()
        record(session, actor_id=actor.id, action="promotion.decide", object_type="promotion",
               object_id=promotion.id, event_id=division.event_id,
               old={"grade": decision.from_grade},
               new={"entry_id": line.entry.id, "contestant_id": contestant.id,
                    "grade": decision.to_grade, "year": year, "rule_id": decision.rule.key},
               reason=promotion.rule_text)
        promotions.append(promotion)
    record(session, actor_id=actor.id, action=DECIDED, object_type="division",
           object_id=division.id, event_id=division.event_id,
           new={"promoted": len(promotions), "year": year})
    return promotions


@results_final.connect
def _on_results_final(session: Session, *, actor: User, division: Division,
                      now: datetime) -> None:
    """The results of a division became final: decide its promotions and issue their
    certificates in that transaction (a refusal undoes the finalization too)."""
    decide_promotions(session, actor, division, now)
    issue_for_division(session, actor, division, issued_on=to_user_timezone(now).date())
