"""The bureau's statistics (人社局): /bureau, its workbook and the API's figures.

A scene of five competitions — two in 2026, one starting on 31 December 2025, one on
1 January 2027 and one without dates — with entries in every state of registration and
check-in, people registered twice, work units typed with spaces, promotions to several
grades (one reverted by revoking its certificate), appeals in every state and experts
whose examiner certificates end on either side of today and of the 90-day warning. Every
figure is checked against a count made here from the rows in Python; the page, the
workbook and the API must show the same figures; only bureau accounts and admins get them,
with nobody's ID number or phone; and the page runs as many statements for hundreds of
entries as for ten.
"""

from __future__ import annotations

import io
import re
import secrets
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser

import pytest
from openpyxl import load_workbook
from sqlalchemy import event as sa_event
from sqlalchemy import insert, select

from competition.auth.models import User
from competition.bureau.statistics import Filters, statistics
from competition.bureau.tables import tables
from competition.entries.models import Attendance, Contestant, Entry, RegistrationStatus
from competition.events import tenancy
from competition.events.models import Competition, Division, Event, Expert, Occupation
from competition.extensions import db
from competition.grades import certificates
from competition.grades.models import Certificate, Promotion
from competition.results.models import Appeal
from competition.timeutil import local_today
from tests import builders
from tests.helpers import digest

YEAR = 2026
GRADES = (5, 4, 3, 2, 1)
TABLES = ("competitions", "contestants", "attendance", "promotions_by_grade",
          "promotions_by_occupation", "certificates", "appeals", "experts")


# --- The scene ------------------------------------------------------------------------------

def _entry(event: Event, name: str, *, division: int = 0, work_unit: str = "",
           attendance: str = Attendance.PRESENT, status: str = RegistrationStatus.APPROVED,
           phone: str = "13907150000") -> Entry:
    row = builders.placed_entry(event, name, division=division, work_unit=work_unit,
                                attendance=attendance, phone=phone)
    row.status = status
    return row


def _again(entry: Entry, event: Event, *, division: int = 0,
           attendance: str = Attendance.PRESENT) -> Entry:
    """The same person in another event: in the same competition the same contestant
    row, in another competition a row of its own with the same ID number."""
    person = entry.contestant
    if event.competition_id != person.competition_id:
        person = Contestant(competition_id=event.competition_id, name=person.name,
                            id_type=person.id_type, id_number=person.id_number,
                            sex=person.sex, birth_date=person.birth_date,
                            work_unit=person.work_unit, phone=person.phone)
    row = Entry(event=event, division_id=event.divisions[division].id, contestant=person,
                status=RegistrationStatus.APPROVED, attendance=attendance)
    db.session.add(row)
    db.session.flush()
    return row


def _appeal(entry: Entry, status: str = "pending") -> None:
    decided = datetime(2026, 11, 25, tzinfo=UTC) if status != "pending" else None
    db.session.add(Appeal(entry_id=entry.id, text="评分有误，请复核。", status=status,
                          decided_at=decided,
                          decision_reason="" if status == "pending" else "经复核"))


def _expert(name: str, days: int | None, occupation: Occupation) -> None:
    row = builders.expert(name, expires_in=None if days is None else 800,
                          occupations=(occupation,), phone="13800001111")
    if days is not None:
        row.certificate_expires_on = local_today() + timedelta(days=days)


