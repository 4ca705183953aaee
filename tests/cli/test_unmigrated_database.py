"""A database without camreg's tables gets a message that says what to do, not a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.parametrize("command", [["cameras", "list"], ["health", "prune"]])
def test_commands_on_an_unmigrated_database_say_to_upgrade(
    tmp_path: Path, command: list[str]
) -> None:
    env = {
        **os.environ,
        "CAMREG_DATABASE_URL": f"sqlite:///{(tmp_path / 'empty.db').as_posix()}",
        "CAMREG_DATA_DIR": str(tmp_path),
    }
    done = subprocess.run(
        [sys.executable, "-c", "from api.cli.main import run; run()", *command],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert "run `camreg db upgrade`" in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""
