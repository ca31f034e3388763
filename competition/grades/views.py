"""Promotion preview and decisions for organizers, and their checks of declared grades.

The ``grades`` blueprint, the package's one: the certificates' pages and their public
verification add their routes to it (``certificate_views``, ``verify_views``).
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import RadioField, StringField, SubmitField
from wtforms.validators import InputRequired, Length

from competition.entries.models import Entry
from competition.errors import DomainError
from competition.events.access import event_for_organizer
from competition.events.models import Division
from competition.extensions import db
from competition.grades import held, promotions
from competition.results.models import PublicationStatus
from competition.results.publishing import publication_of
from competition.web import flash_domain_error

bp = Blueprint("grades", __name__)


class GradeCheckForm(FlaskForm):
    confirmed = RadioField(_l("The paper certificate"), choices=[
        ("yes", _l("Seen, and it matches the declared grade and number")),
        ("no", _l("Could not be confirmed: the rules ignore the declared grade")),
    ], validators=[InputRequired()])
    note = StringField(_l("Note (kept in the audit log; required when not confirmed)"),
                       validators=[Length(max=1000)])
    submit = SubmitField(_l("Record the check"))


@bp.get("/divisions/<int:division_id>/promotions")
@login_required
def preview(division_id: int):
    """晋升: who the rules promote in a division, to what and by which rule, and why the
    others are not. Before the results are final it is a preview; afterwards it shows
    the outcomes kept when they became final, with their reasons."""
    division = db.get_or_404(Division, division_id)
    event = event_for_organizer(division.event_id)
    published = publication_of(db.session, division.id)
    final = published is not None and published.status == PublicationStatus.FINAL
    is_decided = final and promotions.decided(db.session, division)
    lines = promotions.preview(db.session, division)
    decided = promotions.promotions_of(db.session, division) if is_decided else {}
    kept = promotions.outcomes_of(db.session, division) if is_decided else {}
    texts = {}
    for line in lines:
        outcome = line.outcome
        if line.entry.id in kept:
            texts[line.entry.id] = (kept[line.entry.id].rule_text,
                                    promotions.outcome_texts(kept[line.entry.id]))
        elif outcome.promotion is not None:
            texts[line.entry.id] = (promotions.rule_name(outcome.promotion.rule), [])
        else:
            texts[line.entry.id] = (None, [
                (promotions.rule_name(miss.rule) if miss.rule else "",
                 [promotions.phrase_text(reason) for reason in miss.reasons])
                for miss in outcome.misses])
    if is_decided:
        promoted = len(decided)
    else:
        promoted = sum(1 for line in lines if line.outcome.promotion is not None)
    return render_template("grades/promotions.html", event=event, division=division,
                           published=published, final=final, is_decided=is_decided,
                           lines=lines, texts=texts, promotions=decided, kept=kept,
                           promoted=promoted, waiting=promotions.unconfirmed(lines))


@bp.route("/entries/<int:entry_id>/grade-check", methods=["GET", "POST"])
@login_required
def grade_check(entry_id: int):
    """核验等级: the contestant's declared grade in the event's occupation against the paper
    certificate, with every grade the person holds or declared here (organizers)."""
    entry = db.get_or_404(Entry, entry_id)
    event = event_for_organizer(entry.event_id)
    form = GradeCheckForm()
    if form.validate_on_submit():
        try:
            held.check_declared_grade(db.session, current_user, entry,
                                      confirmed=form.confirmed.data == "yes",
                                      note=form.note.data or "")
        except DomainError as error:
            flash_domain_error(error)
        else:
            flash(_("The check of %(name)s's declared grade is recorded.",
                    name=entry.contestant.name), "success")
            return redirect(url_for("grades.preview", division_id=entry.division_id)
                            + f"#entry-{entry.id}")
    basis = held.grade_bases(db.session, event, [entry])[entry.id]
    return render_template("grades/grade_check.html", entry=entry, event=event, form=form,
                           basis=basis, history=held.grade_history(db.session, entry.contestant))


# The certificates and their public verification (/v/<number>), in their own modules on
# this blueprint.
from competition.grades import certificate_views, verify_views  # noqa: E402, F401
