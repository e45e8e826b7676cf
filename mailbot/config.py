"""Settings: every MAILBOT_* variable with its default, read from the environment,
a `.env` file or `mailbot.toml`. Loaded by `load_settings()`; nothing happens at import."""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from mailbot.errors import ConfigError
from mailbot.inbound.listen_target import ListenTarget, server_tls_context

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

TICKET_TYPES = ("incident", "request")
# MAILBOT_DATABASE_URL: PostgreSQL URLs without a driver are read as psycopg 3, the driver mailbot installs;
# a URL whose driver is not installed stops mailbot at start with this hint
POSTGRES_WITHOUT_DRIVER = ("postgres", "postgresql")
POSTGRES_DRIVER = "postgresql+psycopg"


def _ticket_type(value: str) -> str:
    if value not in TICKET_TYPES:
        raise ValueError(f"expected {' or '.join(TICKET_TYPES)}, got '{value}'")
    return value


CommaList = Annotated[tuple[str, ...], NoDecode]


def _split_commas(value: object) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        items = value.split(",")
    else:
        items = list(value)  # type: ignore[call-overload]  # a list or tuple given in code, not a str
    return tuple(item.strip().lower() for item in items if item.strip())


def _check_url(value: str, schemes: tuple[str, ...]) -> str:
    if not value:
        return value
    parts = urlsplit(value)
    if parts.scheme not in schemes:
        raise ValueError(f"scheme must be one of {', '.join(schemes)}, got '{parts.scheme or value}'")
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError as exc:
        raise ValueError(f"bad port in '{value}'") from exc
    return value


def _host_port(value: str) -> tuple[str, int]:
    """`HOST:PORT` (`[::1]:8025` for IPv6) as the host and the port number."""
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"expected HOST:PORT, got '{value}'")
    return host.strip("[]"), int(port)


def _driver_installed(url: URL) -> bool:
    from sqlalchemy.exc import NoSuchModuleError

    try:
        url.get_dialect().import_dbapi()
    except (ImportError, NoSuchModuleError):
        return False
    return True


