"""The OpenAPI 3.1 document: built at freeze, served at /openapi.json, valid by openapi-spec-validator."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

import msgspec
import pydantic
import pytest
from openapi_spec_validator import validate

from microflask import Blueprint, MethodView, MicroFlask
from microflask.schema import (
    OpenAPI,
    deprecated,
    hide,
    operation_id,
    security,
    tag,
    validate_headers,
    validate_querystring,
    validate_request,
    validate_response,
)


class Address(pydantic.BaseModel):
    city: str


class UserIn(pydantic.BaseModel):
    name: str
    address: Address


class User(UserIn):
    id: int


class Item(msgspec.Struct):
    name: str
    price: float


@dataclasses.dataclass
class Filters:
    q: str | None = None
    page: int = 1
    tags: list[str] = dataclasses.field(default_factory=list)


class Tracing(pydantic.BaseModel):
    x_request_id: str


class RateHeaders(pydantic.BaseModel):
    x_rate_limit: int


class Error(pydantic.BaseModel):
    message: str


def build_app() -> MicroFlask:
    app = MicroFlask(__name__)
    OpenAPI(
        app,
        title="Shop",
        version="1.2.3",
        description="A test API.",
        security_schemes={
            "bearer": "bearer",
            "api_key": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
            "session": {"type": "apiKey", "in": "cookie", "name": "session"},
        },
        tags=[{"name": "users", "description": "People."}],
    )
    users = Blueprint("users", __name__, url_prefix="/users")

    @users.post("/")
    @validate_request(UserIn)
    @validate_response(User, 201, headers=RateHeaders)
    @validate_response(Error, 409)
    @security("bearer", "api_key")
    async def create(data: UserIn) -> Any:
        """Create a user.

        The name must be unique.
        """
        return User(id=1, **data.model_dump()), 201

    @users.get("/<int:user_id>")
    async def read(user_id: int) -> User:
        """Read one user."""
        return User(id=user_id, name="n", address=Address(city="c"))

    @users.get("/<int:user_id>/legacy")
    @deprecated
    @tag("legacy")
    @security("session")
    async def legacy(user_id: int) -> Any:
        return {}

    app.register_blueprint(users)

    @app.get("/items")
    @validate_querystring(Filters)
    @validate_headers(Tracing)
    @validate_response(list[Item])
    async def list_items(query_args: Filters, headers: Tracing) -> Any:
        return []

    @app.post("/items/form")
    @validate_request(Item, source="form")
    @operation_id("submitItemForm")
    def item_form(data: Item) -> Any:
        return "ok"

    @app.route("/things/<uuid:key>/<float:weight>/<path:rest>", methods=["GET", "DELETE"])
    async def things(key: uuid.UUID, weight: float, rest: str) -> Any:
        return ""

    @app.get("/pages/<any(about, help):page>/<name>")
    @app.get("/pages/<any(about, help):page>/", defaults={"name": "index"})
    async def pages(page: str, name: str) -> Any:
        return ""

    @app.get("/signed/<int(signed=True, max=10):n>")
    async def signed(n: int) -> Any:
        return ""

    @app.get("/plain")
    async def plain() -> Any:
        return "no models: still in the document"

    @app.get("/secret")
    @hide
    async def secret() -> Any:
        return "not in the document"

    class ItemAPI(MethodView):
        """Items by id."""

        async def get(self, item_id: int) -> Item:
            """Fetch an item."""
            return Item(name="x", price=1)

        @validate_request(Item)
        async def put(self, item_id: int, data: Item) -> Any:
            return "", 204

    app.add_url_rule("/items/<int:item_id>", view_func=ItemAPI.as_view("item"))
    return app


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    app = build_app()
    response = app.test_client().get("/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    return response.json  # type: ignore[no-any-return]


def test_the_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    validate(document)
    assert document["openapi"] == "3.1.0"
    assert document["info"] == {"title": "Shop", "version": "1.2.3", "description": "A test API."}


def test_every_route_and_method(document: dict[str, Any]) -> None:
    paths = document["paths"]
    assert set(paths) == {
        "/users/",
        "/users/{user_id}",
        "/users/{user_id}/legacy",
        "/items",
        "/items/form",
        "/items/{item_id}",
        "/things/{key}/{weight}/{rest}",
        "/pages/{page}/{name}",
        "/pages/{page}/",
        "/signed/{n}",
        "/plain",
    }  # not /secret (hidden), /static, /openapi.json
    assert set(paths["/things/{key}/{weight}/{rest}"]) == {"get", "delete"}
    assert set(paths["/items/{item_id}"]) == {"get", "put"}
    assert paths["/plain"]["get"]["responses"] == {"200": {"description": "Successful response"}}


def test_operation_ids_are_unique(document: dict[str, Any]) -> None:
    ids = [op["operationId"] for item in document["paths"].values() for op in item.values()]
    assert len(ids) == len(set(ids))
    assert document["paths"]["/users/"]["post"]["operationId"] == "users.create"
    assert document["paths"]["/items/form"]["post"]["operationId"] == "submitItemForm"
    assert document["paths"]["/things/{key}/{weight}/{rest}"]["delete"]["operationId"] == "things_delete"
    assert document["paths"]["/items/{item_id}"]["put"]["operationId"] == "item_put"


def test_path_parameters_from_converters(document: dict[str, Any]) -> None:
    def params(path: str, method: str = "get") -> dict[str, Any]:
        return {p["name"]: p["schema"] for p in document["paths"][path][method]["parameters"] if p["in"] == "path"}

    assert params("/users/{user_id}") == {"user_id": {"type": "integer", "minimum": 0}}
    assert params("/things/{key}/{weight}/{rest}") == {
        "key": {"type": "string", "format": "uuid"},
        "weight": {"type": "number", "minimum": 0},
        "rest": {"type": "string", "format": "path"},
    }
    assert params("/pages/{page}/{name}") == {
        "page": {"type": "string", "enum": ["about", "help"]},
        "name": {"type": "string"},
    }
    assert params("/signed/{n}") == {"n": {"type": "integer", "maximum": 10}}
    for item in document["paths"].values():
        for op in item.values():
            for p in op.get("parameters", ()):
                if p["in"] == "path":
                    assert p["required"] is True


def test_request_body_query_and_headers(document: dict[str, Any]) -> None:
    create = document["paths"]["/users/"]["post"]
    assert create["requestBody"] == {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/UserIn"}}},
    }
    schemas = document["components"]["schemas"]
    assert schemas["UserIn"]["properties"]["address"] == {"$ref": "#/components/schemas/Address"}
    assert "Address" in schemas and "Item" in schemas
    form = document["paths"]["/items/form"]["post"]["requestBody"]["content"]
    assert list(form) == ["application/x-www-form-urlencoded"]
    params = {(p["in"], p["name"]): p for p in document["paths"]["/items"]["get"]["parameters"]}
    assert set(params) == {("query", "q"), ("query", "page"), ("query", "tags"), ("header", "x-request-id")}
    assert params["header", "x-request-id"]["required"] is True
    assert params["query", "page"]["required"] is False
    assert params["query", "tags"]["explode"] is True


def test_responses_by_status(document: dict[str, Any]) -> None:
    responses = document["paths"]["/users/"]["post"]["responses"]
    assert set(responses) == {"201", "409", "422"}
    assert responses["201"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/User"}
    assert responses["201"]["headers"] == {
        "x-rate-limit": {"schema": {"title": "X Rate Limit", "type": "integer"}, "required": True}
    }
    assert responses["409"]["description"] == "Conflict"
    assert responses["422"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/HTTPValidationError"
    }
    listed = document["paths"]["/items"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert listed == {"type": "array", "items": {"$ref": "#/components/schemas/Item"}}
    # The return annotation is a response model too.
    read = document["paths"]["/users/{user_id}"]["get"]["responses"]["200"]
    assert read["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/User"}


def test_tags_docstrings_deprecated_and_security(document: dict[str, Any]) -> None:
    create = document["paths"]["/users/"]["post"]
    assert create["tags"] == ["users"]
    assert create["summary"] == "Create a user."
    assert create["description"] == "The name must be unique."
    assert create["security"] == [{"bearer": []}, {"api_key": []}]
    legacy = document["paths"]["/users/{user_id}/legacy"]["get"]
    assert legacy["deprecated"] is True
    assert legacy["tags"] == ["legacy"]
    assert legacy["security"] == [{"session": []}]
    assert "tags" not in document["paths"]["/plain"]["get"]
    assert document["paths"]["/items/{item_id}"]["get"]["summary"] == "Fetch an item."
    assert document["paths"]["/items/{item_id}"]["put"]["summary"] == "Items by id."
    assert document["components"]["securitySchemes"]["bearer"] == {"type": "http", "scheme": "bearer"}
    assert document["components"]["securitySchemes"]["session"]["in"] == "cookie"
    assert document["tags"] == [{"name": "legacy"}, {"name": "users", "description": "People."}]


def test_the_document_is_built_at_freeze() -> None:
    app = build_app()
    app._ensure_setup()  # what the first request or the lifespan does
    built = app.extensions["microflask.schema"]
    assert "/users/{user_id}" in built.paths
    assert OpenAPI.document(app)["paths"]["/users/{user_id}"]["get"]["operationId"] == "users.read"


def test_an_unknown_security_scheme_fails_at_startup() -> None:
    app = MicroFlask(__name__)
    OpenAPI(app)

    @app.get("/x")
    @security("nope")
    async def x() -> Any:
        return ""

    with pytest.raises(LookupError, match="'nope'"):
        app.test_client().get("/x")


def test_paths_configurable_or_disabled() -> None:
    app = MicroFlask(__name__)
    OpenAPI(app, openapi_path="/api/spec.json", docs_path=None)

    @app.post("/x")
    async def x(data: Item) -> Item:
        return data

    client = app.test_client()
    assert client.get("/api/spec.json").json["paths"]["/x"]["post"]["operationId"] == "x"
    assert client.get("/openapi.json").status_code == 404
    assert client.post("/x", json={}).status_code == 422

    quiet = MicroFlask(__name__)
    OpenAPI(quiet, openapi_path=None, docs_path=None)

    @quiet.post("/x")
    async def y(data: Item) -> Item:
        return data

    quiet_client = quiet.test_client()
    assert quiet_client.get("/openapi.json").status_code == 404
    assert quiet_client.post("/x", json={}).status_code == 422
    validate(OpenAPI.document(quiet))


def test_registering_twice_is_an_error() -> None:
    app = MicroFlask(__name__)
    api = OpenAPI(app)
    with pytest.raises(RuntimeError, match="once"):
        api.init_app(app)


def test_document_level_security_servers_and_public_operations() -> None:
    app = MicroFlask(__name__)
    OpenAPI(
        app,
        security_schemes={"key": {"type": "apiKey", "in": "header", "name": "X-Key"}},
        security=[{"key": []}],
        servers=["https://api.example.com", {"url": "http://localhost:8000", "description": "dev"}],
    )

    @app.get("/private")
    async def private() -> Any:
        return ""

    @app.get("/public")
    @security()
    async def public() -> Any:
        return ""

    document = OpenAPI.document(app)
    validate(document)
    assert document["security"] == [{"key": []}]
    assert document["servers"] == [
        {"url": "https://api.example.com"},
        {"url": "http://localhost:8000", "description": "dev"},
    ]
    assert "security" not in document["paths"]["/private"]["get"]  # the document's default applies
    assert document["paths"]["/public"]["get"]["security"] == []


def test_two_models_with_one_name_both_keep_their_schema() -> None:
    class Other(msgspec.Struct):
        sku: str
        address: dict[str, int]

    Other.__name__ = Other.__qualname__ = "Item"  # another "Item" than the module's (a Struct too)

    class Address(pydantic.BaseModel):  # another "Address", nested in a model
        lines: list[str]

    class Order(pydantic.BaseModel):
        address: Address

    app = MicroFlask(__name__)
    OpenAPI(app)

    @app.post("/a")
    async def a(data: Item) -> UserIn:
        return UserIn(name="n", address={"city": "c"})  # type: ignore[arg-type]

    @app.post("/b")
    @validate_request(Other)  # local models: decorators (annotations name module-level models)
    @validate_response(Order)
    async def b(data: Any) -> Any:
        return Order(address=Address(lines=[]))

    document = OpenAPI.document(app)
    validate(document)
    schemas = document["components"]["schemas"]
    assert set(schemas["Item"]["properties"]) == {"name", "price"}
    assert set(schemas["Item2"]["properties"]) == {"sku", "address"}
    assert set(schemas["Address"]["properties"]) == {"city"}
    assert set(schemas["Address2"]["properties"]) == {"lines"}
    assert schemas["Order"]["properties"]["address"] == {"$ref": "#/components/schemas/Address2"}
    body = document["paths"]["/b"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/Item2"}


def test_what_a_model_sends_can_differ_from_what_it_accepts() -> None:
    class Box(pydantic.BaseModel):
        width: int
        height: int

        @pydantic.computed_field  # type: ignore[prop-decorator]
        @property
        def area(self) -> int:
            return self.width * self.height

    app = MicroFlask(__name__)
    OpenAPI(app)

    @app.post("/boxes")
    @validate_request(Box)
    @validate_response(Box)
    async def boxes(data: Any) -> Any:
        return data

    assert app.test_client().post("/boxes", json={"width": 2, "height": 3}).json == {"width": 2, "height": 3, "area": 6}
    document = OpenAPI.document(app)
    validate(document)
    operation = document["paths"]["/boxes"]["post"]
    assert operation["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Box"}
    sent = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert sent == {"$ref": "#/components/schemas/BoxOutput"}
    schemas = document["components"]["schemas"]
    assert "area" not in schemas["Box"]["properties"] and "area" in schemas["BoxOutput"]["properties"]
