"""Theory scores imported from a computer-based exam (.xlsx)."""

from flask import Blueprint

bp = Blueprint("theory", __name__)
