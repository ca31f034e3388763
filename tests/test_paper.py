"""Paper fallback: blank sheets as PDF, a paper sheet typed in, and confirmed blind by another.

The demo competition gives a realistic event: 养老护理员 with judges judge1–judge5,
chief judge chief1, and judge3 recused from the entries of 咸宁市社会福利院.
"""

from __future__ import annotations

import io
import re
from decimal import Decimal as D  # noqa: N817 — short in tables of cases

import pytest
import zxingcpp
from pypdf import PdfReader
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from competition.audit.log import verify_chain
from competition.audit.models import AuditEvent
from competition.auth.models import User
from competition.entries.models import Contestant, Entry
from competition.events.models import Event, Module
from competition.extensions import db
from competition.judging import paper_sheets, scoring
from competition.judging.models import Mark, ScoreSheet
from competition.judging.paper_pdf import parse_sheet_ref
from competition.judging.scoring import JudgingError, MarkChange
from tests import builders


@pytest.fixture
def demo(seeded_demo):
    return db.session.scalar(select(Event).where(Event.name == "养老护理员"))


def user(name: str) -> User:
    return db.session.scalar(select(User).where(User.username == name))


def login(auth, name: str):
    response = auth.login(name, f"demo-{name}-2026")
    assert response.status_code == 200
    return user(name)


def module(event, code="A") -> Module:
    return next(m for m in event.modules if m.code == code)


def entry_for(event, judge_name="judge1", index=0) -> Entry:
    """An entry the judge is not recused from."""
    judge = user(judge_name)
    return next(a for a in scoring.assignments(db.session, judge)
                if a.event.id == event.id).entries[index]


def recused_entry(event) -> Entry:
    return db.session.scalars(select(Entry).join(Entry.contestant).where(
        Entry.event_id == event.id, Contestant.work_unit == "咸宁市社会福利院")).first()


def full_marks(mod, **overrides) -> dict[str, str]:
    """Form data: every criterion at its maximum, or the value given by criterion code."""
    return {f"c{c.id}": overrides.get(c.code, format(c.max_points.normalize(), "f"))
            for c in mod.criteria}


def entry_url(event, mod, entry, judge) -> str:
    return (f"/events/{event.id}/paper?module_id={mod.id}&entry_id={entry.id}"
            f"&judge_id={judge.id}")


def typed_sheets() -> list[ScoreSheet]:
    return db.session.scalars(select(ScoreSheet).where(ScoreSheet.source == "paper")).all()


def actions(action: str) -> list[AuditEvent]:
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                              .order_by(AuditEvent.id)).all()


def enter_as_organizer(client, auth, event, mod, entry, judge_name="judge1", **overrides):
    login(auth, "organizer")
    judge = user(judge_name)
    response = client.post(entry_url(event, mod, entry, judge),
                           data=full_marks(mod, **overrides), follow_redirects=True)
    auth.logout()
    return response


def inputs(page: str, name: str) -> list[dict[str, str]]:
    """The attributes of each <input> named ``name`` on the page."""
    found = []
    for tag in re.findall(r"<input\b[^>]*>", page):
        attributes = dict(re.findall(r'([\w-]+)="([^"]*)"', tag))
        if attributes.get("name") == name:
            found.append(attributes)
    return found


def typed_value(page: str, criterion) -> str | None:
    [field] = inputs(page, f"c{criterion.id}")
    return field.get("value")


def read_pdf(response) -> PdfReader:
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "application/pdf"
    return PdfReader(io.BytesIO(response.data))


# --- Blank sheets -------------------------------------------------------------------

