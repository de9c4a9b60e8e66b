"""Every knob of Sinergi, read once from the environment, with embedded defaults."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_VAR_DIR = REPO_ROOT / "var"


class SettingsError(RuntimeError):
    """A setting is missing or wrong; the process must not start."""


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    database_url: str
    secret_key: str
    host: str = "127.0.0.1"
    port: int = 8000
    redis_url: str | None = None
    production: bool = False
    var_dir: Path = DEFAULT_VAR_DIR
    session_days: int = 14
    login_attempts: int = 5
    login_window_seconds: int = 300
    default_locale: str = "id"
    secure_cookies: bool = False
    # Live leaderboards: "memory" (one process), "redis" (REDIS_URL) or "postgres" (LISTEN/NOTIFY);
    # "auto" picks redis when REDIS_URL is set, else memory. An SSE stream is closed after
    # `sse_seconds` and the browser reconnects (it bounds a connection's life and eases restarts).
    channels_backend: str = "auto"
    sse_seconds: float = 600.0
    # Serving (`sinergi serve`): worker processes, seconds to finish open requests on SIGTERM, the
    # proxies whose X-Forwarded-For/-Proto are believed (None: no proxy headers), and the log format
    # ("json", "text", or "" = JSON for serve, text for the demo).
    workers: int = 1
    graceful_timeout: float = 10.0
    forwarded_allow_ips: str | None = None
    log_format: str = ""
    # The secret the audit chain's links and head, and backup manifests, are signed with (through a
    # labelled key derivation, app.security.derive_key); SECRET_KEY when unset. Setting it to the old
    # SECRET_KEY lets SECRET_KEY be changed without the chain and the backups failing their checks.
    audit_secret: str = ""
    # Webhooks (app.webhooks.sender): whether this process runs a sender (several may: each delivery is
    # claimed by one), how often it looks for due deliveries, the first retry's delay (doubled at each
    # failure, with jitter), the attempts before a delivery is marked failed, and each POST's timeout.
    webhook_sender: bool = True
    webhook_poll_seconds: float = 2.0
    webhook_retry_seconds: float = 30.0
    webhook_max_attempts: int = 10
    webhook_timeout: float = 10.0
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def signing_secret(self) -> str:
        return self.audit_secret or self.secret_key

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def sqlite_path(self) -> Path:
        return Path(self.database_url.removeprefix("sqlite:///"))

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        var_dir = Path(env.get("SINERGI_VAR_DIR") or DEFAULT_VAR_DIR)
        production = _bool(env.get("SINERGI_PRODUCTION"))
        database_url = env.get("DATABASE_URL") or f"sqlite:///{var_dir / 'sinergi.sqlite3'}"
        if not database_url.startswith(("sqlite:///", "postgresql://", "postgres://")):
            raise SettingsError(
                "DATABASE_URL must be sqlite:///path/to/file.sqlite3 or postgresql://user@host:port/db"
            )
        secret_key = env.get("SECRET_KEY", "")
        if not secret_key:
            if production:
                raise SettingsError("SECRET_KEY is required when SINERGI_PRODUCTION is set")
            secret_key = _demo_secret(var_dir)
        if len(secret_key) < 32:
            raise SettingsError("SECRET_KEY must be at least 32 characters long")
        audit_secret = env.get("SINERGI_AUDIT_KEY", "")
        if audit_secret and len(audit_secret) < 32:
            raise SettingsError("SINERGI_AUDIT_KEY must be at least 32 characters long")
        return cls(
            database_url=database_url,
            secret_key=secret_key,
            host=env.get("SINERGI_HOST", "127.0.0.1"),
            port=int(env.get("SINERGI_PORT", "8000")),
            redis_url=env.get("REDIS_URL") or None,
            production=production,
            var_dir=var_dir,
            secure_cookies=_bool(env.get("SINERGI_SECURE_COOKIES"), default=production),
            channels_backend=_channels_backend(env.get("SINERGI_CHANNELS")),
            sse_seconds=_positive_float(env.get("SINERGI_SSE_SECONDS"), 600.0, "SINERGI_SSE_SECONDS"),
            workers=_positive_int(env.get("SINERGI_WORKERS"), 1, "SINERGI_WORKERS"),
            graceful_timeout=_positive_float(
                env.get("SINERGI_GRACEFUL_TIMEOUT"), 10.0, "SINERGI_GRACEFUL_TIMEOUT"
            ),
            forwarded_allow_ips=env.get("SINERGI_FORWARDED_ALLOW_IPS") or None,
            log_format=_log_format(env.get("SINERGI_LOG_FORMAT")),
            audit_secret=audit_secret,
            webhook_sender=_bool(env.get("SINERGI_WEBHOOK_SENDER"), default=True),
            webhook_poll_seconds=_positive_float(
                env.get("SINERGI_WEBHOOK_POLL_SECONDS"), 2.0, "SINERGI_WEBHOOK_POLL_SECONDS"
            ),
            webhook_retry_seconds=_positive_float(
                env.get("SINERGI_WEBHOOK_RETRY_SECONDS"), 30.0, "SINERGI_WEBHOOK_RETRY_SECONDS"
            ),
            webhook_max_attempts=_positive_int(
                env.get("SINERGI_WEBHOOK_MAX_ATTEMPTS"), 10, "SINERGI_WEBHOOK_MAX_ATTEMPTS"
            ),
            webhook_timeout=_positive_float(
                env.get("SINERGI_WEBHOOK_TIMEOUT"), 10.0, "SINERGI_WEBHOOK_TIMEOUT"
            ),
        )


def _channels_backend(value: str | None) -> str:
    value = (value or "auto").strip().lower()
    if value not in {"auto", "memory", "redis", "postgres"}:
        raise SettingsError("SINERGI_CHANNELS must be auto, memory, redis or postgres")
    return value


def _positive_int(value: str | None, default: int, name: str) -> int:
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number <= 0:
        raise SettingsError(f"{name} must be a positive whole number")
    return number


def _log_format(value: str | None) -> str:
    value = (value or "").strip().lower()
    if value not in {"", "json", "text"}:
        raise SettingsError("SINERGI_LOG_FORMAT must be json or text")
    return value


def _positive_float(value: str | None, default: float, name: str) -> float:
    if not value:
        return default
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if number <= 0:
        raise SettingsError(f"{name} must be a positive number of seconds")
    return number


def _demo_secret(var_dir: Path) -> str:
    """Outside production a secret is generated once and kept beside the demo database."""
    var_dir.mkdir(parents=True, exist_ok=True)
    path = var_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key
