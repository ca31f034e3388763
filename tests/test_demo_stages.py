"""``flask demo`` leaves every stage of a competition to look at."""

from sqlalchemy import func, select

from competition.demo import seed_demo
from competition.demo_stages import advance_demo
from competition.entries.models import Entry
from competition.events.models import Event
from competition.extensions import db
from competition.grades.models import Certificate, Promotion
from competition.judging.models import ExternalScore, ScoreSheet
from competition.results.models import Publication, Result


def _event(name):
    return db.session.scalar(select(Event).where(Event.name == name))


def test_demo_goes_through_the_stages(app, client):
    seed_demo(db.session)
    db.session.commit()
    assert advance_demo(db.session)
    db.session.commit()
    assert not advance_demo(db.session)  # a second run changes nothing

    tea, care, lathe = _event("茶艺师"), _event("养老护理员"), _event("车工")
    statuses = {(p.division_id): p.status for p in db.session.scalars(select(Publication))}
    assert statuses[tea.divisions[0].id] == "final"
    workers, students = care.divisions
    assert statuses[workers.id] == "notice" and students.id not in statuses
    assert tea.scores_locked_at and care.scores_locked_at and not lathe.scores_locked_at

    # Every 养老护理员 worker is ranked, with the theory exam in the total.
    ranked = db.session.scalars(select(Result).join(Entry).where(
        Entry.division_id == workers.id).order_by(Result.rank)).all()
    assert [r.rank for r in ranked][:3] == [1, 2, 3] and len(ranked) == 14
    assert db.session.scalar(select(func.count(ExternalScore.id))) == 22 + 10 + 8
    # 车工 is part-way: some sheets submitted, some drafts.
    states = dict(db.session.execute(
        select(ScoreSheet.status, func.count(ScoreSheet.id)).join(Entry)
        .where(Entry.event_id == lathe.id).group_by(ScoreSheet.status)).all())
    assert states.get("submitted") and states.get("draft")

    # The public sees the 养老护理员 notice, and a contestant their result.
    page = client.get(f"/results/divisions/{workers.id}")
    assert page.status_code == 200 and f"{ranked[0].total:.2f}" in page.text
    entry = db.session.get(Entry, ranked[0].entry_id)
    mine = client.get(f"/r/{entry.token}")
    assert f"{ranked[0].total:.2f}" in mine.text and "证书编号" not in mine.text

    # 茶艺师 is final: promotions decided by the rules, a certificate for each, shown on
    # the winner's page and verifiable through the link its QR code carries.
    promotions = db.session.scalars(select(Promotion)).all()
    certificates = db.session.scalars(select(Certificate).order_by(Certificate.serial)).all()
    assert promotions and len(certificates) == len(promotions)
    assert [c.serial for c in certificates] == list(range(1, len(certificates) + 1))
    winner = db.session.scalar(select(Result).join(Entry).where(
        Entry.event_id == tea.id, Result.rank == 1))
    certificate = next(c for c in certificates if c.promotion.entry_id == winner.entry_id)
    page = client.get(f"/r/{db.session.get(Entry, winner.entry_id).token}").text
    assert certificate.number in page and "晋升至" in page
    check = client.get(f"/v/{certificate.number}?c={certificate.verification_code}")
    assert check.status_code == 200 and "有效" in check.text
    # The same through the JSON API, by the contestant's own link.
    own = client.get(f"/api/v1/contestant/{db.session.get(Entry, winner.entry_id).token}"
                     "/result").get_json()
    assert own["promotion"]["certificate_number"] == certificate.number
    assert own["promotion"]["to_grade"] == certificate.grade and not own["promotion"]["revoked"]
    assert certificate.verification_code in own["promotion"]["verification_url"]
