"""Settings read from the environment.

Every setting has a safe default for a developer's machine; production sets
``SECRET_KEY`` and ``DATABASE_URL`` (PostgreSQL) at least.
"""

from __future__ import annotations

import os

DEFAULT_SECRET_KEY = "dev-only-insecure-key-change-me"  # noqa: S105 (refused in production)
# Keys the audit log's chain (HMAC-SHA-256); refused in production like the secret key.
DEFAULT_AUDIT_KEY = "dev-only-audit-key-change-me"  # noqa: S105


class ConfigError(RuntimeError):
    """The environment does not describe a safe configuration."""


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def normalise_database_url(url: str) -> str:
    """Accept the common spellings of a PostgreSQL URL and use the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def load_config(instance_path: str, overrides: dict | None = None) -> dict:
    """Build the Flask config from the environment, then apply ``overrides`` (tests)."""
    env = os.environ
    database_url = env.get("DATABASE_URL") or (
        "sqlite:///" + os.path.join(instance_path, "competition.sqlite3")
    )
    config = {
        "SECRET_KEY": env.get("SECRET_KEY", DEFAULT_SECRET_KEY),
        "AUDIT_KEY": env.get("AUDIT_KEY", DEFAULT_AUDIT_KEY),
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "REDIS_URL": env.get("REDIS_URL"),
        # How many reverse proxies stand in front of the app and set X-Forwarded-For,
        # -Proto, -Host and -Port (Werkzeug's ProxyFix trusts that many hops). 0: none;
        # the app then sees the proxy's address as every visitor's.
        "TRUSTED_PROXIES": int(env.get("TRUSTED_PROXIES", "0")),
        "BABEL_DEFAULT_LOCALE": "zh",
        "BABEL_DEFAULT_TIMEZONE": env.get("TIMEZONE", "Asia/Shanghai"),
        "LANGUAGES": {"zh": "简体中文", "en": "English"},
        "WTF_CSRF_TIME_LIMIT": None,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # Secure cookies outside development; a venue LAN served over plain HTTP sets
        # SESSION_COOKIE_SECURE=0 knowingly.
        "SESSION_COOKIE_SECURE": _bool(env.get("SESSION_COOKIE_SECURE"),
                                       not _bool(env.get("FLASK_DEBUG"), False)),
        "REMEMBER_COOKIE_SECURE": _bool(env.get("SESSION_COOKIE_SECURE"),
                                        not _bool(env.get("FLASK_DEBUG"), False)),
        "REMEMBER_COOKIE_HTTPONLY": True,
        # A PKCS#12 file (certificate and private key) to sign certificate PDFs with
        # (PAdES), and its password; unset: certificates are not signed.
        "CERTIFICATE_SIGNING_KEY": env.get("CERTIFICATE_SIGNING_KEY") or None,
        "CERTIFICATE_SIGNING_PASSWORD": env.get("CERTIFICATE_SIGNING_PASSWORD") or None,
        # Live-update streams one process serves at once (each holds a thread while it is
        # open); the app server for judges keeps the default, the streams' own server
        # (docs/production.md) raises it.
        "LIVE_STREAMS": int(env.get("LIVE_STREAMS", "4")),
        "TESTING": False,
        "DEBUG": _bool(env.get("FLASK_DEBUG"), False),
    }
    if overrides:
        config.update(overrides)
    if config.get("TESTING") and "SESSION_COOKIE_SECURE" not in (overrides or {}):
        config["SESSION_COOKIE_SECURE"] = config["REMEMBER_COOKIE_SECURE"] = False
    if config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        # A database that stops answering gets a 503 within seconds, not a hang: a
        # connection attempt gives up after 5 s; unacknowledged data on an open
        # connection after 8 s (tcp_user_timeout), an idle one is probed by TCP
        # keep-alives; a statement runs at most DATABASE_STATEMENT_TIMEOUT seconds, and a
        # server that acknowledges packets but does not answer is given up on after
        # DATABASE_CLIENT_TIMEOUT seconds.
        options = config["SQLALCHEMY_ENGINE_OPTIONS"] = dict(config["SQLALCHEMY_ENGINE_OPTIONS"])
        statement_timeout = float(env.get("DATABASE_STATEMENT_TIMEOUT", "30"))
        timeout_ms = int(statement_timeout * 1000)
        # The client's own deadline for any answer (``pgclient``): beyond the statement
        # timeout, so a slow statement is cancelled by the server first.
        config.setdefault("DATABASE_CLIENT_TIMEOUT", float(
            env.get("DATABASE_CLIENT_TIMEOUT") or statement_timeout + 5))
        options.setdefault("connect_args", {
            "connect_timeout": 5, "keepalives": 1, "keepalives_idle": 10,
            "keepalives_interval": 3, "keepalives_count": 3, "tcp_user_timeout": 8000,
            "options": f"-c statement_timeout={timeout_ms}"})
    return config


def check_config(config: dict) -> None:
    """Refuse to run a real server with the built-in secret key, or with sign-in
    throttling counters that only one process would see. (``create_app`` checks the
    certificate signing key first, with ``grades.signing.check_signing_key``.)"""
    if config["SECRET_KEY"] == DEFAULT_SECRET_KEY and not (
        config.get("DEBUG") or config.get("TESTING")
    ):
        raise ConfigError(
            "SECRET_KEY is not set. Set the SECRET_KEY environment variable to a long "
            "random string (for example the output of "
            "`python -c \"import secrets; print(secrets.token_hex(32))\"`) "
            "before starting the app outside debug mode."
        )
    if config["AUDIT_KEY"] == DEFAULT_AUDIT_KEY and not (
        config.get("DEBUG") or config.get("TESTING")
    ):
        raise ConfigError(
            "AUDIT_KEY is not set. Set the AUDIT_KEY environment variable to a long random "
            "string, kept outside the database and its backups (for example the output of "
            "`python -c \"import secrets; print(secrets.token_hex(32))\"`): it keys the "
            "audit log, so that someone who can write to the database cannot rewrite the log "
            "to match. Keep it: the log verifies only with the key it was written with."
        )
    if not (config.get("DEBUG") or config.get("TESTING")) and not config.get("REDIS_URL") \
            and not config.get("RATELIMIT_STORAGE_URI"):
        raise ConfigError(
            "REDIS_URL is not set. Set it (for example redis://127.0.0.1:6379/0) so that "
            "sign-in throttling counts attempts across every worker and server, or set "
            "RATELIMIT_STORAGE_URI to another shared store."
        )
