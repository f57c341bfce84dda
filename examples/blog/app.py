"""A small blog on microflask: users, sessions, flash messages, SQLite and Jinja templates.

Run it from this folder (after ``make install`` at the repository root)::

    ../../.venv/bin/uvicorn app:app --reload

Database calls go straight to the stdlib ``sqlite3`` module from the ``async def`` views.
That blocks the event loop for the duration of each query, which is fine here: the database
is a local file and every query is a quick lookup by key. An app with slow queries or a
network database would use an async driver or ``anyio.to_thread.run_sync``. Password
hashing, on the other hand, is slow on purpose (scrypt), so it runs in a worker thread.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import os
import secrets
import sqlite3
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeGuard

import anyio.to_thread

from microflask import (
    HTTPException,
    MicroFlask,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS user (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    username TEXT UNIQUE NOT NULL,
    password TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS post (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    author_id INTEGER NOT NULL REFERENCES user (id),
    created TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
    title TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS post_created ON post (created);
"""

USERNAME_MIN, USERNAME_MAX = 3, 32
PASSWORD_MIN = 8
TITLE_MAX = 200


# -- database ---------------------------------------------------------------------------------


def connect(path: str) -> sqlite3.Connection:
    """A connection to the blog database, creating its folder, file and tables if needed."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    db = sqlite3.connect(path)
    db.row_factory = sqlite3.Row
    db.execute("PRAGMA foreign_keys = ON")
    return db


def init_db(path: str) -> None:
    """Create the tables (idempotent: ``CREATE ... IF NOT EXISTS``)."""
    db = connect(path)
    try:
        db.executescript(SCHEMA)
        db.commit()
    finally:
        db.close()


def get_db() -> sqlite3.Connection:
    """The request's connection: opened on first use, kept in ``g``, closed at teardown."""
    if "db" not in g:
        app = current_app
        state = app.extensions["blog"]
        if not state["schema_ready"]:  # lifespan off (or a request before it): create lazily
            init_db(app.config["DATABASE"])
            state["schema_ready"] = True
        g.db = connect(app.config["DATABASE"])
    return g.db  # type: ignore[no-any-return]


def close_db(exc: BaseException | None = None) -> None:
    db = g.pop("db", None)
    if db is not None:
        db.close()


# -- passwords --------------------------------------------------------------------------------

# scrypt cost parameters (n, r, p): about 16 MiB of memory and tens of milliseconds per hash.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1


