"""Placeholder groups filled in by their own change."""

from __future__ import annotations

import typer

users_app = typer.Typer(no_args_is_help=True)
keys_app = typer.Typer(no_args_is_help=True)
