"""Settings from app.yaml, each overridable by a CRM_* environment variable.

Secrets never live in app.yaml: the database password comes from CRM_DATABASE_PASSWORD and
Slack's tokens from their own variables, read where they are used.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict
from sqlalchemy.engine import make_url

from crm_core.log_redaction import masked_url

DEFAULT_CONFIG = Path("app.yaml")
_SECRET_KEY = re.compile(r"token|secret|password", re.IGNORECASE)


class SettingsError(ValueError):
    """app.yaml or a CRM_* variable holds a value the CRM cannot start with."""


class SlackSettings(BaseModel):
    # Names of things in the Slack app; tokens are not settings.
    model_config = ConfigDict(extra="forbid")
    command: str = Field(default="/crm", pattern=r"^/[a-z0-9_-]{1,31}$")


class AnalyticsSettings(BaseModel):
    # Knobs of the CLV, churn and retention models.
    model_config = ConfigDict(extra="forbid")
    horizon_months: int = Field(default=12, ge=1, le=120)
    monthly_discount_rate: float = Field(default=0.01, ge=0, lt=1)
    time_unit: Literal["D", "W", "M"] = "W"
    min_repeat_customers: int = Field(default=50, ge=1)
    churn_risk_threshold: float = Field(default=0.5, gt=0, lt=1)
    active_window_days: int = Field(default=90, ge=1)
    # What counts as active for retention and churn rates: purchases only, or purchases and
    # inbound interactions (calls, meetings, notes the customer started; never our emails).
    active_means: Literal["purchases", "purchases+inbound"] = "purchases"
    # The purchase model: auto picks by a holdout check on the workspace's own data.
    model: Literal["auto", "bgnbd", "mbgnbd", "paretonbd"] = "auto"
    # The central interval given for CLV figures (0.9: from the 5th to the 95th percentile).
    interval_level: float = Field(default=0.9, gt=0, lt=1)
    # Purchases dated later than now by more than this many days are refused at import.
    future_tolerance_days: int = Field(default=1, ge=0, le=7)


class AlertSettings(BaseModel):
    # Defaults for new retention-alert subscriptions.
    model_config = ConfigDict(extra="forbid")
    default_time: str = Field(default="09:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    min_value_at_risk: float = Field(default=0, ge=0)
    grace_period_minutes: int = Field(default=120, ge=0)
    # After a post whose answer was lost, read the channel's history (channels:history,
    # groups:history) for that digest before posting again. Off: ask for no history scope and
    # post again, so a Slack timeout may rarely give a double post.
    check_history_after_timeout: bool = False


class SecuritySettings(BaseModel):
    # Who besides the workspace's own members may use the CRM, and how far.
    model_config = ConfigDict(extra="forbid")
    # Guests (Slack's single- and multi-channel guests): no access, or read-only verbs.
    guests: Literal["none", "read"] = "none"
    # Users from another organisation in a Slack Connect channel: no access, or only the
    # read-only verbs named here (e.g. [help, customer]).
    external_verbs: list[str] = []


class Settings(BaseSettings):
    # Everything a team edits, validated once at start-up.
    model_config = SettingsConfigDict(
        env_prefix="CRM_", env_nested_delimiter="__", extra="forbid", validate_default=True
    )

    database_url: str = "sqlite:///crm.db"
    # PostgreSQL connections each process keeps open, and how many more it may open at a peak.
    database_pool_size: int = Field(default=5, ge=1, le=200)
    database_max_overflow: int = Field(default=10, ge=0, le=200)
    team_id: str = Field(default="T0CONSOLE", pattern=r"^[A-Z0-9]{2,32}$")
    default_timezone: str = "UTC"
    default_currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    slack: SlackSettings = SlackSettings()
    analytics: AnalyticsSettings = AnalyticsSettings()
    alerts: AlertSettings = AlertSettings()
    admins: list[str] = []
    security: SecuritySettings = SecuritySettings()
    # How long a write made in chat can be taken back with `undo` (or its Undo button).
    undo_minutes: int = Field(default=60, ge=1, le=7 * 24 * 60)

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        try:
            url = make_url(value)
        except Exception as exc:  # sqlalchemy raises ArgumentError with its own wording
            raise ValueError(
                "not a database URL; use sqlite:///crm.db or postgresql+psycopg://user@host/db"
            ) from exc
        if url.get_backend_name() not in {"sqlite", "postgresql"}:
            raise ValueError("only sqlite:/// and postgresql+psycopg:// databases are supported")
        return value

    @field_validator("default_timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                "not an IANA time zone; use a name such as UTC or Europe/Paris"
            ) from exc
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
        # The environment beats app.yaml (passed in as init values).
        return (env_settings, init_settings)

    @property
    def database_url_with_password(self) -> str:
        """The database URL with CRM_DATABASE_PASSWORD filled in, for connecting only."""
        password = os.environ.get("CRM_DATABASE_PASSWORD")
        if not password:
            return self.database_url
        return (
            make_url(self.database_url).set(password=password).render_as_string(hide_password=False)
        )


def load_settings(path: str | Path | None = None) -> Settings:
    """Read app.yaml (or CRM_CONFIG, or the given path) and the environment into Settings.

    Raises SettingsError with one message naming each bad key and what it allows.
    """
    path = Path(path or os.environ.get("CRM_CONFIG") or DEFAULT_CONFIG)
    data = _read_yaml(path)
    try:
        return Settings(**data)
    except ValidationError as exc:
        raise SettingsError(_describe(exc, path)) from None


def _read_yaml(path: Path) -> dict[str, Any]:
    if not path.exists():
        if "CRM_CONFIG" in os.environ:
            raise SettingsError(f"{path}: no such settings file (named by CRM_CONFIG)")
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise SettingsError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise SettingsError(
            f"{path}: must be a mapping of keys to values, got {type(data).__name__}"
        )
    for key in _all_keys(data):
        if _SECRET_KEY.search(key):
            raise SettingsError(
                f"{path}: {key}: secrets are never kept in app.yaml; set them in the environment "
                "(SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SLACK_APP_TOKEN, CRM_DATABASE_PASSWORD)"
            )
    url = data.get("database_url")
    if isinstance(url, str) and "://" in url and _has_password(url):
        raise SettingsError(
            f"{path}: database_url: holds a password; remove it from the URL "
            "and set CRM_DATABASE_PASSWORD instead"
        )
    return data


def _has_password(url: str) -> bool:
    try:
        return make_url(url).password is not None
    except Exception:
        return False


def _all_keys(data: dict[str, Any], prefix: str = "") -> list[str]:
    keys = []
    for key, value in data.items():
        name = f"{prefix}{key}"
        keys.append(name)
        if isinstance(value, dict):
            keys.extend(_all_keys(value, f"{name}."))
    return keys


def _describe(exc: ValidationError, path: Path) -> str:
    lines = [f"{path} (or a CRM_* variable) has invalid settings:"]
    for error in exc.errors():
        key = ".".join(str(part) for part in error["loc"])
        if error["type"] == "extra_forbidden":
            allowed = ", ".join(_allowed_keys(error["loc"]))
            lines.append(f"  {key}: unknown key; allowed here: {allowed}")
            continue
        message = error["msg"].removeprefix("Value error, ")
        shown = error.get("input")
        if isinstance(shown, str) and "://" in shown:
            shown = masked_url(shown)
        lines.append(f"  {key}: {message} (got {shown!r})")
    return "\n".join(lines)


def _allowed_keys(loc: tuple[Any, ...]) -> list[str]:
    model: type[BaseModel] = Settings
    for part in loc[:-1]:
        field = model.model_fields.get(str(part))
        if field is None or not isinstance(field.annotation, type):
            break
        model = field.annotation
    return sorted(model.model_fields)