def build_scene() -> dict:
    """The competitions of the module's docstring; commits. Returns their IDs."""
    admin = builders.user("admin", username="boss")
    organizer = builders.user("organizer", username="org")
    builders.user("bureau", username="renshe", display_name="咸宁市人社局")
    builders.user("supervisor", username="watcher")
    builders.user("judge", username="lone_judge")
    tea_job = builders.occupation("茶艺师", None)
    lathe_job = builders.occupation("车工", "6-18-01-01")
    care_job = builders.occupation()

    main = builders.competition("咸宁市第八届职业技能大赛", organizers=(organizer,),
                                level="city", starts_on=date(2026, 11, 20),
                                ends_on=date(2026, 11, 22))
    tea = builders.event(main, "茶艺师", divisions=("职工组", "学生组"), occupation=tea_job)
    lathe = builders.event(main, "车工", occupation=lathe_job)
    spring = builders.competition("咸宁市企业职工技能竞赛", level="enterprise",
                                  starts_on=date(2026, 3, 1), ends_on=date(2026, 3, 2))
    care = builders.event(spring, "养老护理员", occupation=care_job)
    eve = builders.competition("跨年技能大赛", level="provincial", starts_on=date(2025, 12, 31),
                               ends_on=date(2026, 1, 2))
    eve_tea = builders.event(eve, "茶艺师", occupation=tea_job)
    new_year = builders.competition("新年技能大赛", level="national",
                                    starts_on=date(2027, 1, 1), ends_on=date(2027, 1, 1))
    new_year_lathe = builders.event(new_year, "车工", occupation=lathe_job)
    undated = builders.competition("日期未定的大赛", starts_on=None, ends_on=None)
    undated_tea = builders.event(undated, "茶艺师", occupation=tea_job)

    units = ("咸宁温泉谷度假酒店", " 咸宁温泉谷度假酒店 ", "咸宁市茗香茶艺馆", "",
             "通山县九宫山茶社")
    states = (Attendance.PRESENT, Attendance.PRESENT, Attendance.ABSENT, Attendance.WITHDRAWN,
              Attendance.EXPECTED)
    workers = [_entry(tea, f"茶工{n}", work_unit=units[n % 5], attendance=states[n % 5])
               for n in range(7)]
    students = [_entry(tea, f"茶生{n}", division=1, work_unit="咸宁职业技术学院")
                for n in range(3)]
    _entry(tea, "待审", status=RegistrationStatus.PENDING, attendance=Attendance.EXPECTED)
    _entry(tea, "未通过", status=RegistrationStatus.REJECTED, attendance=Attendance.EXPECTED)
    turners = [_entry(lathe, f"车工{n}", work_unit="咸宁市宏达机械制造有限公司")
               for n in range(3)]
    _again(workers[0], lathe)  # one person, two events of one competition
    carers = [_entry(care, f"护理员{n}", work_unit="咸宁市中心医院") for n in range(2)]
    _again(workers[1], care)  # the same person in another competition of the year
    eve_entries = [_entry(eve_tea, f"跨年{n}", work_unit="跨年单位") for n in range(2)]
    new_year_entries = [_entry(new_year_lathe, f"新年{n}", work_unit="新年单位")
                        for n in range(2)]
    _entry(undated_tea, "无日期", work_unit="无日期单位")

    promoted = [builders.promote(workers[0], 3), builders.promote(workers[1], 3),
                builders.promote(workers[2], 2, from_grade=3), builders.promote(students[0], 4),
                builders.promote(turners[0], 3), builders.promote(carers[0], 5),
                builders.promote(eve_entries[0], 3, year=2025),
                builders.promote(new_year_entries[0], 2, year=2027)]
    issued = [certificates.issue_certificate(db.session, promotion, issued_on=date(2026, 12, 1),
                                             actor=organizer) for promotion in promoted[:5]]
    certificates.issue_certificate(db.session, promoted[6], issued_on=date(2026, 1, 5),
                                   actor=organizer)
    certificates.revoke(db.session, admin, issued[1], "冒名顶替")

    _appeal(workers[0], "accepted")
    _appeal(workers[2], "rejected")
    _appeal(workers[3], "pending")
    _appeal(turners[1], "pending")
    _appeal(eve_entries[1], "accepted")
    _appeal(new_year_entries[1], "rejected")

    for n, days in enumerate((-1, 0, 90, 91, 400, None)):
        _expert(f"茶艺专家{n}", days, tea_job)
    for n, days in enumerate((-30, 10, 1000)):
        _expert(f"车工专家{n}", days, lathe_job)
    db.session.commit()
    return {"main": main.id, "spring": spring.id, "eve": eve.id, "new_year": new_year.id,
            "undated": undated.id, "tea": tea_job.id, "lathe": lathe_job.id,
            "care": care_job.id, "students": tea.divisions[1].id,
            "workers": tea.divisions[0].id, "lathe_division": lathe.divisions[0].id,
            "eve_division": eve_tea.divisions[0].id}


