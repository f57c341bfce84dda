"""SpecTree's Flask backend, as its README shows: ``SpecTree("flask", ...)`` with pydantic models,
``@spec.validate(query=..., json=..., form=..., headers=..., cookies=..., resp=Response(...),
tags=...)`` on views (models also taken from the view's annotations, the validated values passed
as arguments and kept in ``request.context``), its 422 with pydantic's errors for invalid input,
response validation, ``spec.register(app)`` with the OpenAPI document at ``/apidoc/openapi.json``
(path parameters read from the Flask rule, a ``MethodView``, a blueprint's routes) and its
Redoc/Swagger/Scalar pages (their assets come from a CDN: only the pages are fetched here), and
a spec registered on a blueprint.

SpecTree's Flask backend calls the view itself without awaiting it (``func(*args, **kwargs)``,
then serialises the result), so in Flask it takes ``def`` views only. An ``async def`` view
runs when given to it through the app's ``ensure_sync`` (``sync`` below): the view then runs on
the event loop while SpecTree's sync wrapper waits on the request's worker thread. Both kinds
are tested; a bare ``async def`` view is tested only where SpecTree does not call it (a request
it refuses, the document)."""

# isort: off
import microflask.flask_patch  # noqa: F401  (first: from here on, flask is microflask)

# isort: on
import functools
from typing import Any, Literal

import pytest
from flask import Blueprint, Flask, current_app, jsonify, request
from flask.views import MethodView
from pydantic import BaseModel, Field, model_validator
from spectree import Response, SpecTree


class Profile(BaseModel):
    name: str
    age: int = Field(..., gt=0, lt=150, description="user age")


class Query(BaseModel):
    limit: int = 10
    order: Literal["asc", "desc"] = "asc"


class Headers(BaseModel):
    lang: Literal["en", "de"]

    @model_validator(mode="before")
    @classmethod
    def lower_keys(cls, data: Any) -> Any:
        # SpecTree's FAQ: Flask's header names are capitalised ("Lang"); lower them for the model.
        return {key.lower(): value for key, value in data.items()}


class Cookies(BaseModel):
    pub: str


class Login(BaseModel):
    user: str
    password: str = Field(min_length=4)


class Message(BaseModel):
    text: str


class Item(BaseModel):
    code: str
    count: int


def sync(view: Any) -> Any:
    """An ``async def`` view as the sync function SpecTree's Flask backend calls: through the
    app's ``ensure_sync`` (run to its end on the event loop, from the request's worker thread)."""

    @functools.wraps(view)
    def call(*args: Any, **kwargs: Any) -> Any:
        return current_app.ensure_sync(view)(*args, **kwargs)

    return call


def make_app(kind: str) -> tuple[Flask, SpecTree]:
    app = Flask(__name__)
    spec = SpecTree("flask", title="Demo API", version="v1.0")
    view = (lambda func: func) if kind == "def" else sync

    if kind == "def":

        def profile(uid: int, json: Profile) -> Message:
            """verify user profile (summary of this endpoint)

            user's name, user's age, ... (long description)
            """
            ctx = request.context  # type: ignore[attr-defined]
            return Message(
                text=f"{uid}: {json.name} ({json.age}) limit={ctx.query.limit} {ctx.query.order}"
                f" lang={ctx.headers.lang} pub={ctx.cookies.pub}"
            )

        def login(form: Login) -> Any:
            return jsonify(user=form.user)

        def item(code: str, query: Query) -> Any:
            return {"code": code, "count": query.limit}, 201, {"X-Code": code}

        def broken() -> Any:
            return {"text": 1234}  # not a Message: SpecTree answers 500

    else:

        async def profile(uid: int, json: Profile) -> Message:  # type: ignore[misc]
            """verify user profile (summary of this endpoint)

            user's name, user's age, ... (long description)
            """
            ctx = request.context  # type: ignore[attr-defined]
            return Message(
                text=f"{uid}: {json.name} ({json.age}) limit={ctx.query.limit} {ctx.query.order}"
                f" lang={ctx.headers.lang} pub={ctx.cookies.pub}"
            )

        async def login(form: Login) -> Any:  # type: ignore[misc]
            return jsonify(user=form.user)

        async def item(code: str, query: Query) -> Any:  # type: ignore[misc]
            return {"code": code, "count": query.limit}, 201, {"X-Code": code}

        async def broken() -> Any:  # type: ignore[misc]
            return {"text": 1234}

    app.post("/api/user/<int:uid>")(
        spec.validate(
            query=Query,
            headers=Headers,
            cookies=Cookies,
            resp=Response(HTTP_200=Message, HTTP_403=None),
            tags=["api"],
        )(view(profile))
    )
    app.post("/api/login")(spec.validate(resp=Response(HTTP_200=None), tags=["auth"])(view(login)))
    app.get("/api/items/<string(length=3):code>")(
        spec.validate(resp=Response(HTTP_201=Item), path_parameter_descriptions={"code": "the item's code"})(view(item))
    )
    app.get("/api/broken")(spec.validate(resp=Response(HTTP_200=Message))(view(broken)))

    class Notes(MethodView):
        @spec.validate(query=Query, resp=Response(HTTP_200=Message), tags=["notes"])
        def get(self, query: Query) -> Message:
            return Message(text=f"notes, {query.limit} {query.order}")

        @spec.validate(json=Message, resp=Response(HTTP_201=Message), tags=["notes"])
        def post(self, json: Message) -> Any:
            return Message(text=f"added {json.text}"), 201

    app.add_url_rule("/api/notes", view_func=Notes.as_view("notes"))

    bp = Blueprint("shop", __name__, url_prefix="/shop")

    @bp.get("/items/<uuid:item_id>")
    @spec.validate(resp=Response(HTTP_200=Message), tags=["shop"])
    @view
    def shop_item(item_id: Any) -> Message:
        return Message(text=f"item {item_id}")

    app.register_blueprint(bp)
    spec.register(app)
    return app, spec


