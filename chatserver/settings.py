"""Configuration: command-line flags over ``CHATSERVER_*`` environment variables.

Every field is documented in docs/operations.md; a test keeps the two in step.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CHATSERVER_", extra="ignore")

    data_dir: Path = Path("./data")
    # Absent = embedded SQLite in data_dir; postgresql://... = PostgreSQL.
    database_url: str | None = None
    # Absent = in-process fan-out; redis://... = Redis pub/sub across instances.
    redis_url: str | None = None
    # Origins allowed on the WebSockets and state-changing requests, besides
    # the service's own origin (always allowed).
    allowed_origins: Annotated[tuple[str, ...], NoDecode] = ()
    host: str = "127.0.0.1"
    port: int = 8000
    # uvicorn's WebSocket implementation (docs/benchmarks.md "WebSocket
    # implementation"): its sans-I/O one, or `websockets` (deprecated by uvicorn).
    ws_implementation: Literal["websockets", "websockets-sansio"] = "websockets-sansio"
    # SQLite durability: FULL fsyncs every (group) commit; NORMAL survives a
    # process crash but may lose the last commits on power loss.
    sqlite_synchronous: Literal["NORMAL", "FULL"] = "FULL"
    # Staff sessions (HSLF-FS 2016:40 asks for automatic log-out on inactivity).
    session_idle_timeout_s: int = Field(default=30 * 60, ge=60)
    session_absolute_timeout_s: int = Field(default=12 * 3600, ge=300)
    # Concurrent sessions per staff account; a new sign-in beyond it ends the
    # oldest (and closes its sockets). 5: a work PC, a second screen, a laptop
    # and spare, without letting a leaked password keep many sessions alive.
    max_sessions_per_user: int = Field(default=5, ge=1, le=100)
    # Require a TOTP second factor for every staff account (strong authentication).
    require_otp: bool = True
    # Served over TLS (directly or behind a TLS-terminating proxy): Secure cookies, HSTS.
    tls: bool = False
    log_level: str = "info"
    # Seconds a patient has to send `hello` after connecting.
    hello_timeout_s: float = 10.0
    # Intakes per client address (`limits` notation). A health centre's whole
    # day of chat intakes comes at a few a minute; a waiting room behind one
    # NAT may share an address, so the default is generous. Load tests raise it.
    intake_rate_limit: str = "60/minute"
    # Frames per WebSocket connection (see chatserver/ratelimit.py for the why).
    frame_rate_limit: str = "30/second"
    # Open WebSockets per client address on this instance, patient and staff
    # together (0 = no cap); more are refused with HTTP 429 before the upgrade.
    # Generous: mobile carriers' CGNAT and a region's staff egress put many
    # people behind one address (see docs/security.md "Socket limits").
    max_sockets_per_address: int = Field(default=256, ge=0)
    # Patient messages per contact, all its sockets together (`limits`
    # notation, a moving window); more get `rate_limited` with `retry_after_s`.
    contact_message_rate_limit: str = "60/minute"
    # Messages a contact may hold before its patient's are refused with
    # `contact_message_limit` (every sender counts; staff may still write; 0 = no cap).
    max_messages_per_contact: int = Field(default=1000, ge=0)
    # FAILED staff sign-ins per client address (`limits` notation); successful
    # ones are not counted, so a clinic's nurses behind one NAT all sign in at
    # shift start. Per-account lockout (security/lockout.py) stops guessing one name.
    login_failure_rate_limit: str = "10/minute"
    # Threads verifying staff passwords (argon2id, ~0.19 s CPU and 64 MiB each),
    # off the event loop; at most this many run at once.
    password_workers: int = Field(default=2, ge=1, le=32)
    # Sign-ins that may wait for a password thread; more are refused with 503 `busy`.
    password_queue: int = Field(default=32, ge=0, le=1000)
    # -- operations (chatserver/admin, docs/operations.md) --
    # Minutes before closing time when intake stops; chats already going on continue.
    intake_stop_before_close_min: int = Field(default=15, ge=0, le=240)
    # Escalation targets: a red-flag (acknowledged emergency) or urgent contact
    # still waiting after this many seconds alerts every staff member of its unit.
    escalation_red_flag_s: int = Field(default=5 * 60, ge=30)
    escalation_urgent_s: int = Field(default=15 * 60, ge=30)
    # The same for standard and non-urgent contacts; 0 = never escalate.
    escalation_standard_s: int = Field(default=0, ge=0)
    escalation_non_urgent_s: int = Field(default=0, ge=0)
    # An assigned contact whose staff member has had no connection this long
    # goes back to its queue (its level's place, its original arrival time).
    staff_gone_requeue_s: int = Field(default=2 * 60, ge=10)
    # A waiting patient gone this long is closed as `patient_left`.
    patient_gone_close_s: int = Field(default=15 * 60, ge=30)
    # How often the operations sweeper runs (escalation, absence, banner expiry).
    operations_sweep_s: float = Field(default=15.0, gt=0)
    # Days after a contact is closed before its free text is purged (0 = never).
    retention_days: int = Field(default=180, ge=0)
    # Settled days of statistics stored ahead of the dashboard (SQLite; 0 = off).
    stats_warmup_days: int = Field(default=400, ge=0, le=1100)
    # -- sign-in with e-legitimation (OpenID Connect; docs/identity.md) --
    # The service's external base URL; the redirect URIs are made from it.
    public_url: str | None = None
    # The patients' identity broker (BankID, Freja eID+); absent = anonymous patients only.
    patient_oidc_issuer: str | None = None
    patient_oidc_client_id: str | None = None
    patient_oidc_client_secret: SecretStr | None = None
    # The claim holding the personnummer (Swedish OIDC profile, id.oidc.se).
    patient_oidc_pnr_claim: str = "https://id.oidc.se/claim/personalIdentityNumber"
    # With the patient issuer set: "required" refuses an anonymous intake
    # (401 identification_required); "optional" takes both.
    patient_identification: Literal["optional", "required"] = "optional"
    # The staff identity provider (SITHS eID); absent = password + TOTP only.
    staff_oidc_issuer: str | None = None
    staff_oidc_client_id: str | None = None
    staff_oidc_client_secret: SecretStr | None = None
    # The claim matched against a staff account's HSA-id.
    staff_oidc_user_claim: str = "employeeHsaId"
    # -- patient credentials (docs/security.md "Patient tokens") --
    # Seconds after the 112 answer during which `acknowledge_emergency` still queues
    # the contact; later: 409 `acknowledgement_expired` (start a new chat).
    emergency_ack_window_s: int = Field(default=30 * 60, ge=60, le=24 * 3600)
    # Seconds after close during which the patient token still works (re-reading
    # the closed chat, the survey); later a `hello` is closed with 4401.
    patient_token_after_close_s: int = Field(default=24 * 3600, ge=0)
    # -- photo attachments (chatserver/attachments; docs/protocol.md "Photo attachments") --
    # Largest photo upload in bytes (the file part); more is cut off while
    # streaming with 413 `too_large`. 10 MiB: a phone's full-size HEIC or JPEG.
    attachment_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024, le=64 * 1024 * 1024)
    # Photos decoded and re-encoded at once (each on its own thread, up to
    # ~200 MB of pixels); more uploads wait their turn.
    attachment_decode_workers: int = Field(default=2, ge=1, le=16)
    # -- HTTP server (docs/security.md "HTTP") --
    # Proxy addresses whose X-Forwarded-For/-Proto are believed (comma-separated
    # IPs or CIDR networks). Empty (default): no forwarded header is trusted.
    forwarded_allow_ips: Annotated[tuple[str, ...], NoDecode] = ()
    # Seconds an idle keep-alive HTTP connection is held open before it is closed.
    http_keep_alive_s: int = Field(default=5, ge=1, le=120)
    # Seconds a request's line and headers may take to arrive (from the connection's
    # start or the request's first byte), and its body after them; then the
    # connection is closed (chatserver/http/server_protocol.py).
    http_header_timeout_s: float = Field(default=10.0, gt=0, le=300)
    http_body_timeout_s: float = Field(default=30.0, gt=0, le=3600)
    # -- notifications while away (chatserver/notify; docs/protocol.md) --
    # Push services the service may POST to (the SSRF guard, docs/security.md
    # "Push endpoints"): host names, `*.domain`, or exact `scheme://host:port`.
    # Empty (default): the major browsers' push services.
    push_allowed_hosts: Annotated[tuple[str, ...], NoDecode] = ()
    # The VAPID private key (P-256 scalar, base64url); absent: <data_dir>/vapid.key.
    vapid_private_key: SecretStr | None = None
    # The VAPID `sub` claim: how push services reach the operator (mailto: or https:).
    vapid_subject: str = "mailto:chatserver@localhost"
    # Push and SMS requests on the way at once, and each one's time limit.
    push_concurrency: int = Field(default=4, ge=1, le=64)
    push_timeout_s: float = Field(default=10.0, gt=0, le=120)
    # The "your turn" SMS (46elks-style form POST); absent URL: SMS off.
    sms_gateway_url: str | None = None
    sms_gateway_user: str = ""
    sms_gateway_password: SecretStr | None = None
    sms_gateway_from: str = "Vardchatt"

    @field_validator("push_allowed_hosts", mode="before")
    @classmethod
    def _split_push_hosts(cls, v: object) -> object:
        if isinstance(v, str):
            return tuple(h.strip() for h in v.split(",") if h.strip())
        return v

    @field_validator("forwarded_allow_ips", mode="before")
    @classmethod
    def _split_ips(cls, v: object) -> object:
        if isinstance(v, str):
            return tuple(a.strip() for a in v.split(",") if a.strip())
        return v

    @field_validator("allowed_origins", mode="before")
    @classmethod
    def _split_origins(cls, v: object) -> object:
        if isinstance(v, str):
            return tuple(o.strip().rstrip("/") for o in v.split(",") if o.strip())
        return v

    @field_validator("public_url", "patient_oidc_issuer", "staff_oidc_issuer", mode="after")
    @classmethod
    def _strip_slash(cls, v: str | None) -> str | None:
        return v.rstrip("/") if v else None

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "chatserver.sqlite3"
