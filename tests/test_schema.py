"""microflask.schema: validating requests and responses from models (decorators and annotations).

The OpenAPI document has its own file (test_schema_openapi.py); hostile input has
test_schema_hostile.py.
"""

from __future__ import annotations

import dataclasses
import logging
import subprocess
import sys
import uuid
from typing import Any

import msgspec
import pydantic
import pytest

from microflask import Blueprint, MethodView, MicroFlask, View
from microflask.schema import (
    OpenAPI,
    RequestValidationError,
    ResponseValidationError,
    adapter_for,
    validate_headers,
    validate_querystring,
    validate_request,
    validate_response,
)
from microflask.schema import adapters as adapters_module


class TodoIn(pydantic.BaseModel):
    title: str
    done: bool = False


class Todo(TodoIn):
    id: int


class Item(msgspec.Struct):
    name: str
    price: float
    tags: list[str] = []


@dataclasses.dataclass
class Page:
    page: int = 1
    per_page: int = 10
    tag: list[str] = dataclasses.field(default_factory=list)


class Auth(pydantic.BaseModel):
    x_token: str
    x_count: int = 0


class ItemHeaders(msgspec.Struct):
    x_total: int


def make_app() -> MicroFlask:
    app = MicroFlask(__name__)
    OpenAPI(app, title="Test", version="1")
    return app


# -- decorators ----------------------------------------------------------------------
def test_validate_request_passes_the_model_as_data() -> None:
    app = make_app()

    @app.post("/todos")
    @validate_request(TodoIn)
    @validate_response(Todo, 201)
    async def create(data: TodoIn) -> Any:
        assert isinstance(data, TodoIn)
        return Todo(id=7, **data.model_dump()), 201

    client = app.test_client()
    response = client.post("/todos", json={"title": "write tests"})
    assert response.status_code == 201
    assert response.headers["content-type"] == "application/json"
    assert response.json == {"title": "write tests", "done": False, "id": 7}


def test_a_body_that_fails_is_a_422_with_fastapis_shape() -> None:
    app = make_app()

    @app.post("/todos")
    @validate_request(TodoIn)
    async def create(data: TodoIn) -> Any:
        return "unreachable"

    response = app.test_client().post("/todos", json={"done": "maybe"})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/json"
    detail = response.json["detail"]
    assert {(tuple(e["loc"]), e["type"]) for e in detail} == {
        (("body", "title"), "missing"),
        (("body", "done"), "bool_parsing"),
    }
    assert all(isinstance(e["msg"], str) and e["msg"] for e in detail)


def test_msgspec_struct_and_sync_view() -> None:
    app = make_app()

    @app.post("/items")
    @validate_request(Item)
    @validate_response(Item)
    def create(data: Item) -> Item:
        assert isinstance(data, Item)
        return Item(name=data.name.upper(), price=data.price, tags=data.tags)

    client = app.test_client()
    response = client.post("/items", json={"name": "pen", "price": 1.5})
    assert response.status_code == 200
    assert response.json == {"name": "PEN", "price": 1.5, "tags": []}
    bad = client.post("/items", json={"name": "pen", "price": "cheap"})
    assert bad.status_code == 422
    expected = {"loc": ["body", "price"], "msg": "Expected `float`, got `str`", "type": "type_error"}
    assert bad.json["detail"] == [expected]
    missing = client.post("/items", json={"price": 1})
    assert missing.json["detail"] == [{"loc": ["body", "name"], "msg": "Field required", "type": "missing"}]


def test_dataclass_body_validated_by_msgspec_and_lists_of_models() -> None:
    app = make_app()

    @app.post("/pages")
    @validate_request(list[Page])
    @validate_response(list[Page])
    async def pages(data: list[Page]) -> list[Page]:
        assert all(isinstance(p, Page) for p in data)
        return [dataclasses.replace(p, page=p.page + 1) for p in data]

    assert adapter_for(Page).library == "msgspec"
    client = app.test_client()
    response = client.post("/pages", json=[{"page": 1}, {"per_page": 5}])
    assert response.json == [
        {"page": 2, "per_page": 10, "tag": []},
        {"page": 2, "per_page": 5, "tag": []},
    ]
    bad = client.post("/pages", json=[{"page": 1}, {"page": "two"}])
    assert bad.status_code == 422
    assert bad.json["detail"][0]["loc"] == ["body", 1, "page"]


