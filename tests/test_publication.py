"""Publication for public notice, appeals, and final frozen results."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from competition.auth.models import User
from competition.dbtypes import utcnow
from competition.demo import seed_demo
from competition.entries.models import Entry
from competition.events.models import Event
from competition.extensions import db
from competition.judging import service as judging
from competition.judging.service import MarkChange
from competition.results import publication
from competition.results.models import Result
from competition.results.publication import PublicationError


def _user(name):
    return db.session.scalar(select(User).where(User.username == name))


@pytest.fixture
def locked_tea(app):
    """茶艺师 fully scored by its three judges and locked by its chief judge."""
    seed_demo(db.session)
    db.session.commit()
    event = db.session.scalar(select(Event).where(Event.name == "茶艺师"))
    for number, name in enumerate(("judge9", "judge10", "judge11")):
        judge = _user(name)
        for position, entry in enumerate(judging.assignments(db.session, judge)[0].entries):
            for module in judging.scored_modules(event):
                sheet = judging.open_sheet(db.session, judge, entry, module)
                judging.save_marks(db.session, judge, sheet, [
                    MarkChange(c.id, max(0, c.max_points - position - number))
                    for c in module.criteria])
                judging.submit_sheet(db.session, judge, sheet)
    judging.lock_event(db.session, _user("chief3"), event)
    db.session.commit()
    return event


def test_publishing_needs_locked_scores(app):
    seed_demo(db.session)
    event = db.session.scalar(select(Event).where(Event.name == "车工"))
    with pytest.raises(PublicationError, match="locked"):
        publication.publish(db.session, _user("organizer"), event.divisions[0])


def test_notice_appeal_and_final(locked_tea):
    division = locked_tea.divisions[0]
    now = utcnow()
    published = publication.publish(db.session, _user("organizer"), division, now=now)
    db.session.commit()
    results = db.session.scalars(select(Result).order_by(Result.rank)).all()
    assert len(results) == 8 and results[0].rank == 1 and results[0].award == "first"
    assert published.appeal_deadline == now + timedelta(hours=2)

    entry = db.session.get(Entry, results[-1].entry_id)
    late = now + timedelta(hours=3)
    with pytest.raises(PublicationError, match="appeal window closed"):
        publication.file_appeal(db.session, entry, "我对评分有异议", now=late)
    appeal = publication.file_appeal(db.session, entry, "我对B模块评分有异议",
                                     now=now + timedelta(hours=1))
    with pytest.raises(PublicationError, match="already waiting"):
        publication.file_appeal(db.session, entry, "再次申诉", now=now + timedelta(hours=1))

    after_notice = now + timedelta(days=5, minutes=1)
    with pytest.raises(PublicationError, match="runs until"):
        publication.finalize(db.session, _user("organizer"), division, now=now)
    with pytest.raises(PublicationError, match="waiting for a decision"):
        publication.finalize(db.session, _user("organizer"), division, now=after_notice)
    with pytest.raises(Exception, match="chief judge"):
        publication.decide_appeal(db.session, _user("judge9"), appeal, accept=False,
                                  reason="评分无误")
    publication.decide_appeal(db.session, _user("chief3"), appeal, accept=False,
                              reason="经复核，评分符合评分细则")
    final = publication.finalize(db.session, _user("organizer"), division, now=after_notice)
    db.session.commit()
    assert final.status == "final" and appeal.decision_reason.startswith("经复核")
    with pytest.raises(PublicationError, match="frozen"):
        publication.refresh(db.session, division)
