"""Use cases of promotion (晋升): preview the outcome, and decide it when results are final.

The arithmetic is the pure engine in ``grades.rules``; here the division's
rules, results and contestants are loaded into it, and the decisions are
stored. Functions take the session and plain values, ``flush()`` and raise
``PromotionError`` when a rule is broken; the caller commits once.

- ``preview`` is for the organizer before results are final: computed from
  the published snapshot (``results.models.Result``) once the division is
  published, else from the live draft (``results.standings.event_results``).
- ``decide_promotions`` runs inside the transaction that makes a division's
  results final (``on_results_final`` answers the results stage's
  ``results_final``; ``competition.handoffs`` connects it). It is refused unless
  the results are final or may become final now — the results stage's rule,
  ``publication.check_final_ready``. Every entry's outcome is kept with its
  reasons (``PromotionOutcome``), promoted or not; the person then holds the new
  grade in the event's occupation (``grades.held``), and every decision is
  audited.

The rules start from the grade the person holds in the event's occupation
(``grades.held``): granted here, or declared and confirmed. A decision that
depends on a declared grade nobody has confirmed is flagged in the preview and
refused when the results become final, naming the contestants to check.

The once-a-year limit looks at every ``Promotion`` not reverted, whatever the
competition, by contest year (``contest_year``). The age limits count the age
on the competition's first day.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from flask import current_app
from flask_babel import force_locale, gettext, to_user_timezone
from sqlalchemy import exists, select
from sqlalchemy.orm import Session, joinedload, selectinload

from competition.audit.log import record
from competition.audit.models import AuditEvent
from competition.auth.models import User
from competition.dbtypes import utcnow
from competition.entries.models import Contestant, Entry
from competition.errors import N_, DomainError
from competition.events.models import Competition, Division, Event, ModuleKind, PromotionRule
from competition.grades import held
from competition.grades import rules as engine
from competition.grades.certificates import issue_for_division
from competition.grades.models import Promotion, PromotionOutcome
from competition.results.models import Result
from competition.results.publishing import (
    PublicationError,
    check_final_ready,
    publication_of,
)
from competition.results.standings import event_results
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
    basis: held.GradeBasis = held.GradeBasis(None, None)
    # The outcome would differ without a declared grade nobody has confirmed yet.
    needs_check: bool = False

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


def phrase_record(phrase: engine.Phrase) -> dict:
    """A reason as kept in the database: its message id and params, grades marked."""
    params = {}
    for key, value in phrase.params.items():
        if isinstance(value, engine.GradeNumber):
            params[key] = {"grade": int(value)}
        elif isinstance(value, Decimal):
            params[key] = str(value)
        else:
            params[key] = value
    return {"message": phrase.message, "params": params}


def recorded_phrase(kept: dict) -> engine.Phrase:
    """A reason kept by ``phrase_record``, to show with ``phrase_text``."""
    params = {key: engine.GradeNumber(value["grade"]) if isinstance(value, dict) else value
              for key, value in (kept.get("params") or {}).items()}
    return engine.Phrase(kept["message"], params)


def contest_year(competition: Competition, now: datetime) -> int:
    """The contest year promotions of the competition count in for the once-a-year limit:
    the competition's setting, else the year of its first day, else the year of ``now``
    (China time)."""
    if competition.promotion_year:
        return competition.promotion_year
    if competition.starts_on is not None:
        return competition.starts_on.year
    return local_year(now)


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
        min_theory_score=row.min_theory_score, min_practical_score=row.min_practical_score,
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
    """Every decided promotion of these people not reverted, in any competition:
    contestant id → [(entry id, contest year)]. A person is a contestant row per
    competition, so promotions are matched by ID type and number."""
    years: dict[int, list] = {}
    person_of = {(c.id_type, c.id_number): c.id for c in contestants}
    if not person_of:
        return years
    for id_type, id_number, entry_id, year in session.execute(
            select(Contestant.id_type, Contestant.id_number, Promotion.entry_id, Promotion.year)
            .join(Contestant, Contestant.id == Promotion.contestant_id)
            .where(Contestant.id_number.in_(sorted({n for _, n in person_of})),
                   Promotion.reverted_at.is_(None))):
        contestant_id = person_of.get((id_type, id_number))
        if contestant_id is not None:
            years.setdefault(contestant_id, []).append((entry_id, year))
    return years


def _kind_scores(event: Event, scores: dict[int, Decimal]) -> dict[str, Decimal | None]:
    """The theory and the practical score of one result: the modules of each kind
    weighted together, to the event's decimals."""
    step = Decimal(1).scaleb(-event.decimals)
    return {kind: engine.kind_score(
        [(m.weight, scores.get(m.id, Decimal(0))) for m in event.modules if m.kind == kind],
        step) for kind in (ModuleKind.THEORY, ModuleKind.PRACTICAL)}


