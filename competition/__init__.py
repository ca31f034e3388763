"""The 以赛代评 skills-competition system: application factory."""

from __future__ import annotations

import logging
import os
from http import HTTPStatus

from flask import Flask, g, jsonify, make_response, render_template, request, session
from flask_babel import gettext as _
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, SQLAlchemyError

from competition import live
from competition.config import check_config, load_config
from competition.dbtypes import render_migration_item
from competition.extensions import babel, cache, csrf, db, login_manager, migrate
from competition.web import CompetitionApp, register_error_handling

PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
log = logging.getLogger(__name__)
# What a 503 asks clients (the tablets' sync among them) to wait before trying again.
RETRY_AFTER_SECONDS = 10


def create_app(config_overrides: dict | None = None) -> Flask:
    app = CompetitionApp(
        __name__,
        instance_path=os.path.join(PROJECT_ROOT, "instance"),
        template_folder=os.path.join(PROJECT_ROOT, "templates"),
        static_folder=os.path.join(PROJECT_ROOT, "static"),
    )
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.update(load_config(app.instance_path, config_overrides))
    from competition.grades.signing import check_signing_key

    # A certificate signing key that is set but cannot be used stops the app in every mode.
    check_signing_key(app.config)
    check_config(app.config)
    if app.config["TRUSTED_PROXIES"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops,
                                x_port=hops)

    from competition import models  # noqa: F401  (every table, for Alembic)
    from competition.audit import state  # noqa: F401  (records the rows results depend on)

    db.init_app(app)
    if app.config.get("DATABASE_CLIENT_TIMEOUT"):
        from competition.pgclient import guard_connections

        with app.app_context():
            for engine in db.engines.values():
                if engine.dialect.driver == "psycopg":
                    guard_connections(engine, app.config["DATABASE_CLIENT_TIMEOUT"])
    migrate.init_app(
        app, db, directory=os.path.join(PROJECT_ROOT, "migrations"),
        compare_type=True, render_as_batch=True, render_item=render_migration_item,
    )
    csrf.init_app(app)
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=os.path.join(PROJECT_ROOT, "translations"),
    )
    login_manager.init_app(app)
    _init_cache(app)
    live.init_app(app)

    from competition.hardening import init_hardening

    init_hardening(app)

    from competition.security import init_security

    init_security(app)

    # ``<int:...>`` in every URL only matches an id the database can hold: a larger number
    # is a 404, not an overflow in the database driver.
    from competition.api import IdConverter

    app.url_map.converters["int"] = IdConverter

    # Every blueprint and its pages: one blueprint per package, whose views module imports
    # the package's other page modules. The corrections' and the expert pool's pages are on
    # the entries and events blueprints: they are imported before those are registered.
    from competition.accounts import views as accounts_views
    from competition.analytics import views as analytics_views
    from competition.bureau import views as bureau_views
    from competition.corrections import views as corrections_views  # noqa: F401
    from competition.entries import views as entries_views
    from competition.events import views as events_views
    from competition.experts import views as experts_views  # noqa: F401
    from competition.grades import views as grades_views
    from competition.jobs import views as jobs_views
    from competition.judging import views as judging_views
    from competition.public import views as public_views
    from competition.results import views as results_views
    from competition.transfer import views as transfer_views

    for blueprint in (accounts_views.bp, events_views.bp, transfer_views.bp, entries_views.bp,
                      judging_views.bp, public_views.bp, results_views.bp, grades_views.bp,
                      bureau_views.bp, analytics_views.bp, jobs_views.bp):
        app.register_blueprint(blueprint)

    # Long print runs and exports run as jobs (``competition.jobs``): each stage registers
    # the kinds it makes, so the app and the worker know the same kinds.
    from competition.entries import ticket_jobs
    from competition.grades import certificate_jobs
    from competition.jobs.queue import init_jobs
    from competition.results import export_jobs

    init_jobs(app)
    for stage in (ticket_jobs, certificate_jobs, export_jobs):
        stage.register_jobs()

    # Every hand-off between stages: the signals of earlier stages and the functions of
    # later ones that answer them (promotions on final results, refreshing published
    # results after a re-score, the status board, the pre-flight check …).
    from competition.handoffs import connect_all

    connect_all(app)
    from competition.api import init_api

    init_api(app)

    from competition.cli import register_cli

    register_cli(app)
    _register_template_helpers(app)
    _register_core_routes(app)
    register_error_handling(app)
    from competition.accounts.account_views import require_new_password

    app.before_request(require_new_password)
    from competition.auth.permissions import supervisor_guard

    # A supervisor (监督仲裁组) reads and changes nothing but their own acts.
    app.before_request(supervisor_guard)
    return app