def hash_password(password: str) -> str:
    """``scrypt$n$r$p$salt$hash`` with a fresh random salt (hex-encoded)."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${digest.hex()}"


def check_password(stored: str, password: str) -> bool:
    """Whether ``password`` matches ``stored`` (a :func:`hash_password` result), in constant time."""
    try:
        method, n, r, p, salt, expected = stored.split("$")
    except ValueError:
        return False
    if method != "scrypt":
        return False
    expected_bytes = bytes.fromhex(expected)
    digest = hashlib.scrypt(
        password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), dklen=len(expected_bytes)
    )
    return hmac.compare_digest(digest, expected_bytes)


# Compared against when the username does not exist, so that a wrong username takes as long
# as a wrong password (the response time does not reveal which usernames are registered).
_DUMMY_HASH = hash_password(secrets.token_hex(16))


# -- helpers ----------------------------------------------------------------------------------


def login_required(view: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    """Send anonymous visitors to the login page (with a message), then back here after login."""

    @functools.wraps(view)
    async def wrapped(**kwargs: Any) -> Any:
        if g.user is None:
            flash("Please log in to continue.", "error")
            target = url_for("login", next=request.path) if request.method == "GET" else url_for("login")
            return redirect(target)
        return await view(**kwargs)

    return wrapped


def is_safe_next(target: str | None) -> TypeGuard[str]:
    """Only same-site paths ("/create"), never "//evil.example" or "https://..."."""
    return bool(target) and target.startswith("/") and not target.startswith(("//", "/\\"))  # type: ignore[union-attr]


def get_post(id: int, check_author: bool = True) -> sqlite3.Row:
    """The post ``id`` with its author's name; 404 if missing, 403 if it is not the user's own."""
    post = (
        get_db()
        .execute(
            "SELECT p.id, title, body, created, author_id, username"
            " FROM post p JOIN user u ON p.author_id = u.id WHERE p.id = ?",
            (id,),
        )
        .fetchone()
    )
    if post is None:
        abort(404, f"Post {id} doesn't exist.")
    if check_author and post["author_id"] != g.user["id"]:
        abort(403, "You can only change your own posts.")
    return post  # type: ignore[no-any-return]


def validate_post(title: str) -> list[str]:
    errors = []
    if not title:
        errors.append("Title is required.")
    elif len(title) > TITLE_MAX:
        errors.append(f"Title must be at most {TITLE_MAX} characters.")
    return errors


# -- the app ----------------------------------------------------------------------------------


def create_app(config: dict[str, Any] | None = None) -> MicroFlask:
    """Build the blog. ``config`` overrides the defaults (``DATABASE``, ``SECRET_KEY``, ...)."""
    app = MicroFlask(__name__)
    app.config.from_mapping(
        # Set BLOG_SECRET_KEY in production: anyone who knows the key can forge sessions.
        SECRET_KEY=os.environ.get("BLOG_SECRET_KEY", "dev-only-not-secret"),
        DATABASE=os.path.join(app.instance_path, "blog.sqlite"),
    )
    if config:
        app.config.from_mapping(config)
    app.extensions["blog"] = {"schema_ready": False}

    @app.before_serving
    def create_schema() -> None:
        init_db(app.config["DATABASE"])
        app.extensions["blog"]["schema_ready"] = True

    app.teardown_appcontext(close_db)

    @app.before_request
    async def load_logged_in_user() -> None:
        g.user = None
        if request.endpoint == "static":
            return
        user_id = session.get("user_id")
        if user_id is not None:
            g.user = get_db().execute("SELECT id, username FROM user WHERE id = ?", (user_id,)).fetchone()

    @app.context_processor
    def inject_user() -> dict[str, Any]:
        return {"current_user": g.get("user")}

    @app.template_filter("date")
    def format_date(value: str) -> str:
        return datetime.fromisoformat(value).strftime("%d %b %Y")

    @app.errorhandler(HTTPException)
    async def http_error(error: HTTPException) -> Any:
        html = await render_template("error.html", error=error)
        return html, error.code, error.get_headers()

    # -- auth -------------------------------------------------------------------------

    @app.route("/auth/register", methods=["GET", "POST"])
    async def register() -> Any:
        if request.method == "GET":
            return await render_template("auth/register.html", username="", errors=[])
        form = await request.form
        username = form.get("username", "").strip()
        password = form.get("password", "")
        errors = []
        if not username:
            errors.append("Username is required.")
        elif not USERNAME_MIN <= len(username) <= USERNAME_MAX:
            errors.append(f"Username must be {USERNAME_MIN} to {USERNAME_MAX} characters long.")
        if not password:
            errors.append("Password is required.")
        elif len(password) < PASSWORD_MIN:
            errors.append(f"Password must be at least {PASSWORD_MIN} characters long.")
        db = get_db()
        if not errors:
            hashed = await anyio.to_thread.run_sync(hash_password, password)
            try:
                db.execute("INSERT INTO user (username, password) VALUES (?, ?)", (username, hashed))
                db.commit()
            except sqlite3.IntegrityError:  # the UNIQUE constraint: checked by the database itself
                errors.append(f"User {username} is already registered.")
        if errors:
            return await render_template("auth/register.html", username=username, errors=errors), 400
        flash("Registration successful. Please log in.", "success")
        return redirect(url_for("login"))

    @app.route("/auth/login", methods=["GET", "POST"])
    async def login() -> Any:
        next_url = request.args.get("next")
        if request.method == "GET":
            return await render_template("auth/login.html", username="", errors=[], next=next_url)
        form = await request.form
        username = form.get("username", "").strip()
        password = form.get("password", "")
        next_url = form.get("next") or next_url
        user = get_db().execute("SELECT id, username, password FROM user WHERE username = ?", (username,)).fetchone()
        stored = user["password"] if user is not None else _DUMMY_HASH
        matches = await anyio.to_thread.run_sync(check_password, stored, password)
        if user is None or not matches:
            errors = ["Incorrect username or password."]
            html = await render_template("auth/login.html", username=username, errors=errors, next=next_url)
            return html, 400
        session.clear()
        session["user_id"] = user["id"]
        flash(f"Welcome, {user['username']}!", "success")
        return redirect(next_url if is_safe_next(next_url) else url_for("index"))

    @app.route("/auth/logout", methods=["POST"])
    async def logout() -> Any:
        session.clear()
        flash("You have been logged out.", "success")
        return redirect(url_for("index"))

    # -- posts ------------------------------------------------------------------------

    @app.route("/")
    async def index() -> Any:
        posts = (
            get_db()
            .execute(
                "SELECT p.id, title, body, created, author_id, username"
                " FROM post p JOIN user u ON p.author_id = u.id ORDER BY created DESC, p.id DESC"
            )
            .fetchall()
        )
        return await render_template("posts/index.html", posts=posts)

    @app.route("/posts/<int:id>")
    async def show(id: int) -> Any:
        return await render_template("posts/show.html", post=get_post(id, check_author=False))

    @app.route("/posts/create", methods=["GET", "POST"])
    @login_required
    async def create() -> Any:
        title = body = ""
        errors: list[str] = []
        if request.method == "POST":
            form = await request.form
            title, body = form.get("title", "").strip(), form.get("body", "").strip()
            errors = validate_post(title)
            if not errors:
                db = get_db()
                cursor = db.execute(
                    "INSERT INTO post (title, body, author_id) VALUES (?, ?, ?)", (title, body, g.user["id"])
                )
                db.commit()
                flash("Post published.", "success")
                return redirect(url_for("show", id=cursor.lastrowid))
        html = await render_template("posts/form.html", post=None, title=title, body=body, errors=errors)
        return html, 400 if errors else 200

    @app.route("/posts/<int:id>/edit", methods=["GET", "POST"])
    @login_required
    async def edit(id: int) -> Any:
        post = get_post(id)
        title, body = post["title"], post["body"]
        errors: list[str] = []
        if request.method == "POST":
            form = await request.form
            title, body = form.get("title", "").strip(), form.get("body", "").strip()
            errors = validate_post(title)
            if not errors:
                db = get_db()
                db.execute("UPDATE post SET title = ?, body = ? WHERE id = ?", (title, body, id))
                db.commit()
                flash("Post updated.", "success")
                return redirect(url_for("show", id=id))
        html = await render_template("posts/form.html", post=post, title=title, body=body, errors=errors)
        return html, 400 if errors else 200

    @app.route("/posts/<int:id>/delete", methods=["POST"])
    @login_required
    async def delete(id: int) -> Any:
        get_post(id)
        db = get_db()
        db.execute("DELETE FROM post WHERE id = ?", (id,))
        db.commit()
        flash("Post deleted.", "success")
        return redirect(url_for("index"))

    return app


app = create_app()