def _same_outcome(a: engine.Outcome, b: engine.Outcome) -> bool:
    first, second = a.promotion, b.promotion
    if first is None or second is None:
        return first is second
    return first.to_grade == second.to_grade and first.rule.key == second.rule.key


def preview(session: Session, division: Division,
            now: datetime | None = None) -> list[PromotionLine]:
    """Who the division's rules would promote, to what grade by which rule, and for
    everyone else the reasons not; ordered by rank (unranked last), then code.

    The rules start from the grade each person holds in the event's occupation
    (``grades.held``); a line whose outcome would differ without an unconfirmed
    declared grade is marked ``needs_check``. The yearly limit counts promotions
    of the competition's contest year in any competition, other than the entry's own.
    """
    now = now or utcnow()
    event = session.get(Event, division.event_id)
    results = _division_results(session, event, division)
    entries = {e.id: e for e in session.scalars(
        select(Entry).where(Entry.id.in_([r[0] for r in results]))
        .options(joinedload(Entry.contestant)))}
    history = _promoted_years(session, [e.contestant for e in entries.values()])
    bases = held.grade_bases(session, event, list(entries.values()))
    modules = {m.id: m.name for m in event.modules}
    candidates = []
    for entry_id, rank, total, scores in results:
        contestant = entries[entry_id].contestant
        kinds = _kind_scores(event, scores)
        candidates.append(engine.Candidate(
            entry_id=entry_id, division_id=division.id, rank=rank, total=total,
            module_scores=tuple(engine.ModuleScore(modules[m], scores.get(m, Decimal(0)))
                                for m in modules),
            theory_score=kinds[ModuleKind.THEORY], practical_score=kinds[ModuleKind.PRACTICAL],
            current_grade=bases[entry_id].grade, sex=contestant.sex,
            birth_date=contestant.birth_date,
            promoted_years=frozenset(year for other, year in history.get(contestant.id, ())
                                     if other != entry_id)))
    rules = division_rules(session, division)
    first_day, year = _first_day(event, now), contest_year(event.competition, now)
    outcomes = engine.evaluate_division(rules, candidates, first_day=first_day, year=year)
    ranked_count = sum(1 for c in candidates if c.rank is not None)
    lines = []
    for outcome, (_, _, _, scores) in zip(outcomes, results, strict=True):
        basis = bases[outcome.candidate.entry_id]
        needs_check = False
        if not basis.confirmed:
            without = engine.evaluate(
                rules, replace(outcome.candidate, current_grade=basis.fallback),
                ranked_count=ranked_count, first_day=first_day, year=year)
            needs_check = not _same_outcome(outcome, without)
        lines.append(PromotionLine(entry=entries[outcome.candidate.entry_id],
                                   rank=outcome.candidate.rank, total=outcome.candidate.total,
                                   module_scores=scores, outcome=outcome, basis=basis,
                                   needs_check=needs_check))
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
    """The results are final, or may be made final now: the results stage's rule
    (``publication.check_final_ready``), its refusal given as a ``PromotionError``."""
    try:
        check_final_ready(session, division, now)
    except PublicationError as refused:
        raise PromotionError(refused.message, problems=refused.problems,
                             **refused.params) from refused


def outcomes_of(session: Session, division: Division) -> dict[int, PromotionOutcome]:
    """The kept outcomes of the division's decision, by entry id (empty before it)."""
    return {o.entry_id: o for o in session.scalars(
        select(PromotionOutcome).join(Entry, Entry.id == PromotionOutcome.entry_id)
        .where(Entry.division_id == division.id))}


def promotion_outcome(session: Session, entry_id: int) -> PromotionOutcome | None:
    """The kept outcome of one entry, once its division's promotions are decided."""
    return session.scalar(select(PromotionOutcome).where(PromotionOutcome.entry_id == entry_id))


