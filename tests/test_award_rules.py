"""Award rules an organizer states: how quotas round, the smallest division with a first
prize, and what happens to entries tied across a band's edge (results.ranking).

The engine tables are computed by hand: every division has the default quotas
10/20/30 and totals that fall one point per position, so entry ``p`` is at
position ``p`` unless it is tied. Awards are written per position: F first,
S second, T third, - none. The database tests use one imported module (no
sheets), so totals are the scores written here.
"""

from __future__ import annotations

from decimal import Decimal as D  # noqa: N817 — short in tables of cases

import pytest
from sqlalchemy import func, select

from competition.audit.models import AuditEvent
from competition.events import setup as setup
from competition.events.awards import award_rule_text
from competition.events.models import Event
from competition.events.setup import SetupError
from competition.extensions import db
from competition.judging.scoring import JudgingError
from competition.results import publishing
from competition.results.models import (
    AwardAcknowledgement,
    Publication,
    Result,
    TieBreakDecision,
)
from competition.results.publishing import PublicationError
from competition.results.ranking import (
    EntryInput,
    ModuleInfo,
    Rules,
    award_check,
    band_limits,
    band_places,
    compute,
)
from competition.transfer.definition import check_document, export_competition
from tests import builders
from tests.builders import Scene, tied_scene

EXAM = ModuleInfo(id=1, code="T", kind="theory", weight=D(100))  # imported, no criteria
LETTERS = {"first": "F", "second": "S", "third": "T", None: "-"}
# The default rule, as the pages say it.
RULE_ZH = ("评奖规则：按累计比例四舍五入；一等奖名额按比例计算，人数少的组别可能没有一等奖；"
           "并列跨档时同获较高奖项，须裁判长在公示前确认。")


def line(count: int, *ties: tuple[int, ...], chief: dict[int, int] | None = None):
    """``count`` entries, entry ``p`` scoring 100 − p; each group of ``ties`` scores as its
    first position. ``chief``: the chief judge's order of some entries."""
    score = {p: D(100 - p) for p in range(1, count + 1)}
    for group in ties:
        for p in group:
            score[p] = score[group[0]]
    chief = chief or {}
    return [EntryInput(entry_id=p, division_id=1, external={1: score[p]},
                       chief_order=chief.get(p)) for p in range(1, count + 1)]


def awarded(entries, rules: Rules) -> str:
    results = sorted(compute([EXAM], rules, entries), key=lambda r: r.entry_id)
    return " ".join(LETTERS[r.award] for r in results)


def check(entries, rules: Rules):
    return award_check(compute([EXAM], rules, entries), rules)


def overflows(entries, rules: Rules) -> list[tuple[str, int, int, tuple[int, ...], int]]:
    """(band, places, entries awarded, entries tied at its edge, excess) per overflow."""
    return [(b.band, b.places, len(b.awarded), b.tied, b.excess)
            for b in check(entries, rules).overflows]


# --- Places per band: every rounding, divisions of 3, 7, 15 and 20 ----------------------

@pytest.mark.parametrize("rounding, count, places", [
    # cumulative: round(n × 10%), round(n × 30%), round(n × 60%), half up, then differences.
    ("cumulative", 3, (0, 1, 1)),    # 0.3 → 0, 0.9 → 1, 1.8 → 2
    ("cumulative", 7, (1, 1, 2)),    # 0.7 → 1, 2.1 → 2, 4.2 → 4
    ("cumulative", 15, (2, 3, 4)),   # 1.5 → 2, 4.5 → 5, 9.0 → 9
    ("cumulative", 20, (2, 4, 6)),   # 2, 6, 12
    # per band: round(n × 10%), round(n × 20%), round(n × 30%), each half up.
    ("per_band", 3, (0, 1, 1)),      # 0.3 → 0, 0.6 → 1, 0.9 → 1
    ("per_band", 7, (1, 1, 2)),      # 0.7 → 1, 1.4 → 1, 2.1 → 2
    ("per_band", 15, (2, 3, 5)),     # 1.5 → 2, 3.0 → 3, 4.5 → 5
    ("per_band", 20, (2, 4, 6)),     # 2, 4, 6
    # never more: each share rounded down.
    ("never_more", 3, (0, 0, 0)),    # 0.3, 0.6, 0.9 → 0
    ("never_more", 7, (0, 1, 2)),    # 0.7 → 0, 1.4 → 1, 2.1 → 2
    ("never_more", 15, (1, 3, 4)),   # 1.5 → 1, 3.0 → 3, 4.5 → 4
    ("never_more", 20, (2, 4, 6)),   # 2, 4, 6
])
def test_places_per_band_by_rounding(rounding, count, places):
    rules = Rules(award_rounding=rounding, tie_break=())
    assert band_places(count, rules) == places
    first, second, third = places
    assert band_limits(count, rules) == (first, first + second, first + second + third)
    # Without ties, exactly that many of each, best first.
    expected = ["F"] * first + ["S"] * second + ["T"] * third
    expected += ["-"] * (count - len(expected))
    assert awarded(line(count), rules) == " ".join(expected)
    assert check(line(count), rules).overflows == ()


