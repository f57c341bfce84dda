"""Flask-RESTX's quick start: an ``Api`` with a namespace of ``Resource`` classes, models with
``marshal_with``/``marshal_list_with``, ``expect(..., validate=True)`` (its 400 on an invalid
body), ``abort(404, ...)`` through its error router (it replaces the app's
``handle_user_exception`` and ``handle_exception``), and its Swagger document and page.
Resources are ``def``: Flask-RESTX calls their methods directly, in Flask too."""

# isort: off
import microflask.flask_patch  # noqa: F401  (first: from here on, flask is microflask)

# isort: on
from typing import Any

import pytest
from flask import Flask
from flask_restx import Api, Resource, abort, fields


@pytest.fixture
def client() -> Any:
    app = Flask(__name__)
    api = Api(app, title="Todos", version="1.0")
    ns = api.namespace("todos")
    todo = api.model("Todo", {"id": fields.Integer(readonly=True), "task": fields.String(required=True)})
    todos: dict[int, dict[str, Any]] = {1: {"id": 1, "task": "write docs"}}

    @ns.route("/")
    class TodoList(Resource):
        @ns.marshal_list_with(todo)
        def get(self) -> Any:
            return list(todos.values())

        @ns.expect(todo, validate=True)
        @ns.marshal_with(todo, code=201)
        def post(self) -> Any:
            todo_id = max(todos) + 1
            todos[todo_id] = {"id": todo_id, **api.payload}
            return todos[todo_id], 201

    @ns.route("/<int:todo_id>")
    class Todo(Resource):
        @ns.marshal_with(todo)
        def get(self, todo_id: int) -> Any:
            if todo_id not in todos:
                abort(404, "no such todo")
            return todos[todo_id]

    return app.test_client()


def test_resources_marshal_their_models(client: Any) -> None:
    assert client.get("/todos/").json == [{"id": 1, "task": "write docs"}]
    made = client.post("/todos/", json={"task": "test"})
    assert (made.status_code, made.json) == (201, {"id": 2, "task": "test"})
    assert client.get("/todos/2").json == {"id": 2, "task": "test"}


def test_errors_go_through_its_router(client: Any) -> None:
    invalid = client.post("/todos/", json={})
    assert invalid.status_code == 400 and "task" in invalid.json["errors"]
    missing = client.get("/todos/9")
    assert missing.status_code == 404 and missing.json["message"].startswith("no such todo")


def test_its_swagger_document_and_page(client: Any) -> None:
    spec = client.get("/swagger.json").json
    assert spec["info"]["title"] == "Todos" and "/todos/{todo_id}" in spec["paths"]
    page = client.get("/")
    assert page.status_code == 200 and "swagger" in page.text.lower()