@pytest.fixture
def scene(restored) -> dict:
    return restored("bureau_scene", build_scene)


def _client(app, username: str):
    client = app.test_client()
    response = client.post("/login", data={"username": username,
                                           "password": builders.PASSWORD})
    assert response.status_code == 302, username
    return client


# --- The figures, counted here from the rows ---------------------------------------------

def expected(year: int, competition_id: int | None = None, occupation_id: int | None = None,
             division_id: int | None = None, today: date | None = None) -> dict:
    """Every figure of the page, counted in Python from every row."""
    today = today or local_today()

    def counted_event(event: Event) -> bool:
        started = event.competition.starts_on
        return (started is not None and started.year == year
                and competition_id in (None, event.competition_id)
                and occupation_id in (None, event.occupation_id))

    def counted(entry: Entry) -> bool:
        return counted_event(entry.event) and division_id in (None, entry.division_id)

    competitions = {}
    for competition in db.session.scalars(select(Competition)):
        if competition.starts_on is None or competition.starts_on.year != year \
                or competition_id not in (None, competition.id):
            continue
        if not any(counted_event(e) and division_id in (None, *(d.id for d in e.divisions))
                   for e in competition.events) and (occupation_id or division_id):
            continue
        competitions[competition.level] = competitions.get(competition.level, 0) + 1
    entries = [e for e in db.session.scalars(select(Entry)) if counted(e)]
    approved = [e for e in entries if e.status == RegistrationStatus.APPROVED]
    promotions = [p for p in db.session.scalars(select(Promotion)) if counted(p.entry)]
    in_force = [p for p in promotions if p.reverted_at is None]
    by_occupation = {}
    for p in in_force:
        grades = by_occupation.setdefault(p.entry.event.occupation.name, dict.fromkeys(GRADES, 0))
        grades[p.to_grade] += 1
    issued = [c for c in db.session.scalars(select(Certificate)) if counted(c.promotion.entry)]
    appeals = [a for a in db.session.scalars(select(Appeal))
               if counted(db.session.get(Entry, a.entry_id))]
    experts = {"expired": 0, "expiring": 0, "valid": 0, "missing": 0}
    for expert in db.session.scalars(select(Expert)):
        if occupation_id is not None and occupation_id not in {o.id for o in expert.occupations}:
            continue
        ends = expert.certificate_expires_on
        state = ("missing" if ends is None else "expired" if ends < today
                 else "expiring" if (ends - today).days <= 90 else "valid")
        experts[state] += 1
    return {
        "competitions": competitions,
        "registrations": len(approved),
        "contestants": len({(e.contestant.id_type, e.contestant.id_number) for e in approved}),
        "work_units": len({e.contestant.work_unit.strip() for e in approved} - {""}),
        "attendance": {state.value: sum(e.attendance == state for e in approved)
                       for state in Attendance},
        "promoted": {g: sum(p.to_grade == g for p in in_force) for g in GRADES},
        "reverted": {g: sum(p.to_grade == g and p.reverted_at is not None for p in promotions)
                     for g in GRADES},
        "by_occupation": by_occupation,
        "issued": len(issued),
        "revoked": sum(c.revoked_at is not None for c in issued),
        "appeals": {status: sum(a.status == status for a in appeals)
                    for status in ("pending", "accepted", "rejected")},
        "experts": experts,
    }


