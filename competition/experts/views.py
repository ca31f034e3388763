"""Pages of the expert pool (专家库), the judge panels (裁判组) and declared conflicts (回避).

The pool is shared by every competition and kept by organizers and admins; a
panel belongs to one event and only its competition's organizers change it.
The rules live in ``experts.pool``.
"""

from __future__ import annotations

import os
from datetime import date
from io import BytesIO

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from competition.auth.models import Role, User
from competition.auth.permissions import role_required
from competition.entries.idcard import shown_phone
from competition.entries.models import Conflict, Contestant, Entry, RegistrationStatus
from competition.errors import translate_problem
from competition.events import tenancy
from competition.events.access import event_for_organizer, event_for_reader
from competition.events.models import (
    Event,
    Expert,
    ExpertOccupation,
    Occupation,
    PanelDraw,
    PanelMember,
)
from competition.events.setup import SetupError
from competition.events.views import bp
from competition.experts import excel, pool
from competition.experts.forms import (
    CERTIFICATE_STATES,
    EXAMINER_LEVELS,
    PANEL_ROLES,
    ActionForm,
    ConflictForm,
    ExpertFilterForm,
    ExpertForm,
    ExpertImportConfirmForm,
    ExpertImportForm,
    PanelAddForm,
    PanelDrawForm,
)
from competition.extensions import db
from competition.timeutil import local_today
from competition.uploads import UploadStore
from competition.web import flash_domain_error


def _occupation_choices() -> list[tuple[int, str]]:
    occupations = db.session.scalars(select(Occupation).order_by(Occupation.name)).all()
    return [(o.id, f"{o.name} {o.code}" if o.code else o.name) for o in occupations]


_labels = {"examiner_levels": EXAMINER_LEVELS, "certificate_states": CERTIFICATE_STATES,
           "panel_roles": PANEL_ROLES}


# --- The pool -----------------------------------------------------------------------

@bp.get("/experts")
@role_required(Role.ORGANIZER)
def experts():
    """The pool, with each certificate's state; phones masked (the list is often printed)."""
    today = local_today()
    form = ExpertFilterForm(formdata=request.args)
    form.occupation.choices = [(0, _("All occupations")), *_occupation_choices()]
    state = form.state.data if form.state.data in CERTIFICATE_STATES else None
    rows = [
        (expert, pool.certificate_state(expert.certificate_expires_on, today),
         shown_phone(expert.phone, whole=False))
        for expert in pool.list_experts(db.session, today=today,
                                           occupation_id=form.occupation.data, state=state)
    ]
    editable = tenancy.editable_experts(db.session, current_user, [row[0] for row in rows])
    return render_template("events/experts.html", rows=rows, form=form, today=today,
                           editable=editable,
                           warning_days=pool.EXPIRY_WARNING_DAYS, **_labels)


def _expert_form(expert: Expert | None = None) -> ExpertForm:
    form = ExpertForm(obj=expert)
    form.occupations.choices = _occupation_choices()
    if expert is not None and not form.is_submitted():
        form.occupations.data = [o.id for o in expert.occupations]
    return form


def _expert_fields(form: ExpertForm) -> dict:
    return {
        "name": form.name.data, "work_unit": form.work_unit.data, "title": form.title.data,
        "phone": form.phone.data or "", "examiner_level": form.examiner_level.data,
        "certificate_number": form.certificate_number.data,
        "certificate_expires_on": form.certificate_expires_on.data,
        "id_number": form.id_number.data or "",
    }


@bp.route("/experts/new", methods=["GET", "POST"])
@role_required(Role.ORGANIZER)
def expert_new():
    form = _expert_form()
    if form.validate_on_submit():
        try:
            expert = pool.create_expert(db.session, created_by=current_user,
                                           occupation_ids=form.occupations.data,
                                           **_expert_fields(form))
        except SetupError as error:
            flash_domain_error(error)
        else:
            flash(_("%(name)s was added to the expert pool.", name=expert.name), "success")
            return redirect(url_for("events.experts"))
    return render_template("events/expert_form.html", form=form, expert=None)


@bp.route("/experts/<int:expert_id>/edit", methods=["GET", "POST"])
@role_required(Role.ORGANIZER)
def expert_edit(expert_id: int):
    expert = db.get_or_404(Expert, expert_id)
    if not tenancy.may_edit_expert(db.session, current_user, expert):
        abort(403)
    form = _expert_form(expert)
    if form.validate_on_submit():
        try:
            pool.update_expert(db.session, expert, actor=current_user,
                                  occupation_ids=form.occupations.data,
                                  **_expert_fields(form))
        except SetupError as error:
            flash_domain_error(error)
        else:
            flash(_("The details of %(name)s were saved.", name=expert.name), "success")
            return redirect(url_for("events.experts"))
    return render_template("events/expert_form.html", form=form, expert=expert)