# --- Ties at the band edges --------------------------------------------------------------

@pytest.mark.parametrize("rounding, count, ties, expected, overflow", [
    # 3 entries, places 0/1/1 (last ranks 0, 1, 2); 2 and 3 tied at rank 2, the third
    # prize's edge: both get it, 3 entries ranked at or above 2 for 2 places.
    ("cumulative", 3, [(2, 3)], "S T T", [("third", 1, 2, (2, 3), 1)]),
    ("per_band", 3, [(2, 3)], "S T T", [("third", 1, 2, (2, 3), 1)]),
    # No places at all (0/0/0): nothing to exceed.
    ("never_more", 3, [(2, 3)], "- - -", []),
    # 7 entries, places 1/1/2 (last ranks 1, 2, 4); 1 and 2 tied at rank 1: two first
    # prizes for one place; the second prize's rank 2 is nobody's; 3 and 4 third.
    ("cumulative", 7, [(1, 2)], "F F T T - - -", [("first", 1, 2, (1, 2), 1)]),
    ("per_band", 7, [(1, 2)], "F F T T - - -", [("first", 1, 2, (1, 2), 1)]),
    # places 0/1/2 (last ranks 0, 1, 3): the tie at rank 1 is at the second prize's edge.
    ("never_more", 7, [(1, 2)], "S S T - - - -", [("second", 1, 2, (1, 2), 1)]),
    # 15 entries, 2 and 3 tied at rank 2. Cumulative 2/3/4 (last ranks 2, 5, 9): three
    # first prizes for two places, then ranks 4–5 second, 6–9 third.
    ("cumulative", 15, [(2, 3)], "F F F S S T T T T - - - - - -",
     [("first", 2, 3, (2, 3), 1)]),
    # Per band 2/3/5 (last ranks 2, 5, 10).
    ("per_band", 15, [(2, 3)], "F F F S S T T T T T - - - - -",
     [("first", 2, 3, (2, 3), 1)]),
    # Never more 1/3/4 (last ranks 1, 4, 8): the tie is inside the second band, no edge.
    ("never_more", 15, [(2, 3)], "F S S S T T T T - - - - - - -", []),
])
def test_ties_at_band_edges(rounding, count, ties, expected, overflow):
    rules = Rules(award_rounding=rounding, tie_break=())
    assert awarded(line(count, *ties), rules) == expected
    assert overflows(line(count, *ties), rules) == overflow


@pytest.mark.parametrize("rounding", ["cumulative", "per_band", "never_more"])
def test_twenty_entries_tied_at_every_edge(rounding):
    # 2/4/6 by any rounding, last ranks 2, 6, 12. Ties 2–3 (rank 2), 6–7 (rank 6) and
    # 12–13 (rank 12): each pair gets the higher band. First: 1, 2, 3 (3 for 2 places);
    # second: ranks 4, 5, 6, 6 (4 for 4 places, but 7 entries at or above rank 6 for 6);
    # third: ranks 8–12, 12 (6 for 6, 13 at or above rank 12 for 12).
    rules = Rules(award_rounding=rounding, tie_break=())
    entries = line(20, (2, 3), (6, 7), (12, 13))
    assert awarded(entries, rules) == "F F F S S S S T T T T T T - - - - - - -"
    assert overflows(entries, rules) == [("first", 2, 3, (2, 3), 1),
                                         ("second", 4, 4, (6, 7), 1),
                                         ("third", 6, 6, (12, 13), 1)]