def from_statistics(figures) -> dict:
    """The figures of ``statistics()`` in the shape of ``expected``."""
    return {
        "competitions": {k: v for k, v in figures.competitions_by_level.items() if v},
        "registrations": figures.registrations, "contestants": figures.contestants,
        "work_units": figures.work_units, "attendance": figures.attendance,
        "promoted": figures.promoted_by_grade, "reverted": figures.reverted_by_grade,
        "by_occupation": {row.name: row.by_grade for row in figures.by_occupation},
        "issued": figures.certificates_issued, "revoked": figures.certificates_revoked,
        "appeals": figures.appeals, "experts": figures.experts,
    }


def from_api(document: dict) -> dict:
    """The API's document in the shape of ``expected``."""
    promotions = document["promotions"]
    return {
        "competitions": {row["level"]: row["count"]
                         for row in document["competitions"]["by_level"] if row["count"]},
        **document["contestants"],
        "attendance": document["attendance"],
        "promoted": {row["grade"]: row["promoted"] for row in promotions["by_grade"]},
        "reverted": {row["grade"]: row["reverted"] for row in promotions["by_grade"]},
        "by_occupation": {row["occupation"]: {g["grade"]: g["promoted"] for g in row["by_grade"]}
                          for row in promotions["by_occupation"]},
        "issued": document["certificates"]["issued"],
        "revoked": document["certificates"]["revoked"],
        "appeals": {k: document["appeals"][k] for k in ("pending", "accepted", "rejected")},
        "experts": {k: document["experts"][k] for k in ("expired", "expiring", "valid",
                                                        "missing")},
    }


class _Tables(HTMLParser):
    """The page's tables by id: each row a list of its cells' texts."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._table: str | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and (attrs.get("id") or "").startswith("table-"):
            self._table = attrs["id"].removeprefix("table-")
            self.tables[self._table] = []
        elif tag == "tr" and self._table:
            self.tables[self._table].append([])
        elif tag in ("td", "th") and self._table:
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "table":
            self._table = None
        elif tag in ("td", "th") and self._cell is not None:
            self.tables[self._table][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def page_tables(html: str) -> dict[str, list[list[str]]]:
    parser = _Tables()
    parser.feed(html)
    return parser.tables


def numbers_of(rows: list[list[str]]) -> list[list[object]]:
    """A table's rows after the header, counts as ints."""
    return [[int(cell) if cell.isdigit() else cell for cell in row] for row in rows[1:]]


# --- The figures ---------------------------------------------------------------------------

def test_every_figure_equals_a_count_made_from_the_rows(app, scene):
    today = local_today()
    figures = statistics(db.session, Filters(YEAR), today=today)
    assert from_statistics(figures) == expected(YEAR, today=today)
    # What the scene was built to hold, spelled out once.
    assert figures.competitions_by_level == {"national": 0, "provincial": 0, "city": 1,
                                             "enterprise": 1, "school": 0}
    assert (figures.registrations, figures.contestants, figures.work_units) == (17, 15, 6)
    assert figures.attendance == {"expected": 1, "present": 14, "absent": 1, "withdrawn": 1}
    assert figures.promoted_by_grade == {5: 1, 4: 1, 3: 2, 2: 1, 1: 0}
    assert figures.reverted_by_grade == {5: 0, 4: 0, 3: 1, 2: 0, 1: 0}
    assert [(row.name, row.total) for row in figures.by_occupation] == [
        ("茶艺师", 3), ("养老护理员", 1), ("车工", 1)]
    assert (figures.certificates_issued, figures.certificates_revoked,
            figures.certificates_valid) == (5, 1, 4)
    assert figures.appeals == {"pending": 2, "accepted": 1, "rejected": 1}
    assert figures.experts == {"expired": 2, "expiring": 3, "valid": 3, "missing": 1}


