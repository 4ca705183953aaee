"""The per-invocation runtime of the CLI, built lazily from settings."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from pydantic import ValidationError
from sqlalchemy.orm import Session

from api.cli.output import fail
from api.runtime import Runtime
from camera_registry.actor import Actor, cli_actor
from camera_registry.db.unit_of_work import unit_of_work
from config import Settings, load_settings


class CliState:
    """Settings and runtime for one command."""

    def __init__(self) -> None:
        self._settings: Settings | None = None
        self._runtime: Runtime | None = None
        self.actor: Actor = cli_actor()

    @property
    def settings(self) -> Settings:
        """Return the effective settings, failing clearly when they are invalid."""
        if self._settings is None:
            try:
                self._settings = load_settings()
            except ValidationError as exc:
                details = "; ".join(
                    f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
                )
                fail(f"invalid settings ({details}); check CAMREG_* variables and config file")
        return self._settings

    @property
    def runtime(self) -> Runtime:
        """Return the runtime (engine, session factory, cipher)."""
        if self._runtime is None:
            self._runtime = Runtime.from_settings(self.settings)
        return self._runtime

    @contextmanager
    def unit(self) -> Iterator[Session]:
        """Open one unit of work."""
        with unit_of_work(self.runtime.session_factory) as session:
            yield session

    def close(self) -> None:
        """Release the runtime."""
        if self._runtime is not None:
            self._runtime.close()


def state(ctx: typer.Context) -> CliState:
    """Return the CLI state stored on the root context."""
    root = ctx.find_root()
    if not isinstance(root.obj, CliState):
        root.obj = CliState()
        root.call_on_close(root.obj.close)
    return root.obj
