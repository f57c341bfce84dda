"""The ``api`` blueprint's routes, hooks and error handlers.

Everything registered on ``bp`` applies to its endpoints only: ``require_login`` runs before
the API's views and no others, and the error handlers turn any error raised by an API view
(an ``abort(404)``, a :class:`ValidationError`, a malformed JSON body) into JSON, while the
rest of the site keeps HTML error pages.
"""

from __future__ import annotations

from typing import Any

import anyio

from microflask import Blueprint, HTTPException, MethodView, abort, g, request, session, url_for, websocket
from microflask.websockets import WebSocketDisconnect

from ..extensions import audit
from ..store import Note, get_store
from .events import EXTENSION_KEY, NoteEvents, note_events
from .schema import ValidationError, validate_note

__all__ = ["NoteAPI", "NoteListAPI", "bp"]

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.record_once
def create_event_hub(state: Any) -> None:
    """Runs when the blueprint is first registered on an app: give that app its own hub."""
    state.app.extensions.setdefault(EXTENSION_KEY, NoteEvents())


# -- hooks and error handlers (scoped to this blueprint) -----------------------------------------


@bp.before_request
def require_login() -> None:
    # g.user was set by the auth blueprint's app-wide hook, which runs first (app hooks
    # run before blueprint hooks).
    if g.get("user") is None:
        abort(401, "Log in first (POST /auth/login); the API uses the session cookie.")


@bp.errorhandler(ValidationError)
def validation_failed(e: ValidationError) -> Any:
    return {"error": "Bad Request", "description": "The data is invalid.", "fields": e.errors}, 400


@bp.errorhandler(HTTPException)
def http_error(e: HTTPException) -> Any:
    return {"error": e.name, "description": e.description}, e.code, e.get_headers()


# -- the note resources (class-based views) -------------------------------------------------------


def note_json(note: Note) -> dict[str, Any]:
    """A note as JSON, dates in ISO 8601 (the default JSON provider would write HTTP dates)."""
    return {
        "id": note.id,
        "title": note.title,
        "body": note.body,
        "author": note.author,
        "created": note.created.isoformat(),
        "updated": note.updated.isoformat(),
        "url": url_for("api.note", note_id=note.id),
    }


def get_note_or_404(note_id: int) -> Note:
    note = get_store().get_note(note_id)
    if note is None:
        abort(404, f"There is no note {note_id}.")
    return note


def editable_note(note_id: int) -> Note:
    note = get_note_or_404(note_id)
    if note.author != g.user.username and not g.user.is_admin:
        abort(403, "Only the note's author or an admin may change it.")
    return note


async def json_body() -> Any:
    # A malformed body raises BadRequest: the HTTPException handler answers it in JSON.
    return await request.get_json(force=True)


class NoteListAPI(MethodView):
    """``/api/notes``: GET lists the notes, POST creates one."""

    async def get(self) -> Any:
        return {"notes": [note_json(n) for n in get_store().list_notes()]}

    async def post(self) -> Any:
        fields = validate_note(await json_body())
        note = get_store().add_note(fields["title"], fields.get("body", ""), author=g.user.username)
        payload = note_json(note)
        note_events().publish({"event": "note.created", "note": payload})
        audit.record("note.create", note_id=note.id)
        return payload, 201, {"Location": payload["url"]}


class NoteAPI(MethodView):
    """``/api/notes/<id>``: GET, PUT (replace), PATCH (some fields), DELETE."""

    async def get(self, note_id: int) -> Any:
        return note_json(get_note_or_404(note_id))

    async def put(self, note_id: int) -> Any:
        note = editable_note(note_id)
        fields = validate_note(await json_body())
        return self._save(note, {"body": "", **fields})

    async def patch(self, note_id: int) -> Any:
        note = editable_note(note_id)
        return self._save(note, validate_note(await json_body(), partial=True))

    async def delete(self, note_id: int) -> Any:
        note = editable_note(note_id)
        get_store().delete_note(note)
        note_events().publish({"event": "note.deleted", "id": note_id})
        audit.record("note.delete", note_id=note_id)
        return "", 204

    @staticmethod
    def _save(note: Note, fields: dict[str, str]) -> Any:
        get_store().update_note(note, **fields)
        payload = note_json(note)
        note_events().publish({"event": "note.updated", "note": payload})
        audit.record("note.update", note_id=note.id, fields=sorted(fields))
        return payload


bp.add_url_rule("/notes", view_func=NoteListAPI.as_view("notes"))
bp.add_url_rule("/notes/<int:note_id>", view_func=NoteAPI.as_view("note"))


# -- live events over a websocket ----------------------------------------------------------------


@bp.before_websocket
async def require_login_websocket() -> None:
    # In a websocket, `session` is read from the handshake's cookie (changes are not saved).
    g.user = get_store().get_user(session.get("user_id"))
    if g.user is None:
        abort(401, "Log in first.")  # refuses the handshake (HTTP 401)


@bp.websocket("/notes/live")
async def notes_live() -> None:
    """Push every note event as JSON; the first message is ``{"event": "subscribed"}``."""
    await websocket.accept()
    async with note_events().subscribe() as events, anyio.create_task_group() as tasks:
        await websocket.send_json({"event": "subscribed", "user": g.user.username})

        async def forward() -> None:
            try:
                async for event in events:
                    await websocket.send_json(event)
            except WebSocketDisconnect:
                pass
            tasks.cancel_scope.cancel()  # the hub dropped us, or the client left

        tasks.start_soon(forward)
        try:
            while True:
                await websocket.receive()  # messages from the client are ignored
        except WebSocketDisconnect:
            tasks.cancel_scope.cancel()  # the client left
