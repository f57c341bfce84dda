"""Flask-Injector, as its README shows: ``FlaskInjector(app=app, modules=[...])`` called after the
views and hooks are registered wraps them (``app.view_functions``, ``before_request_funcs``,
``after_request_funcs``, ``teardown_request_funcs``, ``template_context_processors``,
``error_handler_spec``, ``app.jinja_env.globals``) so their annotated arguments are injected:
views with URL arguments, a ``View`` and a ``MethodView`` built by the injector (``@inject``
constructors, reading the ``class_kwargs`` of ``as_view`` from the view function's closure),
request-scoped bindings (``flask_injector.request``) shared by the hooks and the view of one
request and new for the next, a blueprint's teardown, modules as a ``Module`` with
``@provider``/``@singleton`` methods and as a ``configure(binder)`` function, and Flask-Injector's
own bindings of ``Flask``, ``Config`` and ``Request``; ``def`` and ``async def`` views (an
injected async view is called by Flask-Injector's sync wrapper, which returns its coroutine: the
app awaits it, where Flask refuses it)."""

# isort: off
import microflask.flask_patch  # noqa: F401  (first: from here on, flask is microflask)

# isort: on
import itertools
from typing import Any

import pytest
from flask import Blueprint, Config, Flask, Request, render_template_string
from flask.views import MethodView, View
from flask_injector import FlaskInjector
from flask_injector import request as request_scope
from injector import Binder, Injector, Module, inject, provider, singleton

NUMBERS = itertools.count(1)


class RequestId:
    """Request-scoped: one per request, shared by its hooks and its view."""

    def __init__(self) -> None:
        self.number = next(NUMBERS)