def test_four_second_prizes_against_two_places_are_reported():
    # 10 entries, cumulative: last ranks 1, 3, 6 (places 1/2/3). 2–5 tied at rank 2: four
    # second prizes for two places (5 entries at or above rank 3, for 3); rank 6 third.
    rules = Rules(tie_break=())
    entries = line(10, (2, 3, 4, 5))
    assert awarded(entries, rules) == "F S S S S T - - - -"
    result = check(entries, rules)
    assert overflows(entries, rules) == [("second", 2, 4, (2, 3, 4, 5), 2)]
    assert result.description == "second 2/4 tied 2,3,4,5"
    assert result.needs_acknowledgement and not result.needs_order


def test_tie_break_mode_waits_for_the_chief_judges_order_then_goes_by_position():
    rules = Rules(award_ties="tie_break", tie_break=("more_decimals", "chief_judge"))
    # Still tied after the chain: they share the higher band for now, and wait.
    waiting = check(line(10, (2, 3, 4, 5)), rules)
    assert waiting.needs_order and not waiting.needs_acknowledgement
    assert awarded(line(10, (2, 3, 4, 5)), rules) == "F S S S S T - - - -"
    # The chief judge orders 5, 2, 4, 3: positions 2–5 in that order, two seconds.
    ordered = line(10, (2, 3, 4, 5), chief={5: 1, 2: 2, 4: 3, 3: 4})
    assert awarded(ordered, rules) == "F S T T S T - - - -"
    assert not check(ordered, rules).needs_order and check(ordered, rules).overflows == ()


# --- The smallest division with a first prize -------------------------------------------

@pytest.mark.parametrize("rounding, count, minimum, places", [
    # Below the minimum: no first prize; the second and third keep their own counts.
    ("cumulative", 7, 10, (0, 1, 2)),    # 1/1/2 → 0/1/2
    ("per_band", 15, 20, (0, 3, 5)),     # 2/3/5 → 0/3/5
    ("never_more", 20, 21, (0, 4, 6)),   # 2/4/6 → 0/4/6
    # At or above it: at least one first prize (a quota rounding to 0 is raised to 1).
    ("cumulative", 3, 3, (1, 1, 1)),     # 0/1/1 → 1/1/1: the champion gets 一等奖
    ("never_more", 7, 5, (1, 1, 2)),     # 0/1/2 → 1/1/2
    ("never_more", 3, 3, (1, 0, 0)),     # 0/0/0 → 1/0/0
    ("per_band", 15, 15, (2, 3, 5)),     # already 2: unchanged
])
def test_minimum_division_size_for_a_first_prize(rounding, count, minimum, places):
    rules = Rules(award_rounding=rounding, first_prize_min_entries=minimum, tie_break=())
    assert band_places(count, rules) == places


def test_a_division_of_three_by_default_and_with_a_minimum():
    # Default: 10% of 3 is 0.3 → no first prize; the champion gets 二等奖.
    assert awarded(line(3), Rules(tie_break=())) == "S T -"
    # The organizer says divisions of 3 or more have a first prize.
    assert awarded(line(3), Rules(first_prize_min_entries=3, tie_break=())) == "F S T"
    # A first-prize quota of 0% stays 0 whatever the minimum.
    assert band_places(3, Rules(first_pct=D(0), first_prize_min_entries=1)) == (0, 1, 1)
    # Never more places than entries: a single entry with a minimum of 1 gets 一等奖 only.
    assert band_places(1, Rules(first_prize_min_entries=1)) == (1, 0, 0)


# --- The rule in words -------------------------------------------------------------------

def test_the_rule_in_words(app):
    with app.test_request_context():
        assert award_rule_text("cumulative", None, "share") == RULE_ZH.removeprefix("评奖规则：")
        assert award_rule_text("never_more", 5, "tie_break") == (
            "各奖项名额分别按比例向下取整，不超过比例；"
            "组别排名人数不少于5人时至少设一等奖1名，不足5人时不设一等奖；"
            "并列跨档时按并列排序规则决定，仍并列的由裁判长在公示前确定顺序，按名次授奖。")


# --- In the database: publication, acknowledgement, the chief judge's order -------------

@pytest.fixture
def shared(app) -> Scene:
    return tied_scene()


@pytest.fixture
def ordered(app) -> Scene:
    return tied_scene(award_ties="tie_break")


def _publications() -> int:
    return db.session.scalar(select(func.count(Publication.id)))


