"""What ``PITCHLAB_ENV=production`` refuses: settings that are fine on a laptop and dangerous on
the internet. Checked before anything starts (``pitchlab serve``, ``worker``, every command that
opens the database, and ``prepare_database`` for any other caller), so a wrong deployment stops
with a ``StartupError`` naming the setting, never with a secret in the message.

Kept light (the standard library and psycopg's conninfo parser) for the same reason as
``startup.py``: it runs before the application loads.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING

from psycopg.conninfo import conninfo_to_dict

from pitchlab.database_probe import configured_conninfo
from pitchlab.startup import DATABASE_URL, StartupError

if TYPE_CHECKING:
    from pitchlab.config import Settings

PRODUCTION = "production"
# Secrets that development generates into PITCHLAB_DATA_DIR when unset: one machine's disk is
# no place for them in production (several API processes must share them, and a lost volume
# would log everybody out and make the stored API keys unreadable).
GENERATED_SECRETS = ("jwt_secret", "encryption_keys", "database_app_password")
# libpq's modes that refuse a connection without TLS; "prefer" and "allow" fall back to plain.
TLS_SSLMODES = ("require", "verify-ca", "verify-full")
_LOCAL_HOSTS = ("localhost", "")  # "": libpq's default, the unix socket


def check_production(settings: Settings) -> None:
    """Raise a ``StartupError`` for the first setting production refuses; nothing in
    development."""
    if settings.env != PRODUCTION:
        return
    for name in GENERATED_SECRETS:
        if getattr(settings, name) is None:
            raise _refused(
                name.upper(), "is unset, and production does not run on a secret generated into"
                " PITCHLAB_DATA_DIR", "set it in the environment (the same value for every"
                " process); README 'Production settings' says how to make one",
            )
    if any("*" in origin for origin in settings.cors_origins):
        raise _refused("CORS_ORIGINS", "has a wildcard origin",
                       "list the web app's origins exactly (https://app.example.com)")
    _check_database_url(settings)


def _check_database_url(settings: Settings) -> None:
    if settings.database_url is None:
        raise StartupError(
            DATABASE_URL, "is unset: production does not run on the embedded database",
            "point it at your PostgreSQL server (with ?sslmode=verify-full unless it is local)",
        )
    # A StartupError (without the value) when it is not a PostgreSQL URL at all.
    params = conninfo_to_dict(configured_conninfo(settings.database_url.get_secret_value()))
    if str(params.get("sslmode") or "") in TLS_SSLMODES:
        return
    # host and hostaddr may each be a comma-separated list (libpq tries them in turn)
    hosts = [host for key in ("host", "hostaddr") for host in str(params.get(key) or "").split(",")]
    remote = [host for host in hosts if not is_local_host(host)]
    if remote:
        raise StartupError(
            DATABASE_URL, f"connects to {remote[0]} without TLS"
            f" (sslmode is {params.get('sslmode') or 'unset'})",
            "add ?sslmode=verify-full (or require) to it; only a local server may go without",
        )


def is_local_host(host: str) -> bool:
    """A host that never leaves this machine: a unix socket directory, localhost, a loopback
    address. Its traffic needs no TLS."""
    if host.startswith("/") or host in _LOCAL_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve anywhere


def _refused(field: str, problem: str, hint: str) -> StartupError:
    return StartupError(f"PITCHLAB_{field}", problem, hint)
