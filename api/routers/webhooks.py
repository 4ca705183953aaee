"""Webhook subscriptions for camera state alerts, and their delivery log."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["webhooks"])
