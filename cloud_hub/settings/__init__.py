"""Hub settings: HUB_* environment variables (or a .env-style file), built once in main.

Rule kept here: outside development a placeholder or guessable secret is refused at start-up
(how guessable: secret_strength.py beside this). A package only so that rule sits with the one
code that uses it and imports no feature: every part of the hub imports the settings.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from cloud_hub.settings.secret_strength import CHOSEN_PASSWORD_BITS, MACHINE_SECRET_BITS, weakness

PLACEHOLDER_SECRETS = {"", "changeme", "change-me", "secret", "dev-secret-not-for-production"}


class HubSettings(BaseSettings):
    # hide_input_in_errors: a refused setting's error never echoes the secrets beside it
    model_config = SettingsConfigDict(env_prefix="HUB_", extra="ignore",
                                      hide_input_in_errors=True)

    environment: Literal["development", "production"] = "development"
    database_url: str | None = None
    data_dir: str | None = None
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    secret_key: str = "dev-secret-not-for-production"
    token_ttl_s: int = Field(default=12 * 3600, gt=0)
    mqtt_enabled: bool = True
    mqtt_host: str = "127.0.0.1"
    mqtt_port: int = 1883
    mqtt_username: str | None = None
    mqtt_password: str | None = None
    mqtt_client_id: str | None = None
    mqtt_tls_ca_file: str | None = None  # set: connect with TLS, checking the broker
    mqtt_tls_cert_file: str | None = None  # client certificate, when the broker asks
    mqtt_tls_key_file: str | None = None
    mqtt_shared_group: str = "hub"
    batch_max_events: int = Field(default=500, gt=0)
    batch_window_ms: int = Field(default=5, ge=0)
    ws_queue_size: int = Field(default=1000, gt=0)
    ws_slow_policy: Literal["drop_oldest", "disconnect"] = "drop_oldest"
    gateway_offline_after_s: int = 60
    rules_enabled: bool = True
    # Outbound webhooks (cloud_hub/webhooks): the dispatcher's thread, how often it looks for
    # due deliveries when nothing wakes it, and how long it waits for a receiver.
    webhooks_enabled: bool = True
    webhooks_interval_s: float = Field(default=0.5, gt=0, le=60)
    webhooks_timeout_s: float = Field(default=10.0, gt=0, le=120)
    rules_interval_s: float = Field(default=300.0, gt=0)  # scheduled sweep of every SKU
    # serve: survivors of a full GC are frozen; all are rescanned this often (0: no freezing)
    gc_rescan_s: float = Field(default=3600.0, ge=0)
    rules_debounce_ms: int = Field(default=500, gt=0)  # after moves: gather, then evaluate
    bootstrap_admin_password: str | None = None
    # HTTP exposure (cloud_hub/http/hardening.py): /docs, /redoc and /openapi.json when true;
    # unset: on in development, off in production.
    docs_enabled: bool | None = None
    # GET /metrics needs "Authorization: Bearer <this>" when set; unset: open in development,
    # answered 404 in production (a scraper must be given a token).
    metrics_token: str | None = Field(default=None, repr=False)
    # Longest a statement of an API request may run (0: no limit). The ledger writer, MQTT
    # ingest and the rules runner have their own connections, never bound by it.
    api_statement_timeout_ms: int = Field(default=30_000, ge=0)
    # sign-in limits: failures per user name and per address in a window, then a lockout
    login_max_failures: int = Field(default=5, gt=0)
    login_max_failures_per_address: int = Field(default=50, gt=0)
    login_window_s: int = Field(default=900, gt=0)
    login_lockout_s: int = Field(default=300, gt=0)
    login_hash_slots: int = Field(default=2, gt=0)  # password hashes at once (scrypt, 16 MiB)
    login_hash_queue: int = Field(default=256, ge=0)  # sign-ins waiting for one; more: 503
    live_ticket_ttl_s: int = Field(default=30, gt=0, le=300)  # WebSocket tickets: single use
    # Ingest isolation (issue 18). A move dated later than the hub's clock + this is refused
    # (dead letter on MQTT, reported per event on REST): it would freeze its pallet.
    clock_tolerance_s: float = Field(default=300.0, ge=0)
    # /healthz says "degraded" once an MQTT message has waited this long unacknowledged.
    ingest_degraded_after_s: float = Field(default=60.0, gt=0)
    # A dead letter keeps this many bytes of its payload (a prefix), with its size and hash.
    dead_letter_max_bytes: int = Field(default=4 * 1024 * 1024, ge=0)
    # Moves on the topic of a gateway nobody registered (`cloud_hub gateways add`): "refuse"
    # makes them dead letters, "flag" applies them, counts and logs them. Unset: refuse in
    # production, flag in development (the demo and local tools publish unregistered).
    unregistered_gateways: Literal["refuse", "flag"] = "flag"
    # Inventory valuation (cloud_hub/valuation): the company's currency (ISO 4217), in which
    # stock, COGS and reports are valued; costs in another currency carry their rate.
    base_currency: str = Field(default="CNY", pattern=r"^[A-Z]{3}$")
    valuation_method: Literal["fifo", "avco"] = "fifo"  # fixed by the first valuation run
    valuation_enabled: bool = True  # the projection thread (cloud_hub/valuation/pg/follower.py)

    @property
    def docs_on(self) -> bool:
        return self.environment == "development" if self.docs_enabled is None \
            else self.docs_enabled

    @model_validator(mode="after")
    def _no_placeholders_in_production(self) -> HubSettings:
        if self.environment == "production" and \
                "unregistered_gateways" not in self.model_fields_set:
            self.unregistered_gateways = "refuse"
        if self.environment == "production":
            if self.secret_key in PLACEHOLDER_SECRETS or len(self.secret_key) < 32:
                raise ValueError("HUB_SECRET_KEY must be set to a random value of at least 32 "
                                 "characters in production (it is a placeholder or too short)")
            if self.bootstrap_admin_password in PLACEHOLDER_SECRETS | {"admin"}:
                raise ValueError("HUB_BOOTSTRAP_ADMIN_PASSWORD is a placeholder; choose a real one")
            _refuse_weak_secrets(self)
        return self


def _refuse_weak_secrets(settings: HubSettings) -> None:
    """Production secrets must be hard to guess, not only long (issue 18: 32 × "a" passed)."""
    checks = [("HUB_SECRET_KEY", settings.secret_key, MACHINE_SECRET_BITS),
              ("HUB_METRICS_TOKEN", settings.metrics_token, MACHINE_SECRET_BITS),
              ("HUB_MQTT_PASSWORD", settings.mqtt_password, MACHINE_SECRET_BITS),
              ("HUB_BOOTSTRAP_ADMIN_PASSWORD", settings.bootstrap_admin_password,
               CHOSEN_PASSWORD_BITS)]
    for name, value, bits in checks:
        if value is not None and (why := weakness(value, min_bits=bits)):
            raise ValueError(f"{name} is too weak for production: {why}")
