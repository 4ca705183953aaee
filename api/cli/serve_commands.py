"""`camreg serve`: run the HTTP API and the web page with uvicorn."""

from __future__ import annotations

import copy
from typing import Any

import typer

from api.cli.context import state
from config import Settings


def log_config() -> dict[str, Any]:
    """Return uvicorn's logging set-up with every log, access lines included, on stderr."""
    from uvicorn.config import LOGGING_CONFIG

    config: dict[str, Any] = copy.deepcopy(LOGGING_CONFIG)
    for handler in config["handlers"].values():
        handler["stream"] = "ext://sys.stderr"
    # Access lines name the client, the request line and the status; uvicorn never logs
    # headers, so Authorization and cookies stay out of the log.
    config["loggers"]["camreg"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return config


def serve_app(settings: Settings, *, host: str, port: int) -> None:
    """Serve create_app(settings) until interrupted."""
    import uvicorn

    from api.app import create_app
    from api.heap import freeze_startup_heap

    app = create_app(settings)
    freeze_startup_heap()
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_config=log_config(),
        # The app itself decides whom to believe about X-Forwarded-For (http.trusted_proxy).
        proxy_headers=False,
        server_header=False,
    )


def serve_command(
    ctx: typer.Context,
    host: str | None = typer.Option(None, help="Address to listen on (default http.host)."),
    port: int | None = typer.Option(
        None, min=1, max=65535, help="Port to listen on (default http.port)."
    ),
) -> None:
    """Serve the HTTP API (/api/v1) and the web page; logs go to stderr."""
    settings = state(ctx).settings
    serve_app(settings, host=host or settings.http.host, port=port or settings.http.port)


def register(app: typer.Typer) -> None:
    """Add the serve command (and, from its own module, demo) to the root app."""
    app.command("serve")(serve_command)