def _awards(scene: Scene) -> list[str | None]:
    by_entry = {r.entry_id: r.award for r in db.session.scalars(select(Result))}
    return [by_entry.get(entry.id) for entry in scene.entries]


def test_share_mode_refuses_publication_until_the_chief_judge_acknowledges(shared):
    scene = shared
    with pytest.raises(PublicationError, match="acknowledge") as refused:
        publishing.publish(db.session, scene.organizer, scene.division)
    assert "DG-102、DG-103、DG-104、DG-105" in str(refused.value)
    db.session.rollback()
    assert _publications() == 0

    # Only the chief judge acknowledges, and only the overflow as it stands.
    state = publishing.award_state(db.session, scene.event, scene.division)
    ids = ",".join(str(e.id) for e in scene.entries[1:5])
    assert state.check.description == f"second 2/4 tied {ids}"
    with pytest.raises(JudgingError, match="Only the chief judge of") as refused:
        publishing.acknowledge_overflow(db.session, scene.organizer, scene.division,
                                         state.check.description)
    assert refused.value.params == {"event": "电工"}
    with pytest.raises(PublicationError, match="changed"):
        publishing.acknowledge_overflow(db.session, scene.chief, scene.division,
                                         "second 2/3 tied 1,2,3")
    publishing.acknowledge_overflow(db.session, scene.chief, scene.division,
                                     state.check.description)
    db.session.commit()
    [row] = db.session.scalars(select(AwardAcknowledgement)).all()
    assert (row.division_id, row.overflow, row.acknowledged_by_id) == (
        scene.division.id, f"second 2/4 tied {ids}", scene.chief.id)
    audit = db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "awards.acknowledge"))
    assert audit.actor_id == scene.chief.id and audit.object_id == str(scene.division.id)
    publishing.check_awards(db.session, scene.event, scene.division)  # allowed now

    # The scores change: 5 moves up to 92, so 2–4 are tied at rank 3 for the second
    # prize's last place (rank 3): a new overflow, needing a new acknowledgement.
    scene.set_scores(95, 90, 90, 90, 92, 85, 80, 75, 70, 65)
    with pytest.raises(PublicationError, match="acknowledge"):
        publishing.publish(db.session, scene.organizer, scene.division)
    db.session.rollback()
    assert _publications() == 0
    state = publishing.award_state(db.session, scene.event, scene.division)
    ids = ",".join(str(e.id) for e in scene.entries[1:4])
    assert state.check.description == f"second 2/4 tied {ids}"
    publishing.acknowledge_overflow(db.session, scene.chief, scene.division,
                                     state.check.description)
    publishing.publish(db.session, scene.organizer, scene.division)
    db.session.commit()
    assert _publications() == 1
    assert db.session.scalar(select(func.count(AwardAcknowledgement.id))) == 2
    # 95 first; 92, 90, 90, 90 second (tied at the edge, sharing); 85 third.
    assert _awards(scene) == ["first", "second", "second", "second", "second", "third",
                              None, None, None, None]


def test_tie_break_mode_refuses_publication_until_the_chief_judge_orders(ordered):
    scene = ordered
    with pytest.raises(PublicationError, match="decide their order"):
        publishing.publish(db.session, scene.organizer, scene.division)
    db.session.rollback()
    # Acknowledging is not the way in this mode.
    state = publishing.award_state(db.session, scene.event, scene.division)
    with pytest.raises(PublicationError, match="instead of acknowledging"):
        publishing.acknowledge_overflow(db.session, scene.chief, scene.division,
                                         state.check.description)
    db.session.rollback()
    assert _publications() == 0
    # The chief judge's order (the chain's last step): 5, 3, 2, 4.
    for position, index in enumerate((4, 2, 1, 3), start=1):
        db.session.add(TieBreakDecision(entry_id=scene.entries[index].id, position=position,
                                        reason="抽签", decided_by_id=scene.chief.id))
    db.session.commit()
    publishing.publish(db.session, scene.organizer, scene.division)
    db.session.commit()
    assert _publications() == 1
    # By position: 95 first; 5 and 3 second; 2, 4 and 85 third.
    assert _awards(scene) == ["first", "third", "second", "third", "second", "third",
                              None, None, None, None]
    ranks = {r.entry_id: r.rank for r in db.session.scalars(select(Result))}
    assert [ranks[e.id] for e in scene.entries[:6]] == [1, 4, 3, 5, 2, 6]


