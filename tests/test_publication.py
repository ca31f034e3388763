"""Publication for public notice, appeals, and final frozen results."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from competition.auth.models import User
from competition.dbtypes import utcnow
from competition.entries.models import Entry
from competition.errors import Refused
from competition.extensions import db
from competition.results import publishing
from competition.results.models import Result
from competition.results.publishing import PublicationError
from tests import builders


def _user(name):
    return db.session.scalar(select(User).where(User.username == name))


def test_publishing_needs_locked_scores(scored_tea):
    with pytest.raises(PublicationError, match="locked"):
        publishing.publish(db.session, _user(builders.ORGANIZER), scored_tea.divisions[0])


def test_notice_appeal_and_final(locked_tea):
    division = locked_tea.divisions[0]
    now = utcnow()
    published = publishing.publish(db.session, _user(builders.ORGANIZER), division, now=now)
    db.session.commit()
    results = db.session.scalars(select(Result).order_by(Result.rank)).all()
    assert len(results) == len(builders.TEA_CONTESTANTS)
    assert results[0].rank == 1 and results[0].award == "first"
    assert published.appeal_deadline == now + timedelta(hours=2)

    entry = db.session.get(Entry, results[-1].entry_id)
    late = now + timedelta(hours=3)
    with pytest.raises(PublicationError, match="appeal window closed"):
        publishing.file_appeal(db.session, entry, "我对评分有异议", now=late)
    appeal = publishing.file_appeal(db.session, entry, "我对B模块评分有异议",
                                     now=now + timedelta(hours=1))
    with pytest.raises(PublicationError, match="already waiting"):
        publishing.file_appeal(db.session, entry, "再次申诉", now=now + timedelta(hours=1))

    after_notice = now + timedelta(days=5, minutes=1)
    with pytest.raises(PublicationError, match="runs until"):
        publishing.finalize(db.session, _user(builders.ORGANIZER), division, now=now)
    with pytest.raises(PublicationError, match="waiting for a decision"):
        publishing.finalize(db.session, _user(builders.ORGANIZER), division, now=after_notice)
    with pytest.raises(Refused, match="Only the chief judge of") as refused:
        publishing.decide_appeal(db.session, _user(builders.JUDGES[0]), appeal, accept=False,
                                  reason="评分无误")
    assert refused.value.params == {"event": "茶艺师"}
    publishing.decide_appeal(db.session, _user(builders.CHIEF), appeal, accept=False,
                              reason="经复核，评分符合评分细则")
    final = publishing.finalize(db.session, _user(builders.ORGANIZER), division, now=after_notice)
    db.session.commit()
    assert final.status == "final" and appeal.decision_reason.startswith("经复核")
    with pytest.raises(PublicationError, match="frozen"):
        publishing.refresh(db.session, division)
