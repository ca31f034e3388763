"""Promotions and certificates through the JSON API."""

from flask_smorest import Blueprint

blp = Blueprint("api_grades", __name__, url_prefix="/api/v1", description="Promotions and certificates through the JSON API.")
