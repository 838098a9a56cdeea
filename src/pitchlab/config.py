"""Settings: one object, read from the environment (prefix ``PITCHLAB_``) or a ``.env`` file.

The Settings object is created once at the edge (CLI, test fixture) and passed down; nothing reads
the environment anywhere else.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from pitchlab.db_roles import checked_role_name
from pitchlab.security.passwords import MIN_ROUNDS, PRODUCTION_MIN_ROUNDS
from pitchlab.security.vault import generate_key_ring_entry

# The public URL of anything that is not `pitchlab serve` and was given none (the demo, tests).
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"


# --- billing catalogue -------------------------------------------------------------------------
# Ids are part of the API (clients send them) and of the stored subscriptions: slugs, never
# reused for something else.
CatalogueId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$")]
Currency = Annotated[str, Field(pattern=r"^[a-z]{3}$")]  # ISO 4217, lower case as Stripe has it


class Plan(BaseModel):
    """A subscription plan: its minutes per billing period and its price. ``stripe_price_id``
    names an existing recurring Stripe price; unset, Pitchlab finds or creates one with the
    lookup key ``billing.catalogue.lookup_key`` (so a new Stripe account needs no set-up)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: CatalogueId
    name: str = Field(min_length=1, max_length=100)
    minutes_per_period: int = Field(gt=0)
    price_cents: int = Field(ge=0)
    currency: Currency = "usd"
    interval: Literal["month", "year"] = "month"
    # Real calls uploaded for feedback (pitchlab.recordings): minutes of audio per calendar month,
    # apart from the practice minutes.
    recording_minutes_per_month: int = Field(default=300, ge=0)
    stripe_price_id: str | None = None


