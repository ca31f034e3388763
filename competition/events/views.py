"""Organizers' pages for competitions and their events."""

from blinker import Namespace
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from competition.auth.models import Role
from competition.auth.permissions import role_required
from competition.errors import DomainError, translate_problem
from competition.events import setup, tenancy
from competition.events.access import (
    event_for_organizer,
    event_for_reader,
    organizes,
    require_organizer_of,
    require_reader_of,
)
from competition.events.forms import (
    CompetitionForm,
    ConfirmForm,
    CriterionForm,
    EventForm,
    ModuleForm,
    StatusForm,
)
from competition.events.models import (
    Competition,
    CompetitionOrganizer,
    Criterion,
    Event,
    Module,
    Occupation,
    PanelMember,
)
from competition.events.preflight import Kind, preflight, problems_by_event
from competition.events.scheme import CriterionSpec, ModuleSpec
from competition.extensions import db
from competition.labels import label
from competition.web import flash_domain_error

bp = Blueprint("events", __name__)
_signals = Namespace()
# Sent, with the session as sender and the ``competitions`` listed, while an organizer's
# dashboard is built: receivers return values for its template (the entries stage adds
# each competition's number of entries, ``entry_counts``). ``competition.handoffs``
# connects the receivers of this signal and the next.
dashboard_page = _signals.signal("dashboard-page")
# Sent, with the session as sender and ``competition``, its ``events`` and ``missing``
# (its pre-flight findings), while the competition page is built: receivers return
# values for its template (the entries stage adds each event's number of entries,
# ``entry_counts``; ``competition.board`` the status board and to-do list).
competition_page = _signals.signal("competition-page")


@bp.get("/")
@login_required
def dashboard():
    """Organizers see the competitions they run; judges see the events they judge; the
    bureau (人社局) starts on its statistics."""
    if current_user.role == Role.BUREAU:
        return redirect(url_for("bureau.dashboard"))
    if current_user.role == Role.JUDGE:
        panels = db.session.scalars(
            tenancy.acting_seats(current_user)
            .options(selectinload(PanelMember.event).selectinload(Event.competition))
        ).all() if current_user.expert_id else []
        return render_template("events/judge_dashboard.html", panels=panels)

    query = select(Competition).order_by(Competition.starts_on.desc(), Competition.id.desc())
    if current_user.role == Role.SUPERVISOR:
        # The one competition a supervisor's account supervises.
        query = query.where(Competition.id == current_user.competition_id)
    elif current_user.role != Role.ADMIN:
        query = query.join(CompetitionOrganizer).where(
            CompetitionOrganizer.user_id == current_user.id
        )
    competitions = db.session.scalars(query).all()
    ids = [c.id for c in competitions]
    # The packages after this stage add what they count (the entries).
    shown = {}
    for _receiver, values in dashboard_page.send(db.session, competitions=competitions):
        shown.update(values or {})
    event_counts = dict(db.session.execute(
        select(Event.competition_id, func.count(Event.id))
        .where(Event.competition_id.in_(ids))
        .group_by(Event.competition_id)
    ).all()) if ids else {}
    return render_template(
        "events/dashboard.html", competitions=competitions, event_counts=event_counts,
        **shown,
    )


@bp.get("/competitions/<int:competition_id>")
@login_required
def competition_detail(competition_id: int):
    """The competition and its events; its supervisors read it too, without the
    organizers' buttons."""
    require_reader_of(competition_id)
    competition = db.get_or_404(Competition, competition_id)
    events = db.session.scalars(
        select(Event).where(Event.competition_id == competition_id)
        .options(selectinload(Event.divisions),
                 selectinload(Event.modules).selectinload(Module.criteria),
                 selectinload(Event.occupation))
        .order_by(Event.position)
    ).all()
    missing = preflight(db.session, competition)
    problems = problems_by_event(missing)
    status_form = StatusForm(status=competition.next_status)
    # The packages after this stage add what they show here (the entries, the status board).
    shown = {}
    for _receiver, values in competition_page.send(db.session, competition=competition,
                                                   events=events, missing=missing):
        shown.update(values or {})
    return render_template("events/competition.html", competition=competition,
                           events=events, problems=problems,
                           missing=missing, status_form=status_form, clone_form=ConfirmForm(),
                           may_change=organizes(current_user, competition_id),
                           supervisors=tenancy.supervisors(db.session, competition_id),
                           **shown)


