"""Flask-SQLAlchemy's quick start: a model, db.create_all() in an app context, db.session,
get_or_404, paginate; in def and async def views (sqlite in a temporary directory).

SQLAlchemy's engine is sync and blocking: a ``def`` view (a worker thread) uses it as in
Flask; an ``async def`` view runs the database work off the event loop with
``await app.ensure_async(work)()`` (a worker thread with the request's context)."""

# isort: off
import microflask.flask_patch  # noqa: F401  (first: from here on, flask is microflask)

# isort: on
from pathlib import Path

import pytest
from flask import Flask, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)


class User(db.Model):  # type: ignore[name-defined,misc]
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)


def add_user() -> dict[str, object]:
    user = User(name=request.form["name"])
    db.session.add(user)
    db.session.commit()
    return {"id": user.id, "name": user.name}


def get_user(user_id: int) -> dict[str, object]:
    user = db.get_or_404(User, user_id)
    return {"id": user.id, "name": user.name}


def list_users() -> dict[str, object]:
    page = db.paginate(db.select(User).order_by(User.id), per_page=2)
    return {"names": [u.name for u in page.items], "total": page.total, "pages": page.pages, "next": page.has_next}


def make_app(kind: str, tmp_path: Path) -> Flask:
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path / 'app.db'}"
    db.init_app(app)
    with app.app_context():
        db.create_all()

    if kind == "def":

        @app.post("/users")
        def create() -> dict[str, object]:
            return add_user()

        @app.get("/users/<int:user_id>")
        def show(user_id: int) -> dict[str, object]:
            return get_user(user_id)

        @app.get("/users")
        def index() -> dict[str, object]:
            return list_users()

    else:

        @app.post("/users")
        async def create() -> dict[str, object]:
            await request.form  # async code first, then the blocking work off the loop
            return await app.ensure_async(add_user)()

        @app.get("/users/<int:user_id>")
        async def show(user_id: int) -> dict[str, object]:
            return await app.ensure_async(get_user)(user_id)

        @app.get("/users")
        async def index() -> dict[str, object]:
            return await app.ensure_async(list_users)()

    return app


@pytest.fixture(params=["def", "async"])
def app(request: pytest.FixtureRequest, tmp_path: Path) -> Flask:
    return make_app(request.param, tmp_path)


def test_models_session_get_or_404_and_paginate(app: Flask) -> None:
    client = app.test_client()
    for name in ("ada", "grace", "linus"):
        assert client.post("/users", data={"name": name}).get_json()["name"] == name
    assert client.get("/users/2").get_json() == {"id": 2, "name": "grace"}
    assert client.get("/users/99").status_code == 404
    assert client.get("/users").get_json() == {"names": ["ada", "grace"], "total": 3, "pages": 2, "next": True}
    assert client.get("/users?page=2").get_json()["names"] == ["linus"]
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(User.id))) == 3


def test_the_session_is_removed_at_the_end_of_each_request(app: Flask) -> None:
    client = app.test_client()
    client.post("/users", data={"name": "ada"})
    assert client.post("/users", data={"name": "ada"}).status_code == 500  # unique name: the commit fails
    assert client.post("/users", data={"name": "grace"}).status_code == 200  # a fresh session, not a broken one
