"""Class-based views: View and MethodView with async, sync and mixed methods."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

import pytest

from microflask import Blueprint, MethodView, MicroFlask, View, request, url_for


def _loop_thread_recorder(app: MicroFlask, seen: dict[str, int]) -> None:
    """Record the event loop's thread in an async before_request hook."""

    @app.before_request
    async def record_loop_thread() -> None:
        seen["loop"] = threading.get_ident()


# -- View ------------------------------------------------------------------------------------------


def test_view_with_async_dispatch_request_and_constructor_args() -> None:
    app = MicroFlask(__name__)

    class Greeting(View):
        methods = ["GET", "POST"]

        def __init__(self, greeting: str, punctuation: str = ".") -> None:
            self.greeting = greeting
            self.punctuation = punctuation

        async def dispatch_request(self, name: str) -> str:
            return f"{self.greeting} {name}{self.punctuation} ({request.method})"

    app.add_url_rule("/hello/<name>", view_func=Greeting.as_view("hello", "Hello", punctuation="!"))
    app.add_url_rule("/hi/<name>", view_func=Greeting.as_view("hi", "Hi"))

    with app.test_client() as client:
        assert client.get("/hello/ann").text == "Hello ann! (GET)"
        assert client.post("/hello/ann").text == "Hello ann! (POST)"
        assert client.get("/hi/bob").text == "Hi bob. (GET)"
        r = client.put("/hello/ann")
        assert r.status_code == 405
        assert set(r.headers["allow"].replace(" ", "").split(",")) >= {"GET", "POST"}
    with app.test_request_context("/"):
        assert url_for("hello", name="x") == "/hello/x"


def test_view_without_methods_allows_get_only() -> None:
    app = MicroFlask(__name__)

    class Plain(View):
        async def dispatch_request(self) -> str:
            return "plain"

    app.add_url_rule("/", view_func=Plain.as_view("plain"))
    with app.test_client() as client:
        assert client.get("/").text == "plain"
        assert client.post("/").status_code == 405


def test_view_with_sync_dispatch_request_runs_on_a_worker_thread() -> None:
    app = MicroFlask(__name__)
    seen: dict[str, int] = {}
    _loop_thread_recorder(app, seen)

    class Sync(View):
        methods = ["POST"]

        def dispatch_request(self) -> dict[str, Any]:
            seen["view"] = threading.get_ident()
            # A sync view reads the body with Flask's sync accessors.
            return {"json": request.get_json(), "method": request.method}

    app.add_url_rule("/", view_func=Sync.as_view("sync"))
    with app.test_client() as client:
        assert client.post("/", json={"a": 1}).json == {"json": {"a": 1}, "method": "POST"}
    assert seen["view"] != seen["loop"]


def test_as_view_sets_view_class_and_name() -> None:
    class Docs(View):
        """The docs."""

        methods = ["GET"]

        async def dispatch_request(self) -> str:
            return "x"

    view = Docs.as_view("docs_view")
    assert view.__name__ == "docs_view"
    assert view.__doc__ == "The docs."
    assert view.view_class is Docs  # type: ignore[attr-defined]
    assert view.methods == ["GET"]  # type: ignore[attr-defined]


# -- MethodView -----------------------------------------------------------------------------------


def test_method_view_async_methods_and_inferred_methods() -> None:
    app = MicroFlask(__name__)
    store: dict[int, str] = {1: "one"}

    class ItemAPI(MethodView):
        async def get(self, id: int) -> Any:
            return {"id": id, "name": store[id]}

        async def put(self, id: int) -> Any:
            data = await request.get_json()
            store[id] = data["name"]
            return {"id": id, "name": store[id]}

        async def delete(self, id: int) -> Any:
            del store[id]
            return "", 204

    assert ItemAPI.methods == {"GET", "PUT", "DELETE"}
    app.add_url_rule("/items/<int:id>", view_func=ItemAPI.as_view("item"))

    with app.test_client() as client:
        assert client.get("/items/1").json == {"id": 1, "name": "one"}
        assert client.put("/items/1", json={"name": "uno"}).json == {"id": 1, "name": "uno"}
        assert client.delete("/items/1").status_code == 204
        assert store == {}
        r = client.post("/items/1")
        assert r.status_code == 405
        allowed = set(r.headers["allow"].replace(" ", "").split(","))
        assert {"GET", "PUT", "DELETE"} <= allowed
        assert "POST" not in allowed


