"""Public verification of a certificate at /v/<number>."""

from flask import Blueprint

bp = Blueprint("verify", __name__)
