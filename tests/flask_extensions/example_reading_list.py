"""examples/flask_extensions (the reading list) through the test client, in a process where
``microflask.flask_patch`` is active (run by tests/test_example_flask_extensions.py): Flask-Login
(the login_view redirect, login, logout), Flask-Bcrypt (hashed passwords), Flask-WTF (forms,
validation errors, CSRFProtect on every POST) and Flask-SQLAlchemy (the rows of each reader)."""

# isort: off
import microflask.flask_patch  # noqa: F401  (first: from here on, flask is microflask)

# isort: on
import inspect
import os
import re
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from example_loader import example_module

TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    # The module-level app (for `uvicorn app:app`) gets its database here, not in the example's folder.
    os.environ["READING_DATABASE"] = str(tmp_path_factory.mktemp("module") / "reading.sqlite")
    with example_module("flask_extensions") as module:
        yield module


@pytest.fixture
def client(example: ModuleType, tmp_path: Path) -> Any:
    app = example.create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'r.sqlite'}", "BCRYPT_LOG_ROUNDS": 4})
    return app.test_client()


def token(page: str) -> str:
    found = TOKEN.search(page)
    assert found is not None, page
    return found.group(1)


def register(client: Any, name: str, password: str = "analytical", confirm: str | None = None) -> Any:
    page = client.get("/register").text
    data = {"username": name, "password": password, "confirm": confirm or password, "csrf_token": token(page)}
    return client.post("/register", data=data)


def log_in(client: Any, name: str, password: str = "analytical", path: str = "/login") -> Any:
    page = client.get("/login").text
    return client.post(path, data={"username": name, "password": password, "csrf_token": token(page)})


def add_book(client: Any, title: str, author: str) -> Any:
    page = client.get("/").text
    return client.post("/", data={"title": title, "author": author, "csrf_token": token(page)})


def test_the_list_is_an_async_view_and_the_account_pages_def_views(example: ModuleType) -> None:
    views = example.app.view_functions
    assert inspect.iscoroutinefunction(inspect.unwrap(views["books"]))
    assert not any(inspect.iscoroutinefunction(views[name]) for name in ("login", "register", "logout"))


def test_the_list_needs_a_login(client: Any) -> None:
    reply = client.get("/")
    assert reply.status_code == 302 and reply.headers["Location"] == "/login?next=%2F"


def test_register_stores_a_bcrypt_hash(example: ModuleType, client: Any) -> None:
    reply = register(client, "ada")
    assert reply.status_code == 302 and reply.headers["Location"] == "/login"
    assert "Registered. Please log in." in client.get("/login").text
    with client.application.app_context():
        user = example.db.session.scalar(example.db.select(example.User).filter_by(username="ada"))
        assert user.password_hash.startswith("$2b$04$") and "analytical" not in user.password_hash


def test_register_errors(client: Any) -> None:
    reply = register(client, "ada", confirm="different")
    assert reply.status_code == 400 and "The passwords differ." in reply.text
    assert register(client, "ada", password="short").status_code == 400
    register(client, "ada")
    reply = register(client, "ada")
    assert reply.status_code == 400 and "That name is taken." in reply.text


def test_every_post_needs_the_forms_csrf_token(client: Any) -> None:
    reply = client.post("/register", data={"username": "ada", "password": "analytical", "confirm": "analytical"})
    assert reply.status_code == 400 and "CSRF" in reply.text
    register(client, "ada")
    assert client.post("/login", data={"username": "ada", "password": "analytical"}).status_code == 400
    log_in(client, "ada")
    assert client.post("/", data={"title": "Dune", "author": "Frank Herbert"}).status_code == 400
    assert client.post("/logout").status_code == 400
    assert client.get("/").status_code == 200  # still logged in


def test_log_in_add_books_log_out(client: Any) -> None:
    register(client, "ada")
    reply = log_in(client, "ada", "wrong password")
    assert reply.status_code == 400 and "Wrong username or password." in reply.text
    reply = log_in(client, "ada", path="/login?next=%2F")
    assert reply.status_code == 302 and reply.headers["Location"] == "/"
    page = client.get("/").text
    assert "Welcome, ada!" in page and "Signed in as ada" in page and "No books yet." in page

    reply = add_book(client, "Dune", "Frank Herbert")
    assert reply.status_code == 302 and reply.headers["Location"] == "/"
    add_book(client, "Middlemarch", "George Eliot")
    page = client.get("/").text
    assert "Added “Middlemarch”." in page
    assert re.search(r"<td>1</td><td>Dune</td><td>Frank Herbert</td>", page)
    assert re.search(r"<td>2</td><td>Middlemarch</td><td>George Eliot</td>", page)

    reply = add_book(client, "", "Nobody")
    assert reply.status_code == 400 and "This field is required." in reply.text

    reply = client.post("/logout", data={"csrf_token": token(page)})
    assert reply.status_code == 302 and reply.headers["Location"] == "/login"
    assert client.get("/").status_code == 302


def test_each_reader_sees_their_own_books(client: Any) -> None:
    for name in ("ada", "grace"):
        register(client, name)
    log_in(client, "ada")
    add_book(client, "Dune", "Frank Herbert")
    page = client.get("/").text
    client.post("/logout", data={"csrf_token": token(page)})
    log_in(client, "grace")
    page = client.get("/").text
    assert "Signed in as grace" in page and "Dune" not in page and "No books yet." in page


def test_next_must_stay_on_the_site(client: Any) -> None:
    register(client, "ada")
    reply = log_in(client, "ada", path="/login?next=//evil.example/")
    assert reply.status_code == 302 and reply.headers["Location"] == "/"


def test_a_title_is_escaped(client: Any) -> None:
    register(client, "ada")
    log_in(client, "ada")
    add_book(client, "<script>x</script>", "Anon")
    page = client.get("/").text
    assert "<script>x</script>" not in page and "&lt;script&gt;x&lt;/script&gt;" in page
