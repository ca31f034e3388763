"""Certificates: list, PDF, revocation, registry export."""

from flask import Blueprint

bp = Blueprint("certificates", __name__)
