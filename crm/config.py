"""Configuration read from the environment.

Three environments: ``demo`` (the embedded default: SQLite in the instance
folder, a secret generated once), ``test`` and ``production`` (PostgreSQL
expected, a strong SECRET_KEY required, Secure cookies and HSTS).
"""

import os
import secrets
from email.utils import parseaddr
from pathlib import Path

ENVIRONMENTS = ("demo", "test", "production")
MIN_SECRET_LENGTH = 32
WEAK_SECRETS = {"secret", "changeme", "change-me", "dev", "development", "password", "please-change"}


class ConfigError(RuntimeError):
    """The app cannot start with this configuration."""


def database_url(raw: str | None, instance_path: str) -> str:
    """Normalise DATABASE_URL: psycopg 3 for PostgreSQL, a file in the instance folder by default."""
    if not raw:
        return f"sqlite:///{Path(instance_path) / 'crm.sqlite3'}"
    for prefix in ("postgres://", "postgresql://"):
        if raw.startswith(prefix):
            return "postgresql+psycopg://" + raw[len(prefix) :]
    return raw


def _demo_secret(instance_path: str) -> str:
    """A secret generated on first start and kept, owner-only, in the instance folder."""
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip()


def check_secret(secret: str | None) -> None:
    if not secret:
        raise ConfigError("SECRET_KEY is required in production.")
    if len(secret) < MIN_SECRET_LENGTH or secret.lower() in WEAK_SECRETS or len(set(secret)) < 8:
        raise ConfigError(
            f"SECRET_KEY is too weak for production: use at least {MIN_SECRET_LENGTH} random characters "
            '(python3 -c "import secrets; print(secrets.token_hex(32))").'
        )


def trusted_proxies(raw: str | None) -> int:
    """TRUSTED_PROXIES: how many reverse proxies stand in front of the app (0: clients connect directly)."""
    value = (raw or "0").strip()
    if not value.isdigit() or int(value) > 10:
        raise ConfigError(f"TRUSTED_PROXIES must be the number of proxies in front of the app (0 to 10), not {raw!r}.")
    return int(value)


MAIL_SECURITY = {"starttls": 587, "ssl": 465, "none": 25}


def mail_config(instance_path: str, environ=os.environ) -> dict:
    """SMTP from the environment; without MAIL_HOST, mail is written to files in MAIL_FOLDER instead of sent."""
    security = environ.get("MAIL_SECURITY", "starttls").strip().lower()
    if security not in MAIL_SECURITY:
        raise ConfigError(f"MAIL_SECURITY must be one of {', '.join(MAIL_SECURITY)}, not {security!r}.")
    port = environ.get("MAIL_PORT") or str(MAIL_SECURITY[security])
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(f"MAIL_PORT must be a port number, not {port!r}.")
    timeout = environ.get("MAIL_TIMEOUT", "30")
    if not timeout.isdigit() or int(timeout) == 0:
        raise ConfigError(f"MAIL_TIMEOUT must be a number of seconds, not {timeout!r}.")
    sender = environ.get("MAIL_FROM", "TSCC CRM <no-reply@localhost>")
    if "@" not in parseaddr(sender)[1]:
        raise ConfigError(
            f"MAIL_FROM must be an address, optionally with a name (TSCC CRM <crm@example.org>), not {sender!r}."
        )
    base_url = environ.get("CRM_BASE_URL", "http://127.0.0.1:5000").rstrip("/")
    if not base_url.startswith(("http://", "https://")):
        raise ConfigError(f"CRM_BASE_URL must start with http:// or https://, not {base_url!r}.")
    return {
        "BASE_URL": base_url,
        "MAIL_HOST": environ.get("MAIL_HOST", "").strip(),
        "MAIL_PORT": int(port),
        "MAIL_SECURITY": security,
        "MAIL_USERNAME": environ.get("MAIL_USERNAME", ""),
        "MAIL_PASSWORD": environ.get("MAIL_PASSWORD", ""),
        "MAIL_FROM": sender,
        "MAIL_TIMEOUT": int(timeout),
        "MAIL_FOLDER": environ.get("MAIL_FOLDER", str(Path(instance_path) / "mail")),
        "PASSWORD_RESET_MINUTES": 60,
    }


def load_config(instance_path: str, environ=os.environ) -> dict:
    env = environ.get("CRM_ENV", "demo")
    if env not in ENVIRONMENTS:
        raise ConfigError(f"CRM_ENV must be one of {', '.join(ENVIRONMENTS)}, not {env!r}.")
    production = env == "production"
    secret = environ.get("SECRET_KEY")
    if production:
        check_secret(secret)
        if not environ.get("DATABASE_URL"):
            raise ConfigError("DATABASE_URL is required in production (postgresql://user@host:5432/dbname).")
    elif not secret:
        secret = _demo_secret(instance_path)
    return {
        "CRM_ENV": env,
        "SECRET_KEY": secret,
        "SQLALCHEMY_DATABASE_URI": database_url(environ.get("DATABASE_URL"), instance_path),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "TESTING": env == "test",
        "WTF_CSRF_ENABLED": env != "test",
        # The token lives as long as the signed-in session it is tied to: a long edit never expires mid-way.
        "WTF_CSRF_TIME_LIMIT": None,
        # WTForms' own messages ("This field is required.") in the request's language, from the catalogues it ships.
        "WTF_I18N_ENABLED": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_SECURE": production,
        "HSTS": production,
        "MAX_CONTENT_LENGTH": int(environ.get("MAX_UPLOAD_MB", "10")) * 1024 * 1024,
        "UPLOAD_FOLDER": environ.get("UPLOAD_FOLDER", str(Path(instance_path) / "uploads")),
        # Failed logins in 15 minutes before the throttle refuses (see crm.auth.services).
        "LOGIN_FAILURES_PER_PAIR": 5,
        "LOGIN_FAILURES_PER_ACCOUNT": 30,
        "LOGIN_FAILURES_PER_ADDRESS": 100,
        "TRUSTED_PROXIES": trusted_proxies(environ.get("TRUSTED_PROXIES")),
        "PAGE_SIZE": 25,
        # Where whole pages are reused (crm.core.cache): database, redis://host:port/db, or none.
        "PAGE_CACHE": environ.get("PAGE_CACHE", "database"),
    } | mail_config(instance_path, environ)
