"""Digital signatures (PAdES) on certificate PDFs, so any PDF reader shows whether a file
was altered after it was issued.

The issuer configures a signing certificate with its private key as a PKCS#12 file
(``.p12``/``.pfx``): ``CERTIFICATE_SIGNING_KEY`` is its path and
``CERTIFICATE_SIGNING_PASSWORD`` its password (both from the environment; see the
README). Every certificate PDF served is then signed — a certification signature
(PAdES baseline B-B, ``ETSI.CAdES.detached``) that permits no later changes, so a
reader reports an edited copy as altered. Without ``CERTIFICATE_SIGNING_KEY`` nothing is
signed.

A key that cannot be used is reported before anyone downloads anything: the app
refuses to start (``check_signing_key``, called by ``create_app``) naming the
setting and the problem. Should the file go missing or change after the start, the
first download that needs it fails with ``SigningError``, which the pages turn into a
clear 503 page and a line in the log — never a traceback, and never an unsigned PDF in
place of a signed one.
"""

from __future__ import annotations

import asyncio
import io
import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.hazmat.primitives.serialization import pkcs12

log = logging.getLogger(__name__)

KEY_SETTING = "CERTIFICATE_SIGNING_KEY"
PASSWORD_SETTING = "CERTIFICATE_SIGNING_PASSWORD"  # noqa: S105 (a setting's name)
FIELD_NAME = "CertificateSignature"


class SigningError(RuntimeError):
    """The configured signing key cannot be used; the message says why (for the log and
    the administrator, not for visitors: it names the file)."""


@dataclass(frozen=True)
class _Loaded:
    path: str
    password: str
    mtime: float
    signer: object  # pyhanko.sign.signers.SimpleSigner
    expires: datetime


_cache: dict[int, _Loaded] = {}
_lock = threading.Lock()


def configured(config) -> bool:
    """Whether the installation signs its certificates."""
    return bool((config.get(KEY_SETTING) or "").strip())


def load_signer(path: str, password: str | None):
    """The pyHanko signer of a PKCS#12 file; ``SigningError`` saying what is wrong."""
    from pyhanko.sign.signers import SimpleSigner

    try:
        with open(path, "rb") as file:
            data = file.read()
    except OSError as error:
        raise SigningError(f"{KEY_SETTING}: cannot read the signing key file {path!r} "
                           f"({error.strerror or error}).") from None
    passphrase = password.encode() if password else None
    try:
        key, certificate, _ = pkcs12.load_key_and_certificates(data, passphrase)
    except ValueError:
        raise SigningError(f"{KEY_SETTING}: {path!r} is not a PKCS#12 (.p12/.pfx) file, or "
                           f"{PASSWORD_SETTING} is not its password.") from None
    if key is None or certificate is None:
        raise SigningError(f"{KEY_SETTING}: {path!r} must hold both the signing "
                           "certificate and its private key.")
    now = datetime.now(UTC)
    if not certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc:
        raise SigningError(
            f"{KEY_SETTING}: the signing certificate in {path!r} is valid from "
            f"{certificate.not_valid_before_utc:%Y-%m-%d} to "
            f"{certificate.not_valid_after_utc:%Y-%m-%d}, not now: PDF readers would "
            "report every signature as invalid.")
    try:
        return SimpleSigner.load_pkcs12_data(data, other_certs=[], passphrase=passphrase)
    except (ValueError, TypeError, NotImplementedError) as error:
        raise SigningError(f"{KEY_SETTING}: the key in {path!r} cannot sign ({error}).") \
            from None


def check_signing_key(config) -> None:
    """At start-up: refuse a signing key that is configured but cannot be used."""
    if not configured(config):
        return
    from competition.config import ConfigError

    try:
        load_signer(config[KEY_SETTING].strip(), config.get(PASSWORD_SETTING))
    except SigningError as error:
        raise ConfigError(f"{error} Fix the setting, or unset {KEY_SETTING} to issue "
                          "unsigned certificates.") from None


def signer_for(app):
    """The app's signer, loaded once per key file (reloaded when the file or the settings
    change); None when signing is not configured. ``SigningError`` when unusable."""
    if not configured(app.config):
        return None
    path = app.config[KEY_SETTING].strip()
    password = app.config.get(PASSWORD_SETTING) or ""
    try:
        mtime = os.stat(path).st_mtime
    except OSError as error:
        raise SigningError(f"{KEY_SETTING}: cannot read the signing key file {path!r} "
                           f"({error.strerror or error}).") from None
    with _lock:
        loaded = _cache.get(id(app))
        if loaded is None or (loaded.path, loaded.password, loaded.mtime) != (
                path, password, mtime):
            signer = load_signer(path, password)
            loaded = _Loaded(path, password, mtime, signer,
                             signer.signing_cert.not_valid_after)
            _cache[id(app)] = loaded
    if datetime.now(UTC) > loaded.expires:
        raise SigningError(f"{KEY_SETTING}: the signing certificate in {path!r} expired on "
                           f"{loaded.expires:%Y-%m-%d}; configure a new one.")
    return loaded.signer


def sign_pdf(pdf: bytes, signer, *, reason: str = "") -> bytes:
    """The PDF with a PAdES certification signature over the whole file that allows no
    further change."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    metadata = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME, subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256", reason=reason or None, certify=True,
        docmdp_permissions=fields.MDPPerm.NO_CHANGES)
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    pdf_signer = signers.PdfSigner(metadata, signer)

    def sign() -> bytes:
        return asyncio.run(pdf_signer.async_sign_pdf(writer)).getvalue()

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return sign()
    # An event loop already runs in this thread (a server or driver built on asyncio):
    # pyHanko signs with its own loop, so in a thread of its own.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(sign).result()


def sign_if_configured(pdf: bytes, *, reason: str = "") -> bytes:
    """The PDF signed with the app's key when one is configured, else as it is."""
    from flask import current_app

    signer = signer_for(current_app)
    if signer is None:
        return pdf
    try:
        return sign_pdf(pdf, signer, reason=reason)
    except Exception as error:  # pyHanko's own errors: a key that cannot sign after all
        log.exception("signing a certificate PDF failed")
        raise SigningError(f"signing with {KEY_SETTING} failed: {error}") from error
