"""Camera health over HTTP: current states, check history, snapshots, availability, references."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["health"])
