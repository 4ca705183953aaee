"""Effective settings: the TOML file in config/, overridden by CAMREG_* environment variables."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

DEFAULT_CONFIG_FILE = Path(__file__).with_name("camreg.toml")


class HttpSettings(BaseModel):
    """HTTP server and browser session settings."""

    host: str = Field("127.0.0.1", description="Address `camreg serve` listens on.")
    port: int = Field(8000, ge=1, le=65535, description="Port `camreg serve` listens on.")
    cookie_secure: bool = Field(True, description="Mark the session cookie Secure.")
    session_minutes: int = Field(
        720, ge=5, le=60 * 24 * 30, description="Idle lifetime of a web session."
    )
    max_upload_bytes: int = Field(
        20_000_000, ge=1_000, le=2_000_000_000, description="Largest accepted upload."
    )
    trusted_proxy: str = Field("", description="Proxy address whose X-Forwarded-For is trusted.")


class AuthSettings(BaseModel):
    """Log-in protection."""

    max_failed_logins: int = Field(5, ge=1, le=100, description="Failures that lock an account.")
    lockout_minutes: int = Field(15, ge=1, le=24 * 60, description="How long a lock lasts.")
    min_password_length: int = Field(10, ge=8, le=256, description="Shortest password accepted.")


class MapSettings(BaseModel):
    """Web map settings."""

    tile_url: str = Field("", description="Tile URL template; empty draws no tiles.")
    tile_attribution: str = Field("", description="Attribution shown with the tiles.")
    center_lat: float = Field(10.36, ge=-90, le=90, description="Latitude the map opens at.")
    center_lon: float = Field(107.09, ge=-180, le=180, description="Longitude the map opens at.")
    zoom: int = Field(13, ge=1, le=20, description="Zoom the map opens at.")


class IngestSettings(BaseModel):
    """Ingest of recorded files: where originals go, how start times are found, job leases."""

    keep_originals: Literal["copy", "reference"] = Field(
        "copy",
        description="Copy each ingested file into <data_dir>/footage, or reference it read-only.",
    )
    filename_pattern: str = Field(
        "",
        max_length=100,
        description="strptime pattern of a start time inside file names (e.g. %Y%m%d_%H%M%S); "
        "empty disables it.",
    )
    analysis_fps: float = Field(
        5.0,
        ge=1.0,
        le=60.0,
        description="Analyse at most this many frames a second of a recorded file.",
    )
    sensitivity: float = Field(
        0.6, ge=0.0, le=1.0, description="Higher finds fainter changes in recorded files."
    )
    future_tolerance_s: float = Field(
        120.0, ge=0, le=3600, description="How far past now a file's start may lie (clock skew)."
    )
    lease_seconds: int = Field(
        300, ge=10, le=24 * 3600, description="How long a worker holds a job without a heartbeat."
    )
    max_attempts: int = Field(3, ge=1, le=20, description="Tries of a job before it is failed.")
    truncation_tolerance_s: float = Field(
        2.0,
        ge=0,
        le=600,
        description="How much shorter than its declared duration a file may decode before it "
        "is refused as truncated.",
    )


class SearchSettings(BaseModel):
    """Limits of motion-event searches and clip exports."""

    max_search_window_hours: int = Field(
        72, ge=1, le=24 * 31, description="Longest time window one search or clip may ask for."
    )


class LiveSettings(BaseModel):
    """Live RTSP streams: segment length, reconnect backoff, analysis rate, timeouts."""

    segment_seconds: float = Field(
        60.0, ge=2.0, le=3600.0, description="Length of recorded segments (cut at keyframes)."
    )
    backoff_min_s: float = Field(
        1.0, ge=0.1, le=600.0, description="First wait before reconnecting a lost stream."
    )
    backoff_max_s: float = Field(
        60.0, ge=0.1, le=3600.0, description="Longest wait between reconnect attempts."
    )
    analysis_fps: float = Field(
        5.0, ge=0.5, le=60.0, description="Analyse at most this many frames a second per camera."
    )
    open_timeout_s: float = Field(
        10.0, ge=1.0, le=300.0, description="How long connecting to a stream may take."
    )
    read_timeout_s: float = Field(
        10.0, ge=1.0, le=300.0, description="Silence after which a stream counts as lost."
    )
    keyframe_timeout_s: float = Field(
        30.0,
        ge=2.0,
        le=600.0,
        description="A stream without a keyframe for this long counts as lost (undecodable).",
    )
    refresh_seconds: float = Field(
        60.0,
        ge=1.0,
        le=3600.0,
        description="How often the worker rereads the camera list (activations, decommissions).",
    )


class HealthSettings(BaseModel):
    """Camera health checks: schedules, timeouts, debounce and alerts."""

    reachability_interval_s: float = Field(
        120.0, ge=5.0, le=86_400.0, description="How often each camera's reachability is checked."
    )
    picture_interval_s: float = Field(
        1800.0, ge=30.0, le=7 * 86_400.0, description="How often each camera's picture is judged."
    )
    probe_timeout_s: float = Field(
        5.0, ge=0.5, le=120.0, description="Longest a reachability probe (connect + RTSP) may take."
    )
    max_concurrent_probes: int = Field(
        256, ge=1, le=4096, description="Reachability probes in flight at once per worker."
    )
    picture_seconds: float = Field(
        3.0, ge=0.5, le=60.0, description="Seconds of frames a picture check grabs."
    )
    picture_timeout_s: float = Field(
        20.0, ge=2.0, le=600.0, description="Longest a picture check may take."
    )
    max_concurrent_pictures: int = Field(
        8, ge=1, le=256, description="Picture checks at once per worker (they decode video)."
    )
    failures_to_offline: int = Field(
        2, ge=1, le=20, description="Failed probes in a row before a camera counts as offline."
    )
    successes_to_online: int = Field(
        1, ge=1, le=20, description="Good probes in a row before an offline camera is online again."
    )
    unknown_after_missed: int = Field(
        3, ge=2, le=100, description="Missed reachability periods after which a state is unknown."
    )
    down_alert_minutes: float = Field(
        30.0, ge=1.0, le=7 * 24 * 60.0, description="Alert again when a camera is down this long."
    )
    snapshot_width: int = Field(
        320, ge=64, le=1920, description="Width of the JPEG snapshot a picture check keeps."
    )
    webhook_timeout_s: float = Field(
        5.0, ge=0.5, le=60.0, description="How long a webhook endpoint may take to answer."
    )
    webhook_max_attempts: int = Field(
        8, ge=1, le=50, description="Deliveries tried before an alert counts as failed."
    )
    webhook_backoff_max_s: float = Field(
        600.0, ge=1.0, le=86_400.0, description="Longest wait between delivery attempts."
    )
    mqtt_url: str = Field(
        "", description="MQTT broker, e.g. mqtt://127.0.0.1:1883; empty publishes nothing."
    )
    mqtt_topic_prefix: str = Field(
        "camreg/cameras", description="States go to <prefix>/<camera code>/state (retained)."
    )
    history_days: int = Field(
        30, ge=1, le=3650, description="Check results (health_checks rows) older than this go."
    )
    snapshot_days: int = Field(
        30, ge=1, le=3650, description="Picture-check snapshot files older than this go."
    )


class Settings(BaseSettings):
    """All settings of camreg; build one with `load_settings()` in an entry point."""

    model_config = SettingsConfigDict(
        env_prefix="CAMREG_",
        env_nested_delimiter="__",
        extra="forbid",
        validate_default=True,
    )

    data_dir: Path = Field(Path("var"), description="Folder for the embedded database and keys.")
    database_url: str = Field("", description="SQLAlchemy URL; empty means SQLite in data_dir.")
    display_timezone: str = Field("Asia/Ho_Chi_Minh", description="Zone for shown times.")
    language: Literal["vi", "en"] = Field("vi", description="Language of labels.")
    credentials_key: SecretStr = Field(
        SecretStr(""), description="Fernet key for stream credentials; empty uses the key file."
    )
    credentials_key_file: str = Field(
        "", description="Key file created on first use; empty means <data_dir>/credentials.key."
    )
    max_page_size: int = Field(1000, ge=10, le=100_000, description="Largest page of a listing.")
    http: HttpSettings = Field(default_factory=HttpSettings)
    auth: AuthSettings = Field(default_factory=AuthSettings)
    map: MapSettings = Field(default_factory=MapSettings)
    search: SearchSettings = Field(default_factory=SearchSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    live: LiveSettings = Field(default_factory=LiveSettings)
    health: HealthSettings = Field(default_factory=HealthSettings)

    @field_validator("display_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}; use an IANA name") from exc
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
        """Read init arguments first, then the environment, then the TOML file."""
        toml_file = Path(os.environ.get("CAMREG_CONFIG_FILE") or DEFAULT_CONFIG_FILE)
        return (
            init_settings,
            env_settings,
            TomlConfigSettingsSource(settings_cls, toml_file=toml_file),
        )

    @property
    def effective_database_url(self) -> str:
        """Return the database URL, defaulting to a SQLite file in the data folder."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'camreg.db').as_posix()}"

    @property
    def effective_key_file(self) -> Path:
        """Return where the credentials key file lives."""
        if self.credentials_key_file:
            return Path(self.credentials_key_file)
        return self.data_dir / "credentials.key"

    @property
    def zone(self) -> ZoneInfo:
        """Return the display time zone."""
        return ZoneInfo(self.display_timezone)


def load_settings(**overrides: Any) -> Settings:
    """Build the effective settings (file, then environment, then explicit overrides)."""
    return Settings(**overrides)


def _mask_url(url: str) -> str:
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        user = creds.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}" if ":" in creds else url
    return url


def masked_settings(settings: Settings) -> dict[str, Any]:
    """Return the effective settings as plain data with secrets masked."""
    data = settings.model_dump(mode="json")
    data["credentials_key"] = "***" if settings.credentials_key.get_secret_value() else ""
    data["database_url"] = _mask_url(settings.effective_database_url)
    data["credentials_key_file"] = str(settings.effective_key_file)
    return data
