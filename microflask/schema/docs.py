"""Interactive API docs, served by the app itself (never from a CDN): filled in below."""

from __future__ import annotations

from typing import Any

__all__ = ["register_docs"]


def register_docs(app: Any, api: Any) -> None:
    """Add the docs pages of ``api`` to ``app`` (nothing yet)."""