def test_dataclasses_fall_back_to_pydantic_without_msgspec(monkeypatch: pytest.MonkeyPatch) -> None:
    @dataclasses.dataclass
    class Point:
        x: int
        y: int

    real = adapters_module._optional
    monkeypatch.setattr(adapters_module, "_optional", lambda name: None if name == "msgspec" else real(name))
    adapter = adapters_module.adapter_for.__wrapped__(Point)  # uncached: built under the patch
    assert adapter.library == "pydantic"
    assert adapter.from_json(b'{"x": 1, "y": "2"}') == Point(1, 2)
    assert adapter.to_json(Point(1, 2)) == b'{"x":1,"y":2}'
    with pytest.raises(adapters_module.ModelError) as info:
        adapter.from_json(b'{"x": 1}')
    assert info.value.errors == [{"loc": ["y"], "msg": "Field required", "type": "missing"}]


def test_each_model_gets_one_adapter() -> None:
    assert adapter_for(TodoIn) is adapter_for(TodoIn)
    assert adapter_for(list[Item]) is adapter_for(list[Item])
    with pytest.raises(TypeError, match="not a model"):
        adapter_for(int)
    with pytest.raises(TypeError, match="needs a model"):
        validate_request(dict)


def test_querystring_with_repeated_keys_and_conversion() -> None:
    app = make_app()

    @app.get("/search")
    @validate_querystring(Page)
    async def search(query_args: Page) -> Any:
        return {"page": query_args.page, "per_page": query_args.per_page, "tag": query_args.tag}

    client = app.test_client()
    assert client.get("/search?page=3&tag=a&tag=b").json == {"page": 3, "per_page": 10, "tag": ["a", "b"]}
    assert client.get("/search").json == {"page": 1, "per_page": 10, "tag": []}
    bad = client.get("/search?page=three")
    assert bad.status_code == 422
    assert bad.json["detail"][0]["loc"] == ["query", "page"]


def test_headers_model_reads_dashed_names() -> None:
    app = make_app()

    @app.get("/me")
    @validate_headers(Auth)
    def me(headers: Auth) -> Any:
        return {"token": headers.x_token, "count": headers.x_count}

    client = app.test_client()
    assert client.get("/me", headers={"X-Token": "abc", "X-Count": "2"}).json == {"token": "abc", "count": 2}
    missing = client.get("/me")
    assert missing.status_code == 422
    assert missing.json["detail"] == [{"loc": ["header", "x_token"], "msg": "Field required", "type": "missing"}]


def test_errors_from_every_source_are_reported_together() -> None:
    app = make_app()

    @app.post("/all")
    @validate_request(TodoIn)
    @validate_querystring(Page)
    @validate_headers(Auth)
    async def everything(data: TodoIn, query_args: Page, headers: Auth) -> Any:
        return {"ok": True}

    client = app.test_client()
    response = client.post("/all?page=x", json={})
    assert response.status_code == 422
    assert [e["loc"][0] for e in response.json["detail"]] == ["query", "header", "body"]
    ok = client.post("/all?page=2", json={"title": "t"}, headers={"x-token": "k"})
    assert ok.json == {"ok": True}


def test_form_source() -> None:
    app = make_app()

    @app.post("/form")
    @validate_request(TodoIn, source="form")
    async def form(data: TodoIn) -> Any:
        return {"title": data.title, "done": data.done}

    @app.post("/sync-form")
    @validate_request(Page, source="form")
    def sync_form(data: Page) -> Any:
        return {"page": data.page, "tag": data.tag}

    client = app.test_client()
    assert client.post("/form", data={"title": "x", "done": "true"}).json == {"title": "x", "done": True}
    assert client.post("/form", data={"done": "true"}).status_code == 422
    assert client.post("/sync-form", data={"page": "4", "tag": ["a", "b"]}).json == {"page": 4, "tag": ["a", "b"]}


def test_error_handler_overrides_the_422() -> None:
    app = make_app()

    @app.errorhandler(RequestValidationError)
    async def handle(e: RequestValidationError) -> Any:
        return {"problems": len(e.errors), "first": e.errors[0]["loc"]}, 400

    @app.post("/todos")
    @validate_request(TodoIn)
    async def create(data: TodoIn) -> Any:
        return "unreachable"

    response = app.test_client().post("/todos", json={})
    assert response.status_code == 400
    assert response.json == {"problems": 1, "first": ["body", "title"]}
    assert issubclass(RequestValidationError, Exception) and RequestValidationError.code == 422


