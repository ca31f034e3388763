"""Pages of an event's promotion rules (晋升规则) and of the occupation catalogue.

Promotion rules are set up by the competition's organizers (and admins),
starting from a preset; they are evaluated later, at promotion time. The
occupation catalogue is kept by admins; organizers may correct a code.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from competition.auth.models import Role
from competition.auth.permissions import role_required
from competition.events import promotion_rules as rule_book
from competition.events.access import event_for_organizer
from competition.events.models import Event, Occupation, PromotionRule
from competition.events.presets import get_preset
from competition.events.rule_forms import ActionForm, OccupationForm, PresetForm, RuleForm
from competition.events.setup import SetupError
from competition.events.views import bp
from competition.extensions import db
from competition.web import flash_domain_error


def _event_rule(event: Event, rule_id: int) -> PromotionRule:
    rule = db.get_or_404(PromotionRule, rule_id)
    if rule.event_id != event.id:
        abort(404)
    return rule


# --- Promotion rules ----------------------------------------------------------------

@bp.get("/events/<int:event_id>/rules")
@login_required
def promotion_rules(event_id: int):
    event = event_for_organizer(event_id)
    rules = db.session.scalars(
        select(PromotionRule).where(PromotionRule.event_id == event.id)
        .options(selectinload(PromotionRule.division))
        .order_by(PromotionRule.position, PromotionRule.id)
    ).all()
    presets = {rule.preset for rule in rules if rule.preset}
    preset = get_preset(presets.pop()) if len(presets) == 1 else None
    # Names may still be the presets' English message ids; translated here, as
    # Jinja's ``_`` would read a "%" in a name as a placeholder.
    names = {rule.id: _(rule.name) if rule.name else "" for rule in rules}
    return render_template("events/promotion_rules.html", event=event, rules=rules,
                           names=names, preset_name=_(preset.name) if preset else "",
                           preset_form=PresetForm())


@bp.post("/events/<int:event_id>/rules/preset")
@login_required
def rule_apply_preset(event_id: int):
    event = event_for_organizer(event_id)
    form = PresetForm()
    if form.validate_on_submit():
        try:
            rules = rule_book.apply_preset(db.session, event, form.preset.data, replace=True,
                                         translate=_)
        except SetupError as error:
            flash_domain_error(error)
        else:
            flash(_("The preset “%(name)s” now gives the event %(n)s rules.",
                    name=_(get_preset(form.preset.data).name), n=len(rules)), "success")
    else:
        flash(_("Choose one of the presets."), "error")
    return redirect(url_for("events.promotion_rules", event_id=event.id))


@bp.route("/events/<int:event_id>/rules/new", methods=["GET", "POST"])
@login_required
def rule_new(event_id: int):
    event = event_for_organizer(event_id)
    form = RuleForm(divisions=event.divisions)
    if request.method == "GET":
        # A new rule starts from the usual conditions of docs/design.md section 5.
        form.once_per_year.data = True
        form.min_theory_score.data = 60
        form.min_practical_score.data = 60
    return _save_rule_form(event, None, form)


@bp.route("/events/<int:event_id>/rules/<int:rule_id>/edit", methods=["GET", "POST"])
@login_required
def rule_edit(event_id: int, rule_id: int):
    event = event_for_organizer(event_id)
    rule = _event_rule(event, rule_id)
    form = RuleForm(obj=rule, divisions=event.divisions)
    if request.method == "GET":
        form.name.data = _(rule.name) if rule.name else ""
    return _save_rule_form(event, rule, form)


def _save_rule_form(event: Event, rule: PromotionRule | None, form: RuleForm):
    if form.validate_on_submit():
        try:
            rule_book.save_rule(db.session, event, rule, **form.rule_fields())
        except SetupError as error:
            flash_domain_error(error)
        else:
            flash(_("The promotion rule was saved."), "success")
            return redirect(url_for("events.promotion_rules", event_id=event.id))
    return render_template("events/rule_form.html", event=event, rule=rule, form=form)


@bp.post("/events/<int:event_id>/rules/<int:rule_id>/move")
@login_required
def rule_move(event_id: int, rule_id: int):
    event = event_for_organizer(event_id)
    rule = _event_rule(event, rule_id)
    if ActionForm().validate_on_submit():
        rule_book.move_rule(db.session, rule, up=request.form.get("direction") == "up")
    return redirect(url_for("events.promotion_rules", event_id=event.id))


@bp.post("/events/<int:event_id>/rules/<int:rule_id>/delete")
@login_required
def rule_delete(event_id: int, rule_id: int):
    event = event_for_organizer(event_id)
    rule = _event_rule(event, rule_id)
    if ActionForm().validate_on_submit():
        rule_book.delete_rule(db.session, rule)
        flash(_("The promotion rule was deleted."), "success")
    return redirect(url_for("events.promotion_rules", event_id=event.id))


# --- Occupation catalogue -------------------------------------------------------------

@bp.get("/occupations")
@role_required(Role.ORGANIZER)
def occupations():
    rows = db.session.scalars(select(Occupation).order_by(Occupation.code.is_(None),
                                                          Occupation.code, Occupation.name)).all()
    return render_template("events/occupations.html", occupations=rows)


@bp.route("/occupations/new", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def occupation_new():
    form = OccupationForm()
    if form.validate_on_submit():
        try:
            occupation = rule_book.save_occupation(db.session, None, form.name.data,
                                                 form.code.data)
        except SetupError as error:
            flash_domain_error(error)
        else:
            flash(_("%(name)s was added to the catalogue.", name=occupation.name), "success")
            return redirect(url_for("events.occupations"))
    return render_template("events/occupation_form.html", form=form, occupation=None,
                           may_rename=True)


@bp.route("/occupations/<int:occupation_id>/edit", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def occupation_edit(occupation_id: int):
    """Admins keep the catalogue: every competition's events and experts refer to it."""
    occupation = db.get_or_404(Occupation, occupation_id)
    form = OccupationForm(obj=occupation)
    if form.validate_on_submit():
        try:
            rule_book.save_occupation(db.session, occupation, form.name.data, form.code.data)
        except SetupError as error:
            flash_domain_error(error)
        else:
            flash(_("The catalogue entry of %(name)s was saved.", name=occupation.name),
                  "success")
            return redirect(url_for("events.occupations"))
    return render_template("events/occupation_form.html", form=form, occupation=occupation,
                           may_rename=True)
