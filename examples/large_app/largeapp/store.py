"""The app's data: users and notes, kept in memory, one :class:`Store` per app.

``create_app`` puts the store in ``app.extensions["largeapp.store"]``; code reaches it with
:func:`get_store` (through ``current_app``), so two apps never share data. A real app would
put a database here (see examples/blog for SQLite); the views would not change.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import anyio.to_thread

from microflask import current_app

__all__ = ["Note", "Store", "User", "get_store"]


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class User:
    id: int
    username: str
    password_hash: str = field(repr=False)
    is_admin: bool = False


@dataclass
class Note:
    """A note; the JSON provider turns it (a dataclass) into an object with ISO 8601 dates."""

    id: int
    title: str
    body: str
    author: str
    created: datetime = field(default_factory=_now)
    updated: datetime = field(default_factory=_now)


def hash_password(password: str, iterations: int) -> str:
    """``pbkdf2_sha256$iterations$salt$hash`` with a random salt."""
    salt = secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    return f"pbkdf2_sha256${iterations}${salt.hex()}${digest.hex()}"


def check_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``password_hash`` (constant-time comparison)."""
    _, iterations, salt, expected = password_hash.split("$")
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), bytes.fromhex(salt), int(iterations))
    return hmac.compare_digest(digest.hex(), expected)


class Store:
    """Users and notes of one app. Its methods are quick dict operations, safe to call from
    ``async def`` views; the slow one, password checking, runs on a worker thread."""

    def __init__(self, hash_iterations: int) -> None:
        self.hash_iterations = hash_iterations
        self.users: dict[int, User] = {}
        self.notes: dict[int, Note] = {}
        self._user_ids = itertools.count(1)
        self._note_ids = itertools.count(1)
        # Checked against when the username is unknown, so that both cases take as long.
        self._dummy_hash = hash_password(secrets.token_hex(8), hash_iterations)

    # -- users ---------------------------------------------------------------------------
    def add_user(self, username: str, password: str, is_admin: bool = False) -> User:
        if self.find_user(username) is not None:
            raise ValueError(f"User {username!r} exists already.")
        user = User(next(self._user_ids), username, hash_password(password, self.hash_iterations), is_admin)
        self.users[user.id] = user
        return user

    def get_user(self, user_id: Any) -> User | None:
        return self.users.get(user_id) if isinstance(user_id, int) else None

    def find_user(self, username: str) -> User | None:
        return next((u for u in self.users.values() if u.username == username), None)

    async def authenticate(self, username: str, password: str) -> User | None:
        """The user with these credentials, or None."""
        user = self.find_user(username)
        password_hash = user.password_hash if user is not None else self._dummy_hash
        ok = await anyio.to_thread.run_sync(check_password, password_hash, password)
        return user if ok and user is not None else None

    # -- notes ---------------------------------------------------------------------------
    def list_notes(self) -> list[Note]:
        return sorted(self.notes.values(), key=lambda n: n.id)

    def get_note(self, note_id: int) -> Note | None:
        return self.notes.get(note_id)

    def add_note(self, title: str, body: str, author: str) -> Note:
        note = Note(next(self._note_ids), title, body, author)
        self.notes[note.id] = note
        return note

    def update_note(self, note: Note, **fields: Any) -> Note:
        for name, value in fields.items():
            setattr(note, name, value)
        note.updated = _now()
        return note

    def delete_note(self, note: Note) -> None:
        del self.notes[note.id]


def get_store() -> Store:
    """The current app's store (inside a request, a websocket or an app context)."""
    return current_app.extensions["largeapp.store"]  # type: ignore[no-any-return]