@bp.route("/competitions/new", methods=["GET", "POST"])
@role_required(Role.ORGANIZER)
def competition_new():
    form = CompetitionForm()
    if form.validate_on_submit():
        try:
            competition = setup.create_competition(db.session, current_user, **form.values())
        except DomainError as error:
            flash_domain_error(error)
        else:
            flash(_("Competition created. Now add its events."), "success")
            return redirect(url_for("events.competition_detail", competition_id=competition.id))
    return render_template("events/competition_form.html", form=form, competition=None)


@bp.route("/competitions/<int:competition_id>/edit", methods=["GET", "POST"])
@login_required
def competition_edit(competition_id: int):
    require_organizer_of(competition_id)
    competition = db.get_or_404(Competition, competition_id)
    form = CompetitionForm(obj=competition)
    if request.method == "GET":
        form.level_class.data = str(competition.level_class or "")
    if form.validate_on_submit():
        try:
            setup.update_competition(competition, **form.values())
            db.session.flush()
        except DomainError as error:
            flash_domain_error(error)
        else:
            flash(_("Changes saved."), "success")
            return redirect(url_for("events.competition_detail", competition_id=competition.id))
    return render_template("events/competition_form.html", form=form, competition=competition)


@bp.post("/competitions/<int:competition_id>/status")
@login_required
def competition_advance(competition_id: int):
    require_organizer_of(competition_id)
    competition = db.get_or_404(Competition, competition_id)
    form = StatusForm()
    if form.validate_on_submit():
        try:
            setup.advance_competition(db.session, competition, form.status.data)
        except DomainError as error:
            flash_domain_error(error)
        else:
            flash(_("The competition is now: %(status)s.",
                    status=label(competition.status, "competition_status")), "success")
    return redirect(url_for("events.competition_detail", competition_id=competition_id))


@bp.route("/competitions/<int:competition_id>/events/new", methods=["GET", "POST"])
@login_required
def event_new(competition_id: int):
    require_organizer_of(competition_id)
    competition = db.get_or_404(Competition, competition_id)
    form = EventForm(occupations=_occupations())
    if form.validate_on_submit():
        try:
            event = setup.create_event(db.session, competition,
                                         divisions=form.division_list(), **form.settings())
        except DomainError as error:
            flash_domain_error(error)
        else:
            flash(_("Event created. Now write its marking scheme."), "success")
            return redirect(url_for("events.scheme_edit", event_id=event.id))
    return render_template("events/event_form.html", form=form, competition=competition,
                           event=None)


@bp.route("/events/<int:event_id>/edit", methods=["GET", "POST"])
@login_required
def event_edit(event_id: int):
    event = event_for_organizer(event_id)
    form = EventForm(obj=event, occupations=_occupations())
    if request.method == "GET":
        form.divisions.data = "、".join(d.name for d in event.divisions)
        form.grade_min.data = str(event.grade_min or "")
        form.grade_max.data = str(event.grade_max or "")
    if form.validate_on_submit():
        try:
            setup.update_event(db.session, event, **form.settings())
            known = {d.name for d in event.divisions}
            for name, kind in form.division_list():
                if name not in known:
                    setup.add_division(db.session, event, name=name, kind=kind)
        except DomainError as error:
            flash_domain_error(error)
        else:
            flash(_("Changes saved."), "success")
            return redirect(url_for("events.event_detail", event_id=event.id))
    return render_template("events/event_form.html", form=form, competition=event.competition,
                           event=event)