def test_blank_sheets_one_page_per_station_and_module_and_no_names(demo, client, auth):
    login(auth, "organizer")
    entries = scoring.scoreable_entries(db.session, demo.id)
    modules = scoring.scored_modules(demo)
    whole = read_pdf(client.get(f"/events/{demo.id}/paper-sheets.pdf"))
    assert len(whole.pages) == len(entries) * len(modules) == 22 * 3

    mod = module(demo, "B")
    one_module = read_pdf(client.get(f"/events/{demo.id}/paper-sheets.pdf?module_id={mod.id}"))
    assert len(one_module.pages) == len(entries)

    target = entries[2]
    pdf = read_pdf(client.get(
        f"/events/{demo.id}/paper-sheets.pdf?module_id={mod.id}&station={target.station}"))
    assert len(pdf.pages) == 1
    text = pdf.pages[0].extract_text()
    for expected in (target.code, "工位号", str(target.station), "养老护理员", "评分表",
                     "咸宁工匠", "裁判员签名", mod.name, *(c.code for c in mod.criteria)):
        assert expected in text, expected
    # Anonymous: no contestant's name or work unit on any sheet of the event.
    everything = "\n".join(page.extract_text() for page in whole.pages)
    people = db.session.scalars(select(Contestant)).all()
    for person in people:
        assert person.name not in everything
        assert person.work_unit not in everything
    # The QR code leads back to this entry and module on the paper entry page.
    codes = [b.text for image in pdf.pages[0].images
             for b in zxingcpp.read_barcodes(image.image)]
    assert codes and parse_sheet_ref(codes[0]) == (target.id, mod.id)
    assert f"E{target.id}-M{mod.id}" in text


def test_blank_sheets_print_the_choices_of_each_entry_mode(demo, client, auth):
    lathe = db.session.scalar(select(Event).where(Event.name == "车工"))
    login(auth, "chief2")  # the chief judge of 车工 may print its sheets
    mod = module(lathe, "A")
    entry = scoring.scoreable_entries(db.session, lathe.id)[0]
    text = read_pdf(client.get(f"/events/{lathe.id}/paper-sheets.pdf?module_id={mod.id}"
                               f"&station={entry.station}")).pages[0].extract_text()
    assert "标称 38 mm" in text and "-0.025" in text  # measured: nominal and tolerance
    assert "读数" in text
    assert "是" in text and "否" in text  # all or nothing


def test_a_0_to_3_criterion_prints_its_four_choices(demo, client, auth):
    mod = module(demo, "A")
    mod.criteria[0].kind, mod.criteria[0].entry_mode = "judgement", "scale_0_3"
    db.session.commit()
    login(auth, "organizer")
    entry = scoring.scoreable_entries(db.session, demo.id)[0]
    text = read_pdf(client.get(f"/events/{demo.id}/paper-sheets.pdf?module_id={mod.id}"
                               f"&station={entry.station}")).pages[0].extract_text()
    assert re.search(r"0\s*1\s*2\s*3", text)


def test_a_station_without_an_entry_prints_no_sheet(demo, client, auth):
    login(auth, "organizer")
    pdf = read_pdf(client.get(f"/events/{demo.id}/paper-sheets.pdf?station=999"))
    assert len(pdf.pages) == 1 and "没有" in pdf.pages[0].extract_text()


# --- Typing a paper sheet in --------------------------------------------------------

def test_a_typed_in_paper_sheet_is_a_draft_that_does_not_count(demo, client, auth):
    mod, entry = module(demo), entry_for(demo)
    response = enter_as_organizer(client, auth, demo, mod, entry)
    page = response.get_data(as_text=True)
    assert "录入" in page and "等待复核" in page
    [sheet] = typed_sheets()
    assert sheet.status == "draft" and sheet.source == "paper"
    assert sheet.judge_id == user("judge1").id
    assert sheet.entered_by_id == user("organizer").id and sheet.confirmed_by_id is None
    assert {m.criterion_id: m.value for m in sheet.marks} == {
        c.id: c.max_points for c in mod.criteria}
    state = scoring.progress(db.session, demo)
    assert state.cells[(entry.id, mod.id, user("judge1").id)] == "draft"
    writes = actions("mark.write")
    assert len(writes) == len(mod.criteria)
    assert {w.reason for w in writes} == {"paper sheet entered"}
    assert {w.actor_id for w in writes} == {user("organizer").id}
    assert db.session.get(Event, demo.id).marking_started_at is not None
    assert verify_chain(db.session) is None


