"""Judging pages: the judge's tablet and its installable app, the chief judge's console,
paper sheets.

The pages live in their own modules below, all on this one blueprint.
"""

from flask import Blueprint

bp = Blueprint("judging", __name__)

from competition.judging import (  # noqa: E402, F401
    app_views,
    console_views,
    paper_views,
    sheet_views,
)