@pytest.mark.parametrize("narrowing", [
    {"competition_id": "main"}, {"competition_id": "spring"}, {"occupation_id": "tea"},
    {"occupation_id": "lathe"}, {"division_id": "students"},
    {"competition_id": "main", "occupation_id": "tea", "division_id": "workers"},
    {"competition_id": "spring", "occupation_id": "tea"},
    {"competition_id": "eve"},
])
def test_the_filters_narrow_every_figure(app, scene, narrowing):
    """Every filter, alone and together; a competition of another year counts nothing."""
    today = local_today()
    ids = {name: scene[key] for name, key in narrowing.items()}
    figures = statistics(db.session, Filters(YEAR, **ids), today=today)
    assert from_statistics(figures) == expected(YEAR, **ids, today=today)


def test_a_competition_counts_in_the_year_of_its_first_day(app, scene):
    """31 December 2025 is 2025's, even if the contest runs into 2026; 1 January 2027 is
    2027's; a competition without dates is in no year."""
    today = local_today()
    for year in (2025, 2026, 2027, 2024):
        figures = statistics(db.session, Filters(year), today=today)
        assert from_statistics(figures) == expected(year, today=today), year
    eve = statistics(db.session, Filters(2025), today=today)
    assert eve.competitions_by_level["provincial"] == 1 and eve.competitions == 1
    assert (eve.registrations, eve.certificates_issued, eve.appeals["accepted"]) == (2, 1, 1)
    assert statistics(db.session, Filters(2027), today=today).competitions_by_level == {
        "national": 1, "provincial": 0, "city": 0, "enterprise": 0, "school": 0}
    assert statistics(db.session, Filters(2024), today=today).registrations == 0
    undated = db.session.get(Competition, scene["undated"])
    assert undated.starts_on is None
    total = sum(statistics(db.session, Filters(y), today=today).registrations
                for y in (2025, 2026, 2027))
    approved = db.session.scalars(select(Entry).where(
        Entry.status == RegistrationStatus.APPROVED)).all()
    assert total == len(approved) - 1  # all but the undated competition's entry


def test_the_expert_pool_follows_the_occupation_alone(app, scene):
    today = local_today()
    tea = statistics(db.session, Filters(2024, occupation_id=scene["tea"]), today=today)
    assert tea.experts == {"expired": 1, "expiring": 2, "valid": 2, "missing": 1}
    later = statistics(db.session, Filters(YEAR), today=today + timedelta(days=1))
    # A day later the certificate ending today has expired, one ending in 91 days warns.
    assert later.experts == {"expired": 3, "expiring": 3, "valid": 2, "missing": 1}


# --- The page, the workbook and the API agree ------------------------------------------

