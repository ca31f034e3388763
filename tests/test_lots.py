"""Drawing lots (抽签): the pure draw, the service, the draw page and the printable record."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from competition.entries import draws, lots
from competition.entries.models import Attendance, LotDraw, RegistrationStatus
from competition.entries.registrations import RegistrationError
from competition.extensions import db
from tests.builders import entries_of, entry, setup_event

VERIFIED = "可复核：用种子重新计算结果一致"


def draw_count() -> int:
    return db.session.scalar(select(func.count()).select_from(LotDraw))


# --- The pure draw ----------------------------------------------------------------------

@given(seed=st.text(min_size=1, max_size=40),
       ids=st.sets(st.integers(min_value=1, max_value=10**6), min_size=1, max_size=60))
@settings(max_examples=80, deadline=None)
def test_every_entry_gets_a_distinct_station_from_1_to_n_and_a_distinct_code(seed, ids):
    result = lots.draw(seed, ids, "A", 3)
    assert [lot.entry_id for lot in result] == sorted(ids)
    assert sorted(lot.station for lot in result) == list(range(1, len(ids) + 1))
    codes = [lot.code for lot in result]
    assert len(set(codes)) == len(codes)
    assert all(re.fullmatch(r"A[1-9]\d\d", code) for code in codes)
    assert lots.verify(seed, ids, "A", 3, result=result)


def test_one_entry_draws_station_1():
    [lot] = lots.draw("seed", [42], "YL-", 4)
    assert lot.entry_id == 42 and lot.station == 1
    assert re.fullmatch(r"YL-[1-9]\d{3}", lot.code)


def test_nobody_to_draw_is_refused():
    with pytest.raises(lots.DrawError, match="no one to draw"):
        lots.draw("seed", [], "A")


def test_the_same_seed_gives_the_same_draw_whatever_the_input_order():
    ids = [5, 3, 9, 1, 7, 2]
    assert lots.draw("8f1c2e", ids, "B") == lots.draw("8f1c2e", sorted(ids, reverse=True), "B")


def test_a_known_seed_always_gives_the_same_draw():
    """Pinned: a draw recorded today must recompute the same with a later Python."""
    assert lots.draw("0123456789abcdef0123456789abcdef", [1, 2, 3, 4], "A") == [
        lots.Lot(*row) for row in PINNED]


PINNED = [(1, 2, "A533"), (2, 3, "A248"), (3, 1, "A825"), (4, 4, "A833")]


def test_different_seeds_give_different_draws():
    ids = list(range(1, 21))
    draws = {tuple(lots.draw(f"seed-{i}", ids, "A")) for i in range(20)}
    assert len(draws) == 20
    assert len({tuple(lot.station for lot in d) for d in draws}) == 20


def test_verify_detects_a_changed_result():
    ids = [11, 12, 13]
    result = lots.draw("seed", ids, "A")
    swapped = [(result[0].entry_id, result[1].station, result[0].code),
               (result[1].entry_id, result[0].station, result[1].code), result[2]]
    assert lots.verify("seed", ids, "A", result=result)
    assert not lots.verify("seed", ids, "A", result=swapped)
    assert not lots.verify("other seed", ids, "A", result=result)
    assert not lots.verify("seed", ids, "A", 4, result=result)


def test_codes_are_not_in_registration_order():
    ids = list(range(1, 11))
    codes = [lot.code for lot in lots.draw("fixed seed", ids, "A")]
    assert codes != sorted(codes)
    # Over many draws the first registered entry gets the smallest code about 1 in 10
    # times, as any other entry does: the order of registration does not show.
    smallest_first = sum(
        1 for i in range(1000)
        if (d := lots.draw(f"s{i}", ids, "A"))[0].code == min(lot.code for lot in d))
    assert 60 <= smallest_first <= 140
    sorted_draws = sum(1 for i in range(1000)
                       if [lot.code for lot in lots.draw(f"t{i}", ids, "A")]
                       == sorted(lot.code for lot in lots.draw(f"t{i}", ids, "A")))
    assert sorted_draws == 0  # 1 in 10! by chance


def test_codes_do_not_follow_stations():
    """Station 1 gets the smallest code about 1 in 8 times: codes are drawn apart from
    stations, so knowing a station does not narrow down its code."""
    ids = list(range(1, 9))
    hits = 0
    for i in range(1000):
        result = lots.draw(f"k{i}", ids, "A")
        first = min(result, key=lambda lot: lot.station)
        hits += first.code == min(lot.code for lot in result)
    assert 80 <= hits <= 175


def test_codes_taken_by_others_are_never_drawn_and_a_full_code_space_is_refused():
    taken = [f"A{n}" for n in range(100, 995)]  # 5 codes left: A995 … A999
    result = lots.draw("seed", [1, 2, 3, 4, 5], "A", 3, taken_codes=taken)
    assert sorted(lot.code for lot in result) == ["A995", "A996", "A997", "A998", "A999"]
    with pytest.raises(lots.DrawError, match="choose more digits"):
        lots.draw("seed", range(1, 7), "A", 3, taken_codes=taken)


@pytest.mark.parametrize("prefix", ["", "a", "ABCD", "A1", "-", "张"])
def test_a_bad_code_prefix_is_refused(prefix):
    with pytest.raises(lots.DrawError, match="prefix"):
        lots.draw("seed", [1], prefix)


def test_stations_handed_out_are_the_ones_given():
    result = lots.draw("seed", [1, 2, 3], "A", stations=[4, 5, 6])
    assert sorted(lot.station for lot in result) == [4, 5, 6]
    with pytest.raises(lots.DrawError):
        lots.draw("seed", [1, 2, 3], "A", stations=[4, 5])


def test_free_stations_continue_after_those_taken_and_fill_gaps():
    assert lots.free_stations([], 3) == [1, 2, 3]
    assert lots.free_stations([1, 2, 3], 2) == [4, 5]
    assert lots.free_stations([1, 3, 4], 3) == [2, 5, 6]


# --- The service ------------------------------------------------------------------------

def test_a_draw_gives_approved_entries_that_have_not_withdrawn_a_station_and_a_code(app):
    organizer, event = setup_event(entries=(4,))
    pending = entry(event, status=RegistrationStatus.PENDING)
    withdrawn = entry(event, attendance=Attendance.WITHDRAWN)
    draw = draws.draw_lots(db.session, event, None, organizer, "A")
    db.session.commit()

    drawn = [e for e in entries_of(event) if e.station is not None]
    assert len(drawn) == 4 and pending not in drawn and withdrawn not in drawn
    assert sorted(e.station for e in drawn) == [1, 2, 3, 4]
    assert len({e.code for e in drawn}) == 4 and all(e.draw_id == draw.id for e in drawn)
    assert len(draw.seed) == 32 and draw.drawn_by_id == organizer.id
    record = draws.draw_record(db.session, draw)
    assert record.reproducible and record.current


def test_nobody_to_draw_is_refused_with_a_message(app):
    organizer, event = setup_event(entries=(0,))
    entry(event, status=RegistrationStatus.PENDING)
    with pytest.raises(RegistrationError, match="no one to draw"):
        draws.draw_lots(db.session, event, None, organizer, "A")
    assert draw_count() == 0


def test_drawing_again_needs_confirmation(app):
    organizer, event = setup_event(entries=(5,))
    first = draws.draw_lots(db.session, event, None, organizer, "A")
    db.session.commit()
    before = [(e.id, e.station, e.code) for e in entries_of(event)]

    with pytest.raises(RegistrationError, match="already been drawn"):
        draws.draw_lots(db.session, event, None, organizer, "A")
    db.session.rollback()
    assert [(e.id, e.station, e.code) for e in entries_of(event)] == before

    second = draws.draw_lots(db.session, event, None, organizer, "A", redraw=True)
    db.session.commit()
    assert second.seed != first.seed
    assert all(e.draw_id == second.id for e in entries_of(event))
    # The first draw stays on record, still verifiable, and shows it was replaced.
    old = draws.draw_record(db.session, first)
    assert old.reproducible and {line.state for line in old.lines} == {"superseded"}


def test_no_draw_once_marking_has_started_even_when_confirmed(app):
    organizer, event = setup_event(entries=(3,))
    draws.draw_lots(db.session, event, None, organizer, "A")
    event.marking_started_at = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)
    db.session.commit()
    before = [(e.station, e.code) for e in entries_of(event)]
    with pytest.raises(RegistrationError, match="Marking has started"):
        draws.draw_lots(db.session, event, None, organizer, "A", redraw=True)
    db.session.rollback()
    assert [(e.station, e.code) for e in entries_of(event)] == before
    assert draw_count() == 1


def test_a_redraw_frees_the_station_of_an_entry_that_withdrew(app):
    organizer, event = setup_event(entries=(3,))
    draws.draw_lots(db.session, event, None, organizer, "A")
    leaving = entries_of(event)[0]
    leaving.attendance = Attendance.WITHDRAWN
    draws.draw_lots(db.session, event, None, organizer, "A", redraw=True)
    db.session.commit()
    assert leaving.station is None and leaving.code is None
    assert sorted(e.station for e in entries_of(event) if e.station) == [1, 2]


def test_divisions_drawn_one_by_one_keep_stations_and_codes_unique_in_the_event(app):
    organizer, event = setup_event(divisions=("职工组", "企业组"), entries=(3, 2))
    workers, company = event.divisions
    draws.draw_lots(db.session, event, workers, organizer, "A")
    draws.draw_lots(db.session, event, company, organizer, "A")
    db.session.commit()
    stations = {e.division_id: set() for e in entries_of(event)}
    for e in entries_of(event):
        stations[e.division_id].add(e.station)
    assert stations[workers.id] == {1, 2, 3} and stations[company.id] == {4, 5}
    assert len({e.code for e in entries_of(event)}) == 5

    # Drawing the first division again hands back its own stations, still unique.
    redraw = draws.draw_lots(db.session, event, workers, organizer, "A", redraw=True)
    db.session.commit()
    assert {e.station for e in entries_of(event) if e.division_id == workers.id} == {1, 2, 3}
    assert len({e.code for e in entries_of(event)}) == 5
    assert draws.draw_record(db.session, redraw).reproducible


def test_a_division_of_another_event_is_refused(app):
    organizer, event = setup_event(entries=(2,))
    _, other = setup_event(organizer=organizer, entries=(1,))
    with pytest.raises(RegistrationError):
        draws.draw_lots(db.session, event, other.divisions[0], organizer, "A")


def test_too_few_codes_is_refused(app):
    organizer, event = setup_event(entries=(2,))
    with pytest.raises(RegistrationError, match="prefix"):
        draws.draw_lots(db.session, event, None, organizer, "a1")
    assert draw_count() == 0


# --- Pages ------------------------------------------------------------------------------

def test_organizer_draws_lots_for_the_whole_event(app, client, login_as):
    organizer = login_as("organizer")
    _, event = setup_event(organizer, divisions=("职工组", "企业组"), entries=(3, 2))
    page = client.get(f"/events/{event.id}/draw").get_data(as_text=True)
    assert "抽签" in page and "职工组" in page and "企业组" in page and "尚未抽签" in page

    page = client.post(f"/events/{event.id}/draw", data={
        "division_id": "0", "code_prefix": "yl-", "code_digits": "3", "note": "监督人：李四",
    }, follow_redirects=True).get_data(as_text=True)
    assert "抽签完成" in page
    drawn = entries_of(event)
    assert sorted(e.station for e in drawn) == [1, 2, 3, 4, 5]
    assert all(re.fullmatch(r"YL-[1-9]\d\d", e.code) for e in drawn)
    for e in drawn:
        assert e.code in page


def test_drawing_again_on_the_page_needs_the_box_ticked(app, client, login_as):
    organizer = login_as("organizer")
    _, event = setup_event(organizer, entries=(4,))
    url = f"/events/{event.id}/draw"
    client.post(url, data={"division_id": "0", "code_prefix": "A", "code_digits": "3"})
    before = [(e.station, e.code) for e in entries_of(event)]

    page = client.post(url, data={"division_id": "0", "code_prefix": "A", "code_digits": "3"},
                       follow_redirects=True).get_data(as_text=True)
    assert "已经抽过签" in page
    db.session.expire_all()
    assert [(e.station, e.code) for e in entries_of(event)] == before and draw_count() == 1

    client.post(url, data={"division_id": "0", "code_prefix": "A", "code_digits": "3",
                           "confirm_redraw": "y"})
    db.session.expire_all()
    assert draw_count() == 2
    assert {e.draw_id for e in entries_of(event)} == {max(db.session.scalars(
        select(LotDraw.id)))}
    page = client.get(url).get_data(as_text=True)
    assert "已被后来的抽签取代" in page


def test_a_bad_prefix_on_the_page_changes_nothing(app, client, login_as):
    organizer = login_as("organizer")
    _, event = setup_event(organizer, entries=(2,))
    page = client.post(f"/events/{event.id}/draw", data={
        "division_id": "0", "code_prefix": "A1B", "code_digits": "3"}).get_data(as_text=True)
    assert "一到三个大写字母" in page
    assert draw_count() == 0 and all(e.station is None for e in entries_of(event))


def test_no_draw_on_the_page_once_marking_has_started(app, client, login_as):
    organizer = login_as("organizer")
    _, event = setup_event(organizer, entries=(2,))
    event.marking_started_at = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)
    db.session.commit()
    page = client.get(f"/events/{event.id}/draw").get_data(as_text=True)
    assert "评分已开始" in page and 'name="code_prefix"' not in page
    page = client.post(f"/events/{event.id}/draw", data={
        "division_id": "0", "code_prefix": "A", "code_digits": "3", "confirm_redraw": "y"},
        follow_redirects=True).get_data(as_text=True)
    assert "评分已开始" in page and draw_count() == 0


def test_the_record_lists_every_entry_and_says_it_is_verifiable(app, client, login_as):
    organizer = login_as("organizer")
    _, event = setup_event(organizer, divisions=("职工组", "企业组"), entries=(3, 2))
    workers = event.divisions[0]
    draw = draws.draw_lots(db.session, event, workers, organizer, "A",
                                  note="监督人：李四")
    db.session.commit()
    page = client.get(f"/draws/{draw.id}").get_data(as_text=True)
    assert "抽签记录" in page and VERIFIED in page and draw.seed in page and "李四" in page
    for e in entries_of(event):
        if e.division_id == workers.id:
            assert e.contestant.name in page and e.code in page and e.ticket_number in page
        else:
            assert e.contestant.name not in page
    assert "draw.css" in page  # the print stylesheet

    # A station changed by hand afterwards shows up on the record.
    changed = next(e for e in entries_of(event) if e.draw_id == draw.id)
    changed.station = 99
    db.session.commit()
    page = client.get(f"/draws/{draw.id}").get_data(as_text=True)
    assert VERIFIED in page and "此后已更改" in page


def test_a_tampered_record_is_not_verified(app, client, login_as):
    organizer = login_as("organizer")
    _, event = setup_event(organizer, entries=(3,))
    draw = draws.draw_lots(db.session, event, None, organizer, "A")
    draw.seed = "0" * 32
    db.session.commit()
    page = client.get(f"/draws/{draw.id}").get_data(as_text=True)
    assert VERIFIED not in page and "可能已被篡改" in page


def test_a_draw_recorded_without_its_inputs_says_it_cannot_be_recomputed(
        app, client, login_as):
    organizer = login_as("organizer")
    _, event = setup_event(organizer, entries=(2,))
    bare = LotDraw(event_id=event.id, seed="abc", note="抽签现场有公证员")
    db.session.add(bare)
    first = entries_of(event)[0]
    first.station, first.code = 1, "A101"  # given by hand, as the demo data is
    db.session.commit()
    page = client.get(f"/draws/{bare.id}").get_data(as_text=True)
    assert "无法在此重新计算" in page and VERIFIED not in page
    page = client.get(f"/events/{event.id}/draw").get_data(as_text=True)
    assert "非抽签分配" in page


def _urls(event, draw):
    return [f"/events/{event.id}/draw", f"/draws/{draw.id}"]


@pytest.mark.parametrize("who", ["other organizer", "judge"])
def test_only_the_competitions_organizers_open_the_draw_pages(app, client, login_as, who):
    _, event = setup_event(entries=(2,))
    draw = draws.draw_lots(db.session, event, None, None, "A")
    db.session.commit()
    login_as("organizer" if who == "other organizer" else "judge")
    for url in _urls(event, draw):
        assert client.get(url).status_code == 403
    response = client.post(f"/events/{event.id}/draw", data={
        "division_id": "0", "code_prefix": "A", "code_digits": "3", "confirm_redraw": "y"})
    assert response.status_code == 403 and draw_count() == 1


def test_signed_out_visitors_are_sent_to_sign_in(app, client):
    _, event = setup_event(entries=(2,))
    draw = draws.draw_lots(db.session, event, None, None, "A")
    db.session.commit()
    for url in _urls(event, draw):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_an_admin_may_draw(app, client, login_as):
    login_as("admin")
    _, event = setup_event(entries=(2,))
    client.post(f"/events/{event.id}/draw",
                data={"division_id": "0", "code_prefix": "A", "code_digits": "4"})
    assert all(re.fullmatch(r"A\d{4}", e.code) for e in entries_of(event))
