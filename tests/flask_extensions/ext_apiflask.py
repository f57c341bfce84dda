"""APIFlask's quick start: ``APIFlask(__name__)`` (a subclass of Flask's app class, so of
microflask's here, with ``ConfigAttribute`` settings), ``@app.input`` / ``@app.output`` with its
schemas, its 422 and 404 JSON errors, and the OpenAPI document and docs page it serves; in def
and async def views."""

# isort: off
import microflask.flask_patch  # noqa: F401  (first: from here on, flask is microflask)

# isort: on
from typing import Any

import pytest
from apiflask import APIFlask, Schema, abort
from apiflask.fields import Integer, String


class PetIn(Schema):
    name = String(required=True)


class PetOut(Schema):
    id = Integer()
    name = String()


def make_app(kind: str) -> APIFlask:
    app = APIFlask(__name__, title="Pets", version="1.0")
    pets: dict[int, dict[str, Any]] = {1: {"id": 1, "name": "Rex"}}

    if kind == "def":

        @app.get("/pets/<int:pet_id>")
        @app.output(PetOut)
        def get_pet(pet_id: int) -> Any:
            if pet_id not in pets:
                abort(404, message="no such pet")
            return pets[pet_id]

        @app.post("/pets")
        @app.input(PetIn, location="json")
        @app.output(PetOut, status_code=201)
        def create_pet(json_data: dict[str, Any]) -> Any:
            pet_id = max(pets) + 1
            pets[pet_id] = {"id": pet_id, **json_data}
            return pets[pet_id]

    else:

        @app.get("/pets/<int:pet_id>")
        @app.output(PetOut)
        async def get_pet(pet_id: int) -> Any:
            if pet_id not in pets:
                abort(404, message="no such pet")
            return pets[pet_id]

        @app.post("/pets")
        @app.input(PetIn, location="json")
        @app.output(PetOut, status_code=201)
        async def create_pet(json_data: dict[str, Any]) -> Any:
            pet_id = max(pets) + 1
            pets[pet_id] = {"id": pet_id, **json_data}
            return pets[pet_id]

    return app


@pytest.fixture(params=["def", "async"])
def app(request: pytest.FixtureRequest) -> APIFlask:
    return make_app(request.param)


def test_input_and_output_schemas(app: APIFlask) -> None:
    client = app.test_client()
    assert client.get("/pets/1").json == {"id": 1, "name": "Rex"}
    made = client.post("/pets", json={"name": "Tom"})
    assert (made.status_code, made.json) == (201, {"id": 2, "name": "Tom"})


def test_errors_are_its_json(app: APIFlask) -> None:
    client = app.test_client()
    invalid = client.post("/pets", json={})
    assert invalid.status_code == 422 and invalid.json["detail"]["json"]["name"]
    missing = client.get("/pets/9")
    assert (missing.status_code, missing.json["message"]) == (404, "no such pet")


def test_the_openapi_document_and_docs(app: APIFlask) -> None:
    client = app.test_client()
    spec = client.get("/openapi.json").json
    assert spec["info"]["title"] == "Pets" and app.openapi_version == spec["openapi"]  # a ConfigAttribute
    assert {"/pets", "/pets/{pet_id}"} <= set(spec["paths"])
    assert client.get("/docs").status_code == 200