# --- The pool to and from Excel -----------------------------------------------------

def _xlsx(data: bytes, filename: str):
    return send_file(BytesIO(data), mimetype=excel.XLSX_MIMETYPE, as_attachment=True,
                     download_name=filename, max_age=0)


@bp.get("/experts/template.xlsx")
@role_required(Role.ORGANIZER)
def expert_template():
    """The workbook to fill in, with the occupation catalogue in its 填写说明 sheet."""
    occupations = db.session.scalars(select(Occupation).order_by(Occupation.name)).all()
    return _xlsx(excel.template_workbook(occupations), _("Expert pool import template") + ".xlsx")


@bp.get("/experts/export.xlsx")
@role_required(Role.ORGANIZER)
def expert_export():
    """The pool as the page lists it (same filter), in the template's columns; ID numbers
    and phones whole only for whom ``tenancy.may_see_expert_contacts`` allows."""
    today = local_today()
    form = ExpertFilterForm(formdata=request.args)
    state = form.state.data if form.state.data in CERTIFICATE_STATES else None
    experts = pool.list_experts(db.session, today=today, occupation_id=form.occupation.data,
                                state=state)
    shown = tenancy.experts_with_contacts(db.session, current_user, experts)
    data = excel.export_workbook(experts, sees_contacts=lambda expert: expert.id in shown)
    return _xlsx(data, f"{_('Expert pool')}-{today.isoformat()}.xlsx")


# The kept files of the pool's import belong to no competition.
_POOL = 0


def _expert_uploads() -> UploadStore:
    """Kept apart from the other imports' files: a token names one kind of file."""
    return UploadStore.for_app("experts")


@bp.route("/experts/import", methods=["GET", "POST"])
@role_required(Role.ORGANIZER)
def expert_import():
    """Upload a list of experts: every row is imported, or none, and every problem listed.
    A file whose header row has columns that cannot be imported is kept and shown with
    them; it is imported only when the organizer confirms that they may be left out."""
    if request.method == "POST" and "upload" in request.form:
        return _expert_import_confirm()
    form = ExpertImportForm()
    if not form.validate_on_submit():
        return _expert_import_page(form)
    storage = form.file.data
    filename = os.path.basename(storage.filename or "")
    data = storage.read(excel.MAX_BYTES + 1)
    upload = excel.read_file(filename, data, today=local_today())
    if upload.problems or not upload.unknown_columns:
        return _import_experts(upload, filename, ignore_unknown_columns=False)
    problems = excel.check_rows(db.session, upload.rows)
    if problems:
        return _expert_import_refused(upload, filename, excel.refusal(problems))
    token = _expert_uploads().save(current_user.id, _POOL, filename, data)
    confirm = ExpertImportConfirmForm(formdata=None, upload=token, filename=filename[:200])
    return _expert_import_page(ExpertImportForm(formdata=None), upload=upload,
                               filename=filename, confirm=confirm)


def _expert_import_confirm():
    """Import the file kept with its unknown columns, all or nothing."""
    form = ExpertImportConfirmForm()
    store = _expert_uploads()
    token = form.upload.data if form.validate_on_submit() else ""
    kept = store.claim(current_user.id, _POOL, token)
    if kept is None:
        flash(_("The uploaded file is no longer kept (it was imported already, or more than an "
                "hour has passed): upload it again."), "error")
        return redirect(url_for("events.expert_import"))
    try:
        upload = excel.read_file(kept[0], kept[1], today=local_today())
        return _import_experts(upload, os.path.basename(form.filename.data or ""),
                               ignore_unknown_columns=form.ignore_unknown_columns.data)
    finally:
        store.release(current_user.id, _POOL, token)


def _import_experts(upload: excel.ExpertFile, filename: str, *, ignore_unknown_columns: bool):
    try:
        problems = upload.refusal_unless_confirmed(ignore_unknown_columns)
        if problems:
            raise excel.refusal(problems)
        added = excel.import_rows(db.session, upload.rows,
                                  created_by=current_user._get_current_object())
    except SetupError as error:
        db.session.rollback()
        return _expert_import_refused(upload, filename, error)
    flash(_("%(n)s experts were added to the pool.", n=len(added)), "success")
    if upload.unknown_columns:
        flash(_("These columns were not imported: %(columns)s.",
                columns="、".join(upload.unknown_columns)), "warning")
    return redirect(url_for("events.experts"))