def test_a_response_failing_its_model_is_a_logged_500(caplog: pytest.LogCaptureFixture) -> None:
    app = make_app()

    @app.get("/broken")
    @validate_response(Todo)
    async def broken() -> Any:
        return {"title": "no id"}

    with caplog.at_level(logging.ERROR):
        response = app.test_client().get("/broken")
    assert response.status_code == 500
    assert "does not match Todo" in caplog.text and "id: Field required" in caplog.text

    app.testing = True  # propagated in tests: the exception names the model and the field
    with pytest.raises(ResponseValidationError, match=r"'broken'.*status 200.*Todo.*id: Field required"):
        app.test_client().get("/broken")


def test_response_forms_tuples_dicts_statuses_and_headers() -> None:
    app = make_app()

    @app.get("/a")
    @validate_response(Todo, 200)
    @validate_response(Item, 404)
    async def a() -> Any:
        from microflask import request

        if request.args.get("missing"):
            return {"name": "none", "price": 0}, 404
        return {"title": "t", "id": "3"}  # a dict the model accepts (and converts)

    @app.get("/h")
    @validate_response(Item, 201, headers=ItemHeaders)
    def h() -> Any:
        return Item(name="x", price=1), {"x_total": "4"}

    @app.get("/passthrough")
    @validate_response(Todo)
    async def passthrough() -> Any:
        return {"error": "gone"}, 410  # an undeclared status: sent as it is

    @app.get("/only-errors")
    @validate_response(Item, 404)
    async def only_errors() -> Any:
        return {"fine": True}  # no status: a 200, which no model was declared for

    client = app.test_client()
    assert client.get("/only-errors").json == {"fine": True}
    assert client.get("/only-errors").status_code == 200
    assert client.get("/a").json == {"title": "t", "done": False, "id": 3}
    missing = client.get("/a?missing=1")
    assert missing.status_code == 404 and missing.json == {"name": "none", "price": 0.0, "tags": []}
    with_headers = client.get("/h")
    assert with_headers.status_code == 201  # the only status declared
    assert with_headers.headers["x-total"] == "4"
    gone = client.get("/passthrough")
    assert gone.status_code == 410 and gone.json == {"error": "gone"}


# -- annotations ---------------------------------------------------------------------
def test_annotations_work_as_the_decorators() -> None:
    app = make_app()

    @app.post("/todos")
    async def create(data: TodoIn, query_args: Page, headers: Auth) -> Todo:
        return Todo(id=query_args.page, title=data.title + headers.x_token)

    @app.get("/sync/<int:todo_id>")
    def read(todo_id: int) -> Todo:
        return {"id": todo_id, "title": "from a dict"}  # type: ignore[return-value]

    client = app.test_client()
    ok = client.post("/todos?page=5", json={"title": "a"}, headers={"x-token": "b"})
    assert ok.json == {"title": "ab", "done": False, "id": 5}
    bad = client.post("/todos", json={"title": 1})
    assert bad.status_code == 422
    assert {tuple(e["loc"]) for e in bad.json["detail"]} == {("header", "x_token"), ("body", "title")}
    assert client.get("/sync/4").json == {"title": "from a dict", "done": False, "id": 4}


def test_url_variables_must_agree_with_annotations_at_startup() -> None:
    app = make_app()

    @app.get("/todos/<int:todo_id>")
    async def read(todo_id: str) -> Any:
        return todo_id

    with pytest.raises(TypeError, match=r"'todo_id'.*converted to int.*annotates it as str"):
        app.test_client().get("/todos/1")

    app = make_app()

    @app.get("/u/<uuid:key>/<float:x>/<path:rest>/<name>")
    async def agree(key: uuid.UUID, x: float, rest: str, name: str) -> Any:
        return {"key": str(key), "x": x, "rest": rest, "name": name}

    key = uuid.uuid4()
    assert app.test_client().get(f"/u/{key}/1.5/a/b/n").json == {"key": str(key), "x": 1.5, "rest": "a/b", "name": "n"}


# -- where views live: blueprints, class-based views, user decorators ----------------
def test_blueprint_views() -> None:
    app = make_app()
    bp = Blueprint("shop", __name__, url_prefix="/shop")

    @bp.post("/items")
    async def add(data: Item) -> Item:
        return data

    app.register_blueprint(bp)
    client = app.test_client()
    assert client.post("/shop/items", json={"name": "a", "price": 2}).json == {"name": "a", "price": 2.0, "tags": []}
    assert client.post("/shop/items", json={"name": "a"}).status_code == 422


