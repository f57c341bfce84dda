"""examples/flask_port: a Flask-tutorial-style app that runs on microflask with only its imports changed.

The tests are written the way Flask's tutorial tests are (fixtures ``app``, ``client``, ``runner``
and ``auth``; ``client.post(data=...)``, ``response.data``, ``response.headers["Location"]``,
``with client:`` then ``session`` and ``g``), and cover what those tests cover (the factory, the
database and its command, auth, the blog) plus a few more Flask behaviours the app relies on.
"""

from __future__ import annotations

import importlib
import inspect
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from microflask import g, session, url_for

EXAMPLE_DIR = Path(__file__).resolve().parent.parent / "examples" / "flask_port"
INSTANCE_DIR = EXAMPLE_DIR / "instance"


def _import(name: str) -> Any:
    """Import a module of the example's package (``examples/flask_port`` is its project folder)."""
    if str(EXAMPLE_DIR) not in sys.path:
        sys.path.insert(0, str(EXAMPLE_DIR))
    return importlib.import_module(name)


flaskr_port = _import("flaskr_port")
flaskr_db = _import("flaskr_port.db")
flaskr_auth = _import("flaskr_port.auth")
create_app = flaskr_port.create_app
get_db = flaskr_db.get_db
init_db = flaskr_db.init_db

# The password of both users is "test" (hashed by flaskr_port.passwords.hash_password).
TEST_PASSWORD_HASH = (
    "scrypt$cda25012e7430dd731330a7d9ad1f40f$e80af4fc5bf5cf8fdc39edf6d21702c8b118416fb269383e2f102f2c"
    "c8b5fc757b99da36224f5891c05463a723693a67b0c766ec396e740c0832e35b0468ecd4"
)
DATA_SQL = f"""
INSERT INTO user (username, password)
VALUES
  ('test', '{TEST_PASSWORD_HASH}'),
  ('other', '{TEST_PASSWORD_HASH}');

INSERT INTO post (title, body, author_id, created)
VALUES
  ('test title', 'test' || x'0a' || 'body', 1, '2018-01-01 00:00:00');
"""


# -- fixtures (as in Flask's tutorial) ----------------------------------------------------------


@pytest.fixture(scope="module", autouse=True)
def _leave_no_instance_folder() -> Iterator[None]:
    """create_app() makes the instance folder, as Flask's tutorial app does: remove it if it was new."""
    existed = INSTANCE_DIR.exists()
    yield
    if not existed and INSTANCE_DIR.is_dir() and not any(INSTANCE_DIR.iterdir()):
        INSTANCE_DIR.rmdir()


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Any]:
    app = create_app({"TESTING": True, "DATABASE": str(tmp_path / "flaskr_port.sqlite")})

    with app.app_context():
        init_db()
        get_db().executescript(DATA_SQL)

    yield app


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()


@pytest.fixture
def runner(app: Any) -> Any:
    return app.test_cli_runner()


class AuthActions:
    def __init__(self, client: Any) -> None:
        self._client = client

    def login(self, username: str = "test", password: str = "test") -> Any:
        return self._client.post("/auth/login", data={"username": username, "password": password})

    def logout(self) -> Any:
        return self._client.get("/auth/logout")


@pytest.fixture
def auth(client: Any) -> AuthActions:
    return AuthActions(client)


# -- the factory --------------------------------------------------------------------------------


def test_config() -> None:
    assert not create_app().testing
    assert create_app({"TESTING": True}).testing


def test_config_defaults_and_instance_folder(app: Any) -> None:
    assert app.config["SECRET_KEY"] == "dev"
    assert app.instance_path == str(INSTANCE_DIR)
    assert INSTANCE_DIR.is_dir()
    default = create_app()
    assert default.config["DATABASE"] == str(INSTANCE_DIR / "flaskr_port.sqlite")


def test_hello(client: Any) -> None:
    response = client.get("/hello")
    assert response.data == b"Hello, World!"


def test_url_for_in_a_test_request_context(app: Any) -> None:
    with app.test_request_context():
        assert url_for("index") == "/"
        assert url_for("blog.index") == "/"
        assert url_for("blog.update", id=1) == "/1/update"
        assert url_for("auth.login") == "/auth/login"
        assert url_for("static", filename="style.css") == "/static/style.css"


def test_static_file(client: Any) -> None:
    response = client.get("/static/style.css")
    assert response.status_code == 200
    assert response.mimetype == "text/css"
    assert b"--accent" in response.data
    response.close()  # as Flask's docs ask of file responses


# -- the database -------------------------------------------------------------------------------


def test_get_close_db(app: Any) -> None:
    with app.app_context():
        db = get_db()
        assert db is get_db()

    with pytest.raises(sqlite3.ProgrammingError) as e:
        db.execute("SELECT 1")

    assert "closed" in str(e.value)


