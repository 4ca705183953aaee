"""Settings for every camreg entry point; imports nothing else from the project."""

from config.settings import (
    AuthSettings,
    HttpSettings,
    MapSettings,
    Settings,
    load_settings,
    masked_settings,
)

__all__ = [
    "AuthSettings",
    "HttpSettings",
    "MapSettings",
    "Settings",
    "load_settings",
    "masked_settings",
]