def test_method_view_per_method_models() -> None:
    app = make_app()

    class TodoAPI(MethodView):
        async def get(self, todo_id: int) -> Todo:
            return Todo(id=todo_id, title="got")

        @validate_request(TodoIn)
        @validate_response(Todo, 201)
        async def put(self, todo_id: int, data: TodoIn) -> Any:
            return Todo(id=todo_id, **data.model_dump()), 201

        def delete(self, todo_id: int) -> Any:
            return "", 204

    app.add_url_rule("/todos/<int:todo_id>", view_func=TodoAPI.as_view("todo"))

    class SyncAPI(MethodView):
        def post(self, data: Item) -> Item:
            return data

    app.add_url_rule("/sync", view_func=SyncAPI.as_view("sync"))

    class Plain(View):
        methods = ["POST"]

        async def dispatch_request(self, data: TodoIn) -> Any:
            return {"title": data.title}

    app.add_url_rule("/plain", view_func=Plain.as_view("plain"))

    client = app.test_client()
    assert client.get("/todos/2").json == {"title": "got", "done": False, "id": 2}
    assert client.head("/todos/2").status_code == 200
    assert client.put("/todos/2", json={"title": "new"}).status_code == 201
    assert client.put("/todos/2", json={"title": None}).status_code == 422
    assert client.delete("/todos/2").status_code == 204
    assert client.post("/sync", json={"name": "s", "price": 1}).json["name"] == "s"
    assert client.post("/sync", json={"name": "s"}).status_code == 422
    assert client.post("/plain", json={"title": "p"}).json == {"title": "p"}
    assert client.post("/plain", json={}).status_code == 422


def test_views_wrapped_by_user_decorators() -> None:
    import functools

    app = make_app()

    def logged(f: Any) -> Any:
        @functools.wraps(f)
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            rv = await f(*args, **kwargs)
            return rv

        return wrapper

    @app.post("/todos")
    @logged
    async def create(data: TodoIn) -> Todo:  # annotations are read through functools.wraps
        return Todo(id=1, title=data.title)

    @app.post("/outer")
    @validate_request(TodoIn)  # a decorator above a user wrapper marks the wrapper
    @logged
    async def outer(data: TodoIn) -> Any:
        return {"title": data.title}

    client = app.test_client()
    assert client.post("/todos", json={"title": "x"}).json["id"] == 1
    assert client.post("/todos", json={}).status_code == 422
    assert client.post("/outer", json={"title": "o"}).json == {"title": "o"}


@pytest.mark.anyio
async def test_async_client_and_concurrent_use() -> None:
    app = make_app()

    @app.post("/echo")
    async def echo(data: Item) -> Item:
        return data

    async with app.async_test_client() as client:
        for i in range(3):
            response = await client.post("/echo", json={"name": f"n{i}", "price": i})
            assert response.json == {"name": f"n{i}", "price": float(i), "tags": []}


# -- what it costs: nothing for views without models; nothing in `import microflask` ----
def test_views_without_models_are_not_wrapped() -> None:
    app = make_app()

    @app.get("/plain")
    async def plain() -> dict[str, int]:
        return {"a": 1}

    @app.get("/typed")
    async def typed() -> Todo:
        return Todo(id=1, title="t")

    app.test_client().get("/plain")
    rules = {rule.endpoint: rule for rule in app.url_map}
    assert rules["plain"].plan.view is plain
    assert rules["typed"].plan.view is not typed and rules["typed"].plan.view.__wrapped__ is typed
    assert rules["typed"].plan.view_is_async


def test_an_app_without_the_extension_has_no_view_wrappers() -> None:
    app = MicroFlask(__name__)
    assert app.view_wrappers == []


def test_import_microflask_loads_neither_library() -> None:
    code = (
        "import sys, microflask; "
        "print(sorted(m for m in ('pydantic', 'msgspec', 'microflask.schema') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
    # Nor does microflask.schema itself: a library loads with the first model that needs it.
    code = (
        "import sys, dataclasses, microflask.schema as s; "
        "before = sorted(m for m in ('pydantic', 'msgspec') if m in sys.modules); "
        "D = dataclasses.make_dataclass('D', [('x', int)]); s.adapter_for(D); "
        "print(before, sorted(m for m in ('pydantic', 'msgspec') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[] ['msgspec']"


def test_init_app_for_factories() -> None:
    api = OpenAPI(title="Factory", version="2")

    def create_app() -> MicroFlask:
        app = MicroFlask(__name__)
        api.init_app(app)

        @app.post("/todos")
        async def create(data: TodoIn) -> Todo:
            return Todo(id=1, title=data.title)

        return app

    first, second = create_app(), create_app()
    for app in (first, second):
        client = app.test_client()
        assert client.post("/todos", json={"title": "x"}).status_code == 200
        assert client.post("/todos", json={}).status_code == 422
        assert client.get("/openapi.json").json["info"] == {"title": "Factory", "version": "2"}
