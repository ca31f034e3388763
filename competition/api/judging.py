"""API the judges' tablets use (issue 5); filled in by the judging work."""

from flask_smorest import Blueprint

blp = Blueprint("api_judging", __name__, url_prefix="/api/v1",
                description="What the judges' tablets use: assignments, sheets, marks.")