def test_bad_or_missing_marks_save_nothing(demo, client, auth):
    mod, entry = module(demo), entry_for(demo)
    first, second = mod.criteria[0], mod.criteria[1]
    response = enter_as_organizer(client, auth, demo, mod, entry,
                                  **{first.code: str(first.max_points + 1)})
    assert response.status_code == 200
    flashed = re.findall(r'class="flash flash-error"[^>]*>([^<]*)<',
                         response.get_data(as_text=True))
    assert any(first.code in message for message in flashed)
    data = full_marks(mod)
    del data[f"c{second.id}"]
    login(auth, "organizer")
    response = client.post(entry_url(demo, mod, entry, user("judge1")), data=data)
    assert response.status_code == 200
    assert typed_sheets() == [] and db.session.scalar(select(func.count(Mark.id))) == 0
    assert actions("mark.write") == []


def test_full_width_digits_typed_on_a_chinese_keyboard_are_read(demo, client, auth):
    mod, entry = module(demo), entry_for(demo)
    first = mod.criteria[0]
    enter_as_organizer(client, auth, demo, mod, entry, **{first.code: "４．５"})
    [sheet] = typed_sheets()
    assert next(m for m in sheet.marks if m.criterion_id == first.id).value == D("4.5")


def test_a_judge_with_a_tablet_sheet_gets_no_paper_sheet(demo, client, auth):
    mod, entry = module(demo), entry_for(demo)
    judge = user("judge1")
    tablet = scoring.open_sheet(db.session, judge, entry, mod)
    scoring.save_marks(db.session, judge, tablet, [MarkChange(mod.criteria[0].id, D(2))])
    db.session.commit()
    login(auth, "organizer")
    page = client.get(entry_url(demo, mod, entry, judge)).get_data(as_text=True)
    assert "平板" in page and not inputs(page, f"c{mod.criteria[0].id}")  # nothing to type in
    response = client.post(entry_url(demo, mod, entry, judge), data=full_marks(mod))
    assert response.status_code == 200 and "平板" in response.get_data(as_text=True)
    assert typed_sheets() == []
    assert len(actions("mark.write")) == 1  # the tablet's own mark only


def test_a_recused_judges_paper_sheet_is_refused(demo, client, auth):
    mod, entry = module(demo), recused_entry(demo)
    response = enter_as_organizer(client, auth, demo, mod, entry, judge_name="judge3")
    assert "回避" in response.get_data(as_text=True)
    assert typed_sheets() == [] and actions("mark.write") == []
    with pytest.raises(JudgingError, match="recused"):
        paper_sheets.enter_paper_sheet(db.session, user("organizer"), entry, mod, user("judge3"),
                                {c.id: c.max_points for c in mod.criteria})


def test_the_same_judges_paper_sheet_is_not_typed_in_twice(demo, client, auth):
    mod, entry = module(demo), entry_for(demo)
    enter_as_organizer(client, auth, demo, mod, entry)
    with pytest.raises(JudgingError, match="waits for confirmation"):
        paper_sheets.enter_paper_sheet(db.session, user("chief1"), entry, mod, user("judge1"),
                                {c.id: c.max_points for c in mod.criteria})
    assert len(typed_sheets()) == 1


def test_a_sheet_id_typed_or_scanned_opens_that_sheet(demo, client, auth):
    mod, entry = module(demo, "C"), entry_for(demo)
    login(auth, "organizer")
    response = client.get(f"/events/{demo.id}/paper?ref=e{entry.id}-m{mod.id}")
    assert response.status_code == 302
    assert f"entry_id={entry.id}" in response.headers["Location"]
    assert f"module_id={mod.id}" in response.headers["Location"]


# --- Confirmation by a second person ------------------------------------------------

