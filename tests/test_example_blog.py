"""The blog example (examples/blog) end to end through the test client."""

from __future__ import annotations

import importlib.util
import re
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

BLOG_DIR = Path(__file__).resolve().parent.parent / "examples" / "blog"
MODULE_NAME = "microflask_example_blog_app"


def load_blog() -> ModuleType:
    """Import examples/blog/app.py under a name no other test module uses."""
    module = sys.modules.get(MODULE_NAME)
    if module is None:
        spec = importlib.util.spec_from_file_location(MODULE_NAME, BLOG_DIR / "app.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[MODULE_NAME] = module  # MicroFlask(__name__) finds its folder through sys.modules
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[MODULE_NAME]
            raise
    return module


blog = load_blog()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "t.sqlite"


@pytest.fixture
def app(db_path: Path) -> Any:
    return blog.create_app({"DATABASE": str(db_path), "SECRET_KEY": "test", "TESTING": True})


@pytest.fixture
def client(app: Any) -> Iterator[Any]:
    with app.test_client() as client:
        yield client


def register(client: Any, username: str = "alice", password: str = "correct horse") -> Any:
    return client.post("/auth/register", data={"username": username, "password": password})


def login(client: Any, username: str = "alice", password: str = "correct horse", **kwargs: Any) -> Any:
    return client.post("/auth/login", data={"username": username, "password": password}, **kwargs)


def logout(client: Any) -> Any:
    return client.post("/auth/logout")


def create_post(client: Any, title: str = "Hello", body: str = "First post body.") -> Any:
    return client.post("/posts/create", data={"title": title, "body": body})


def post_id(response: Any) -> int:
    match = re.fullmatch(r"/posts/(\d+)", response.headers["location"])
    assert match, response.headers["location"]
    return int(match.group(1))


# -- app and database ---------------------------------------------------------------------------


def test_module_level_app_and_default_database() -> None:
    assert blog.app.config["DATABASE"] == str(BLOG_DIR / "instance" / "blog.sqlite")
    assert blog.app.config["SECRET_KEY"]
    assert not blog.app.testing


def test_database_created_with_schema_on_start(app: Any, db_path: Path) -> None:
    assert not db_path.exists()  # creating the app touches no file
    with app.test_client():
        pass
    db = sqlite3.connect(db_path)
    try:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    finally:
        db.close()
    assert {"user", "post"} <= tables


def test_database_folder_created(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "instance" / "blog.sqlite"
    app = blog.create_app({"DATABASE": str(path), "SECRET_KEY": "test", "TESTING": True})
    with app.test_client() as client:
        assert client.get("/").status_code == 200
    assert path.is_file()


def test_schema_created_lazily_without_lifespan(app: Any, db_path: Path) -> None:
    # Without before_serving (lifespan off), the first connection creates the tables.
    with app.app_context():
        db = blog.get_db()
        assert db.execute("SELECT count(*) FROM post").fetchone()[0] == 0
        assert blog.get_db() is db  # one connection per context
    assert db_path.is_file()
    with pytest.raises(sqlite3.ProgrammingError):  # closed at teardown
        db.execute("SELECT 1")


def test_password_hashing() -> None:
    stored = blog.hash_password("s3cret-pass")
    assert stored.startswith("scrypt$")
    assert "s3cret-pass" not in stored
    assert blog.check_password(stored, "s3cret-pass")
    assert not blog.check_password(stored, "s3cret-pasS")
    assert blog.hash_password("s3cret-pass") != stored  # a fresh salt every time
    assert not blog.check_password("garbage", "s3cret-pass")


def test_stylesheet_served(client: Any) -> None:
    page = client.get("/")
    assert '<link rel="stylesheet" href="/static/style.css">' in page.text
    response = client.get("/static/style.css")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/css")
    assert "body" in response.text


def test_empty_index(client: Any) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert "No posts yet." in response.text
    assert 'href="/auth/login"' in response.text and 'href="/auth/register"' in response.text


def test_unknown_page_uses_error_template(client: Any) -> None:
    response = client.get("/posts/999")
    assert response.status_code == 404
    assert "Post 999 doesn&#39;t exist." in response.text
    assert "microflask blog" in response.text  # rendered inside base.html


# -- registration and login -------------------------------------------------------------------


def test_register_then_login_then_logout(client: Any, db_path: Path) -> None:
    assert client.get("/auth/register").status_code == 200
    response = register(client)
    assert response.status_code == 302
    assert response.headers["location"] == "/auth/login"
    page = client.get("/auth/login")
    assert "Registration successful. Please log in." in page.text

    db = sqlite3.connect(db_path)
    try:
        (stored,) = db.execute("SELECT password FROM user WHERE username = 'alice'").fetchone()
    finally:
        db.close()
    assert stored.startswith("scrypt$") and "correct horse" not in stored

    response = login(client)
    assert response.status_code == 302
    assert response.headers["location"] == "/"
    page = client.get("/")
    assert "Welcome, alice!" in page.text
    assert "Signed in as <strong>alice</strong>" in page.text
    assert 'href="/auth/login"' not in page.text

    page = client.post("/auth/logout", follow_redirects=True)
    assert page.status_code == 200
    assert "You have been logged out." in page.text
    assert "Signed in as" not in page.text


def test_flash_shown_once(client: Any) -> None:
    register(client)
    assert "Registration successful" in client.get("/auth/login").text
    assert "Registration successful" not in client.get("/auth/login").text


def test_register_duplicate_username(client: Any) -> None:
    register(client)
    response = register(client, password="another password")
    assert response.status_code == 400
    assert "User alice is already registered." in response.text
    assert 'value="alice"' in response.text


@pytest.mark.parametrize(
    ("username", "password", "message"),
    [
        ("", "correct horse", "Username is required."),
        ("   ", "correct horse", "Username is required."),
        ("al", "correct horse", "Username must be 3 to 32 characters long."),
        ("x" * 33, "correct horse", "Username must be 3 to 32 characters long."),
        ("alice", "", "Password is required."),
        ("alice", "short", "Password must be at least 8 characters long."),
    ],
)
def test_register_validation(client: Any, username: str, password: str, message: str) -> None:
    response = register(client, username, password)
    assert response.status_code == 400
    assert message in response.text
    assert f'value="{username.strip()}"' in response.text  # the entered username is kept
    assert 'name="password" type="password" required' in response.text  # the password is not echoed
    assert client.get("/auth/login").text.count("Registration successful") == 0


def test_register_keeps_username_escaped(client: Any) -> None:
    response = register(client, '<b>"x"</b>', "")
    assert response.status_code == 400
    assert 'value="&lt;b&gt;&#34;x&#34;&lt;/b&gt;"' in response.text


def test_register_reports_all_errors(client: Any) -> None:
    response = register(client, "", "")
    assert "Username is required." in response.text
    assert "Password is required." in response.text


@pytest.mark.parametrize(("username", "password"), [("alice", "wrong password"), ("nobody", "correct horse")])
def test_login_wrong_credentials(client: Any, username: str, password: str) -> None:
    register(client)
    response = login(client, username, password)
    assert response.status_code == 400
    assert "Incorrect username or password." in response.text
    assert f'value="{username}"' in response.text
    assert "Signed in as" not in client.get("/").text


# -- posts ------------------------------------------------------------------------------------


def test_create_edit_delete_post(client: Any) -> None:
    register(client)
    login(client)
    assert client.get("/posts/create").status_code == 200

    response = create_post(client, "Hello world", "Line one.\nLine two.")
    assert response.status_code == 302
    id = post_id(response)
    page = client.get(f"/posts/{id}")
    assert "Post published." in page.text
    assert "Hello world" in page.text and "Line one.\nLine two." in page.text

    index = client.get("/").text
    assert "Hello world" in index
    assert "by alice on" in index
    assert f'href="/posts/{id}/edit"' in index

    page = client.get(f"/posts/{id}/edit")
    assert page.status_code == 200
    assert 'value="Hello world"' in page.text

    response = client.post(f"/posts/{id}/edit", data={"title": "Hello again", "body": "Edited."})
    assert response.status_code == 302
    assert response.headers["location"] == f"/posts/{id}"
    page = client.get(f"/posts/{id}")
    assert "Post updated." in page.text and "Hello again" in page.text and "Edited." in page.text
    assert "Hello world" not in client.get("/").text

    response = client.post(f"/posts/{id}/delete", follow_redirects=True)
    assert response.status_code == 200
    assert "Post deleted." in response.text
    assert "Hello again" not in response.text
    assert client.get(f"/posts/{id}").status_code == 404


def test_index_newest_first_with_excerpt(client: Any) -> None:
    register(client)
    login(client)
    create_post(client, "Older post", "old")
    create_post(client, "Newer post", "word " * 200)
    index = client.get("/").text
    assert index.index("Newer post") < index.index("Older post")
    assert "word " * 200 not in index  # only an excerpt on the index
    assert "..." in index


def test_post_title_required(client: Any) -> None:
    register(client)
    login(client)
    response = create_post(client, "  ", "A body without a title")
    assert response.status_code == 400
    assert "Title is required." in response.text
    assert "A body without a title" in response.text  # what was typed is kept
    assert "No posts yet." in client.get("/").text

    id = post_id(create_post(client))
    response = client.post(f"/posts/{id}/edit", data={"title": "", "body": "changed"})
    assert response.status_code == 400
    assert "Title is required." in response.text
    assert "Hello" in client.get(f"/posts/{id}").text


def test_posts_escape_html(client: Any) -> None:
    register(client)
    login(client)
    id = post_id(create_post(client, "<script>alert(1)</script>", "<b>bold</b>"))
    for page in (client.get("/").text, client.get(f"/posts/{id}").text):
        assert "<script>alert(1)</script>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
        assert "&lt;b&gt;bold&lt;/b&gt;" in page


def test_only_author_can_edit_or_delete(client: Any) -> None:
    register(client)
    login(client)
    id = post_id(create_post(client, "Alice's post"))
    logout(client)

    register(client, "bob", "bob's password")
    login(client, "bob", "bob's password")
    page = client.get("/").text
    assert "Alice&#39;s post" in page
    assert f'href="/posts/{id}/edit"' not in page  # no edit link for someone else's post
    assert client.get(f"/posts/{id}/edit").status_code == 403
    response = client.post(f"/posts/{id}/edit", data={"title": "Hijacked", "body": ""})
    assert response.status_code == 403
    assert "You can only change your own posts." in response.text
    assert client.post(f"/posts/{id}/delete").status_code == 403
    assert client.post("/posts/999/delete").status_code == 404
    page = client.get(f"/posts/{id}")
    assert page.status_code == 200 and "Alice&#39;s post" in page.text and "Hijacked" not in page.text


def test_login_required(client: Any) -> None:
    response = client.get("/posts/create")
    assert response.status_code == 302
    assert response.headers["location"] == "/auth/login?next=/posts/create"  # "/" kept, as Werkzeug
    page = client.get(response.headers["location"])
    assert "Please log in to continue." in page.text
    assert 'name="next" value="/posts/create"' in page.text

    response = create_post(client)
    assert response.status_code == 302
    assert response.headers["location"] == "/auth/login"
    assert client.post("/posts/1/edit", data={"title": "x"}).headers["location"] == "/auth/login"
    assert client.post("/posts/1/delete").headers["location"] == "/auth/login"


def test_logged_out_user_redirected_to_login(client: Any) -> None:
    register(client)
    login(client)
    assert create_post(client).status_code == 302
    logout(client)
    response = create_post(client, "After logout")
    assert response.status_code == 302
    assert response.headers["location"] == "/auth/login"
    page = client.get("/auth/login")
    assert "Please log in to continue." in page.text
    assert "After logout" not in client.get("/").text


def test_login_returns_to_next_page(client: Any) -> None:
    register(client)
    client.get("/posts/create")
    response = client.post(
        "/auth/login", data={"username": "alice", "password": "correct horse", "next": "/posts/create"}
    )
    assert response.headers["location"] == "/posts/create"


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil.example"])
def test_login_refuses_offsite_next(client: Any, target: str) -> None:
    register(client)
    response = client.post("/auth/login", data={"username": "alice", "password": "correct horse", "next": target})
    assert response.status_code == 302
    assert response.headers["location"] == "/"


def test_logout_needs_post(client: Any) -> None:
    response = client.get("/auth/logout")
    assert response.status_code == 405
    assert "POST" in response.headers["allow"]  # kept by the error handler (get_headers)
    assert "405 Method Not Allowed" in response.text


def test_deleted_user_session_is_anonymous(client: Any, db_path: Path) -> None:
    register(client)
    login(client)
    db = sqlite3.connect(db_path)
    try:
        db.execute("DELETE FROM user")
        db.commit()
    finally:
        db.close()
    page = client.get("/")
    assert page.status_code == 200 and "Signed in as" not in page.text
    assert client.get("/posts/create").status_code == 302
