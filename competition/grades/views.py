"""Promotion preview and decisions for organizers."""

from flask import Blueprint

bp = Blueprint("grades", __name__)
