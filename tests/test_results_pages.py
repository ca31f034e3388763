"""Publishing through the pages, public results, and the contestant's result and appeal."""

from sqlalchemy import select

from competition.entries.models import Entry
from competition.extensions import db
from competition.results.models import Appeal, Publication, Result
from tests import builders
from tests.helpers import user_named as _user


def test_organizer_publishes_and_the_public_sees_masked_names_only(locked_tea, client, auth):
    division = locked_tea.divisions[0]
    auth.login(builders.ORGANIZER)
    page = client.get(f"/events/{locked_tea.id}/results").get_data(as_text=True)
    assert "发布公示" in page
    page = client.post(f"/divisions/{division.id}/publish",
                       follow_redirects=True).get_data(as_text=True)
    assert "成绩已发布公示" in page
    assert db.session.scalar(select(Publication.status)) == "notice"
    auth.logout()

    public = client.get(f"/results/divisions/{division.id}").get_data(as_text=True)
    entries = db.session.scalars(select(Entry).where(Entry.event_id == locked_tea.id)).all()
    for entry in entries:
        assert entry.contestant.id_number not in public
        assert entry.contestant.phone not in public
        assert entry.contestant.name not in public  # the competition masks names
    assert "一等奖" in public and "公示中" in public


def test_unpublished_results_are_not_public(locked_tea, client):
    assert client.get(f"/results/divisions/{locked_tea.divisions[0].id}").status_code == 404
    entry = db.session.scalar(select(Entry).where(Entry.event_id == locked_tea.id))
    page = client.get(f"/r/{entry.token}").get_data(as_text=True)
    assert "成绩尚未公布" in page and "我的成绩" not in page


def test_contestant_sees_their_result_files_an_appeal_and_reads_the_decision(
        locked_tea, client, auth):
    from competition.results import publishing

    division = locked_tea.divisions[0]
    publishing.publish(db.session, _user(builders.ORGANIZER), division)
    db.session.commit()
    result = db.session.scalar(select(Result).order_by(Result.rank.desc()))
    entry = db.session.get(Entry, result.entry_id)
    page = client.get(f"/r/{entry.token}").get_data(as_text=True)
    assert "我的成绩" in page and f"{result.total:.2f}" in page and "提交申诉" in page

    page = client.post(f"/r/{entry.token}/appeal", data={"text": "B模块评分偏低，请复核"},
                       follow_redirects=True).get_data(as_text=True)
    assert "已收到您的申诉" in page
    appeal = db.session.scalar(select(Appeal))

    auth.login(builders.CHIEF)
    page = client.post(f"/appeals/{appeal.id}/decide", data={
        "accept": "reject", "reason": "经复核，评分符合评分细则"},
        follow_redirects=True).get_data(as_text=True)
    assert "处理结果已记录" in page
    auth.logout()
    page = client.get(f"/r/{entry.token}").get_data(as_text=True)
    assert "经复核，评分符合评分细则" in page


def test_only_the_chief_judge_decides_appeals(locked_tea, client, auth):
    from competition.results import publishing

    publishing.publish(db.session, _user(builders.ORGANIZER), locked_tea.divisions[0])
    entry = db.session.scalar(select(Entry).where(Entry.event_id == locked_tea.id))
    appeal = publishing.file_appeal(db.session, entry, "申诉")
    db.session.commit()
    auth.login(builders.JUDGES[0])
    assert client.get(f"/appeals/{appeal.id}/decide").status_code == 403


def test_results_page_is_fresh_right_after_a_mark_changes(scored_tea, client, auth):
    """The organizers' results page and the big screen compute from the marks on every
    request: a re-scored sheet shows at once, with no stale copy anywhere."""
    from decimal import Decimal

    from competition.judging import scoring as judging
    from competition.judging.models import ScoreSheet
    from competition.judging.scoring import MarkChange
    from competition.results.standings import event_results

    tea = scored_tea
    module = judging.scored_modules(tea)[0]
    judges = [_user(name) for name in builders.JUDGES]
    # The last-placed entry: every judge marked its first criterion below the maximum.
    entry = judging.assignments(db.session, judges[0])[0].entries[-1]
    sheets = [db.session.scalar(select(ScoreSheet).where(
        ScoreSheet.judge_id == judge.id, ScoreSheet.entry_id == entry.id,
        ScoreSheet.module_id == module.id)) for judge in judges]

    def shown_total() -> str:
        result = next(r for r in event_results(db.session, tea.id) if r.entry_id == entry.id)
        return str(result.total)

    def row_of_entry(page: str) -> str:
        return next(row for row in page.split("<tr>") if f">{entry.code}<" in row)

    auth.login(builders.ORGANIZER)
    before = shown_total()
    assert f"<strong>{before}</strong>" in row_of_entry(
        client.get(f"/events/{tea.id}/results").text)

    # Two of the three judges re-score (a trimmed mean of 3 keeps the middle mark).
    criterion = module.criteria[0]
    for judge, sheet in zip(judges[:2], sheets[:2], strict=True):
        held = next(m.value for m in sheet.marks if m.criterion_id == criterion.id)
        assert held < criterion.max_points
        judging.reopen_sheet(db.session, _user(builders.CHIEF), sheet, "漏评一项")
        judging.save_marks(db.session, judge, sheet, [MarkChange(
            criterion.id, criterion.max_points, previous=held)])
        judging.submit_sheet(db.session, judge, sheet)
    db.session.commit()
    after = shown_total()
    assert Decimal(after) > Decimal(before)
    row = row_of_entry(client.get(f"/events/{tea.id}/results").text)
    assert f"<strong>{after}</strong>" in row and f"<strong>{before}</strong>" not in row
    screen = client.get(f"/events/{tea.id}/screen.json").get_json()
    assert after in str(screen)


def test_standardised_scores_compare_events(locked_tea, client, auth):
    from decimal import Decimal

    from competition.results.ranking import median_scaled, z_scores
    from competition.results.standings import event_results

    ranked = [r for r in event_results(db.session, locked_tea.id) if r.rank]
    totals = {r.entry_id: r.total for r in ranked}
    z, scaled = z_scores(totals), median_scaled(totals, Decimal(80))
    top = min(ranked, key=lambda r: r.rank)
    assert z[top.entry_id] > 0 and abs(sum(z.values())) < Decimal("0.001")

    auth.login(builders.ORGANIZER)
    page = client.get(f"/competitions/{locked_tea.competition_id}/standardised?median=80").text
    row = next(row for row in page.split("<tr>") if f">{top.total}<" in row)
    assert f">{z[top.entry_id]}<" in row and f">{scaled[top.entry_id]}<" in row
    auth.logout()
    auth.login(builders.JUDGES[0])
    assert client.get(f"/competitions/{locked_tea.competition_id}/standardised"
                      ).status_code == 403