def test_the_page_shows_every_table_with_the_figures(app, scene):
    client = _client(app, "renshe")
    response = client.get(f"/bureau?year={YEAR}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    shown = page_tables(html)
    assert tuple(shown) == TABLES
    figures = statistics(db.session, Filters(YEAR), today=local_today())
    for table in tables(figures):
        rows = numbers_of(shown[table.key])
        wanted = [[row.label, *row.values] for row in table.rows]
        if table.total:
            wanted.append([table.total.label, *table.total.values])
        assert rows == wanted, table.key
        # The chart's numbers are the table's.
        assert f'id="chart-{table.key}"' in html
    assert numbers_of(shown["certificates"])[0][1] == expected(YEAR)["issued"]
    assert re.search(r'data-chart="\{&#34;labels&#34;', html)


def test_the_page_narrows_to_what_the_year_offers(app, scene):
    """A competition of another year, or a division of another competition, is left out
    of the filters, and the figures are the year's."""
    client = _client(app, "renshe")
    html = client.get(f"/bureau?year={YEAR}&competition_id={scene['eve']}"
                      f"&division_id={scene['eve_division']}").get_data(as_text=True)
    assert numbers_of(page_tables(html)["contestants"])[0][1] == expected(YEAR)["registrations"]
    html = client.get(f"/bureau?year={YEAR}&competition_id={scene['spring']}"
                      f"&division_id={scene['students']}").get_data(as_text=True)
    spring = expected(YEAR, competition_id=scene["spring"])
    assert numbers_of(page_tables(html)["contestants"])[0][1] == spring["registrations"] == 3
    html = client.get(f"/bureau?year={YEAR}&competition_id={scene['main']}"
                      f"&division_id={scene['students']}").get_data(as_text=True)
    students = expected(YEAR, competition_id=scene["main"], division_id=scene["students"])
    assert numbers_of(page_tables(html)["contestants"])[0][1] == students["registrations"] == 3
    for junk in ("year=abc", "year=1999", "competition_id=-4", "division_id=99999999999999"):
        assert client.get(f"/bureau?{junk}").status_code == 200, junk
    assert f'<option selected value="{local_today().year}">' in client.get(
        "/bureau").get_data(as_text=True)


def test_the_workbook_has_a_sheet_per_table_with_the_page_figures(app, scene):
    client = _client(app, "renshe")
    query = f"year={YEAR}&occupation_id={scene['tea']}"
    response = client.get(f"/bureau/statistics.xlsx?{query}")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    book = load_workbook(io.BytesIO(response.data))
    shown = page_tables(client.get(f"/bureau?{query}").get_data(as_text=True))
    figures = statistics(db.session, Filters(YEAR, occupation_id=scene["tea"]),
                         today=local_today())
    made = tables(figures)
    # Excel's sheet names hold 31 characters.
    assert book.sheetnames == [table.title[:31] for table in made]
    for table, sheet in zip(made, book.worksheets, strict=True):
        rows = [list(row) for row in sheet.iter_rows(min_row=3, values_only=True)]
        rows = [row for row in rows if any(v is not None for v in row)]
        body = [row for row in rows[1:] if row[0] != table.note]
        assert body == numbers_of(shown[table.key]), table.key
        assert sheet["A1"].value == table.title
        assert "茶艺师" in sheet["A2"].value


def test_the_api_gives_the_same_figures(app, scene):
    client = _client(app, "renshe")
    today = local_today()
    for query, ids in (("", {}), (f"&competition_id={scene['main']}",
                                  {"competition_id": scene["main"]}),
                       (f"&occupation_id={scene['lathe']}&division_id={scene['lathe_division']}",
                        {"occupation_id": scene["lathe"],
                         "division_id": scene["lathe_division"]})):
        response = client.get(f"/api/v1/bureau/statistics?year={YEAR}{query}")
        assert response.status_code == 200, response.get_json()
        document = response.get_json()
        assert from_api(document) == expected(YEAR, **ids, today=today)
        figures = statistics(db.session, Filters(YEAR, **ids), today=today)
        assert document["competitions"]["total"] == figures.competitions
        assert document["certificates"]["valid"] == figures.certificates_valid
        assert document["appeals"]["filed"] == figures.appeals_filed
        assert document["experts"]["total"] == figures.experts_total
    this_year = client.get("/api/v1/bureau/statistics").get_json()
    assert this_year["year"] == today.year
    for bad in ("year=1999", "year=x", "competition_id=0", "division_id=-1"):
        response = client.get(f"/api/v1/bureau/statistics?{bad}")
        assert response.status_code == 422, bad
        assert response.get_json()["code"] == 422
    document = client.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/bureau/statistics" in document["paths"]


# --- Who reads them ------------------------------------------------------------------------

BUREAU_URLS = ("/bureau", "/bureau/statistics.xlsx", "/api/v1/bureau/statistics")


def test_only_bureau_accounts_and_admins_read_the_figures(app, scene):
    for username in ("org", "watcher", "lone_judge"):
        client = _client(app, username)
        for url in BUREAU_URLS:
            assert client.get(url).status_code == 403, (username, url)
    anonymous = app.test_client()
    assert anonymous.get("/bureau").headers["Location"].startswith("/login")
    assert anonymous.get("/api/v1/bureau/statistics").status_code == 401
    for username in ("boss", "renshe"):
        client = _client(app, username)
        for url in BUREAU_URLS:
            assert client.get(url).status_code == 200, (username, url)
    admin_page = _client(app, "boss").get("/").get_data(as_text=True)
    assert 'href="/bureau"' in admin_page
    assert 'href="/bureau"' not in _client(app, "org").get("/").get_data(as_text=True)


def test_the_bureau_sees_no_person_and_changes_nothing(app, scene):
    bureau = _client(app, "renshe")
    assert bureau.get("/").headers["Location"] == "/bureau"
    seen = bureau.get(f"/bureau?year={YEAR}").get_data(as_text=True)
    seen += bureau.get(f"/api/v1/bureau/statistics?year={YEAR}").get_data(as_text=True)
    book = load_workbook(io.BytesIO(bureau.get(f"/bureau/statistics.xlsx?year={YEAR}").data))
    seen += " ".join(str(cell) for sheet in book.worksheets
                     for row in sheet.iter_rows(values_only=True) for cell in row)
    for person in db.session.scalars(select(Contestant)):
        assert person.id_number not in seen and person.name not in seen
        assert person.phone and person.phone not in seen
    for expert in db.session.scalars(select(Expert)):
        assert expert.name not in seen and expert.phone not in seen
    entry = db.session.scalars(select(Entry).order_by(Entry.id)).first()
    event, competition = entry.event_id, scene["main"]
    for url in (f"/entries/{entry.id}", f"/events/{event}/entries", f"/competitions/{competition}",
                "/experts", "/judge", f"/api/v1/events/{event}/entries",
                f"/competitions/{competition}/certificates/registry.xlsx"):
        assert bureau.get(url).status_code == 403, url
    before = digest()
    # A write anyone may send (an appeal by a contestant's own link) is refused before its
    # view; so is every other.
    assert bureau.post(f"/r/{entry.token}/appeal", data={"text": "x"}).status_code == 403
    assert bureau.post("/competitions/new", data={"name": "x"}).status_code == 403
    assert bureau.post(f"/entries/{entry.id}/attendance",
                       data={"attendance": "absent"}).status_code == 403
    db.session.expire_all()
    assert digest() == before


def test_an_admin_opens_a_bureau_account_in_the_browser(app, scene):
    admin = _client(app, "boss")
    form = admin.get("/admin/users/new").get_data(as_text=True)
    assert 'value="bureau"' in form
    response = admin.post("/admin/users/new", data={
        "username": "xianning_hrss", "display_name": "咸宁市人社局统计科", "role": "bureau",
        "competitions": [scene["main"]], "expert": 0})
    assert response.status_code == 200
    password = response.get_data(as_text=True).split('id="one-time-password">')[1].split("<")[0]
    created = db.session.scalar(select(User).where(User.username == "xianning_hrss"))
    assert created.role == "bureau" and created.must_change_password
    assert created.competition_id is None
    assert tenancy.organized_competition_ids(db.session, created) == set()
    assert "bureau" in admin.get("/admin/users?role=bureau").get_data(as_text=True)

    bureau = app.test_client()
    bureau.post("/login", data={"username": "xianning_hrss", "password": password})
    assert bureau.get("/bureau").headers["Location"] == "/account/password"
    bureau.post("/account/password", data={
        "current": password, "new": "hrss-secret-1", "repeat": "hrss-secret-1"})
    assert bureau.get("/bureau").status_code == 200


# --- Statements --------------------------------------------------------------------------

class _Statements:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, *args) -> None:
        self.count += 1