def test_method_view_methods_inherited_from_base_classes() -> None:
    class GetMixin(MethodView):
        async def get(self) -> str:
            return "get"

    class Both(GetMixin):
        async def post(self) -> str:
            return "post"

    assert Both.methods == {"GET", "POST"}

    app = MicroFlask(__name__)
    app.add_url_rule("/", view_func=Both.as_view("both"))
    with app.test_client() as client:
        assert client.get("/").text == "get"
        assert client.post("/").text == "post"


def test_method_view_sync_methods_run_on_a_worker_thread() -> None:
    app = MicroFlask(__name__)
    seen: dict[str, int] = {}
    _loop_thread_recorder(app, seen)

    class Counter(MethodView):
        def get(self) -> str:
            seen["get"] = threading.get_ident()
            return f"get {request.args.get('q', '')}"

        def post(self) -> Any:
            seen["post"] = threading.get_ident()
            return {"form": dict(request.form)}

    app.add_url_rule("/", view_func=Counter.as_view("counter"))
    with app.test_client() as client:
        assert client.get("/?q=1").text == "get 1"
        assert client.post("/", data={"a": "b"}).json == {"form": {"a": "b"}}
    assert seen["get"] != seen["loop"]
    assert seen["post"] != seen["loop"]


def test_method_view_mixed_sync_and_async_methods() -> None:
    app = MicroFlask(__name__)
    seen: dict[str, int] = {}
    _loop_thread_recorder(app, seen)

    class Mixed(MethodView):
        async def get(self) -> str:
            seen["get"] = threading.get_ident()
            return "async get"

        def post(self) -> Any:
            seen["post"] = threading.get_ident()
            return {"json": request.get_json(), "endpoint": request.endpoint}

    app.add_url_rule("/", view_func=Mixed.as_view("mixed"))
    with app.test_client() as client:
        assert client.get("/").text == "async get"
        assert client.post("/", json=[1, 2]).json == {"json": [1, 2], "endpoint": "mixed"}
    assert seen["get"] == seen["loop"]
    assert seen["post"] != seen["loop"]


@pytest.mark.anyio
async def test_method_view_with_async_client() -> None:
    app = MicroFlask(__name__)

    class Api(MethodView):
        async def get(self) -> Any:
            return {"args": dict(request.args)}

        def post(self) -> Any:
            return {"json": request.get_json()}

    app.add_url_rule("/api", view_func=Api.as_view("api"))
    async with app.async_test_client() as client:
        assert (await client.get("/api?x=1")).json == {"args": {"x": "1"}}
        assert (await client.post("/api", json={"y": 2})).json == {"json": {"y": 2}}


def test_head_falls_back_to_get() -> None:
    app = MicroFlask(__name__)
    calls: list[str] = []

    class OnlyGet(MethodView):
        async def get(self) -> Any:
            calls.append(request.method)
            return "body", {"X-Get": "yes"}

    app.add_url_rule("/", view_func=OnlyGet.as_view("only_get"))
    with app.test_client() as client:
        r = client.head("/")
        assert r.status_code == 200
        assert r.headers["x-get"] == "yes"
        assert r.content == b""
    assert calls == ["HEAD"]


def test_explicit_head_method_wins_over_get() -> None:
    app = MicroFlask(__name__)

    class WithHead(MethodView):
        async def get(self) -> str:
            return "get"

        async def head(self) -> Any:
            return "", {"X-Head": "yes"}

    app.add_url_rule("/", view_func=WithHead.as_view("with_head"))
    with app.test_client() as client:
        assert client.head("/").headers["x-head"] == "yes"
        assert "x-head" not in client.get("/").headers


def test_explicit_methods_on_route_override_the_class() -> None:
    app = MicroFlask(__name__)

    class Api(MethodView):
        async def get(self) -> str:
            return "get"

        async def post(self) -> str:
            return "post"

    app.add_url_rule("/", view_func=Api.as_view("api"), methods=["GET"])
    with app.test_client() as client:
        assert client.get("/").text == "get"
        assert client.post("/").status_code == 405


def test_class_based_views_answer_options_automatically() -> None:
    app = MicroFlask(__name__)

    class Api(MethodView):
        async def get(self) -> str:
            return "get"

    async def plain() -> str:
        return "plain"

    app.add_url_rule("/plain", view_func=plain)
    app.add_url_rule("/api", view_func=Api.as_view("api"))
    with app.test_client() as client:
        assert client.options("/plain").status_code == 200  # a function view: automatic OPTIONS
        r = client.options("/api")
        assert r.status_code == 200
        assert "GET" in r.headers["allow"]


