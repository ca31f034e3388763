"""Public verification of a certificate at /v/<number>.

The QR code printed on a certificate opens ``/v/<number>?c=<code>``. The code proves
the visitor holds the paper (or its QR code), so with the right code the page says at
once whether the certificate is valid or revoked and shows enough to check the person
in front of you against it: the holder's full name, their photo when one is on file
(``/v/<number>/photo?c=<code>``, behind the same code) and their ID number with all but
its last four characters masked. A copied QR code on a forged certificate therefore
shows someone else's face, name and ID ending.

Whoever types a number without the code (or with a wrong one) must give the holder's
full name, and then learns only what they could read on the paper anyway: the status,
the name masked (张*明), never a photo or any part of the ID number. A number that does
not exist, a wrong code and a wrong name all get the same answer, so trying numbers one
after another reveals nothing; a string that cannot be a certificate number is turned
away (404) without asking the database. Nothing here is cached or sent on as a
referrer, since the URLs carry the code.
"""

from __future__ import annotations

import mimetypes

from flask import (
    abort,
    current_app,
    make_response,
    render_template,
    request,
    send_file,
    url_for,
)

from competition.extensions import db
from competition.grades import certificates
from competition.grades.certificate_forms import HolderNameForm
from competition.grades.models import Certificate
from competition.grades.views import bp
from competition.hardening import throttle_verification

# The photo types served; anything else (an SVG could carry a script) is not.
PHOTO_TYPES = {"image/jpeg", "image/png", "image/gif", "image/webp"}


@bp.route("/v/<number>", methods=["GET", "POST"])
@throttle_verification
def verify_certificate(number: str):
    """核验证书: the status of a certificate for whoever holds the paper or its QR code."""
    code = request.args.get("c")
    found = _found(number)
    holder = found is not None and certificates.code_matches(found, code)
    shown = found if holder else None
    form = HolderNameForm()
    no_match = False
    if shown is None and form.validate_on_submit():
        if found is not None and certificates.name_matches(found, form.name.data):
            shown = found
        else:
            no_match = True
    facts = certificates.public_facts(shown, holder=holder) if shown else None
    photo_url = None
    if holder and _photo(found) is not None:
        photo_url = url_for("grades.verify_photo", number=number, c=code)
    return _private(make_response(render_template(
        "grades/verify.html", number=number, form=form, no_match=no_match, facts=facts,
        photo_url=photo_url)))


@bp.get("/v/<number>/photo")
@throttle_verification
def verify_photo(number: str):
    """The holder's photo, for whoever has the certificate's QR code (its code); 404 for
    anyone else, and when there is none."""
    found = _found(number)
    if found is None or not certificates.code_matches(found, request.args.get("c")):
        abort(404)
    path = _photo(found)
    if path is None:
        abort(404)
    response = send_file(path, mimetype=mimetypes.guess_type(path)[0], conditional=False,
                         etag=False, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return _private(response)


def _found(number: str) -> Certificate | None:
    """The certificate of a number; 404 at once for what cannot be a number."""
    try:
        certificates.parse_certificate_number(number)
    except ValueError:
        abort(404)
    return certificates.certificate_by_number(db.session, number)


def _photo(certificate: Certificate) -> str | None:
    path = certificates.photo_file(certificate.promotion.entry.contestant,
                                   current_app.instance_path)
    if path is None or mimetypes.guess_type(path)[0] not in PHOTO_TYPES:
        return None
    return path


def _private(response):
    # The URL carries the code: keep it out of caches and other sites' logs.
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
