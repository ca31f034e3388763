"""The big-screen live ranking for the ceremony hall."""

from flask import Blueprint

bp = Blueprint("screen", __name__)