@bp.get("/events/<int:event_id>")
@login_required
def event_detail(event_id: int):
    event = event_for_reader(event_id)
    modules = _modules_of(event_id)
    panel = db.session.scalars(
        select(PanelMember).where(PanelMember.event_id == event_id)
        .options(selectinload(PanelMember.expert))
        .order_by(PanelMember.role, PanelMember.id)
    ).all()
    return render_template("events/event.html", event=event, modules=modules, panel=panel,
                           problems=problems_by_event(preflight(
                               db.session, event.competition, event_id=event.id)).get(
                               event.id, []))


@bp.get("/events/<int:event_id>/scheme")
@login_required
def scheme_edit(event_id: int):
    event = event_for_organizer(event_id)
    return render_template(
        "events/scheme.html", event=event, modules=_modules_of(event_id),
        module_form=ModuleForm(formdata=None), confirm=ConfirmForm(),
        problems=[m.problem for m in preflight(db.session, event.competition,
                                               event_id=event.id) if m.kind == Kind.SCHEME],
        problems_scope="scheme", frozen=setup.scheme_frozen(event),
    )


@bp.post("/events/<int:event_id>/modules")
@login_required
def module_add(event_id: int):
    event = event_for_organizer(event_id)
    form = ModuleForm()
    if _form_valid(form, lambda: setup.module_problems(event, None, _module_spec(form)),
                   MODULE_COLUMNS):
        try:
            setup.add_module(db.session, event, _module_spec(form))
        except DomainError as error:
            flash_domain_error(error)
        else:
            flash(_("Module %(code)s added.", code=form.code.data), "success")
            return redirect(url_for("events.scheme_edit", event_id=event_id))
    # Refused: the page again, with every problem beside its field and what was typed.
    return render_template(
        "events/scheme.html", event=event, modules=_modules_of(event_id), module_form=form,
        confirm=ConfirmForm(), problems=setup.event_problems(event),
        frozen=setup.scheme_frozen(event))


@bp.route("/modules/<int:module_id>/edit", methods=["GET", "POST"])
@login_required
def module_edit(module_id: int):
    module = db.get_or_404(Module, module_id)
    event = event_for_organizer(module.event_id)
    form = ModuleForm(obj=module)
    if _form_valid(form, lambda: setup.module_problems(event, module, _module_spec(form)),
                   MODULE_COLUMNS):
        try:
            setup.update_module(db.session, module, _module_spec(form))
        except DomainError as error:
            flash_domain_error(error)
        else:
            flash(_("Changes saved."), "success")
            return redirect(url_for("events.scheme_edit", event_id=event.id))
    return render_template("events/module_form.html", form=form, event=event, module=module)


@bp.post("/modules/<int:module_id>/delete")
@login_required
def module_delete(module_id: int):
    module = db.get_or_404(Module, module_id)
    event = event_for_organizer(module.event_id)
    if ConfirmForm().validate_on_submit():
        try:
            setup.delete_module(db.session, module)
        except DomainError as error:
            flash_domain_error(error)
        else:
            flash(_("Module deleted."), "success")
    return redirect(url_for("events.scheme_edit", event_id=event.id))


@bp.route("/modules/<int:module_id>/criteria/new", methods=["GET", "POST"])
@login_required
def criterion_new(module_id: int):
    module = db.get_or_404(Module, module_id)
    event = event_for_organizer(module.event_id)
    form = CriterionForm()
    if request.method == "GET":
        form.code.data = f"{module.code}{len(module.criteria) + 1}"
    if _form_valid(form, lambda: setup.criterion_problems(module, None, _criterion_spec(form)),
                   CRITERION_COLUMNS):
        try:
            setup.add_criterion(db.session, module, _criterion_spec(form))
        except DomainError as error:
            flash_domain_error(error)
        else:
            flash(_("Criterion %(code)s added.", code=form.code.data), "success")
            return redirect(url_for("events.scheme_edit", event_id=event.id,
                                    _anchor=f"module-{module.id}"))
    return render_template("events/criterion_form.html", form=form, event=event,
                           module=module, criterion=None)


