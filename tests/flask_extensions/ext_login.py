"""Flask-Login's quick start: login_user, current_user, login_required, the login_view
redirect, remember-me cookie, logout; in def and async def views."""

# isort: off
import microflask.flask_patch  # noqa: F401  (first: from here on, flask is microflask)

# isort: on
import pytest
from flask import Flask, request
from flask_login import LoginManager, UserMixin, current_user, login_required, login_user, logout_user

USERS = {"ada": "secret"}


class User(UserMixin):
    def __init__(self, name: str) -> None:
        self.id = name


def make_app(kind: str) -> Flask:
    app = Flask(__name__)
    app.config["SECRET_KEY"] = "test secret"
    login_manager = LoginManager(app)
    login_manager.login_view = "login"

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        return User(user_id) if user_id in USERS else None

    if kind == "def":

        @app.post("/login")
        def login() -> str:
            name = request.form["name"]
            if USERS.get(name) != request.form["password"]:
                return "bad", 401
            login_user(User(name), remember=bool(request.form.get("remember")))
            return "logged in"

        @app.get("/login")
        def login_page() -> str:
            return "please log in"

        @app.route("/private")
        @login_required
        def private() -> str:
            return f"hello {current_user.id}"

        @app.route("/logout")
        def logout() -> str:
            logout_user()
            return "bye"

    else:

        @app.post("/login")
        async def login() -> str:
            form = await request.form
            name = form["name"]
            if USERS.get(name) != form["password"]:
                return "bad", 401
            login_user(User(name), remember=bool(form.get("remember")))
            return "logged in"

        @app.get("/login")
        async def login_page() -> str:
            return "please log in"

        @app.route("/private")
        @login_required
        async def private() -> str:
            return f"hello {current_user.id}"

        @app.route("/logout")
        async def logout() -> str:
            logout_user()
            return "bye"

    return app


@pytest.fixture(params=["def", "async"])
def app(request: pytest.FixtureRequest) -> Flask:
    return make_app(request.param)


def test_login_required_redirects_to_the_login_view(app: Flask) -> None:
    reply = app.test_client().get("/private")
    assert reply.status_code == 302
    assert reply.headers["Location"].startswith("/login?next=")


def test_login_then_current_user_then_logout(app: Flask) -> None:
    client = app.test_client()
    assert client.post("/login", data={"name": "ada", "password": "wrong"}).status_code == 401
    assert client.post("/login", data={"name": "ada", "password": "secret"}).text == "logged in"
    assert client.get("/private").text == "hello ada"
    assert client.get("/logout").text == "bye"
    assert client.get("/private").status_code == 302


def test_the_remember_me_cookie_logs_in_a_new_session(app: Flask) -> None:
    client = app.test_client()
    reply = client.post("/login", data={"name": "ada", "password": "secret", "remember": "1"})
    remember = next(c for c in reply.headers.getlist("Set-Cookie") if c.startswith("remember_token="))
    fresh = app.test_client()  # no session cookie: only the remember-me cookie
    fresh.set_cookie("remember_token", remember.split(";")[0].split("=", 1)[1])
    assert fresh.get("/private").text == "hello ada"
