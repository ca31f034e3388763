"""Results through the JSON API."""

from flask_smorest import Blueprint

blp = Blueprint("api_results", __name__, url_prefix="/api/v1", description="Results through the JSON API.")