def _statements(client, url: str) -> int:
    counter = _Statements()
    sa_event.listen(db.engine, "before_cursor_execute", counter)
    try:
        assert client.get(url).status_code == 200, url
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", counter)
    return counter.count


def _add_many(competition_id: int, count: int) -> None:
    """``count`` more present entries in the competition's first event, in bulk, a third
    of them promoted with a certificate and a tenth of them appealing."""
    event = db.session.scalars(select(Event).where(Event.competition_id == competition_id)
                               .order_by(Event.id)).first()
    division = db.session.scalars(select(Division).where(Division.event_id == event.id)
                                  .order_by(Division.id)).first()
    contestants = db.session.execute(insert(Contestant).returning(Contestant.id), [
        {"competition_id": competition_id, "name": f"批量{n}", "id_type": "resident_id",
         "id_number": f"4212{n:014d}", "sex": "F", "birth_date": date(1990, 1, 1),
         "phone": "", "work_unit": f"单位{n % 41}", "current_certificate_no": ""}
        for n in range(count)]).scalars().all()
    entries = db.session.execute(insert(Entry).returning(Entry.id, Entry.contestant_id), [
        {"event_id": event.id, "division_id": division.id, "contestant_id": contestant,
         "status": "approved", "attendance": ("present", "absent")[n % 2], "source": "import",
         "token": secrets.token_urlsafe(32)} for n, contestant in enumerate(contestants)]).all()
    promotions = db.session.execute(insert(Promotion).returning(Promotion.id), [
        {"entry_id": entry, "contestant_id": contestant, "year": YEAR, "to_grade": 3,
         "rule_text": ""} for entry, contestant in entries[::3]]).scalars().all()
    db.session.execute(insert(Certificate), [
        {"promotion_id": promotion, "number": f"S999942999999263{n + 1:06d}",
         "series": "S999942999999", "year": 2026, "grade": 3, "serial": n + 1,
         "verification_code": secrets.token_urlsafe(12), "issuer": "咸宁市人社局",
         "issued_on": date(2026, 12, 1)} for n, promotion in enumerate(promotions)])
    db.session.execute(insert(Appeal), [
        {"entry_id": entry, "text": "复核", "status": "pending"} for entry, _ in entries[::10]])
    db.session.commit()


