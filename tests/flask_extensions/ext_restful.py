"""Flask-RESTful's quick start (the todo API): resources, ``reqparse`` validation, ``abort``
with a message, ``marshal_with``, 404 help and its error router, which replaces the app's
``handle_user_exception`` and ``handle_exception`` (Flask's public error-handling methods) to
answer errors of its own endpoints in JSON.

Flask-RESTful calls a resource's methods directly (no ``ensure_sync``), so resources are
``def`` methods, in Flask as here; plain ``async def`` views beside them keep Flask's error
pages."""

# isort: off
import microflask.flask_patch  # noqa: F401  (first: from here on, flask is microflask)

# isort: on
from typing import Any

import pytest
from flask import Flask
from flask_restful import Api, Resource, abort, fields, marshal_with, reqparse

ITEM = {"id": fields.Integer, "task": fields.String, "uri": fields.Url("todo", absolute=False)}


def make_app() -> Flask:
    app = Flask(__name__)
    api = Api(app)
    todos: dict[int, dict[str, Any]] = {1: {"id": 1, "todo_id": 1, "task": "build an API"}}
    parser = reqparse.RequestParser()
    parser.add_argument("task", required=True, help="task is required")
    parser.add_argument("priority", type=int, location="args")

    class Todo(Resource):
        @marshal_with(ITEM)
        def get(self, todo_id: int) -> Any:
            if todo_id not in todos:
                abort(404, message=f"Todo {todo_id} doesn't exist")
            return todos[todo_id]

        def delete(self, todo_id: int) -> Any:
            todos.pop(todo_id, None)
            return "", 204

    class TodoList(Resource):
        def get(self) -> Any:
            return list(todos.values())

        def post(self) -> Any:
            args = parser.parse_args()
            todo_id = max(todos, default=0) + 1
            todos[todo_id] = {"id": todo_id, "todo_id": todo_id, "task": args["task"], "priority": args["priority"]}
            return todos[todo_id], 201, {"X-Created": str(todo_id)}

    class Broken(Resource):
        def get(self) -> Any:
            raise RuntimeError("resource failed")

    api.add_resource(TodoList, "/todos")
    api.add_resource(Todo, "/todos/<int:todo_id>", endpoint="todo")
    api.add_resource(Broken, "/broken")

    @app.route("/plain")
    async def plain() -> str:
        abort(409)
        return "unreachable"

    return app


@pytest.fixture
def client() -> Any:
    return make_app().test_client()


def test_resources_answer_json(client: Any) -> None:
    listed = client.get("/todos")
    assert (listed.status_code, listed.json) == (200, [{"id": 1, "todo_id": 1, "task": "build an API"}])
    one = client.get("/todos/1")
    assert one.json == {"id": 1, "task": "build an API", "uri": "/todos/1"}
    assert client.delete("/todos/1").status_code == 204
    assert client.get("/todos").json == []


def test_reqparse_reads_json_and_query_and_explains_errors(client: Any) -> None:
    made = client.post("/todos?priority=3", json={"task": "write tests"})
    assert (made.status_code, made.headers["x-created"]) == (201, "2")
    assert made.json == {"id": 2, "todo_id": 2, "task": "write tests", "priority": 3}
    missing = client.post("/todos", json={})
    assert (missing.status_code, missing.json) == (400, {"message": {"task": "task is required"}})
    bad_type = client.post("/todos?priority=high", json={"task": "x"})
    assert bad_type.status_code == 400 and "priority" in bad_type.json["message"]


def test_its_error_router_answers_its_endpoints_errors_in_json(client: Any) -> None:
    gone = client.get("/todos/7")
    assert (gone.status_code, gone.json) == (404, {"message": "Todo 7 doesn't exist"})
    assert gone.headers["content-type"] == "application/json"
    not_allowed = client.put("/todos/1")
    assert not_allowed.status_code == 405 and "message" in not_allowed.json


def test_unhandled_resource_errors_are_a_json_500() -> None:
    app = make_app()
    app.config["PROPAGATE_EXCEPTIONS"] = False
    broken = app.test_client().get("/broken")
    assert broken.status_code == 500
    assert broken.json == {"message": "Internal Server Error"}


def test_other_views_keep_the_apps_error_pages(client: Any) -> None:
    plain = client.get("/plain")
    assert plain.status_code == 409 and plain.headers["content-type"].startswith("text/html")
    nowhere = client.get("/nowhere")
    assert nowhere.status_code == 404 and nowhere.headers["content-type"].startswith("text/html")
