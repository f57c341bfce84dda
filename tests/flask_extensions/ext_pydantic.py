"""Flask-Pydantic's quick start: ``@validate()`` reading the body and query from the view's
pydantic-annotated parameters (it stores them on the request: ``request.query_params``...),
returning a model as JSON, and its 400 with the validation errors. Its decorator calls the view
itself, so views are ``def`` (in Flask too)."""

# isort: off
import microflask.flask_patch  # noqa: F401  (first: from here on, flask is microflask)

# isort: on
from typing import Any

import pytest
from flask import Flask
from flask_pydantic import validate
from pydantic import BaseModel


class Query(BaseModel):
    shout: bool = False


class Body(BaseModel):
    name: str


class Greeting(BaseModel):
    greeting: str


@pytest.fixture
def client() -> Any:
    app = Flask(__name__)

    @app.post("/hello")
    @validate()
    def hello(body: Body, query: Query) -> Greeting:
        text = f"hello {body.name}"
        return Greeting(greeting=text.upper() if query.shout else text)

    return app.test_client()


def test_the_body_and_query_are_validated_models(client: Any) -> None:
    assert client.post("/hello", json={"name": "ann"}).json == {"greeting": "hello ann"}
    assert client.post("/hello?shout=true", json={"name": "ann"}).json == {"greeting": "HELLO ANN"}


def test_invalid_input_is_its_400(client: Any) -> None:
    invalid = client.post("/hello", json={})
    assert invalid.status_code == 400
    assert invalid.json["validation_error"]["body_params"][0]["loc"] == ["name"]
