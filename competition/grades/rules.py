"""The promotion engine (晋升): which entries a division's rules promote, to what. Pure.

No Flask, no database: the grades service loads plain values into these
dataclasses and stores or shows what comes out. Rules (docs/design.md section 5;
the presets in ``events.presets`` cite their sources):

- A rule applies to one division, or to every division when it names none.
- Its conditions, each left empty when it does not apply: a rank range (ranks
  ``rank_from``–``rank_to``; only ranked entries can be in it); a top percentage
  of the division's ranked entries (rank ≤ count × percentage ÷ 100, so tied
  entries at the edge are both in); a minimum total; a minimum theory score and
  a minimum practical score ("理论和实操成绩均达到 60 分"), each the weighted
  combination of the modules of that kind out of 100 — a condition on a kind
  the event has no module of does not apply; as a stricter option, a minimum
  score for every module on its own; a grade the contestant
  must already hold, or a higher one; age limits by sex, the age counted on the
  competition's first day (men at most 60, women at most 55); at most one
  promotion per person per contest year through competitions.
- The rules are tried in order (``position``) and the FIRST whose conditions
  all hold decides — even when its effect then gives nothing, because the
  contestant already holds the highest grade it leads to. A later rule is not
  tried in that case: the organizer orders the rules, and the first that
  fits the contestant is the one that speaks for them.
- Effect "grant G": a contestant below G (or without a grade) is granted G;
  one already at or above G goes one level up instead. Effect "one level up":
  one level above the current grade. Either way the result may not be above
  the rule's cap (``cap_grade``; grade 1 is the highest, so a cap of 2 allows
  2 to 5), nor above grade 1.
- A contestant without a grade who meets a "one level up" rule is granted the
  first grade, 五级/初级工 (5): one level above none. The sources only speak of
  holders going up; a rule meant only for holders says so with
  ``required_grade`` (the Hubei preset's ranks 4–8 require at least 五级).

Scores are compared as published (rounded to the event's decimals), so a
contestant never sees "60.00 < 60". Every outcome says why: the promotion
with its rule, or for each rule of the division the conditions that failed,
as English message ids (``N_``) with their params, translated when shown.
Params that are grades are ``GradeNumber`` so the page can print "三级/高级工".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from competition.errors import N_
from competition.events.presets import GRANT, STEP_UP, RuleSpec

HIGHEST_GRADE = 1  # 一级/高级技师
LOWEST_GRADE = 5  # 五级/初级工
HUNDRED = Decimal(100)


class GradeNumber(int):
    """A grade (1–5) in a message's params: shown as its label, e.g. 三级/高级工."""


@dataclass(frozen=True)
class Phrase:
    """A translatable message id and its params."""

    message: str
    params: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Rule:
    """One promotion rule as plain values (the columns of ``events.models.PromotionRule``)."""

    key: int | None
    name: str
    division_id: int | None = None
    rank_from: int | None = None
    rank_to: int | None = None
    top_percent: Decimal | None = None
    min_total: Decimal | None = None
    min_theory_score: Decimal | None = None
    min_practical_score: Decimal | None = None
    min_module_score: Decimal | None = None
    required_grade: int | None = None
    max_age_male: int | None = None
    max_age_female: int | None = None
    once_per_year: bool = False
    effect: str = GRANT
    grant_grade: int | None = None
    cap_grade: int | None = None

    @classmethod
    def from_spec(cls, spec: RuleSpec, *, key: int | None = None,
                  division_id: int | None = None) -> Rule:
        """The rule a preset's spec becomes for one division (or every one)."""
        return cls(key=key, division_id=division_id, **spec.columns())

    def applies_to(self, division_id: int) -> bool:
        return self.division_id is None or self.division_id == division_id


@dataclass(frozen=True)
class ModuleScore:
    name: str  # as the event names it, e.g. 理论知识
    score: Decimal  # out of 100, as published