class MailboxSettings(BaseModel):
    """One IMAP mailbox of `MAILBOT_MAILBOXES` (or a `[[mailboxes]]` table of mailbot.toml)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    url: str
    type: str = "incident"
    group: str = ""

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not value:
            raise ValueError("a mailbox needs a url")
        return _check_url(value, ("imap", "imaps", "imap+starttls"))

    @field_validator("type")
    @classmethod
    def _type(cls, value: str) -> str:
        return _ticket_type(value)


class Settings(BaseSettings):
    """mailbot's configuration (SPEC §7). Field `x` is read from `MAILBOT_X`."""

    model_config = SettingsConfigDict(
        env_prefix="MAILBOT_",
        env_file=".env",
        env_file_encoding="utf-8",
        toml_file="mailbot.toml",
        extra="ignore",
        frozen=True,
    )

    database_url: str = "sqlite:///mailbot.db"
    broker_url: str = ""
    imap_url: str = ""
    listen: str = ""
    # STARTTLS on the listener: both PEM files, or neither (see docs/OPERATIONS.md)
    listen_tls_cert: str = ""
    listen_tls_key: str = Field("", validate_default=True)
    smtp_url: str = ""
    outbox_dir: Path = Path("./outbox")
    documents_dir: Path = Path("./documents")
    helpdesk_address: str = "helpdesk@localhost"
    # the sender name of every notification and the footer's signature; empty: the address alone
    helpdesk_name: str = ""
    subject_tag: str = "Ticket"
    autoclose_hours: float = 24
    max_attachment_mb: float = Field(14, gt=0)
    # documents attached to one mail going out, in all (docs/BEHAVIOUR.md); 0: never attach
    notification_attachments_mb: float = Field(10, ge=0)
    max_text_kb: int = Field(512, ge=1, le=64 * 1024)
    language: Literal["fr", "en"] = "fr"
    unknown_senders: Literal["create", "reject", "ignore"] = "create"
    allowed_domains: CommaList = ()
    trusted_authserv_id: str = ""
    machine_senders: CommaList = ()
    timezone: str = "Europe/Paris"
    automail_limit: int = Field(20, ge=0)
    # the requester of a new ticket is the Reply-To address when the mail has one (SPEC §1)
    requester_from_reply_to: bool = False
    # Receiving (SPEC §8); see docs/OPERATIONS.md for each one.
    mailboxes: tuple[MailboxSettings, ...] = ()
    default_type: str = "incident"
    default_group: str = ""
    imap_folder_processed: str = "Processed"
    imap_folder_refused: str = "Refused"
    imap_folder_failed: str = "Failed"
    imap_mark: Literal["move", "flag"] = "move"
    imap_keyword: str = "$MailbotProcessed"
    imap_tls_verify: bool = True
    imap_oauth2_command: str = ""
    imap_idle: bool = True
    imap_poll_seconds: float = Field(30, gt=0)
    imap_batch: int = Field(50, ge=1, le=1000)
    # processes taking in one mailbox's mail side by side, split by thread (PostgreSQL only)
    intake_workers: int = Field(1, ge=1, le=64)
    lease_seconds: float = Field(30, ge=3)
    reconnect_max_seconds: float = Field(60, gt=0)
    # Sending: the outbox relay is the one retry mechanism.
    relay_seconds: float = Field(30, gt=0)
    relay_grace_seconds: float = Field(120, ge=0)
    retry_first_seconds: float = Field(30, gt=0)
    retry_max_seconds: float = Field(3600, gt=0)
    delivery_max_attempts: int = Field(60, ge=1)  # then the notification is `failed` (~2.2 days)
    claim_seconds: float = Field(300, gt=0)
    delivery_batch: int = Field(20, ge=1, le=500)  # notifications claimed, sent and marked together
    log_format: Literal["text", "json"] = "text"
    # link the one inventory machine a new mail names (SPEC §11); off: only propose it
    inventory_autolink: bool = True
    # The web desk (SPEC §9): HOST:PORT, empty = off; the base URL of the links mails carry
    web_listen: str = "127.0.0.1:8025"
    web_url: str = ""
    web_session_days: float = Field(30, gt=0)
    # The morning digest: the hour (0-23, in `timezone`) each technician gets it; empty/off: none
    digest_hour: int | None = Field(7, validate_default=True)

    @field_validator("allowed_domains", "machine_senders", mode="before")
    @classmethod
    def _commas(cls, value: object) -> tuple[str, ...]:
        return _split_commas(value)

    @field_validator("default_type")
    @classmethod
    def _default_type(cls, value: str) -> str:
        return _ticket_type(value)

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            url = make_url(value)
        except ArgumentError as exc:
            raise ValueError(f"not a database URL: '{value}'") from exc
        if url.drivername in POSTGRES_WITHOUT_DRIVER:  # the form hosting providers hand out
            return POSTGRES_DRIVER + value[len(url.drivername):]
        if url.drivername != POSTGRES_DRIVER and not _driver_installed(url):
            raise ValueError(f"the driver of '{url.drivername}://…' is not installed; mailbot comes with SQLite "
                             f"and PostgreSQL through psycopg 3: write '{POSTGRES_DRIVER}://…' (or 'postgresql://…')")
        return value

    @field_validator("broker_url")
    @classmethod
    def _broker_url(cls, value: str) -> str:
        return _check_url(value, ("redis", "rediss", "amqp", "amqps"))

    @field_validator("imap_url")
    @classmethod
    def _imap_url(cls, value: str) -> str:
        return _check_url(value, ("imap", "imaps", "imap+starttls"))

    @field_validator("smtp_url")
    @classmethod
    def _smtp_url(cls, value: str) -> str:
        return _check_url(value, ("smtp", "smtps", "smtp+starttls"))

    @field_validator("listen")
    @classmethod
    def _listen(cls, value: str) -> str:
        if value:
            ListenTarget.parse(value)
        return value

    @field_validator("web_listen")
    @classmethod
    def _web_listen(cls, value: str) -> str:
        value = value.strip()
        if value:
            _host_port(value)
        return value

    @field_validator("web_url")
    @classmethod
    def _web_url(cls, value: str) -> str:
        value = value.strip()
        if value and not urlsplit(value).netloc:
            raise ValueError(f"expected an http:// or https:// URL, got '{value}'")
        return _check_url(value, ("http", "https")).rstrip("/")

    @field_validator("listen_tls_key")
    @classmethod
    def _listen_tls(cls, key: str, info: ValidationInfo) -> str:
        cert = info.data.get("listen_tls_cert", "")
        if bool(cert) != bool(key):
            raise ValueError(("not set, but MAILBOT_LISTEN_TLS_CERT is" if cert else
                              "set without MAILBOT_LISTEN_TLS_CERT") + ": STARTTLS needs both or neither")
        if key:
            server_tls_context(cert, key)
        return key

    @field_validator("helpdesk_address")
    @classmethod
    def _address(cls, value: str) -> str:
        if "@" not in value or any(c.isspace() for c in value):
            raise ValueError(f"not a mail address: '{value}'")
        return value.lower()

    @field_validator("helpdesk_name")
    @classmethod
    def _helpdesk_name(cls, value: str) -> str:
        if not value.isprintable():  # a line break or control character would break the From header
            raise ValueError("one line of printable text expected (no line break or control character)")
        return value.strip()

    @field_validator("subject_tag")
    @classmethod
    def _tag(cls, value: str) -> str:
        if not value or not value.replace("-", "").replace("_", "").isalnum():
            raise ValueError(f"expected a single word, got '{value}'")
        return value

    @field_validator("digest_hour", mode="before")
    @classmethod
    def _digest_hour(cls, value: object) -> int | None:
        if value is None or (isinstance(value, str) and value.strip().lower() in ("", "off", "none")):
            return None
        try:
            hour = int(str(value).strip())
        except ValueError:
            raise ValueError(f"an hour from 0 to 23, or off, expected; got '{value}'") from None
        if not 0 <= hour <= 23:
            raise ValueError(f"an hour from 0 to 23, or off, expected; got '{value}'")
        return hour

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone '{value}'") from exc
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, dotenv_settings, TomlConfigSettingsSource(settings_cls))

    # Derived values, computed from the fields above.

    @property
    def listen_address(self) -> str:
        """The built-in listener's address: its default applies only without IMAP."""
        if self.listen:
            return self.listen
        return "" if self.imap_mailboxes else "127.0.0.1:2525"

    @property
    def listen_target(self) -> ListenTarget | None:
        """Where and by which protocol the built-in listener receives mail; None: no listener."""
        return ListenTarget.parse(self.listen_address) if self.listen_address else None

    @property
    def listen_tls_context(self) -> ssl.SSLContext | None:
        """The certificate the listener offers by STARTTLS; None: no STARTTLS."""
        if not self.listen_tls_cert:
            return None
        try:
            return server_tls_context(self.listen_tls_cert, self.listen_tls_key)
        except ValueError as exc:  # the files changed since the settings were read
            raise ConfigError(f"MAILBOT_LISTEN_TLS_CERT: {exc}") from None

    @property
    def web_address(self) -> tuple[str, int] | None:
        """Where the web desk listens; None: no web desk."""
        return _host_port(self.web_listen) if self.web_listen else None

    @property
    def web_base_url(self) -> str:
        """The web desk's address in mails: MAILBOT_WEB_URL, else http:// and MAILBOT_WEB_LISTEN."""
        return self.web_url or (f"http://{self.web_listen}" if self.web_listen else "")

    @property
    def imap_mailboxes(self) -> tuple[MailboxSettings, ...]:
        """Every mailbox to read: MAILBOT_IMAP_URL (with the default type and group) first."""
        if not self.imap_url:
            return self.mailboxes
        return (MailboxSettings(url=self.imap_url, type=self.default_type, group=self.default_group),
                *self.mailboxes)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def max_attachment_bytes(self) -> int:
        return int(self.max_attachment_mb * 1024 * 1024)

    @property
    def notification_attachments_bytes(self) -> int:
        return int(self.notification_attachments_mb * 1024 * 1024)

    @property
    def max_text_chars(self) -> int:
        return self.max_text_kb * 1024


def load_settings(**overrides: object) -> Settings:
    """Read the settings; a bad value raises ConfigError with one line naming the variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]  # pydantic checks each value (ValidationError below)
    except ValidationError as exc:
        error = exc.errors()[0]
        loc = error["loc"]
        name = f"MAILBOT_{str(loc[0]).upper()}" if loc else "?"
        if loc and loc[0] == "mailboxes" and len(loc) > 1:
            name += f" (mailbox {int(loc[1]) + 1}{', ' + str(loc[2]) if len(loc) > 2 else ''})"
        message = error["msg"].removeprefix("Value error, ")
        raise ConfigError(f"{name}: {message}") from None
