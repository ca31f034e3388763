"""An accepted appeal reopens sheets after the lock; the re-score changes the published rank."""

from sqlalchemy import select

from competition.audit.models import AuditEvent
from competition.auth.models import User
from competition.entries.models import Entry
from competition.extensions import db
from competition.judging.models import Mark, ScoreSheet
from competition.results import publishing
from competition.results.models import Appeal, Result
from tests import builders


def _user(name):
    return db.session.scalar(select(User).where(User.username == name))


def _sign_in(client, username):
    client.post("/logout")
    response = client.post("/login", data={"username": username,
                                           "password": builders.PASSWORD},
                           follow_redirects=True)
    assert response.status_code == 200


def test_accepted_appeal_rescored_changes_the_published_rank(locked_tea, client):
    division = locked_tea.divisions[0]
    publishing.publish(db.session, _user(builders.ORGANIZER), division)
    db.session.commit()
    last = db.session.scalars(select(Result).order_by(Result.rank.desc())).first()
    entry = db.session.get(Entry, last.entry_id)
    old_rank, old_total = last.rank, last.total

    # The contestant appeals from their private page.
    response = client.post(f"/r/{entry.token}/appeal", data={"text": "我对实操评分有异议"},
                           follow_redirects=True)
    assert "我对实操评分有异议" in response.text
    appeal = db.session.scalar(select(Appeal))

    # The chief judge sees it listed, accepts it and reopens every sheet of the entry.
    _sign_in(client, builders.CHIEF)
    listing = client.get(f"/events/{locked_tea.id}/appeals")
    assert "我对实操评分有异议" in listing.text
    page = client.post(f"/appeals/{appeal.id}/decide",
                       data={"accept": "accept", "reason": "评分表漏记一项，予以复核"},
                       follow_redirects=True)
    assert "评分表漏记一项" in page.text and 'name="sheets"' in page.text
    sheets = db.session.scalars(select(ScoreSheet).where(ScoreSheet.entry_id == entry.id)).all()
    client.post(f"/appeals/{appeal.id}/reopen",
                data={"sheets": [s.id for s in sheets], "reason": "复核全部评分表"},
                follow_redirects=True)
    db.session.expire_all()
    assert all(s.reopened_for_review and s.status == "draft" for s in sheets)

    # Finalizing waits for the re-score.
    organizer = _user(builders.ORGANIZER)
    from datetime import timedelta

    from competition.dbtypes import utcnow
    try:
        publishing.finalize(db.session, organizer, division, now=utcnow() + timedelta(days=6))
    except publishing.PublicationError as error:
        assert "not submitted again" in str(error.message)
    else:
        raise AssertionError("finalized with sheets under review")
    db.session.rollback()

    # Each judge re-scores on the tablet: full marks this time.
    for sheet in sheets:
        judge = db.session.get(User, sheet.judge_id)
        _sign_in(client, judge.username)
        assignments = client.get("/api/v1/judge/assignments").get_json()
        states = [e["state"] for a in assignments for m in a["modules"] for e in m["entries"]
                  if e["entry_id"] == entry.id]
        assert "review" in states
        document = client.get(f"/api/v1/judge/sheets/{sheet.id}").get_json()
        changes = [{"criterion_id": c["id"], "value": c["max_points"],
                    "previous": document["marks"].get(str(c["id"]), {}).get("value")}
                   for c in document["criteria"]]
        saved = client.post(f"/api/v1/judge/sheets/{sheet.id}/marks", json={"changes": changes},
                            headers={"Idempotency-Key": f"review-{sheet.id}"})
        assert saved.status_code == 200, saved.text
        submitted = client.post(f"/api/v1/judge/sheets/{sheet.id}/submit",
                                headers={"Idempotency-Key": f"review-submit-{sheet.id}"})
        assert submitted.status_code == 200, submitted.text

    # The published result follows the new marks, and the change is in the audit log.
    db.session.expire_all()
    result = db.session.scalar(select(Result).where(Result.entry_id == entry.id))
    assert result.total > old_total and result.rank < old_rank
    assert result.rank == 1
    refreshed = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "results.refresh")).all()
    assert str(entry.id) in {r.object_id for r in refreshed}
    public = client.get(f"/results/divisions/{division.id}")
    assert f"{result.total:.2f}" in public.text
    # Other judges' sheets were not touched, and no judge may change anything else.
    other = db.session.scalar(select(ScoreSheet).where(ScoreSheet.entry_id != entry.id))
    _sign_in(client, db.session.get(User, other.judge_id).username)
    refused = client.post(f"/api/v1/judge/sheets/{other.id}/marks",
                          json={"changes": [{"criterion_id": db.session.scalar(
                              select(Mark.criterion_id).where(Mark.sheet_id == other.id)),
                              "value": 0, "previous": None}]},
                          headers={"Idempotency-Key": "not-allowed"})
    assert refused.status_code == 409


def test_sheets_reopen_after_the_lock_only_for_an_accepted_appeal(published_tea, client):
    entry = db.session.scalar(select(Entry).where(Entry.event_id == published_tea.id,
                                                  Entry.code.is_not(None)))
    appeal = Appeal(entry_id=entry.id, text="异议")
    db.session.add(appeal)
    db.session.commit()
    sheet = db.session.scalar(select(ScoreSheet).where(ScoreSheet.entry_id == entry.id))
    _sign_in(client, builders.CHIEF)
    response = client.post(f"/appeals/{appeal.id}/reopen",
                           data={"sheets": [sheet.id], "reason": "复核"}, follow_redirects=True)
    assert "只有受理的申诉才能重新打开评分表" in response.text
    db.session.expire_all()
    assert sheet.status == "submitted"
    # The console still refuses a plain reopening after the lock.
    console = client.post(
        f"/judge/events/{published_tea.id}/console/sheets/{sheet.id}/reopen",
        data={"reason": "想改分"}, follow_redirects=True)
    db.session.expire_all()
    assert sheet.status == "submitted" and console.status_code in (200, 409, 422)
    # An organizer reads appeals but does not decide them.
    _sign_in(client, builders.ORGANIZER)
    assert client.get(f"/appeals/{appeal.id}/decide").status_code == 200
    assert client.post(f"/appeals/{appeal.id}/decide",
                       data={"accept": "accept", "reason": "x"}).status_code == 403
    _sign_in(client, builders.JUDGES[0])
    assert client.get(f"/events/{published_tea.id}/appeals").status_code == 403
