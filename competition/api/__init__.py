"""The JSON API under /api/v1, described by the OpenAPI document at /api/v1/openapi.json.

The document is generated from the code (flask-smorest reads the schemas and
the route decorators). Callers sign in with the session cookie of the pages,
or with ``Authorization: Bearer <token>`` (``flask users token``). Writes take
JSON bodies only, so a cross-site form cannot post to them. A few reads need no
sign-in — a division's published results, a contestant's own result by the
secret of their link, checking a certificate by its number and code — and the
document says so of each (``security: []``, from ``@blp.doc(security=[])``).
"""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api as SmorestApi
from marshmallow import fields
from werkzeug.routing import IntegerConverter

from competition.api.schemas import MAX_INT, ErrorSchema
from competition.extensions import csrf


class IdConverter(IntegerConverter):
    """``<int:...>`` in the API's URLs: an id the database can hold, so a larger number
    matches no route (404) instead of failing in the database driver (500). The OpenAPI
    document states the bounds."""

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_INT, signed=False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


class Api(SmorestApi):
    # Errors carry the broken rule's problems too (``web.domain_error_response``).
    ERROR_SCHEMA = ErrorSchema


api = Api()


def init_api(app: Flask) -> None:
    app.config.setdefault("API_TITLE", "以赛代评 skills-competition API")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config.setdefault("OPENAPI_URL_PREFIX", "/api/v1")
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    app.config.setdefault("API_SPEC_OPTIONS", {
        "info": {"description": __doc__},
        "components": {"securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer"},
            "session": {"type": "apiKey", "in": "cookie", "name": "session"},
        }},
        "security": [{"bearer": []}, {"session": []}],
    })
    # Before the API's routes are made, which read the converter when they are added.
    app.url_map.converters["int"] = IdConverter
    api.init_app(app)
    api.ma_plugin.converter.add_attribute_function(_decimal_as_string)

    from competition.api import (
        bureau,
        entries,
        grades,
        judging,
        panels,
        results,
        sessions,
        setup,
    )

    for blueprint in (setup.blp, panels.blp, entries.blp, judging.blp, results.blp,
                      grades.blp, sessions.blp, bureau.blp):
        csrf.exempt(blueprint)
        api.register_blueprint(blueprint)


DECIMAL_PATTERN = r"^-?[0-9]+(\.[0-9]+)?$"


def _decimal_as_string(self, field, **kwargs) -> dict:
    """Decimals travel as strings ("86.67") so no digit is bent by floating point on the
    way: the document says so, where apispec would call them numbers."""
    if isinstance(field, fields.Decimal) and field.as_string:
        return {"type": "string", "format": "decimal", "pattern": DECIMAL_PATTERN}
    return {}
