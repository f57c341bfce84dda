"""The ``reports`` blueprint, nested in ``admin``: its endpoints are ``admin.reports.*``.

It has no hooks of its own; the admin check comes from its parent.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from microflask import Blueprint, render_template

from ..store import get_store

__all__ = ["bp"]

bp = Blueprint("reports", __name__, url_prefix="/reports")


@bp.route("/")
async def index() -> Any:
    return await render_template("admin/reports/index.html")


@bp.route("/notes")
async def notes_by_author() -> Any:
    counts = Counter(note.author for note in get_store().list_notes())
    return await render_template("admin/reports/notes.html", counts=counts.most_common())