@dataclass(frozen=True)
class Candidate:
    """An entry of the division with what the rules look at."""

    entry_id: int
    division_id: int
    rank: int | None  # None: not ranked (absent or withdrawn)
    total: Decimal
    module_scores: tuple[ModuleScore, ...] = ()
    # The modules of each kind weighted together, out of 100, as published; None when
    # the event has no module of that kind.
    theory_score: Decimal | None = None
    practical_score: Decimal | None = None
    current_grade: int | None = None
    sex: str = "M"  # "M" | "F"
    birth_date: date | None = None
    # Contest years in which the person was already promoted through a competition.
    promoted_years: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Promotion:
    from_grade: int | None
    to_grade: int
    rule: Rule


@dataclass(frozen=True)
class RuleMiss:
    """Why one rule did not promote the entry (``rule`` is None when no rule applies)."""

    rule: Rule | None
    reasons: tuple[Phrase, ...]


@dataclass(frozen=True)
class Outcome:
    candidate: Candidate
    promotion: Promotion | None = None
    # When not promoted: for each rule of the division, in order, why not.
    misses: tuple[RuleMiss, ...] = ()

    @property
    def reasons(self) -> list[Phrase]:
        return [reason for miss in self.misses for reason in miss.reasons]


def age_on(birth_date: date, day: date) -> int:
    """Whole years of age on ``day`` (a birthday on 29 February counts from 1 March)."""
    years = day.year - birth_date.year
    if (day.month, day.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years


def _number(value: Decimal) -> str:
    """A limit as people write it: 60, 75.5."""
    return format(Decimal(value).normalize(), "f")


def _cut_off(ranked_count: int, top_percent: Decimal) -> Decimal:
    return Decimal(ranked_count) * Decimal(top_percent) / HUNDRED


def failed_conditions(rule: Rule, candidate: Candidate, *, ranked_count: int,
                      first_day: date | None, year: int) -> list[Phrase]:
    """The conditions of ``rule`` the candidate does not meet (empty: the rule matches)."""
    reasons: list[Phrase] = []
    rank = candidate.rank
    selects_by_rank = rule.rank_from is not None or rule.rank_to is not None \
        or rule.top_percent is not None
    if selects_by_rank and rank is None:
        reasons.append(Phrase(N_("Not ranked (absent or withdrawn)")))
    elif rank is not None:
        first = rule.rank_from if rule.rank_from is not None else 1
        if rule.rank_to is not None and not (first <= rank <= rule.rank_to):
            reasons.append(Phrase(N_("Rank %(rank)s is outside %(first)s–%(last)s"),
                                  {"rank": rank, "first": first, "last": rule.rank_to}))
        elif rule.rank_to is None and rank < first:
            reasons.append(Phrase(N_("Rank %(rank)s is before rank %(first)s"),
                                  {"rank": rank, "first": first}))
        if rule.top_percent is not None and rank > _cut_off(ranked_count, rule.top_percent):
            reasons.append(Phrase(
                N_("Rank %(rank)s is outside the top %(percent)s%% of %(count)s ranked"),
                {"rank": rank, "percent": _number(rule.top_percent), "count": ranked_count}))
    if rule.min_total is not None and candidate.total < rule.min_total:
        reasons.append(Phrase(N_("Total %(total)s < %(minimum)s"),
                              {"total": candidate.total, "minimum": _number(rule.min_total)}))
    if rule.min_theory_score is not None and candidate.theory_score is not None \
            and candidate.theory_score < rule.min_theory_score:
        reasons.append(Phrase(N_("Theory score %(score)s < %(minimum)s"),
                              {"score": candidate.theory_score,
                               "minimum": _number(rule.min_theory_score)}))
    if rule.min_practical_score is not None and candidate.practical_score is not None \
            and candidate.practical_score < rule.min_practical_score:
        reasons.append(Phrase(N_("Practical score %(score)s < %(minimum)s"),
                              {"score": candidate.practical_score,
                               "minimum": _number(rule.min_practical_score)}))
    if rule.min_module_score is not None:
        for module in candidate.module_scores:
            if module.score < rule.min_module_score:
                reasons.append(Phrase(
                    N_("%(module)s score %(score)s < %(minimum)s"),
                    {"module": module.name, "score": module.score,
                     "minimum": _number(rule.min_module_score)}))
    if rule.required_grade is not None:
        current = candidate.current_grade
        if current is None:
            reasons.append(Phrase(N_("Holds no grade; the rule requires %(required)s or higher"),
                                  {"required": GradeNumber(rule.required_grade)}))
        elif current > rule.required_grade:
            reasons.append(Phrase(
                N_("Holds %(current)s; the rule requires %(required)s or higher"),
                {"current": GradeNumber(current), "required": GradeNumber(rule.required_grade)}))
    limit = rule.max_age_female if candidate.sex == "F" else rule.max_age_male
    if limit is not None and candidate.birth_date is not None and first_day is not None:
        age = age_on(candidate.birth_date, first_day)
        if age > limit:
            message = (N_("Age %(age)s is above the limit for women (%(limit)s)")
                       if candidate.sex == "F"
                       else N_("Age %(age)s is above the limit for men (%(limit)s)"))
            reasons.append(Phrase(message, {"age": age, "limit": limit}))
    if rule.once_per_year and year in candidate.promoted_years:
        reasons.append(Phrase(N_("Already promoted in %(year)s"), {"year": year}))
    return reasons


def target_grade(rule: Rule, current: int | None) -> int | None:
    """The grade the rule's effect leads to from ``current``; None when it leads nowhere
    (already at the highest grade the rule gives)."""
    if rule.effect == GRANT and rule.grant_grade is not None and (
            current is None or current > rule.grant_grade):
        target = rule.grant_grade
    elif current is None:
        # One level above none: the first grade (see the module's docstring).
        target = LOWEST_GRADE
    else:
        target = current - 1
    highest = max(HIGHEST_GRADE, rule.cap_grade or HIGHEST_GRADE)
    if target < highest:
        return None
    return target


def _blocked(rule: Rule) -> Phrase:
    if rule.cap_grade is not None and rule.cap_grade > HIGHEST_GRADE:
        return Phrase(N_("Already at the highest grade this rule gives (%(cap)s)"),
                      {"cap": GradeNumber(rule.cap_grade)})
    return Phrase(N_("Already at the highest grade"))


def evaluate(rules: Sequence[Rule], candidate: Candidate, *, ranked_count: int,
             first_day: date | None, year: int) -> Outcome:
    """The outcome of one entry: the first rule of its division whose conditions hold
    decides; ``rules`` are in their order (``position``)."""
    misses: list[RuleMiss] = []
    for rule in rules:
        if not rule.applies_to(candidate.division_id):
            continue
        reasons = failed_conditions(rule, candidate, ranked_count=ranked_count,
                                    first_day=first_day, year=year)
        if reasons:
            misses.append(RuleMiss(rule, tuple(reasons)))
            continue
        target = target_grade(rule, candidate.current_grade)
        if target is None:
            misses.append(RuleMiss(rule, (_blocked(rule),)))
            return Outcome(candidate, misses=tuple(misses))
        return Outcome(candidate, promotion=Promotion(candidate.current_grade, target, rule))
    if not misses:
        misses.append(RuleMiss(None, (Phrase(N_("No promotion rule applies to this "
                                                "division")),)))
    return Outcome(candidate, misses=tuple(misses))


def kind_score(scores: Iterable[tuple[Decimal, Decimal]], step: Decimal) -> Decimal | None:
    """The modules of one kind weighted together, out of 100: Σ weight × score ÷ Σ weight
    over ``(weight, score)`` pairs, rounded half up to ``step``; None without modules.

    Three practical modules weighted 20, 20 and 30 scoring 70, 55 and 69 give
    (1400 + 1100 + 2070) ÷ 70 = 65.29 — the practical score a "practical at least
    60" condition reads, although one module is below 60.
    """
    pairs = [(Decimal(weight), Decimal(score)) for weight, score in scores]
    total_weight = sum((weight for weight, _ in pairs), Decimal(0))
    if not pairs:
        return None
    if total_weight == 0:
        return Decimal(0).quantize(step)
    weighted = sum((weight * score for weight, score in pairs), Decimal(0))
    return (weighted / total_weight).quantize(step, ROUND_HALF_UP)


def evaluate_division(rules: Sequence[Rule], candidates: Iterable[Candidate], *,
                      first_day: date | None, year: int) -> list[Outcome]:
    """The outcome of every entry of one division, in the order given.

    The top percentage counts the division's ranked entries among ``candidates``.
    """
    candidates = list(candidates)
    ranked_count = sum(1 for c in candidates if c.rank is not None)
    ordered = list(rules)
    return [evaluate(ordered, c, ranked_count=ranked_count, first_day=first_day, year=year)
            for c in candidates]


def describe(rule: Rule) -> list[Phrase]:
    """The rule in words, conditions then effect (kept with a promotion: rules may be
    edited later). The message ids are the ones the promotion-rules page shows."""
    words: list[Phrase] = []
    if rule.rank_to is not None:
        words.append(Phrase(N_("Ranks %(first)s–%(last)s in the division"),
                            {"first": rule.rank_from or 1, "last": rule.rank_to}))
    elif rule.rank_from is not None:
        words.append(Phrase(N_("Rank %(first)s or below in the division"),
                            {"first": rule.rank_from}))
    if rule.top_percent is not None:
        words.append(Phrase(N_("In the top %(pct)s%% of the division"),
                            {"pct": _number(rule.top_percent)}))
    if rule.min_total is not None:
        words.append(Phrase(N_("Total score at least %(score)s"),
                            {"score": _number(rule.min_total)}))
    if rule.min_theory_score is not None:
        words.append(Phrase(N_("Theory score at least %(score)s of 100"),
                            {"score": _number(rule.min_theory_score)}))
    if rule.min_practical_score is not None:
        words.append(Phrase(N_("Practical score (the practical modules weighted together) "
                               "at least %(score)s of 100"),
                            {"score": _number(rule.min_practical_score)}))
    if rule.min_module_score is not None:
        words.append(Phrase(N_("Every module on its own at least %(score)s of 100"),
                            {"score": _number(rule.min_module_score)}))
    if rule.required_grade is not None:
        words.append(Phrase(N_("Already holds %(grade)s or a higher grade"),
                            {"grade": GradeNumber(rule.required_grade)}))
    if rule.max_age_male is not None and rule.max_age_female is not None:
        words.append(Phrase(N_("Men at most %(men)s, women at most %(women)s years old"),
                            {"men": rule.max_age_male, "women": rule.max_age_female}))
    elif rule.max_age_male is not None:
        words.append(Phrase(N_("Men at most %(men)s years old"), {"men": rule.max_age_male}))
    elif rule.max_age_female is not None:
        words.append(Phrase(N_("Women at most %(women)s years old"),
                            {"women": rule.max_age_female}))
    if rule.once_per_year:
        words.append(Phrase(N_("Only once per person per contest year through competitions")))
    if rule.effect == STEP_UP:
        words.append(Phrase(N_("One level up, at most %(cap)s"),
                            {"cap": GradeNumber(rule.cap_grade)}) if rule.cap_grade
                     else Phrase(N_("One level up")))
    elif rule.cap_grade:
        words.append(Phrase(N_("Grant %(grade)s, at most %(cap)s"),
                            {"grade": GradeNumber(rule.grant_grade),
                             "cap": GradeNumber(rule.cap_grade)}))
    else:
        words.append(Phrase(N_("Grant %(grade)s, with no highest grade"),
                            {"grade": GradeNumber(rule.grant_grade)}))
    return words