def test_the_typist_cannot_confirm_their_own_entry(demo, client, auth):
    mod, entry = module(demo), entry_for(demo)
    enter_as_organizer(client, auth, demo, mod, entry)
    [sheet] = typed_sheets()
    login(auth, "organizer")
    response = client.post(f"/paper-sheets/{sheet.id}/confirm", data=full_marks(mod),
                           follow_redirects=True)
    assert "另一人" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(ScoreSheet, sheet.id).confirmed_by_id is None
    assert db.session.get(ScoreSheet, sheet.id).status == "draft"
    with pytest.raises(JudgingError, match="different person"):
        paper_sheets.confirm_paper_sheet(db.session, user("organizer"), sheet,
                                  {c.id: c.max_points for c in mod.criteria})
    assert actions("sheet.confirm") == []


def test_the_database_refuses_the_typist_as_confirmer(demo, client, auth):
    mod, entry = module(demo), entry_for(demo)
    enter_as_organizer(client, auth, demo, mod, entry)
    [sheet] = typed_sheets()
    sheet.confirmed_by_id = sheet.entered_by_id
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_a_second_entry_that_differs_is_not_confirmed_and_says_where(demo, client, auth):
    mod, entry = module(demo), entry_for(demo)
    first, third = mod.criteria[0], mod.criteria[2]
    enter_as_organizer(client, auth, demo, mod, entry)
    [sheet] = typed_sheets()
    login(auth, "chief1")
    blind = client.get(f"/paper-sheets/{sheet.id}/confirm").get_data(as_text=True)
    assert all(typed_value(blind, c) in (None, "") for c in mod.criteria)  # blind
    response = client.post(f"/paper-sheets/{sheet.id}/confirm",
                           data=full_marks(mod, **{first.code: "1", third.code: "2"}))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "不一致" in page and f"{first.code}、{third.code}" in page
    # The confirmer sees their own values again, never the first entry's.
    assert typed_value(page, first) == "1"
    db.session.expire_all()
    held = db.session.get(ScoreSheet, sheet.id)
    assert held.confirmed_by_id is None and held.status == "draft"
    assert {m.value for m in held.marks if m.criterion_id == first.id} == {first.max_points}
    [mismatch] = actions("sheet.confirm_mismatch")
    assert mismatch.actor_id == user("chief1").id and first.code in mismatch.new_value
    # The list tells everyone which criteria to check, not the values.
    listing = client.get(f"/events/{demo.id}/paper").get_data(as_text=True)
    assert f"{first.code}、{third.code}" in listing
    assert scoring.progress(db.session, demo).cells[
        (entry.id, mod.id, user("judge1").id)] == "draft"


def test_matching_entries_confirm_and_submit_the_sheet(demo, client, auth):
    mod, entry = module(demo), entry_for(demo)
    first = mod.criteria[0]
    enter_as_organizer(client, auth, demo, mod, entry, **{first.code: "4.5"})
    [sheet] = typed_sheets()
    login(auth, "chief1")
    response = client.post(f"/paper-sheets/{sheet.id}/confirm",
                           data=full_marks(mod, **{first.code: "4.50"}), follow_redirects=True)
    assert "已复核" in response.get_data(as_text=True) or "一致" in response.get_data(as_text=True)
    db.session.expire_all()
    held = db.session.get(ScoreSheet, sheet.id)
    assert held.confirmed_by_id == user("chief1").id and held.status == "submitted"
    assert held.submitted_at is not None
    [confirm] = actions("sheet.confirm")
    assert confirm.actor_id == user("chief1").id and confirm.object_id == str(sheet.id)
    [submit] = actions("sheet.submit")
    assert submit.actor_id == user("chief1").id
    assert verify_chain(db.session) is None
    assert scoring.progress(db.session, demo).cells[
        (entry.id, mod.id, user("judge1").id)] == "submitted"
    # Confirmed is final: no second confirmation, no correction.
    with pytest.raises(JudgingError, match="already confirmed"):
        paper_sheets.confirm_paper_sheet(db.session, user("organizer"), held,
                                  {c.id: c.max_points for c in mod.criteria})