def promotion_of(session: Session, entry_id: int) -> Promotion | None:
    """The entry's promotion with its certificate, once decided."""
    return session.scalar(select(Promotion).where(Promotion.entry_id == entry_id)
                          .options(selectinload(Promotion.certificate)))


def kept_reasons(session: Session, entry_id: int) -> list[tuple[str, list[str]]]:
    """Why the entry was not promoted, as kept when the results became final, in the
    reader's language (empty when promoted or not decided)."""
    outcome = promotion_outcome(session, entry_id)
    return outcome_texts(outcome) if outcome is not None and not outcome.promoted else []


def outcome_texts(outcome: PromotionOutcome) -> list[tuple[str, list[str]]]:
    """A kept outcome's reasons in the reader's language: (rule, [failed conditions]) for
    each rule that did not promote."""
    return [(miss.get("rule") or "", [phrase_text(recorded_phrase(reason))
                                      for reason in miss.get("reasons", [])])
            for miss in outcome.misses or []]


def _misses_record(outcome: engine.Outcome) -> list[dict]:
    return [{"rule": rule_text(miss.rule) if miss.rule else "",
             "reasons": [phrase_record(reason) for reason in miss.reasons]}
            for miss in outcome.misses]


def unconfirmed(lines: list[PromotionLine]) -> list[PromotionLine]:
    """The lines whose outcome depends on a declared grade nobody has confirmed."""
    return [line for line in lines if line.needs_check]


def decide_promotions(session: Session, actor: User, division: Division,
                      now: datetime) -> list[Promotion]:
    """Decide the division's promotions from its final results, once.

    For every entry the outcome is kept with its reasons (``PromotionOutcome``).
    For every entry the rules promote: a ``Promotion`` with the rule and its
    words as they read now and the competition's contest year for the
    once-a-year limit; each audited, and the decision of the whole division too
    (so it is never taken twice, even when nobody was promoted). Refused when the
    results are not final or ready to be, when a decision depends on a declared
    grade nobody has confirmed (naming the contestants), or when the promotions
    were already decided.
    """
    _check_final_ready(session, division, now)
    if decided(session, division):
        raise PromotionError(N_("The promotions of %(division)s were already decided."),
                             division=division.name)
    year = contest_year(division.event.competition, now)
    lines = preview(session, division, now)
    waiting = unconfirmed(lines)
    if waiting:
        raise PromotionError(
            N_("Confirm the declared grades these results depend on first (see the "
               "promotions page): %(names)s."),
            names="、".join(f"{line.entry.code or '—'} {line.contestant.name}"
                           for line in waiting))
    promotions = []
    for line in lines:
        decision = line.outcome.promotion
        kept = PromotionOutcome(
            entry_id=line.entry.id, decided_at=now, promoted=decision is not None,
            rule_id=decision.rule.key if decision else None,
            rule_text=rule_text(decision.rule) if decision else "",
            from_grade=line.basis.grade, to_grade=decision.to_grade if decision else None,
            grade_basis=line.basis.as_record(), misses=_misses_record(line.outcome))
        session.add(kept)
        if decision is None:
            continue
        contestant = line.contestant
        promotion = Promotion(
            entry_id=line.entry.id, contestant_id=contestant.id, year=year,
            rule_id=decision.rule.key, rule_text=kept.rule_text,
            from_grade=decision.from_grade, to_grade=decision.to_grade, decided_at=now)
        session.add(promotion)
        session.flush()
        record(session, actor_id=actor.id, action="promotion.decide", object_type="promotion",
               object_id=promotion.id, event_id=division.event_id,
               old={"grade": decision.from_grade},
               new={"entry_id": line.entry.id, "contestant_id": contestant.id,
                    "grade": decision.to_grade, "year": year, "rule_id": decision.rule.key},
               reason=promotion.rule_text)
        promotions.append(promotion)
    session.flush()
    record(session, actor_id=actor.id, action=DECIDED, object_type="division",
           object_id=division.id, event_id=division.event_id,
           new={"promoted": len(promotions), "year": year, "entries": len(lines)})
    return promotions


def on_results_final(session: Session, *, actor: User, division: Division,
                     now: datetime) -> None:
    """The results of a division became final (the results stage's ``results_final``,
    connected by ``competition.handoffs``): decide its promotions and issue their
    certificates in that transaction (a refusal undoes the finalization too)."""
    decide_promotions(session, actor, division, now)
    issue_for_division(session, actor, division, issued_on=to_user_timezone(now).date())
