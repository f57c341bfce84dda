"""flask-smorest's quick start: an ``Api``, a ``Blueprint`` of ``MethodView`` resources with
``@blp.arguments`` (JSON body, query string) and ``@blp.response`` (marshmallow schemas), its
422 with field errors and ``abort(404, message=...)``, and the OpenAPI document it builds from
the rules (it reads Werkzeug's rule outline and converter classes); in def and async def views.
"""

# isort: off
import microflask.flask_patch  # noqa: F401  (first: from here on, flask is microflask)

# isort: on
from typing import Any

import marshmallow as ma
import pytest
from flask import Flask
from flask.views import MethodView
from flask_smorest import Api, Blueprint, abort


class PetSchema(ma.Schema):
    id = ma.fields.Int(dump_only=True)
    name = ma.fields.String(required=True)


class PetQuery(ma.Schema):
    name = ma.fields.String()


def make_app(kind: str) -> Flask:
    app = Flask(__name__)
    app.config.update(
        API_TITLE="Pets",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.2",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
    )
    api = Api(app)
    pets: dict[int, dict[str, Any]] = {1: {"id": 1, "name": "Rex"}}
    blp = Blueprint("pets", __name__, url_prefix="/pets", description="Pets")

    if kind == "def":

        @blp.route("/")
        class Pets(MethodView):
            @blp.arguments(PetQuery, location="query")
            @blp.response(200, PetSchema(many=True))
            def get(self, args: dict[str, Any]) -> Any:
                return [p for p in pets.values() if args.get("name") in (None, p["name"])]

            @blp.arguments(PetSchema)
            @blp.response(201, PetSchema)
            def post(self, new: dict[str, Any]) -> Any:
                new["id"] = max(pets) + 1
                pets[new["id"]] = new
                return new

        @blp.route("/<int:pet_id>")
        class PetById(MethodView):
            @blp.response(200, PetSchema)
            def get(self, pet_id: int) -> Any:
                if pet_id not in pets:
                    abort(404, message="no such pet")
                return pets[pet_id]

    else:

        @blp.route("/")
        class Pets(MethodView):
            @blp.arguments(PetQuery, location="query")
            @blp.response(200, PetSchema(many=True))
            async def get(self, args: dict[str, Any]) -> Any:
                return [p for p in pets.values() if args.get("name") in (None, p["name"])]

            @blp.arguments(PetSchema)
            @blp.response(201, PetSchema)
            async def post(self, new: dict[str, Any]) -> Any:
                new["id"] = max(pets) + 1
                pets[new["id"]] = new
                return new

        @blp.route("/<int:pet_id>")
        class PetById(MethodView):
            @blp.response(200, PetSchema)
            async def get(self, pet_id: int) -> Any:
                if pet_id not in pets:
                    abort(404, message="no such pet")
                return pets[pet_id]

    api.register_blueprint(blp)
    return app


@pytest.fixture(params=["def", "async"])
def client(request: pytest.FixtureRequest) -> Any:
    return make_app(request.param).test_client()


def test_arguments_and_responses_go_through_the_schemas(client: Any) -> None:
    assert client.get("/pets/").json == [{"id": 1, "name": "Rex"}]
    assert client.get("/pets/?name=Tom").json == []
    made = client.post("/pets/", json={"name": "Tom"})
    assert (made.status_code, made.json) == (201, {"id": 2, "name": "Tom"})
    assert client.get("/pets/2").json == {"id": 2, "name": "Tom"}


def test_errors_are_its_json(client: Any) -> None:
    invalid = client.post("/pets/", json={})
    assert invalid.status_code == 422
    assert invalid.json["errors"] == {"json": {"name": ["Missing data for required field."]}}
    missing = client.get("/pets/9")
    assert (missing.status_code, missing.json["message"]) == (404, "no such pet")


def test_the_openapi_document_describes_the_rules(client: Any) -> None:
    spec = client.get("/openapi.json").json
    assert spec["info"] == {"title": "Pets", "version": "v1"}
    by_id = spec["paths"]["/pets/{pet_id}"]
    assert by_id["parameters"] == [
        {"in": "path", "name": "pet_id", "required": True, "schema": {"type": "integer", "minimum": 0}}
    ]
    assert set(spec["paths"]["/pets/"]) == {"get", "post"}