# --- Pages ---------------------------------------------------------------------------------

def test_results_pages_state_the_rule_and_the_chief_acknowledges_on_them(
        shared, client, auth):
    from html import unescape

    scene = shared
    auth.login(scene.organizer.username)
    page = unescape(client.get(f"/events/{scene.event.id}/results").text)
    assert RULE_ZH in page
    assert "排名10人：一等奖1名、二等奖2名、三等奖3名。" in page
    assert "二等奖名额2名，实际4人：DG-102、DG-103、DG-104、DG-105在边界并列，同获该奖项。" in page
    assert "裁判长尚未确认" in page
    response = client.post(f"/divisions/{scene.division.id}/publish", follow_redirects=True)
    assert "须裁判长确认后才能公示" in unescape(response.text)
    assert _publications() == 0
    # An organizer cannot acknowledge.
    state = publishing.award_state(db.session, scene.event, scene.division)
    assert client.post(f"/divisions/{scene.division.id}/awards/acknowledge",
                       data={"overflow": state.check.description}).status_code == 403
    auth.logout()

    auth.login(scene.chief.username)
    page = unescape(client.get(f"/events/{scene.event.id}/results").text)
    assert f'value="{state.check.description}"' in page and "确认超额" in page
    response = client.post(f"/divisions/{scene.division.id}/awards/acknowledge",
                           data={"overflow": state.check.description},
                           follow_redirects=True)
    assert "已确认" in unescape(response.text)
    assert db.session.scalar(select(func.count(AwardAcknowledgement.id))) == 1
    auth.logout()

    auth.login(scene.organizer.username)
    response = client.post(f"/divisions/{scene.division.id}/publish", follow_redirects=True)
    assert _publications() == 1
    public = unescape(client.get(f"/results/divisions/{scene.division.id}").text)
    assert RULE_ZH in public


def test_the_notice_pdf_states_the_rule(shared, client):
    from io import BytesIO

    from pypdf import PdfReader

    scene = shared
    state = publishing.award_state(db.session, scene.event, scene.division)
    publishing.acknowledge_overflow(db.session, scene.chief, scene.division,
                                     state.check.description)
    publishing.publish(db.session, scene.organizer, scene.division)
    db.session.commit()
    response = client.get(f"/divisions/{scene.division.id}/notice.pdf")
    reader = PdfReader(BytesIO(response.data))
    text = "".join(page.extract_text() for page in reader.pages).replace("\n", "")
    assert "评奖规则" in text and "按累计比例四舍五入" in text


def test_tie_break_page_says_the_chief_judge_must_order(ordered, client, auth):
    from html import unescape

    scene = ordered
    auth.login(scene.organizer.username)
    page = unescape(client.get(f"/events/{scene.event.id}/results").text)
    assert "仍并列的由裁判长在公示前确定顺序" in page
    assert "DG-102、DG-103、DG-104、DG-105经全部并列排序规则后仍在二等奖边界并列" in page


# --- Set-up: the form, validation, the API, export and import ----------------------------

def test_event_settings_validate_the_award_rules(app):
    organizer = builders.user("organizer")
    competition = builders.competition(organizers=(organizer,))
    event = builders.event(competition, name="电工")
    db.session.commit()
    with pytest.raises(SetupError, match="at least 1"):
        setup.update_event(db.session, event, first_prize_min_entries=0)
    db.session.rollback()
    with pytest.raises(SetupError, match="round"):
        setup.update_event(db.session, event, award_rounding="sometimes")
    db.session.rollback()
    with pytest.raises(SetupError, match="chief judge's order"):
        setup.update_event(db.session, event, award_ties="tie_break",
                           tie_break=["more_decimals", "practical"])
    db.session.rollback()
    setup.update_event(db.session, event, award_rounding="never_more",
                       first_prize_min_entries=5, award_ties="tie_break")
    db.session.commit()
    stored = db.session.get(Event, event.id)
    assert (stored.award_rounding, stored.first_prize_min_entries, stored.award_ties) == (
        "never_more", 5, "tie_break")