class Database:
    """A singleton made by a provider from the app's config."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.rows = {"ada": "Ada Lovelace", "alan": "Alan Turing"}


class Greeter:
    @inject
    def __init__(self, db: Database, config: Config) -> None:
        self.db, self.greeting = db, config["GREETING"]

    def greet(self, key: str) -> str:
        return f"{self.greeting}, {self.db.rows.get(key, key)}"


class AppModule(Module):
    @singleton
    @provider
    def provide_database(self, config: Config) -> Database:
        return Database(config["DATABASE_URL"])


def configure(binder: Binder) -> None:
    binder.bind(RequestId, to=RequestId, scope=request_scope)


def make_app(kind: str) -> tuple[Flask, list[tuple[str, Any]], FlaskInjector]:
    app = Flask(__name__)
    app.config.update(GREETING="Hello", DATABASE_URL="sqlite://")
    log: list[tuple[str, Any]] = []

    @app.before_request
    def before(rid: RequestId, req: Request) -> None:
        log.append(("before", rid.number, req.path))

    @app.after_request
    def after(response: Any, rid: RequestId) -> Any:
        response.headers["X-Request-Id"] = str(rid.number)
        return response

    @app.teardown_request
    def teardown(exc: BaseException | None, rid: RequestId) -> None:
        log.append(("teardown", rid.number))

    @app.context_processor
    def site(db: Database) -> dict[str, str]:
        return {"database": db.url}

    @app.errorhandler(404)
    def not_found(e: Exception, rid: RequestId) -> Any:
        return {"error": "not found", "request": rid.number}, 404

    if kind == "def":

        @app.get("/users/<key>")
        def user(key: str, greeter: Greeter, rid: RequestId) -> str:
            return f"{greeter.greet(key)} (request {rid.number})"

        @app.get("/page")
        def page(app_: Flask) -> str:
            return render_template_string("{{ app_name }} on {{ database }}", app_name=app_.name)

    else:

        @app.get("/users/<key>")
        async def user(key: str, greeter: Greeter, rid: RequestId) -> str:  # type: ignore[misc]
            return f"{greeter.greet(key)} (request {rid.number})"

        @app.get("/page")
        async def page(app_: Flask) -> str:  # type: ignore[misc]
            return await render_template_string("{{ app_name }} on {{ database }}", app_name=app_.name)  # type: ignore[misc]

    class Waz(View):
        @inject
        def __init__(self, db: Database, rid: RequestId, suffix: str = "") -> None:
            self.db, self.rid, self.suffix = db, rid, suffix

        def dispatch_request(self, key: str) -> str:
            return f"waz {self.db.rows[key]}{self.suffix} (request {self.rid.number})"

    app.add_url_rule("/waz/<key>", view_func=Waz.as_view("waz", suffix="!"))

    class Rows(MethodView):
        @inject
        def __init__(self, db: Database) -> None:
            self.db = db

        if kind == "def":

            def get(self) -> Any:
                return sorted(self.db.rows)

        else:

            async def get(self) -> Any:  # type: ignore[misc]
                return sorted(self.db.rows)

        async def post(self) -> Any:
            self.db.rows["grace"] = "Grace Hopper"
            return {"added": "grace"}, 201

    app.add_url_rule("/rows", view_func=Rows.as_view("rows"))

    injector = FlaskInjector(app=app, modules=[configure, AppModule()])
    return app, log, injector


@pytest.fixture(params=["def", "async"])
def kind(request: pytest.FixtureRequest) -> str:
    return request.param


def test_injected_view_arguments(kind: str) -> None:
    app, _, _ = make_app(kind)
    client = app.test_client()
    r = client.get("/users/ada")
    assert r.text.startswith("Hello, Ada Lovelace (request ")
    assert client.get("/users/bob").text.startswith("Hello, bob")


def test_request_scope_is_shared_by_one_request_and_new_for_the_next(kind: str) -> None:
    app, log, _ = make_app(kind)
    client = app.test_client()
    first = client.get("/users/ada")
    second = client.get("/users/alan")
    n1, n2 = int(first.headers["X-Request-Id"]), int(second.headers["X-Request-Id"])
    assert n1 != n2
    assert first.text.endswith(f"(request {n1})") and second.text.endswith(f"(request {n2})")
    assert log == [("before", n1, "/users/ada"), ("teardown", n1), ("before", n2, "/users/alan"), ("teardown", n2)]


def test_singletons_from_a_provider_module(kind: str) -> None:
    app, _, flask_injector = make_app(kind)
    db = flask_injector.injector.get(Database)
    assert db is flask_injector.injector.get(Database) and db.url == "sqlite://"
    assert flask_injector.injector.get(Flask) is app
    assert flask_injector.injector.get(Config) is app.config
    client = app.test_client()
    assert client.get("/rows").get_json() == ["ada", "alan"]
    r = client.post("/rows")
    assert r.status_code == 201 and r.get_json() == {"added": "grace"}
    assert client.get("/rows").get_json() == ["ada", "alan", "grace"]  # the same Database
    assert "grace" in db.rows


def test_class_based_view_built_by_the_injector(kind: str) -> None:
    app, _, _ = make_app(kind)
    r = app.test_client().get("/waz/alan")
    assert r.text == f"waz Alan Turing! (request {r.headers['X-Request-Id']})"


def test_context_processor_and_app_binding(kind: str) -> None:
    app, _, _ = make_app(kind)
    assert app.test_client().get("/page").text == "ext_injector on sqlite://"


def test_error_handler_injected(kind: str) -> None:
    app, log, _ = make_app(kind)
    r = app.test_client().get("/missing")
    assert r.status_code == 404
    number = int(r.headers["X-Request-Id"])
    assert r.get_json() == {"error": "not found", "request": number}
    assert log == [("before", number, "/missing"), ("teardown", number)]


@pytest.mark.parametrize("kind", ["def", "async"])
def test_blueprint_view_and_teardown_in_the_request_scope(kind: str) -> None:
    """A blueprint's teardown gets the request's scoped objects (Flask-Injector ends the scope
    after it). Flask runs a blueprint's teardowns before the app's: an app-level teardown asking
    for a request-scoped object then finds the scope ended, in Flask too, so this app has none."""
    app = Flask(__name__)
    log: list[tuple[str, int]] = []
    bp = Blueprint("admin", __name__, url_prefix="/admin")

    if kind == "def":

        @bp.get("/whoami")
        def whoami(rid: RequestId) -> str:
            return f"admin request {rid.number}"

    else:

        @bp.get("/whoami")
        async def whoami(rid: RequestId) -> str:  # type: ignore[misc]
            return f"admin request {rid.number}"

    @bp.before_request
    def admin_before(rid: RequestId) -> None:
        log.append(("admin before", rid.number))

    @bp.teardown_request
    def admin_teardown(exc: BaseException | None, rid: RequestId) -> None:
        log.append(("admin teardown", rid.number))

    app.register_blueprint(bp)
    FlaskInjector(app=app, modules=[configure])
    client = app.test_client()
    first, second = client.get("/admin/whoami").text, client.get("/admin/whoami").text
    n1, n2 = int(first.rsplit(" ", 1)[1]), int(second.rsplit(" ", 1)[1])
    assert n1 != n2
    assert log == [("admin before", n1), ("admin teardown", n1), ("admin before", n2), ("admin teardown", n2)]


def test_an_injector_of_your_own() -> None:
    injector = Injector([AppModule()])
    app = Flask(__name__)
    app.config.update(GREETING="Hi", DATABASE_URL="memory://")

    @app.get("/")
    def index(greeter: Greeter) -> str:
        return greeter.greet("ada")

    FlaskInjector(app=app, injector=injector)
    assert app.test_client().get("/").text == "Hi, Ada Lovelace"
    assert injector.get(Database).url == "memory://"


def test_flask_restful_resource_constructor_injected() -> None:
    flask_restful = pytest.importorskip("flask_restful")
    app = Flask(__name__)
    app.config.update(GREETING="Hey", DATABASE_URL="sqlite://")
    api = flask_restful.Api(app)

    class Person(flask_restful.Resource):
        @inject
        def __init__(self, greeter: Greeter) -> None:
            self.greeter = greeter

        def get(self, key: str) -> Any:
            return {"greeting": self.greeter.greet(key)}

    api.add_resource(Person, "/people/<key>")
    FlaskInjector(app=app, modules=[AppModule()])
    r = app.test_client().get("/people/alan")
    assert r.status_code == 200 and r.get_json() == {"greeting": "Hey, Alan Turing"}
