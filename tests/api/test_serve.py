"""`camreg serve` runs uvicorn on create_app with every log line on stderr."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from api.cli import serve_commands
from api.cli.main import app


def test_serve_uses_settings_and_logs_to_stderr(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    calls: list[dict[str, Any]] = []

    def fake_run(application: Any, **kwargs: Any) -> None:
        calls.append({"app": application, **kwargs})

    monkeypatch.setattr("uvicorn.run", fake_run)
    runner = CliRunner(env={"CAMREG_DATA_DIR": str(tmp_path), "CAMREG_HTTP__PORT": "8123"})
    result = runner.invoke(app, ["serve", "--host", "127.0.0.2"])
    assert result.exit_code == 0, result.stderr
    (call,) = calls
    assert (call["host"], call["port"], call["proxy_headers"]) == ("127.0.0.2", 8123, False)
    assert call["app"].title == "camreg"
    streams = {h["stream"] for h in call["log_config"]["handlers"].values()}
    assert streams == {"ext://sys.stderr"}


def test_log_config_keeps_uvicorn_access_format() -> None:
    config = serve_commands.log_config()
    assert "request_line" in config["formatters"]["access"]["fmt"]
    assert "headers" not in config["formatters"]["access"]["fmt"]
