"""A typed todo API: pydantic models validate requests and responses, /openapi.json describes
it, /docs serves Swagger UI and /redoc ReDoc (both offline). CRUD, query-string filtering,
pagination, bearer auth on writes, a blueprint.

Run it: ``uvicorn app:app --reload`` in this folder, then open http://127.0.0.1:8000/docs.
"""

from __future__ import annotations

import secrets
from typing import Any

from pydantic import BaseModel, Field

from microflask import Blueprint, MicroFlask, current_app, request
from microflask.schema import OpenAPI, security, validate_querystring, validate_request, validate_response


# -- models ---------------------------------------------------------------------------
class TodoIn(BaseModel):
    """A todo as a client sends it."""

    title: str = Field(min_length=1, max_length=200)
    done: bool = False
    tags: list[str] = Field(default_factory=list, max_length=10)


class TodoPatch(BaseModel):
    """The fields to change (all optional)."""

    title: str | None = Field(default=None, min_length=1, max_length=200)
    done: bool | None = None
    tags: list[str] | None = Field(default=None, max_length=10)


class Todo(TodoIn):
    """A stored todo."""

    id: int


class ListArgs(BaseModel):
    """Filters and pagination: ``?done=false&tag=home&q=milk&page=2&per_page=10``."""

    done: bool | None = None
    tag: str | None = None
    q: str | None = Field(default=None, max_length=100)
    page: int = Field(default=1, ge=1)
    per_page: int = Field(default=20, ge=1, le=100)


class TodoPage(BaseModel):
    """One page of todos."""

    items: list[Todo]
    total: int
    page: int
    per_page: int


class Error(BaseModel):
    """What goes wrong, in a sentence."""

    message: str


# -- the store: in memory, one per app ------------------------------------------------
class Store:
    def __init__(self) -> None:
        self.todos: dict[int, Todo] = {}
        self.next_id = 1

    def add(self, data: TodoIn) -> Todo:
        todo = Todo(id=self.next_id, **data.model_dump())
        self.todos[todo.id] = todo
        self.next_id += 1
        return todo


def store() -> Store:
    return current_app.extensions["todo_store"]  # type: ignore[no-any-return]


# -- the API ---------------------------------------------------------------------------
todos = Blueprint("todos", __name__, url_prefix="/todos")
WRITES = {"POST", "PUT", "PATCH", "DELETE"}


@todos.before_request
async def require_token() -> Any:
    """Writes need ``Authorization: Bearer <API_TOKEN>``; reads are public."""
    if request.method not in WRITES:
        return None
    expected = f"Bearer {current_app.config['API_TOKEN']}"
    if not secrets.compare_digest(request.headers.get("authorization", ""), expected):
        return {"message": "A valid bearer token is required."}, 401, {"WWW-Authenticate": "Bearer"}
    return None


@todos.get("/")
@validate_querystring(ListArgs)
async def list_todos(query_args: ListArgs) -> TodoPage:
    """List todos, filtered and paginated."""
    found = [
        todo
        for todo in store().todos.values()
        if (query_args.done is None or todo.done == query_args.done)
        and (query_args.tag is None or query_args.tag in todo.tags)
        and (query_args.q is None or query_args.q.lower() in todo.title.lower())
    ]
    start = (query_args.page - 1) * query_args.per_page
    return TodoPage(
        items=found[start : start + query_args.per_page],
        total=len(found),
        page=query_args.page,
        per_page=query_args.per_page,
    )


@todos.post("/")
@validate_request(TodoIn)
@validate_response(Todo, 201)
@validate_response(Error, 401)
@security("bearer")
async def create_todo(data: TodoIn) -> tuple[Todo, int, dict[str, str]]:
    """Create a todo.

    Answers 201 with the new todo and its URL in ``Location``.
    """
    todo = store().add(data)
    return todo, 201, {"Location": f"/todos/{todo.id}"}


@todos.get("/<int:todo_id>")
@validate_response(Todo)
@validate_response(Error, 404)
async def get_todo(todo_id: int) -> Any:
    """Read one todo."""
    todo = store().todos.get(todo_id)
    if todo is None:
        return Error(message=f"No todo {todo_id}."), 404
    return todo


@todos.patch("/<int:todo_id>")
@validate_request(TodoPatch)
@validate_response(Todo)
@validate_response(Error, 404)
@validate_response(Error, 401)
@security("bearer")
async def update_todo(todo_id: int, data: TodoPatch) -> Any:
    """Change some fields of a todo."""
    todo = store().todos.get(todo_id)
    if todo is None:
        return Error(message=f"No todo {todo_id}."), 404
    changed = todo.model_copy(update=data.model_dump(exclude_unset=True, exclude_none=True))
    store().todos[todo_id] = changed
    return changed


@todos.delete("/<int:todo_id>")
@validate_response(None, 204)
@validate_response(Error, 404)
@validate_response(Error, 401)
@security("bearer")
async def delete_todo(todo_id: int) -> Any:
    """Delete a todo."""
    if store().todos.pop(todo_id, None) is None:
        return Error(message=f"No todo {todo_id}."), 404
    return "", 204


def create_app(config: dict[str, Any] | None = None) -> MicroFlask:
    """The app; ``config`` overrides the defaults (``API_TOKEN``: the bearer token for writes)."""
    app = MicroFlask(__name__)
    app.config["API_TOKEN"] = "change-me"
    app.config.from_prefixed_env("TODO")
    app.config.update(config or {})
    app.extensions["todo_store"] = Store()
    OpenAPI(
        app,
        title="Todo API",
        version="1.0",
        description="A typed todo API built with microflask.schema.",
        security_schemes={"bearer": "bearer"},
        tags=[{"name": "todos", "description": "Create, list, change and delete todos."}],
    )
    app.register_blueprint(todos)

    @app.get("/health")
    async def health() -> dict[str, str]:
        """Liveness: no model, still in the document."""
        return {"status": "ok"}

    return app


app = create_app()