def test_the_typist_corrects_and_the_second_entry_then_confirms(demo, client, auth):
    mod, entry = module(demo), entry_for(demo)
    first = mod.criteria[0]
    enter_as_organizer(client, auth, demo, mod, entry, **{first.code: "1"})  # a typing slip
    [sheet] = typed_sheets()
    login(auth, "chief1")
    client.post(f"/paper-sheets/{sheet.id}/confirm", data=full_marks(mod, **{first.code: "3"}))
    # Only the typist corrects.
    response = client.post(f"/paper-sheets/{sheet.id}/correct", data=full_marks(mod),
                           follow_redirects=True)
    assert "只有" in response.get_data(as_text=True)
    auth.logout()
    login(auth, "organizer")
    form = client.get(f"/paper-sheets/{sheet.id}/correct").get_data(as_text=True)
    assert typed_value(form, first) == "1"  # their own entry
    assert first.code in form and "不一致" in form
    client.post(f"/paper-sheets/{sheet.id}/correct", data=full_marks(mod, **{first.code: "3"}))
    corrections = [a for a in actions("mark.write") if a.reason == "paper sheet corrected"]
    assert len(corrections) == 1 and corrections[0].object_id == f"{sheet.id}:{first.id}"
    auth.logout()
    login(auth, "chief1")
    client.post(f"/paper-sheets/{sheet.id}/confirm", data=full_marks(mod, **{first.code: "3"}))
    db.session.expire_all()
    held = db.session.get(ScoreSheet, sheet.id)
    assert held.status == "submitted" and held.confirmed_by_id == user("chief1").id


def test_a_sheet_typed_in_by_mistake_is_discarded_with_a_reason(demo, client, auth):
    mod, entry = module(demo), entry_for(demo)
    enter_as_organizer(client, auth, demo, mod, entry, judge_name="judge2")  # wrong judge
    [sheet] = typed_sheets()
    login(auth, "organizer")
    client.post(f"/paper-sheets/{sheet.id}/discard", data={"reason": " "})
    assert len(typed_sheets()) == 1 and actions("sheet.discard") == []
    response = client.post(f"/paper-sheets/{sheet.id}/discard",
                           data={"reason": "录入时选错了裁判员"}, follow_redirects=True)
    assert "作废" in response.get_data(as_text=True)
    db.session.expire_all()
    assert typed_sheets() == [] and db.session.scalar(select(func.count(Mark.id))) == 0
    [discard] = actions("sheet.discard")
    assert discard.reason == "录入时选错了裁判员" and discard.actor_id == user("organizer").id
    removals = [a for a in actions("mark.write") if a.new_value == ""]
    assert len(removals) == len(mod.criteria)
    assert verify_chain(db.session) is None
    # The right judge's sheet can now be typed in, and judge2 is free to score on a tablet.
    client.post(entry_url(demo, mod, entry, user("judge1")), data=full_marks(mod))
    assert [s.judge_id for s in typed_sheets()] == [user("judge1").id]
    assert scoring.open_sheet(db.session, user("judge2"), entry, mod).source == "tablet"


def test_a_confirmed_sheet_cannot_be_discarded(demo, client, auth):
    mod, entry = module(demo), entry_for(demo)
    enter_as_organizer(client, auth, demo, mod, entry)
    [sheet] = typed_sheets()
    paper_sheets.confirm_paper_sheet(db.session, user("chief1"), sheet,
                              {c.id: c.max_points for c in mod.criteria})
    db.session.commit()
    with pytest.raises(JudgingError, match="already confirmed"):
        paper_sheets.discard_paper_sheet(db.session, user("organizer"), sheet, "选错了")