def _expert_import_refused(upload: excel.ExpertFile, filename: str, error: SetupError):
    flash(error.translated(), "error")
    return _expert_import_page(ExpertImportForm(formdata=None), upload=upload,
                               filename=filename,
                               problems=[(p.row, p.column, translate_problem(p))
                                         for p in error.problems])


def _expert_import_page(form: ExpertImportForm, *, upload: excel.ExpertFile | None = None,
                        filename: str = "", problems: list | None = None,
                        confirm: ExpertImportConfirmForm | None = None):
    return render_template("events/expert_import.html", form=form, problems=problems or [],
                           filename=filename, confirm=confirm, upload=upload,
                           columns_read=upload.recognized() if upload else [],
                           unknown_columns=upload.unknown_columns if upload else [],
                           columns=excel.COLUMNS, max_rows=excel.MAX_ROWS,
                           max_mb=excel.MAX_BYTES // (1024 * 1024))


# --- Panels -------------------------------------------------------------------------

def _certificate_note(expert: Expert, today: date, needed: date) -> str:
    expires = expert.certificate_expires_on
    if expires is None:
        return _("no certificate")
    if expires < today:
        return _("certificate expired")
    if expires < needed:
        return _("certificate expires before the competition ends (%(date)s)",
                 date=expires.isoformat())
    return _("certificate valid until %(date)s", date=expires.isoformat())


def _render_panel(event: Event, *, add_form: PanelAddForm | None = None,
                  draw_form: PanelDrawForm | None = None,
                  conflict_form: ConflictForm | None = None):
    today = local_today()
    members = pool.panel_members(db.session, event)
    on_panel = {m.expert_id for m in members}

    add_form = add_form or PanelAddForm(formdata=None)
    qualified = db.session.scalars(
        select(Expert).join(ExpertOccupation, ExpertOccupation.expert_id == Expert.id)
        .where(ExpertOccupation.occupation_id == event.occupation_id)
        .order_by(Expert.name, Expert.id)
    ).all()
    # Experts whose certificate does not cover the competition are shown, greyed out
    # and saying why, but cannot be chosen (and are refused if sent anyway).
    needed = pool.required_until(event.competition, today)
    add_form.expert_id.choices = [
        (e.id, " · ".join(filter(None, [e.name, e.work_unit, _certificate_note(e, today, needed)])),
         {} if e.certificate_expires_on and e.certificate_expires_on >= needed
         else {"disabled": True})
        for e in qualified if e.id not in on_panel
    ]

    entries = db.session.scalars(
        select(Entry).where(Entry.event_id == event.id,
                            Entry.status != RegistrationStatus.REJECTED)
        .options(joinedload(Entry.contestant))
    ).all()
    contestants = sorted({e.contestant for e in entries}, key=lambda c: (c.name, c.id))
    conflict_form = conflict_form or ConflictForm(formdata=None)
    conflict_form.expert_id.choices = [(m.expert_id, m.expert.name) for m in members]
    conflict_form.contestant_id.choices = [(0, "—")] + [
        (c.id, f"{c.name} · {c.work_unit}" if c.work_unit else c.name) for c in contestants]

    conflicts = pool.competition_conflicts(db.session, event.competition_id, on_panel)
    named = {c.contestant_id for c in conflicts if c.contestant_id}
    conflict_contestants = {c.id: c for c in db.session.scalars(
        select(Contestant).where(Contestant.id.in_(named)))} if named else {}

    draws = db.session.scalars(
        select(PanelDraw).where(PanelDraw.event_id == event.id)
        .order_by(PanelDraw.drawn_at.desc(), PanelDraw.id.desc())
    ).all()
    in_draws = {i for d in draws for i in d.candidate_ids}
    draw_experts = {e.id: e for e in db.session.scalars(
        select(Expert).where(Expert.id.in_(sorted(in_draws))))} if in_draws else {}
    drawers = {u.id: u for u in db.session.scalars(select(User).where(
        User.id.in_([d.drawn_by_id for d in draws if d.drawn_by_id])))} if draws else {}

    return render_template(
        "events/panel.html", event=event, members=members, today=today,
        states={m.id: pool.certificate_state(m.expert.certificate_expires_on, today)
                for m in members},
        required_until=pool.required_until(event.competition, today),
        available=len(pool.draw_candidates(db.session, event, today=today)),
        add_form=add_form, draw_form=draw_form or PanelDrawForm(formdata=None),
        conflict_form=conflict_form, action_form=ActionForm(formdata=None),
        conflicts=conflicts, conflict_contestants=conflict_contestants,
        experts_by_id={m.expert_id: m.expert for m in members},
        draws=draws, draw_experts=draw_experts, drawers=drawers,
        marking_started=event.marking_started_at is not None, **_labels,
    )


def _back_to_panel(event: Event):
    return redirect(url_for("events.panel", event_id=event.id))


@bp.get("/events/<int:event_id>/panel")
@login_required
def panel(event_id: int):
    """The panel, its random draws and the declared conflicts; the competition's
    supervisors read it without the organizers' forms."""
    return _render_panel(event_for_reader(event_id))


@bp.post("/events/<int:event_id>/panel/members")
@login_required
def panel_add(event_id: int):
    event = event_for_organizer(event_id)
    form = PanelAddForm()
    if not form.validate_on_submit():
        flash(_("Choose an expert of the pool and a role."), "error")
        return _render_panel(event, add_form=form)
    expert = db.get_or_404(Expert, form.expert_id.data)
    try:
        pool.add_panel_member(db.session, event, expert, today=local_today(),
                                 role=form.role.data)
    except SetupError as error:
        flash_domain_error(error)
        return _render_panel(event, add_form=form)
    flash(_("%(name)s joined the panel as %(role)s.", name=expert.name,
            role=PANEL_ROLES[form.role.data]), "success")
    return _back_to_panel(event)


def _member_of(event: Event, member_id: int) -> PanelMember:
    member = db.get_or_404(PanelMember, member_id)
    if member.event_id != event.id:
        abort(404)
    return member


@bp.post("/events/<int:event_id>/panel/members/<int:member_id>/chief")
@login_required
def panel_chief(event_id: int, member_id: int):
    event = event_for_organizer(event_id)
    member = _member_of(event, member_id)
    if ActionForm().validate_on_submit():
        pool.make_chief(db.session, member)
        flash(_("%(name)s is now the chief judge.", name=member.expert.name), "success")
    return _back_to_panel(event)


@bp.post("/events/<int:event_id>/panel/members/<int:member_id>/remove")
@login_required
def panel_remove(event_id: int, member_id: int):
    event = event_for_organizer(event_id)
    member = _member_of(event, member_id)
    if not ActionForm().validate_on_submit():
        return _back_to_panel(event)
    name = member.expert.name
    try:
        pool.remove_panel_member(db.session, member)
    except SetupError as error:
        flash_domain_error(error)
        return _render_panel(event)
    flash(_("%(name)s was removed from the panel.", name=name), "success")
    return _back_to_panel(event)


@bp.post("/events/<int:event_id>/panel/draw")
@login_required
def panel_draw(event_id: int):
    event = event_for_organizer(event_id)
    form = PanelDrawForm()
    if not form.validate_on_submit():
        return _render_panel(event, draw_form=form)
    try:
        draw = pool.draw_judges(db.session, event, form.count.data, drawn_by=current_user,
                                   today=local_today())
    except SetupError as error:
        flash_domain_error(error)
        return _render_panel(event, draw_form=form)
    flash(_("%(n)s judges were drawn from %(m)s qualified experts.",
            n=len(draw.chosen_ids), m=len(draw.candidate_ids)), "success")
    return _back_to_panel(event)


# --- Conflicts ----------------------------------------------------------------------

@bp.post("/events/<int:event_id>/conflicts")
@login_required
def conflict_add(event_id: int):
    event = event_for_organizer(event_id)
    form = ConflictForm()
    if not form.validate_on_submit():
        return _render_panel(event, conflict_form=form)
    expert = db.get_or_404(Expert, form.expert_id.data)
    try:
        pool.declare_conflict(db.session, event, expert,
                                 contestant_id=form.contestant_id.data,
                                 work_unit=form.work_unit.data, reason=form.reason.data,
                                 declared_by=current_user)
    except SetupError as error:
        flash_domain_error(error)
        return _render_panel(event, conflict_form=form)
    flash(_("The conflict of %(name)s was recorded.", name=expert.name), "success")
    return _back_to_panel(event)


@bp.post("/events/<int:event_id>/conflicts/<int:conflict_id>/remove")
@login_required
def conflict_remove(event_id: int, conflict_id: int):
    event = event_for_organizer(event_id)
    conflict = db.get_or_404(Conflict, conflict_id)
    if conflict.competition_id != event.competition_id:
        abort(404)
    if ActionForm().validate_on_submit():
        pool.remove_conflict(db.session, conflict)
        flash(_("The conflict was removed."), "success")
    return _back_to_panel(event)