@pytest.fixture(params=["def", "async"])
def kind(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def client(kind: str) -> Any:
    app, _ = make_app(kind)
    client = app.test_client()
    client.set_cookie("pub", "abcdef")
    return client


def test_valid_request_reaches_the_view_with_the_models(client: Any) -> None:
    r = client.post("/api/user/3?limit=5&order=desc", json={"name": "ada", "age": 36}, headers={"Lang": "de"})
    assert r.status_code == 200
    assert r.get_json() == {"text": "3: ada (36) limit=5 desc lang=de pub=abcdef"}
    assert r.content_type == "application/json"


def test_invalid_input_answers_422_with_pydantic_errors(client: Any) -> None:
    r = client.post("/api/user/3", json={"name": "ada", "age": 300}, headers={"Lang": "en"})
    assert r.status_code == 422
    [error] = r.get_json()
    assert error["loc"] == ["age"] and error["type"] == "less_than" and error["input"] == 300
    r = client.post("/api/user/3?order=up", json={"name": "ada", "age": 3}, headers={"Lang": "en"})
    assert r.status_code == 422 and r.get_json()[0]["loc"] == ["order"]
    r = client.post("/api/user/3", json={"name": "ada", "age": 3}, headers={"Lang": "fr"})
    assert r.status_code == 422 and r.get_json()[0]["loc"] == ["lang"]
    r = client.post("/api/user/3", json={"age": 3}, headers={"Lang": "en"})
    assert r.status_code == 422 and r.get_json()[0]["loc"] == ["name"] and r.get_json()[0]["type"] == "missing"


def test_missing_cookie_answers_422(kind: str) -> None:
    app, _ = make_app(kind)
    r = app.test_client().post("/api/user/3", json={"name": "ada", "age": 3}, headers={"Lang": "en"})
    assert r.status_code == 422
    assert r.get_json()[0]["loc"] == ["pub"]


def test_form_body(client: Any) -> None:
    r = client.post("/api/login", data={"user": "ada", "password": "secret"})
    assert r.status_code == 200 and r.get_json() == {"user": "ada"}
    r = client.post("/api/login", data={"user": "ada", "password": "abc"})
    assert r.status_code == 422 and r.get_json()[0]["loc"] == ["password"]


def test_path_parameter_and_a_response_tuple(client: Any) -> None:
    r = client.get("/api/items/abc?limit=7")
    assert r.status_code == 201
    assert r.get_json() == {"code": "abc", "count": 7}
    assert r.headers["X-Code"] == "abc"
    assert client.get("/api/items/abcd").status_code == 404  # the rule's length=3


def test_response_validation(client: Any) -> None:
    r = client.get("/api/broken")
    assert r.status_code == 500
    assert r.get_json()[0]["loc"] == ["text"]


def test_method_view_and_blueprint(client: Any) -> None:
    assert client.get("/api/notes?limit=2").get_json() == {"text": "notes, 2 asc"}
    r = client.post("/api/notes", json={"text": "milk"})
    assert r.status_code == 201 and r.get_json() == {"text": "added milk"}
    assert client.post("/api/notes", json={}).status_code == 422
    r = client.get("/shop/items/12345678-1234-5678-1234-567812345678")
    assert r.get_json() == {"text": "item 12345678-1234-5678-1234-567812345678"}


def test_openapi_document(client: Any) -> None:
    r = client.get("/apidoc/openapi.json")
    assert r.status_code == 200 and r.content_type == "application/json"
    doc = r.get_json()
    assert doc["info"] == {"title": "Demo API", "version": "v1.0"}
    paths = doc["paths"]
    assert set(paths) == {
        "/api/user/{uid}",
        "/api/login",
        "/api/items/{code}",
        "/api/broken",
        "/api/notes",
        "/shop/items/{item_id}",
    }
    user = paths["/api/user/{uid}"]["post"]
    assert user["tags"] == ["api"]
    assert user["summary"] == "verify user profile (summary of this endpoint)"
    assert "long description" in user["description"]
    params = {(p["in"], p["name"]): p for p in user["parameters"]}
    assert params["path", "uid"]["schema"] == {"type": "integer", "format": "int32"}
    assert {("query", "limit"), ("query", "order"), ("header", "lang"), ("cookie", "pub")} <= set(params)
    body = user["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert body.startswith("#/components/schemas/Profile")
    assert set(user["responses"]) == {"200", "403", "422"}
    code = paths["/api/items/{code}"]["get"]["parameters"][0]
    assert code["in"] == "path" and code["description"] == "the item's code"
    assert code["schema"] == {"type": "string", "length": 3}
    assert "multipart/form-data" in paths["/api/login"]["post"]["requestBody"]["content"]
    assert set(paths["/api/notes"]) == {"get", "post"}
    assert paths["/api/notes"]["post"]["tags"] == ["notes"]
    item = paths["/shop/items/{item_id}"]["get"]["parameters"][0]
    assert item["schema"] == {"type": "string", "format": "uuid"}
    assert any(name.startswith("Profile") for name in doc["components"]["schemas"])


@pytest.mark.parametrize("page", ["redoc", "swagger", "scalar"])
def test_doc_pages(client: Any, page: str) -> None:
    r = client.get(f"/apidoc/{page}/")
    assert r.status_code == 200
    assert r.content_type == "text/html; charset=utf-8"
    assert "/apidoc/openapi.json" in r.text


def test_spec_registered_on_a_blueprint() -> None:
    app = Flask(__name__)
    api = Blueprint("v2", __name__, url_prefix="/v2")
    spec = SpecTree("flask", title="v2")

    @api.post("/echo")
    @spec.validate(json=Message, resp=Response(HTTP_200=Message))
    def echo(json: Message) -> Message:
        return Message(text=json.text.upper())

    @app.get("/other")
    def other() -> str:
        return "not in the v2 document"

    spec.register(api)
    app.register_blueprint(api)
    client = app.test_client()
    assert client.post("/v2/echo", json={"text": "hi"}).get_json() == {"text": "HI"}
    assert client.post("/v2/echo", json={"text": 1}).status_code == 422
    doc = client.get("/v2/apidoc/openapi.json").get_json()
    assert set(doc["paths"]) == {"/v2/echo"}
    page = client.get("/v2/apidoc/swagger/")
    assert page.status_code == 200 and "/v2/apidoc/openapi.json" in page.text


def test_a_bare_async_view_where_spectree_does_not_call_it() -> None:
    """SpecTree's Flask backend never awaits the view; what does not call it works for a bare
    ``async def`` view: the request it refuses (422) and the document."""
    app = Flask(__name__)
    spec = SpecTree("flask")

    @app.post("/bare")
    @spec.validate(json=Profile, resp=Response(HTTP_200=Message), tags=["bare"])
    async def bare(json: Profile) -> Message:
        return Message(text=json.name)

    spec.register(app)
    client = app.test_client()
    r = client.post("/bare", json={"name": "ada"})
    assert r.status_code == 422 and r.get_json()[0]["loc"] == ["age"]
    doc = client.get("/apidoc/openapi.json").get_json()
    assert doc["paths"]["/bare"]["post"]["tags"] == ["bare"]