def test_scale_and_all_or_nothing_criteria_are_typed_as_choices(demo, client, auth):
    mod, entry = module(demo), entry_for(demo)
    scale, all_or_nothing = mod.criteria[0], mod.criteria[1]
    scale.kind, scale.entry_mode = "judgement", "scale_0_3"
    all_or_nothing.entry_mode = "pass_fail"
    db.session.commit()
    login(auth, "organizer")
    page = client.get(entry_url(demo, mod, entry, user("judge1"))).get_data(as_text=True)
    assert [i["value"] for i in inputs(page, f"c{scale.id}")] == ["0", "1", "2", "3"]
    assert [i["type"] for i in inputs(page, f"c{scale.id}")] == ["radio"] * 4
    assert [i["value"] for i in inputs(page, f"c{all_or_nothing.id}")] == ["1", "0"]
    assert "是" in page and "否" in page
    values = {scale.code: "2", all_or_nothing.code: "0"}
    client.post(entry_url(demo, mod, entry, user("judge1")), data=full_marks(mod, **values))
    auth.logout()
    bad = full_marks(mod, **{scale.code: "4", all_or_nothing.code: "0"})
    login(auth, "chief1")
    [sheet] = typed_sheets()
    response = client.post(f"/paper-sheets/{sheet.id}/confirm", data=bad)
    assert response.status_code == 200 and actions("sheet.confirm") == []
    client.post(f"/paper-sheets/{sheet.id}/confirm", data=full_marks(mod, **values))
    db.session.expire_all()
    marks = {m.criterion_id: m for m in db.session.get(ScoreSheet, sheet.id).marks}
    assert marks[scale.id].points == (scale.max_points * 2 / 3).quantize(D("0.0001"))
    assert marks[all_or_nothing.id].points == 0
    assert db.session.get(ScoreSheet, sheet.id).status == "submitted"


def test_no_contestant_name_on_the_paper_pages(demo, client, auth):
    mod, entry = module(demo), entry_for(demo)
    enter_as_organizer(client, auth, demo, mod, entry)
    [sheet] = typed_sheets()
    login(auth, "chief1")
    pages = client.get(f"/events/{demo.id}/paper?module_id={mod.id}&entry_id={entry.id}"
                       f"&judge_id={user('judge2').id}").get_data(as_text=True)
    pages += client.get(f"/paper-sheets/{sheet.id}/confirm").get_data(as_text=True)
    assert entry.code in pages
    for person in db.session.scalars(select(Contestant)):
        assert person.name not in pages


# --- Who may ------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/events/{e}/paper-sheets.pdf", "/events/{e}/paper",
                                  "/paper-sheets/{s}/confirm", "/paper-sheets/{s}/correct",
                                  "/paper-sheets/{s}/discard"])
@pytest.mark.parametrize("visitor", ["judge1", "chief2", "other organizer", "anonymous"])
def test_only_organizers_and_the_chief_judge_handle_paper_sheets(demo, client, auth, path,
                                                                 visitor):
    mod, entry = module(demo), entry_for(demo)
    enter_as_organizer(client, auth, demo, mod, entry)
    [sheet] = typed_sheets()
    if visitor == "other organizer":
        other = builders.user("organizer")
        db.session.commit()
        auth.login(other.username)
    elif visitor != "anonymous":
        login(auth, visitor)
    url = path.format(e=demo.id, s=sheet.id)
    response = client.get(url)
    if visitor == "anonymous":
        assert response.status_code in (302, 405)
        assert response.status_code == 405 or "/login" in response.headers["Location"]
    else:
        assert response.status_code in (403, 405)
    response = client.post(url, data={**full_marks(mod), "reason": "试试"})
    assert response.status_code in (302, 403, 405)
    db.session.expire_all()
    held = db.session.get(ScoreSheet, sheet.id)
    assert held is not None and held.confirmed_by_id is None
    assert len(actions("mark.write")) == len(mod.criteria)
    if visitor != "anonymous" and not path.endswith(".pdf"):
        assert response.status_code == 403


@pytest.mark.parametrize("clerk", ["organizer", "chief1", "admin"])
def test_organizers_admins_and_the_chief_judge_may_open_the_pages(demo, client, auth, clerk):
    login(auth, clerk)
    assert client.get(f"/events/{demo.id}/paper").status_code == 200
    assert client.get(f"/events/{demo.id}/paper-sheets.pdf?station=1").status_code == 200