def test_provide_automatic_options_false_on_the_class() -> None:
    app = MicroFlask(__name__)

    class NoOptions(MethodView):
        provide_automatic_options = False

        async def get(self) -> str:
            return "get"

    app.add_url_rule("/", view_func=NoOptions.as_view("no_options"))
    with app.test_client() as client:
        assert client.options("/").status_code == 405


# -- decorators and instances ------------------------------------------------------------------------


def _tagging(tag: str, order: list[str]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        async def wrapper(**kwargs: Any) -> Any:
            order.append(tag)
            return await view(**kwargs)

        return wrapper

    return decorator


def test_decorators_are_applied_first_is_innermost() -> None:
    app = MicroFlask(__name__)
    order: list[str] = []

    class Decorated(MethodView):
        decorators = [_tagging("inner", order), _tagging("outer", order)]

        async def get(self, name: str) -> str:
            order.append("view")
            return f"hi {name}"

    app.add_url_rule("/<name>", view_func=Decorated.as_view("decorated"))
    with app.test_client() as client:
        assert client.get("/ann").text == "hi ann"
    assert order == ["outer", "inner", "view"]


def test_decorator_can_short_circuit() -> None:
    app = MicroFlask(__name__)

    def login_required(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        async def wrapper(**kwargs: Any) -> Any:
            if request.headers.get("x-user") is None:
                return "login required", 401
            return await view(**kwargs)

        return wrapper

    class Secret(View):
        decorators = [login_required]

        async def dispatch_request(self) -> str:
            return "secret"

    app.add_url_rule("/", view_func=Secret.as_view("secret"))
    with app.test_client() as client:
        assert client.get("/").status_code == 401
        assert client.get("/", headers={"X-User": "ann"}).text == "secret"


def _identity_app(init_every_request: bool | None) -> tuple[MicroFlask, list[int], list[int]]:
    app = MicroFlask(__name__)
    created: list[int] = []
    used: list[int] = []

    class Tracked(View):
        def __init__(self) -> None:
            created.append(id(self))

        async def dispatch_request(self) -> str:
            used.append(id(self))
            return "ok"

    if init_every_request is not None:
        Tracked.init_every_request = init_every_request
    app.add_url_rule("/", view_func=Tracked.as_view("tracked"))
    return app, created, used


def test_init_every_request_true_makes_a_new_instance_per_request() -> None:
    app, created, used = _identity_app(True)
    with app.test_client() as client:
        client.get("/")
        client.get("/")
    assert len(created) == 2
    assert used == created
    assert used[0] != used[1]


def test_init_every_request_false_shares_one_instance() -> None:
    app, created, used = _identity_app(False)
    assert len(created) == 1  # made by as_view
    with app.test_client() as client:
        client.get("/")
        client.get("/")
    assert used == [created[0], created[0]]


def test_init_every_request_defaults_to_true_as_flask() -> None:
    app, created, used = _identity_app(None)
    with app.test_client() as client:
        client.get("/")
        client.get("/")
    assert len(created) == 2
    assert used[0] != used[1]


# -- on blueprints --------------------------------------------------------------------------------


def test_class_based_views_on_a_blueprint() -> None:
    app = MicroFlask(__name__)
    bp = Blueprint("api", __name__, url_prefix="/api")

    class UserAPI(MethodView):
        init_every_request = True

        def __init__(self, source: dict[int, str]) -> None:
            self.source = source

        async def get(self, id: int) -> Any:
            return {"id": id, "name": self.source[id], "endpoint": request.endpoint}

        def post(self, id: int) -> Any:
            return {"created": id, "url": url_for(".user", id=id)}, 201

    bp.add_url_rule("/users/<int:id>", view_func=UserAPI.as_view("user", {1: "ann"}))
    app.register_blueprint(bp)

    with app.test_client() as client:
        assert client.get("/api/users/1").json == {"id": 1, "name": "ann", "endpoint": "api.user"}
        r = client.post("/api/users/5")
        assert (r.status_code, r.json) == (201, {"created": 5, "url": "/api/users/5"})
        assert client.delete("/api/users/1").status_code == 405
