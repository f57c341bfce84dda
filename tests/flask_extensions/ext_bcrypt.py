"""Flask-Bcrypt's quick start: generate_password_hash and check_password_hash; in def and
async def views. Hashing is CPU-bound on purpose: an async view runs it off the event loop
with ``await app.ensure_async(...)``."""

# isort: off
import microflask.flask_patch  # noqa: F401  (first: from here on, flask is microflask)

# isort: on
import pytest
from flask import Flask, request
from flask_bcrypt import Bcrypt


def make_app(kind: str) -> Flask:
    app = Flask(__name__)
    app.config["BCRYPT_LOG_ROUNDS"] = 4  # fast for tests
    bcrypt = Bcrypt(app)
    hashes: dict[str, bytes] = {}

    def register(name: str, password: str) -> str:
        hashes[name] = bcrypt.generate_password_hash(password)
        return "registered"

    def check(name: str, password: str) -> str:
        return "yes" if name in hashes and bcrypt.check_password_hash(hashes[name], password) else "no"

    if kind == "def":

        @app.post("/register")
        def register_view() -> str:
            return register(request.form["name"], request.form["password"])

        @app.post("/check")
        def check_view() -> str:
            return check(request.form["name"], request.form["password"])

    else:

        @app.post("/register")
        async def register_view() -> str:
            form = await request.form
            return await app.ensure_async(register)(form["name"], form["password"])

        @app.post("/check")
        async def check_view() -> str:
            form = await request.form
            return await app.ensure_async(check)(form["name"], form["password"])

    return app


@pytest.mark.parametrize("kind", ["def", "async"])
def test_hash_and_check(kind: str) -> None:
    client = make_app(kind).test_client()
    assert client.post("/register", data={"name": "ada", "password": "s3cret"}).text == "registered"
    assert client.post("/check", data={"name": "ada", "password": "s3cret"}).text == "yes"
    assert client.post("/check", data={"name": "ada", "password": "wrong"}).text == "no"