def test_the_event_form_sets_and_states_the_award_rules(app, client, login_as):
    organizer = login_as("organizer")
    competition = builders.competition(organizers=(organizer,))
    event = builders.event(competition, name="电工")
    db.session.commit()
    from html import unescape

    page = unescape(client.get(f"/events/{event.id}/edit").text)
    assert RULE_ZH in page
    response = client.post(f"/events/{event.id}/edit", data={
        "occupation_id": event.occupation_id, "name": "电工", "divisions": "职工组",
        "aggregation": "mean", "trim_count": "0", "decimals": "2",
        "tie_break": ["more_decimals", "chief_judge"], "first_prize_pct": "10",
        "second_prize_pct": "20", "third_prize_pct": "30", "award_rounding": "per_band",
        "first_prize_min_entries": "3", "award_ties": "tie_break",
        "appeal_window_hours": "2", "notice_days": "5", "grade_min": "", "grade_max": "",
    }, follow_redirects=True)
    assert response.status_code == 200
    db.session.expire_all()
    stored = db.session.get(Event, event.id)
    assert (stored.award_rounding, stored.first_prize_min_entries, stored.award_ties) == (
        "per_band", 3, "tie_break")
    page = unescape(client.get(f"/events/{event.id}/edit").text)
    assert "各奖项名额分别按比例四舍五入" in page
    assert "组别排名人数不少于3人时至少设一等奖1名，不足3人时不设一等奖" in page


def test_the_api_sets_the_award_rules_and_the_chief_acknowledges(shared, client, auth):
    scene = shared
    auth.login(scene.organizer.username)
    response = client.patch(f"/api/v1/events/{scene.event.id}",
                            json={"first_prize_min_entries": 20})
    assert response.status_code == 200
    assert response.get_json()["first_prize_min_entries"] == 20
    response = client.patch(f"/api/v1/events/{scene.event.id}",
                            json={"award_rounding": "sometimes"})
    assert response.status_code == 422
    live = client.get(f"/api/v1/events/{scene.event.id}/results").get_json()
    awards = live["divisions"][0]["awards"]
    # 10 entries below the minimum of 20: no first prize; second and third keep 2 and 3.
    assert [(b["band"], b["places"]) for b in awards["bands"]] == [
        ("first", 0), ("second", 2), ("third", 3)]
    assert awards["needs_acknowledgement"] and not awards["may_publish"]
    assert client.post(f"/api/v1/divisions/{scene.division.id}/awards/acknowledgement",
                       json={"overflow": awards["overflow"]}).status_code == 403
    auth.logout()

    auth.login(scene.chief.username)
    response = client.post(f"/api/v1/divisions/{scene.division.id}/awards/acknowledgement",
                           json={"overflow": "first 1/2 tied 1,2"})
    assert response.status_code == 422
    response = client.post(f"/api/v1/divisions/{scene.division.id}/awards/acknowledgement",
                           json={"overflow": awards["overflow"]})
    assert response.status_code == 200
    body = response.get_json()
    assert body["may_publish"] and body["acknowledged_at"]
    assert db.session.scalar(select(AwardAcknowledgement.overflow)) == awards["overflow"]


def test_export_and_import_keep_the_award_rules(app):
    organizer = builders.user("organizer")
    competition = builders.competition(organizers=(organizer,), level="city")
    event = builders.event(competition, name="电工", award_rounding="per_band",
                           first_prize_min_entries=4, award_ties="tie_break")
    builders.module(event, code="T", weight=100, kind="theory", criteria=())
    db.session.commit()
    document = export_competition(db.session.get(type(competition), competition.id))
    exported = document["events"][0]
    assert (exported["award_rounding"], exported["first_prize_min_entries"],
            exported["award_ties"]) == ("per_band", 4, "tie_break")
    plan = check_document(document, name="复制的大赛")
    settings = plan.events[0].settings
    assert (settings["award_rounding"], settings["first_prize_min_entries"],
            settings["award_ties"]) == ("per_band", 4, "tie_break")
    # An older document without them gets today's behaviour.
    for key in ("award_rounding", "first_prize_min_entries", "award_ties"):
        del exported[key]
    settings = check_document(document, name="复制的大赛").events[0].settings
    assert (settings["award_rounding"], settings["first_prize_min_entries"],
            settings["award_ties"]) == ("cumulative", None, "share")
    exported["award_ties"] = "tie_break"
    exported["tie_break"] = ["practical"]
    with pytest.raises(SetupError) as refused:
        check_document(document, name="复制的大赛")
    assert any(p.column == "events[0].award_ties" for p in refused.value.problems)
