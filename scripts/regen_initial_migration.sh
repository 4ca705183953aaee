#!/usr/bin/env bash
# Regenerate the initial migration while no database has been deployed (development only).
set -euo pipefail
cd "$(dirname "$0")/.."
rm -f var/alembic-check.db camera_registry/db/migrations/versions/0001_*.py
mkdir -p var
.venv/bin/alembic revision --autogenerate -m "registry foundation" --rev-id 0001 >/dev/null
.venv/bin/ruff format -q camera_registry/db/migrations/versions/
rm -f var/alembic-check.db