class TopUpPack(BaseModel):
    """Extra minutes bought once, for the current billing period."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: CatalogueId
    minutes: int = Field(gt=0)
    price_cents: int = Field(ge=0)
    currency: Currency = "usd"
    stripe_price_id: str | None = None


DEFAULT_PLANS = (
    Plan(id="starter", name="Starter", minutes_per_period=300, price_cents=4900,
         recording_minutes_per_month=300),
    Plan(id="team", name="Team", minutes_per_period=1500, price_cents=19900,
         recording_minutes_per_month=1200),
    Plan(id="scale", name="Scale", minutes_per_period=6000, price_cents=69900,
         recording_minutes_per_month=4800),
)
DEFAULT_TOP_UP_PACKS = (
    TopUpPack(id="minutes-100", minutes=100, price_cents=1900),
    TopUpPack(id="minutes-500", minutes=500, price_cents=7900),
)


def _unique_ids(items: tuple[Plan, ...] | tuple[TopUpPack, ...], what: str) -> None:
    ids = [item.id for item in items]
    duplicates = sorted({item_id for item_id in ids if ids.count(item_id) > 1})
    if duplicates:
        raise ValueError(f"{what} ids must be unique; repeated: {', '.join(duplicates)}")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="PITCHLAB_",
        env_file=".env",
        env_file_encoding="utf-8",
        env_ignore_empty=True,  # "PITCHLAB_X=" in a copied .env.example means "unset"
        extra="ignore",
    )

    # --- database -------------------------------------------------------------------------
    # Owner connection: runs migrations and operator commands. Unset: embedded PostgreSQL.
    database_url: SecretStr | None = None
    # The role the service connects as; cluster-wide, so deployments sharing a server may each
    # name their own. Created (with its password) by the first start that finds it missing.
    database_app_role: str = "pitchlab_app"
    # Its password. Given: set on the role at every start. Unset: generated once in data_dir and
    # set only when the role is created, so a start never changes another deployment's password.
    database_app_password: SecretStr | None = None
    database_pool_size: int = Field(default=10, ge=1)
    database_connect_timeout_seconds: int = Field(default=5, ge=1)
    data_dir: Path = Path(".pitchlab")

    # --- HTTP -----------------------------------------------------------------------------
    # Where clients reach this server: stream.url and emailed links start with it. Unset:
    # `pitchlab serve` uses the host and port it serves on; elsewhere DEFAULT_PUBLIC_URL.
    public_url: str | None = None
    cors_origins: Annotated[list[str], NoDecode] = []
    log_level: str = "INFO"
    run_worker_in_process: bool = True
    # A worker stopped by a database outage is started again once the database answers; the
    # wait between checks starts here and doubles up to the maximum.
    worker_restart_backoff_seconds: float = Field(default=0.5, gt=0)
    worker_restart_backoff_max_seconds: float = Field(default=30.0, gt=0)
    # Request bodies larger than this are refused (413) while they stream in: 1 MiB.
    max_body_bytes: int = Field(default=1_048_576, ge=1)
    # The limit for file uploads (multipart endpoints), instead of max_body_bytes: 200 MiB.
    max_upload_bytes: int = Field(default=209_715_200, ge=1)

    # --- uploaded files (recordings) --------------------------------------------------------
    # A local folder (default: data_dir/recordings), or an S3-compatible bucket when s3_bucket
    # is set (s3_endpoint_url for MinIO, R2, B2...; unset: AWS).
    recordings_dir: Path | None = None
    s3_bucket: str | None = None
    s3_prefix: str = "recordings"
    s3_endpoint_url: str | None = None
    s3_region: str = "us-east-1"
    s3_access_key_id: str | None = None
    s3_secret_access_key: SecretStr | None = None

    # --- secrets that development generates and keeps in data_dir -----------------------------
    jwt_secret: SecretStr | None = None
    encryption_keys: SecretStr | None = None

    # bcrypt cost; each step doubles the work. Production keeps at least 12 (a start below it
    # logs a warning); the floor is bcrypt's own 4, so that test suites can hash in microseconds.
    bcrypt_rounds: int = Field(default=PRODUCTION_MIN_ROUNDS, ge=MIN_ROUNDS, le=16)

    access_token_minutes: int = Field(default=15, ge=1, le=60)
    refresh_token_days: int = Field(default=30, ge=1, le=365)
    # A spent refresh token presented again this soon gets the same successor (parallel tabs);
    # later it counts as reuse and revokes its family.
    refresh_reuse_grace_seconds: float = Field(default=10.0, ge=0, le=300)

    # --- practice calls ---
    # Length of a billed minute. 60 in every real deployment; tests shorten it.
    billing_minute_seconds: float = Field(default=60.0, gt=0)
    # A live session with no stream and no turn for this long is ended by the sweep.
    session_idle_timeout_seconds: float = Field(default=120.0, gt=0)
    stream_ticket_seconds: int = Field(default=60, ge=5, le=600)
    # A stream client that takes nothing we send for this long is disconnected: it cannot hold a
    # call's buffers (or, before metering was decoupled from sends, its billing) hostage.
    stream_send_timeout_seconds: float = Field(default=10.0, gt=0)

    # --- product rules --------------------------------------------------------------------
    trial_days: int = Field(default=14, ge=0)
    trial_minutes: int = Field(default=60, ge=0)
    # Minutes of real calls a company on its trial may upload per calendar month.
    trial_recording_minutes: int = Field(default=60, ge=0)
    # Transcripts and feedback older than this are deleted (a company may set its own number);
    # the calls' billing facts stay.
    retention_days: int = Field(default=365, ge=1, le=3650)

    # --- optional infrastructure ----------------------------------------------------------
    redis_url: SecretStr | None = None
    sentry_dsn: SecretStr | None = None

    # --- vendors (unset: the offline provider, or the feature says it is not configured) ---
    elevenlabs_api_key: SecretStr | None = None
    elevenlabs_agent_id: str | None = None
    elevenlabs_base_url: str = "https://api.elevenlabs.io"
    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = None
    openai_model: str = "gpt-4o"
    # Structured output (providers/llm.py): "auto" asks for a strict JSON schema and falls back to
    # JSON mode on a server that refuses one; "json_schema" never falls back; "json_object" is
    # JSON mode from the start (a server that accepts a schema but ignores it).
    openai_response_format: Literal["auto", "json_schema", "json_object"] = "auto"
    # Speech-to-text for uploaded calls (providers/transcription.py): ElevenLabs Scribe when its
    # key is set, else OpenAI's diarizing model. A long recording takes minutes to transcribe.
    elevenlabs_stt_model: str = "scribe_v2"
    openai_transcription_model: str = "gpt-4o-transcribe-diarize"
    transcription_timeout_seconds: float = Field(default=600.0, gt=0)
    resend_api_key: SecretStr | None = None
    resend_base_url: str = "https://api.resend.com"
    email_from: str = "Pitchlab <no-reply@pitchlab.local>"
    stripe_api_key: SecretStr | None = None
    # Stripe's signing secret for POST /api/webhooks/stripe (whsec_...). Unset or blank: every
    # delivery is refused (400), never verified against an empty key.
    stripe_webhook_secret: SecretStr | None = None
    stripe_api_base: str = "https://api.stripe.com"
    # Stripe calls that take longer than this fail as "billing unavailable" (503), retried once.
    stripe_timeout_seconds: float = Field(default=20.0, gt=0)
    stripe_max_network_retries: int = Field(default=1, ge=0, le=5)
    # What Pitchlab sells (JSON in the environment: PITCHLAB_PLANS='[{"id": ..., ...}]').
    plans: tuple[Plan, ...] = Field(default=DEFAULT_PLANS, min_length=1)
    top_up_packs: tuple[TopUpPack, ...] = DEFAULT_TOP_UP_PACKS
    # Where Stripe's checkout and billing portal send the admin back. Unset: the public URL's
    # /docs, until the web app (issue 16) has a billing page.
    billing_return_url: str | None = None
    # The company admins are warned once this many days before the trial ends.
    trial_warning_days: int = Field(default=3, ge=1)
    calendly_api_token: SecretStr | None = None
    calendly_event_type: str | None = None
    calendly_webhook_secret: SecretStr | None = None
    calendly_base_url: str = "https://api.calendly.com"
    sales_email: str | None = None

    # --- logs and traces (issue 14) ---
    # json: one JSON object a line (production); console: readable lines for development.
    log_format: Literal["json", "console"] = "json"
    # A query slower than this is logged ("db.slow_query") with its route; never its parameters.
    slow_query_ms: float = Field(default=200.0, ge=0)
    # Tracing is on when an OTLP/HTTP endpoint is set; the standard OTEL_ names are read too
    # (aliases: the plugin flags any alias choice, though these have defaults).
    otel_exporter_otlp_endpoint: str | None = Field(  # type: ignore[pydantic-alias]
        default=None,
        validation_alias=AliasChoices(
            "otel_exporter_otlp_endpoint", "pitchlab_otel_exporter_otlp_endpoint"
        ),
    )
    otel_service_name: str = Field(  # type: ignore[pydantic-alias]
        default="pitchlab",
        validation_alias=AliasChoices("otel_service_name", "pitchlab_otel_service_name"),
    )
    # --- errors and alerts (issue 14) ---
    # Sentry (PITCHLAB_SENTRY_DSN above turns it on): the environment and release events carry
    # (release unset: Pitchlab's version), and the share of requests traced (0: errors only).
    sentry_environment: str = "development"
    sentry_release: str | None = None
    sentry_traces_sample_rate: float = Field(default=0.0, ge=0, le=1)
    # Where critical failures are reported: an address (through the email outbox) and/or a Slack
    # incoming webhook (its URL is a credential). Neither set: alerts are only logged.
    alert_email: str | None = None
    alert_slack_webhook_url: SecretStr | None = None
    # One message per alert key per interval; the rest are counted into the next message.
    alert_min_interval_seconds: float = Field(default=900.0, ge=0)
    # A provider failing with no gap longer than this, for at least this long, is "down".
    alert_provider_down_seconds: float = Field(default=300.0, gt=0)
    # --- metrics and caching (issue 14) ---
    # How long the application cache keeps a read (in memory, or in Redis with redis_url): the
    # most a change made behind the app's back, or by another process without Redis, stays unseen.
    cache_ttl_seconds: float = Field(default=60.0, gt=0, le=3600)
    # --- shutdown and deployment (issue 14) ---
    # On SIGTERM, `pitchlab serve` refuses new calls, ends the live calls it streams (billed,
    # transcript kept, feedback queued), lets in-flight requests finish and exits, within this.
    shutdown_grace_seconds: float = Field(default=20.0, gt=0, le=600)

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        # "https://a.example, https://b.example" reads better in an env file than JSON.
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @field_validator("plans")
    @classmethod
    def _unique_plan_ids(cls, value: tuple[Plan, ...]) -> tuple[Plan, ...]:
        _unique_ids(value, "plan")
        return value

    @field_validator("top_up_packs")
    @classmethod
    def _unique_pack_ids(cls, value: tuple[TopUpPack, ...]) -> tuple[TopUpPack, ...]:
        _unique_ids(value, "top-up pack")
        return value

    @field_validator("database_app_role")
    @classmethod
    def _plain_role_name(cls, value: str) -> str:
        return checked_role_name(value)

    @field_validator("jwt_secret")
    @classmethod
    def _long_enough_for_hs256(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value().encode()) < 32:
            raise ValueError("PITCHLAB_JWT_SECRET must be at least 32 bytes")
        return value

    def link_base(self) -> str:
        """Where links Pitchlab builds point: ``public_url``, else ``DEFAULT_PUBLIC_URL`` (a worker
        or command that serves no address of its own)."""
        return self.public_url or DEFAULT_PUBLIC_URL

    def resolved(self) -> ResolvedSettings:
        """These settings with every secret the app needs known: what ``create_app`` runs on.
        Raises ValueError naming the ones still unset (the CLI and the tests resolve them first:
        ``with_generated_secrets``, the embedded database's URL)."""
        missing = [name for name in RESOLVED_SECRETS if getattr(self, name) is None]
        if missing:
            raise ValueError(f"create_app needs these settings resolved: {', '.join(missing)}")
        values = dict(self)
        values["public_url"] = self.link_base()
        # Validated from these values alone (model_validate reads no environment).
        return ResolvedSettings.model_validate(values)

    def with_generated_secrets(self) -> Settings:
        """Fill the development secrets that are unset with values kept in ``data_dir``.

        Kept on disk so that a restart keeps sessions valid and stored keys readable.
        """
        updates = {}
        generators = {
            "database_app_password": lambda: secrets.token_urlsafe(32),
            "jwt_secret": lambda: secrets.token_urlsafe(48),
            "encryption_keys": generate_key_ring_entry,
        }
        for name, generate in generators.items():
            if getattr(self, name) is None:
                updates[name] = SecretStr(_load_or_create_secret(self.data_dir, name, generate))
        return self.model_copy(update=updates) if updates else self

    # --- production settings, backups, uptime probe (issue 14) ---
    # "production" refuses generated secrets, wildcard CORS, a remote database without TLS and
    # the embedded database (pitchlab/production.py), and sends HSTS on HTTPS requests.
    env: Literal["development", "production"] = "development"
    # Peers whose X-Forwarded-For/-Proto are believed (IPs or CIDRs, comma-separated; "*": any,
    # only when nothing but the proxy can reach the server). Empty: none, the TCP peer is the
    # client, so a client cannot pick the address that rate limits and the audit log see.
    trusted_proxies: Annotated[list[str], NoDecode] = []
    # The account `pitchlab probe` signs in as (a verified account of its own company).
    probe_email: str | None = None
    probe_password: SecretStr | None = None

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_proxies(cls, value: object) -> object:
        if isinstance(value, str):
            return [proxy.strip() for proxy in value.split(",") if proxy.strip()]
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _ip_networks(cls, value: list[str]) -> list[str]:
        # Normalised as uvicorn's ProxyHeadersMiddleware reads them: it takes what it cannot
        # parse (10.0.0.1/8, with host bits) for a literal name that never matches a peer.
        if "*" in value:
            return ["*"]
        try:
            return [str(ipaddress.ip_network(proxy, strict=False)) if "/" in proxy
                    else str(ipaddress.ip_address(proxy)) for proxy in value]
        except ValueError as exc:
            raise ValueError(f"takes IP addresses and CIDRs only ({exc})") from None


# The secrets without which the app cannot start (``ResolvedSettings`` has them as plain values).
RESOLVED_SECRETS = ("database_url", "database_app_password", "jwt_secret", "encryption_keys")


class ResolvedSettings(Settings):
    """Settings after start-up resolved them: the secrets and the public URL are known, so code
    that runs inside the app reads them without asking whether they are set."""

    database_url: SecretStr
    database_app_password: SecretStr
    jwt_secret: SecretStr
    encryption_keys: SecretStr
    public_url: str


def _load_or_create_secret(data_dir: Path, name: str, generate: Callable[[], str]) -> str:
    secrets_dir = data_dir / "secrets"
    secrets_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = secrets_dir / name
    if path.exists():
        return path.read_text().strip()
    value = generate()
    # O_EXCL: two processes starting at once must not each write a different secret.
    try:
        with open(path, "x", opener=lambda p, flags: os.open(p, flags, 0o600)) as f:
            f.write(value)
    except FileExistsError:
        return path.read_text().strip()
    return value
