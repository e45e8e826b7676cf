"""Settings: every MAILBOT_* variable with its default, read from the environment,
a `.env` file or `mailbot.toml`. Loaded by `load_settings()`; nothing happens at import."""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)
from typing_extensions import Annotated

from mailbot.errors import ConfigError

CommaList = Annotated[tuple[str, ...], NoDecode]


def _split_commas(value: object) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        items = value.split(",")
    else:
        items = list(value)  # type: ignore[call-overload]
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
    smtp_url: str = ""
    outbox_dir: Path = Path("./outbox")
    documents_dir: Path = Path("./documents")
    helpdesk_address: str = "helpdesk@localhost"
    subject_tag: str = "Ticket"
    autoclose_hours: float = 24
    max_attachment_mb: float = Field(14, gt=0)
    language: Literal["fr", "en"] = "fr"
    unknown_senders: Literal["create", "reject", "ignore"] = "create"
    allowed_domains: CommaList = ()
    trusted_authserv_id: str = ""
    machine_senders: CommaList = ()
    timezone: str = "Europe/Paris"
    automail_limit: int = Field(20, ge=0)

    @field_validator("allowed_domains", "machine_senders", mode="before")
    @classmethod
    def _commas(cls, value: object) -> tuple[str, ...]:
        return _split_commas(value)

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            make_url(value)
        except ArgumentError as exc:
            raise ValueError(f"not a database URL: '{value}'") from exc
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
        if not value:
            return value
        host, sep, port = value.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"expected HOST:PORT, got '{value}'")
        return value

    @field_validator("helpdesk_address")
    @classmethod
    def _address(cls, value: str) -> str:
        if "@" not in value or any(c.isspace() for c in value):
            raise ValueError(f"not a mail address: '{value}'")
        return value.lower()

    @field_validator("subject_tag")
    @classmethod
    def _tag(cls, value: str) -> str:
        if not value or not value.replace("-", "").replace("_", "").isalnum():
            raise ValueError(f"expected a single word, got '{value}'")
        return value

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
        """The built-in listener's HOST:PORT: its default applies only without IMAP."""
        if self.listen:
            return self.listen
        return "" if self.imap_url else "127.0.0.1:2525"

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def max_attachment_bytes(self) -> int:
        return int(self.max_attachment_mb * 1024 * 1024)


def load_settings(**overrides: object) -> Settings:
    """Read the settings; a bad value raises ConfigError with one line naming the variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        error = exc.errors()[0]
        field = str(error["loc"][0]) if error["loc"] else "?"
        message = error["msg"].removeprefix("Value error, ")
        raise ConfigError(f"MAILBOT_{field.upper()}: {message}") from None
