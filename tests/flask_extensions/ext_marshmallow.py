"""Flask-Marshmallow's quick start with Flask-SQLAlchemy: an ``SQLAlchemyAutoSchema`` of a
model, ``ma.URLFor`` and ``ma.Hyperlinks`` (built with ``url_for`` in the request), ``dump`` of
one row and of a query; in def and async def views."""

# isort: off
import microflask.flask_patch  # noqa: F401  (first: from here on, flask is microflask)

# isort: on
from typing import Any

import pytest
from flask import Flask, jsonify
from flask_marshmallow import Marshmallow
from flask_sqlalchemy import SQLAlchemy


def make_app(kind: str) -> Flask:
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite://"
    db = SQLAlchemy(app)
    ma = Marshmallow(app)

    class Author(db.Model):  # type: ignore[name-defined]
        id = db.Column(db.Integer, primary_key=True)
        name = db.Column(db.String(50))

    class AuthorSchema(ma.SQLAlchemyAutoSchema):  # type: ignore[name-defined]
        class Meta:
            model = Author

        url = ma.URLFor("author", values={"id": "<id>"})
        links = ma.Hyperlinks({"self": ma.URLFor("author", values={"id": "<id>"}), "collection": ma.URLFor("authors")})

    if kind == "def":

        @app.get("/authors/")
        def authors() -> Any:
            return jsonify(AuthorSchema(many=True).dump(db.session.scalars(db.select(Author)).all()))

        @app.get("/authors/<int:id>")
        def author(id: int) -> Any:
            return AuthorSchema().dump(db.get_or_404(Author, id))

    else:

        @app.get("/authors/")
        async def authors() -> Any:
            return jsonify(AuthorSchema(many=True).dump(db.session.scalars(db.select(Author)).all()))

        @app.get("/authors/<int:id>")
        async def author(id: int) -> Any:
            return AuthorSchema().dump(db.get_or_404(Author, id))

    with app.app_context():
        db.create_all()
        db.session.add(Author(name="ann"))
        db.session.commit()
    return app


@pytest.fixture(params=["def", "async"])
def client(request: pytest.FixtureRequest) -> Any:
    return make_app(request.param).test_client()


def test_schemas_dump_rows_with_their_links(client: Any) -> None:
    one = {"id": 1, "name": "ann", "url": "/authors/1", "links": {"self": "/authors/1", "collection": "/authors/"}}
    assert client.get("/authors/1").json == one
    assert client.get("/authors/").json == [one]
    assert client.get("/authors/9").status_code == 404