def _init_cache(app: Flask) -> None:
    """The cache of rendered public pages: Redis, shared by every worker and server, when
    ``REDIS_URL`` is set; else one in the process (development, tests). Entries are keyed
    by what the page shows, so none is ever stale; unused ones expire after a day."""
    if app.config.get("REDIS_URL"):
        app.config.setdefault("CACHE_TYPE", "RedisCache")
        app.config.setdefault("CACHE_REDIS_URL", app.config["REDIS_URL"])
    else:
        app.config.setdefault("CACHE_TYPE", "SimpleCache")
    app.config.setdefault("CACHE_DEFAULT_TIMEOUT", 24 * 3600)
    app.config.setdefault("CACHE_KEY_PREFIX", "competition:")
    cache.init_app(app)


def select_locale() -> str:
    """The visitor's chosen language, else Simplified Chinese (the product's default)."""
    from flask import current_app

    chosen = session.get("lang")
    if chosen in current_app.config["LANGUAGES"]:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def score_text(value, decimals: int = 2) -> str:
    """A score as published: to the event's decimals (the database keeps four)."""
    if value is None:
        return ""
    from decimal import ROUND_HALF_UP, Decimal

    return str(Decimal(value).quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_UP))


def _register_template_helpers(app: Flask) -> None:
    from competition.errors import translate_problem
    from competition.labels import label
    from competition.skill_grades import grade_label

    app.add_template_filter(label, "label")
    app.add_template_filter(grade_label, "grade")
    app.add_template_filter(score_text, "score")
    app.add_template_filter(translate_problem, "problem_text")

    @app.template_global()
    def has_endpoint(endpoint: str) -> bool:
        """Whether a page exists, so templates can link to pages other stages add."""
        return endpoint in app.view_functions

    @app.context_processor
    def supervisor_view():
        """Whether a supervisor (监督仲裁组) is reading: pages then offer no button that
        changes anything (``auth.permissions.supervisor_guard`` refuses them anyway)."""
        from flask_login import current_user

        from competition.auth.models import Role

        return {"supervisor_view": bool(current_user and current_user.is_authenticated
                                        and current_user.role == Role.SUPERVISOR)}

    @app.context_processor
    def language_choices():
        from flask_babel import get_locale

        return {
            "languages": app.config["LANGUAGES"],
            "current_language": str(get_locale()),
        }


def _register_core_routes(app: Flask) -> None:
    @app.before_request
    def choose_language():
        # Flask-Babel caches the locale on the application context, which
        # outlives a request when one is already pushed (the CLI, tests).
        from flask import g
        from flask_babel import refresh

        refresh()
        # Flask-Login keeps the signed-in user on ``g`` for the same reason.
        g.pop("_login_user", None)

    @app.get("/healthz")
    def healthz():
        """For the load balancer and monitoring: 200 while the database answers, else 503."""
        try:
            db.session.execute(text("SELECT 1"))
        except SQLAlchemyError as error:
            _forget_failed_transaction()
            log.warning("health check: database unreachable: %s", getattr(error, "orig", error))
            response = jsonify(status="unavailable", database="unreachable")
            response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
            return response, 503
        return jsonify(status="ok")

    @app.errorhandler(DBAPIError)
    def database_error(error):
        """The database went away (a restart, a failover, the network): a friendly 503 that
        says to try again, never a stack trace or SQL. The pool drops the broken connections
        (``pool_pre_ping`` tests the others), so the app recovers by itself when the database
        is back. Any other database error is a bug, left to the 500 handler."""
        if not (isinstance(error, OperationalError | InterfaceError)
                or error.connection_invalidated):
            raise error
        _forget_failed_transaction()
        log.error("database unavailable: %s", error.orig)
        # Rendering the page must not ask the database who is signed in.
        g._login_user = login_manager.anonymous_user()
        response = _error_page(503, _("The service is temporarily unavailable. "
                                      "Please try again in a moment."))
        response[0].headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response

    @app.errorhandler(404)
    def not_found(error):
        return _error_page(404, _said(error) or _("The page you asked for does not exist."))

    @app.errorhandler(403)
    def forbidden(error):
        return _error_page(403, _said(error)
                           or _("You do not have permission to open this page."))

    @app.errorhandler(405)
    def method_not_allowed(error):
        response, status = _error_page(405, _("This page does not accept that kind of "
                                              "request."))
        if getattr(error, "valid_methods", None):
            response.headers["Allow"] = ", ".join(sorted(error.valid_methods))
        return response, status

    @app.errorhandler(500)
    def server_error(error):
        _forget_failed_transaction()
        return _error_page(500, _("Something went wrong on our side. "
                                  "The error has been logged."))


def _forget_failed_transaction() -> None:
    try:
        db.session.rollback()
    except SQLAlchemyError:  # the connection is gone; the pool replaces it
        db.session.remove()


def _said(error) -> str | None:
    """The reason a view gave when it refused (``abort(403, message=...)``), if any."""
    return (getattr(error, "data", None) or {}).get("message")


def _error_page(status: int, message: str):
    if request.accept_mimetypes.best == "application/json" or request.path.startswith("/api/"):
        # The shape of flask-smorest's documented Error schema, like the API's 401 and 422.
        return make_response(jsonify(code=status, status=HTTPStatus(status).phrase,
                                     message=message)), status
    return make_response(render_template("error.html", status=status, message=message)), status
