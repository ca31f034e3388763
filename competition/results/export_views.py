"""Results exports: organizers' .xlsx, the public-notice PDF, score reports."""

from flask import Blueprint

bp = Blueprint("results_exports", __name__)