def test_init_db_command(runner: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    class Recorder:
        called = False

    def fake_init_db() -> None:
        Recorder.called = True

    monkeypatch.setattr("flaskr_port.db.init_db", fake_init_db)
    result = runner.invoke(args=["init-db"])
    assert "Initialized" in result.output
    assert Recorder.called


def test_init_db_command_clears_the_database(app: Any, runner: Any) -> None:
    # Flask's runner invokes app.cli without an app context (the "flask" command pushes one).
    with app.app_context():
        result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0
    assert result.output == "Initialized the database.\n"
    with app.app_context():
        assert get_db().execute("SELECT COUNT(*) FROM user").fetchone()[0] == 0
        assert get_db().execute("SELECT COUNT(*) FROM post").fetchone()[0] == 0


def test_init_db_command_help(runner: Any) -> None:
    result = runner.invoke(args=["init-db", "--help"])
    assert result.exit_code == 0
    assert "Clear the existing data and create new tables." in result.output
    listing = runner.invoke(args=["--help"])
    assert "init-db" in listing.output


# -- auth ---------------------------------------------------------------------------------------


def test_register(client: Any, app: Any) -> None:
    assert client.get("/auth/register").status_code == 200
    response = client.post("/auth/register", data={"username": "a", "password": "a"})
    assert response.headers["Location"] == "/auth/login"

    with app.app_context():
        assert get_db().execute("SELECT * FROM user WHERE username = 'a'").fetchone() is not None


@pytest.mark.parametrize(
    ("username", "password", "message"),
    (
        ("", "", b"Username is required."),
        ("a", "", b"Password is required."),
        ("test", "test", b"already registered"),
    ),
)
def test_register_validate_input(client: Any, username: str, password: str, message: bytes) -> None:
    response = client.post("/auth/register", data={"username": username, "password": password})
    assert message in response.data


def test_register_keeps_the_username_and_flashes_on_success(client: Any) -> None:
    response = client.post("/auth/register", data={"username": "newcomer", "password": ""})
    assert b'value="newcomer"' in response.data

    response = client.post("/auth/register", data={"username": "newcomer", "password": "pw"}, follow_redirects=True)
    assert response.status_code == 200
    assert b"Registered: you can log in now." in response.data
    assert b"<h1>Log In</h1>" in response.data
    # A flashed message is shown once.
    assert b"Registered" not in client.get("/auth/login").data


def test_login(client: Any, auth: AuthActions) -> None:
    assert client.get("/auth/login").status_code == 200
    response = auth.login()
    assert response.headers["Location"] == "/"

    with client:
        client.get("/")
        assert session["user_id"] == 1
        assert g.user["username"] == "test"


@pytest.mark.parametrize(
    ("username", "password", "message"),
    (
        ("a", "test", b"Incorrect username."),
        ("test", "a", b"Incorrect password."),
    ),
)
def test_login_validate_input(auth: AuthActions, username: str, password: str, message: bytes) -> None:
    response = auth.login(username, password)
    assert message in response.data


def test_login_form_without_a_field_is_a_bad_request(client: Any) -> None:
    # request.form["password"] with no such field: 400, as Werkzeug's BadRequestKeyError.
    response = client.post("/auth/login", data={"username": "test"})
    assert response.status_code == 400


def test_logout(client: Any, auth: AuthActions) -> None:
    auth.login()

    with client:
        auth.logout()
        assert "user_id" not in session


def test_session_transaction(client: Any) -> None:
    with client.session_transaction() as sess:
        sess["user_id"] = 2

    response = client.get("/")
    assert b"<span>other</span>" in response.data
    assert b"Log Out" in response.data


# -- the blog -----------------------------------------------------------------------------------


def test_index(client: Any, auth: AuthActions) -> None:
    response = client.get("/")
    assert b"Log In" in response.data
    assert b"Register" in response.data

    auth.login()
    response = client.get("/")
    assert b"Log Out" in response.data
    assert b"test title" in response.data
    assert b"by test on 2018-01-01" in response.data
    assert b"test\nbody" in response.data
    assert b'href="/1/update"' in response.data


@pytest.mark.parametrize("path", ("/create", "/1/update", "/1/delete"))
def test_login_required(client: Any, path: str) -> None:
    response = client.post(path)
    assert response.headers["Location"] == "/auth/login"


def test_author_required(app: Any, client: Any, auth: AuthActions) -> None:
    # change the post author to another user
    with app.app_context():
        db = get_db()
        db.execute("UPDATE post SET author_id = 2 WHERE id = 1")
        db.commit()

    auth.login()
    # current user can't modify other user's post
    assert client.post("/1/update").status_code == 403
    assert client.post("/1/delete").status_code == 403
    # current user doesn't see edit link
    assert b'href="/1/update"' not in client.get("/").data


@pytest.mark.parametrize("path", ("/2/update", "/2/delete"))
def test_exists_required(client: Any, auth: AuthActions, path: str) -> None:
    auth.login()
    response = client.post(path)
    assert response.status_code == 404
    assert b"Post id 2 doesn" in response.data  # abort(404, description) shows the description


def test_create(client: Any, auth: AuthActions, app: Any) -> None:
    auth.login()
    assert client.get("/create").status_code == 200
    client.post("/create", data={"title": "created", "body": ""})

    with app.app_context():
        db = get_db()
        count = db.execute("SELECT COUNT(id) FROM post").fetchone()[0]
        assert count == 2


def test_update(client: Any, auth: AuthActions, app: Any) -> None:
    auth.login()
    response = client.get("/1/update")
    assert response.status_code == 200
    assert b'value="test title"' in response.data
    client.post("/1/update", data={"title": "updated", "body": ""})

    with app.app_context():
        db = get_db()
        post = db.execute("SELECT * FROM post WHERE id = 1").fetchone()
        assert post["title"] == "updated"


@pytest.mark.parametrize(
    "path",
    (
        pytest.param("/create"),
        pytest.param("/1/update"),
    ),
)
def test_create_update_validate(client: Any, auth: AuthActions, path: str) -> None:
    auth.login()
    response = client.post(path, data={"title": "", "body": ""})
    assert b"Title is required." in response.data


def test_delete(client: Any, auth: AuthActions, app: Any) -> None:
    auth.login()
    response = client.post("/1/delete")
    assert response.headers["Location"] == "/"

    with app.app_context():
        db = get_db()
        post = db.execute("SELECT * FROM post WHERE id = 1").fetchone()
        assert post is None


def test_delete_only_by_post(client: Any, auth: AuthActions) -> None:
    auth.login()
    response = client.get("/1/delete")
    assert response.status_code == 405
    assert {method.strip() for method in response.headers["Allow"].split(",")} == {"POST", "OPTIONS"}


def test_create_by_post_alone(client: Any, auth: AuthActions, app: Any) -> None:
    # The async create view, without rendering its template: awaits the form, inserts, redirects.
    auth.login()
    response = client.post("/create", data={"title": "async", "body": "made by an async view"})
    assert response.headers["Location"] == "/"
    with app.app_context():
        post = get_db().execute("SELECT * FROM post WHERE title = 'async'").fetchone()
        assert post["body"] == "made by an async view"
        assert post["author_id"] == 1


# -- sync and async views together --------------------------------------------------------------


def test_sync_and_async_views_coexist(app: Any) -> None:
    views = app.view_functions
    # blog.index and blog.create were converted to async def; everything else is Flask's plain def.
    assert inspect.iscoroutinefunction(views["blog.index"])
    assert inspect.iscoroutinefunction(inspect.unwrap(views["blog.create"]))
    assert not inspect.iscoroutinefunction(views["blog.create"])  # the sync login_required wrapper
    for endpoint in ("blog.update", "blog.delete", "auth.register", "auth.login", "auth.logout", "hello"):
        assert not inspect.iscoroutinefunction(inspect.unwrap(views[endpoint])), endpoint
    assert not inspect.iscoroutinefunction(flaskr_auth.load_logged_in_user)


def test_one_session_across_sync_and_async_views(client: Any, auth: AuthActions, app: Any) -> None:
    assert auth.login().headers["Location"] == "/"  # sync view, sync hook
    response = client.post("/create", data={"title": "mixed", "body": "b"})  # async view
    assert response.headers["Location"] == "/"
    with app.app_context():
        new_id = get_db().execute("SELECT id FROM post WHERE title = 'mixed'").fetchone()["id"]
    assert f'href="/{new_id}/update"'.encode() in client.get("/").data  # async view, g.user from the sync hook
    client.post(f"/{new_id}/update", data={"title": "mixed, edited", "body": "b"})  # sync view
    assert b"mixed, edited" in client.get("/").data
    assert client.post(f"/{new_id}/delete").headers["Location"] == "/"  # sync view
    assert b"mixed, edited" not in client.get("/").data
    with client:
        client.get("/")  # async view: the kept context has its session and g too
        assert session["user_id"] == 1
        assert g.user["username"] == "test"


def test_posts_are_escaped_and_newest_first(client: Any, auth: AuthActions) -> None:
    auth.login()
    client.post("/create", data={"title": "<script>alert(1)</script>", "body": "newer"})
    page = client.get("/").data
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert b"<script>" not in page
    assert page.index(b"newer") < page.index(b"test title")
