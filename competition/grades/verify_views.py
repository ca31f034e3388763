"""Public verification of a certificate at /v/<number>.

The QR code printed on a certificate opens ``/v/<number>?c=<code>``: with the
right code the page says at once whether the certificate is valid or revoked,
and for whom (the name masked, like 张*明). Whoever types a number without the
code (or with a wrong one) must also give the holder's full name. A number that
does not exist, a wrong code and a wrong name all get the same answer, so
trying numbers one after another reveals nothing; a string that cannot be a
certificate number is turned away (404) without asking the database.
"""

from __future__ import annotations

from flask import Blueprint, abort, make_response, render_template, request

from competition.extensions import db
from competition.grades import certificates
from competition.grades.certificate_forms import HolderNameForm
from competition.hardening import throttle_verification

bp = Blueprint("verify", __name__)


@bp.route("/v/<number>", methods=["GET", "POST"])
@throttle_verification
def certificate(number: str):
    """核验证书: the status of a certificate for whoever holds the paper or its QR code."""
    try:
        certificates.parse_certificate_number(number)
    except ValueError:
        abort(404)
    found = certificates.certificate_by_number(db.session, number)
    code = request.args.get("c")
    shown = found if found is not None and certificates.code_matches(found, code) else None
    form = HolderNameForm()
    no_match = False
    if shown is None and form.validate_on_submit():
        if found is not None and certificates.name_matches(found, form.name.data):
            shown = found
        else:
            no_match = True
    response = make_response(render_template(
        "grades/verify.html", number=number, form=form, no_match=no_match,
        facts=certificates.public_facts(shown) if shown else None))
    # The URL carries the code: keep it out of caches and other sites' logs.
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
