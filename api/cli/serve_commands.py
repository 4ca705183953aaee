"""Placeholder: `camreg serve` and `camreg demo`, filled in by their own change."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the serve and demo commands to the root app."""