@bp.route("/criteria/<int:criterion_id>/edit", methods=["GET", "POST"])
@login_required
def criterion_edit(criterion_id: int):
    criterion = db.get_or_404(Criterion, criterion_id)
    module = criterion.module
    event = event_for_organizer(module.event_id)
    form = CriterionForm(obj=criterion)
    if _form_valid(form, lambda: setup.criterion_problems(
            module, criterion, _criterion_spec(form),
            method=not setup.off_scale(event.aggregation, setup.criterion_spec(criterion))),
                   CRITERION_COLUMNS):
        try:
            setup.update_criterion(db.session, criterion, _criterion_spec(form))
        except DomainError as error:
            flash_domain_error(error)
        else:
            flash(_("Changes saved."), "success")
            return redirect(url_for("events.scheme_edit", event_id=event.id,
                                    _anchor=f"module-{module.id}"))
    return render_template("events/criterion_form.html", form=form, event=event,
                           module=module, criterion=criterion)


@bp.post("/criteria/<int:criterion_id>/delete")
@login_required
def criterion_delete(criterion_id: int):
    criterion = db.get_or_404(Criterion, criterion_id)
    event = event_for_organizer(criterion.module.event_id)
    if ConfirmForm().validate_on_submit():
        try:
            setup.delete_criterion(db.session, criterion)
        except DomainError as error:
            flash_domain_error(error)
        else:
            flash(_("Criterion deleted."), "success")
    return redirect(url_for("events.scheme_edit", event_id=event.id))


# --- helpers ------------------------------------------------------------------------

def _modules_of(event_id: int) -> list[Module]:
    return db.session.scalars(
        select(Module).where(Module.event_id == event_id)
        .options(selectinload(Module.criteria)).order_by(Module.position)
    ).all()


def _occupations() -> list[Occupation]:
    return db.session.scalars(select(Occupation).order_by(Occupation.name)).all()


def _module_spec(form: ModuleForm) -> ModuleSpec:
    return ModuleSpec(code=form.code.data, name=form.name.data, kind=form.kind.data,
                      weight=form.weight.data, max_score=form.max_score.data)


def _criterion_spec(form: CriterionForm) -> CriterionSpec:
    return CriterionSpec(
        code=form.code.data, description=form.description.data,
        max_points=form.max_points.data, kind=form.kind.data, entry_mode=form.entry_mode.data,
        unit=form.unit.data or "", nominal=form.nominal.data,
        tolerance_lower=form.tolerance_lower.data, tolerance_upper=form.tolerance_upper.data,
        deduction_step=form.deduction_step.data, deduction_points=form.deduction_points.data,
        deduction_limit=form.deduction_limit.data,
    )


# The form field of each column a scheme problem names.
MODULE_COLUMNS = {"module_code": "code", "module_name": "name", "module_kind": "kind",
                  "weight": "weight", "module_max": "max_score"}
CRITERION_COLUMNS = {name: name for name in (
    "code", "description", "max_points", "kind", "entry_mode", "unit", "nominal",
    "tolerance_lower", "tolerance_upper", "deduction_step", "deduction_points",
    "deduction_limit")}


def _form_valid(form, problems_of, columns: dict[str, str]) -> bool:
    """Whether a posted module or criterion form may be saved. When not, every problem is
    put beside its field at once — the form's own checks and the scheme's rules (a code
    used twice among them) — and the page is shown again with what was typed."""
    if not form.is_submitted():
        return False
    valid = form.validate()
    problems = problems_of()
    for problem in problems:
        name = columns.get(problem.column)
        field = getattr(form, name, None) if name else None
        if field is None:
            flash(translate_problem(problem), "error")
        elif not field.errors:  # the form's own message on the field says it already
            field.errors = [*field.errors, translate_problem(problem)]
    return valid and not problems


def _flash_form_errors(form) -> None:
    for field_name, messages in form.errors.items():
        field_label = getattr(form, field_name).label.text
        for message in messages:
            flash(f"{field_label}：{message}", "error")


# More pages of this blueprint, kept in their own modules.
from competition.events import rule_views, scheme_views  # noqa: E402, F401