def test_the_statements_do_not_grow_with_the_entries(app, restored):
    """Ten entries, then several hundred more: the page, the workbook and the API run
    exactly as many statements."""
    ids = restored("bureau_small", lambda: _small())
    client = _client(app, "renshe")
    urls = (f"/bureau?year={YEAR}", f"/bureau/statistics.xlsx?year={YEAR}",
            f"/api/v1/bureau/statistics?year={YEAR}",
            f"/bureau?year={YEAR}&competition_id={ids['competition']}&occupation_id="
            f"{ids['occupation']}")
    few = {url: _statements(client, url) for url in urls}
    assert statistics(db.session, Filters(YEAR), today=local_today()).registrations == 10
    _add_many(ids["competition"], 600)
    many = {url: _statements(client, url) for url in urls}
    assert many == few
    figures = statistics(db.session, Filters(YEAR), today=local_today())
    assert figures.registrations == 610 and figures.certificates_issued == 200 + 1
    assert from_statistics(figures) == expected(YEAR)
    # Filters, the statistics and the session's user: a handful, whatever the size.
    assert few[urls[0]] <= 12


def _small() -> dict:
    organizer = builders.user("organizer", username="org")
    builders.user("bureau", username="renshe")
    contest = builders.competition(organizers=(organizer,), starts_on=date(2026, 6, 1),
                                   ends_on=date(2026, 6, 2))
    event = builders.event(contest, "养老护理员")
    rows = [_entry(event, f"选手{n}", work_unit=f"单位{n % 4}") for n in range(10)]
    promotion = builders.promote(rows[0], 3)
    certificates.issue_certificate(db.session, promotion, issued_on=date(2026, 6, 5),
                                   actor=organizer)
    _appeal(rows[1], "accepted")
    _expert("专家甲", 30, event.occupation)
    db.session.commit()
    return {"competition": contest.id, "occupation": event.occupation_id}
