"""Every step from judges' marks to an entry's rank."""

from flask import Blueprint

bp = Blueprint("explain", __name__)
