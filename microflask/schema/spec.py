"""What a view declares: the decorators, with Quart-Schema's names, and the errors they lead to.

The decorators only record what they are given on the view function (a :class:`RouteSchema`
in its ``__microflask_schema__`` attribute) and return the function itself, unwrapped: a sync
view stays sync, an async one async, and they stack in any order, above or below ``@route``.
The work (reading the body, validating, serialising) is wired in once, when the app freezes
(see ``runtime.py``), and only for the views that declared something.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Callable, Mapping
from typing import Any, ParamSpec, Protocol, TypeVar

from ..exceptions import HTTPException
from ..wrappers import Response
from .adapters import is_model

__all__ = [
    "DataSource",
    "RequestValidationError",
    "ResponseValidationError",
    "RouteSchema",
    "deprecated",
    "hide",
    "operation_id",
    "route_schema",
    "security",
    "tag",
    "validate_headers",
    "validate_querystring",
    "validate_request",
    "validate_response",
]

F = TypeVar("F", bound=Callable[..., Any])
P = ParamSpec("P")


#: What the schema decorators give: the view with its parameters, returning Any to a type checker,
#: since a typed view may return a model instance (serialised by the schema layer) where
#: ``@app.route`` otherwise wants a response value.
class SchemaDecorator(Protocol):
    def __call__(self, func: Callable[P, Any], /) -> Callable[P, Any]: ...


ATTR = "__microflask_schema__"


class DataSource(enum.StrEnum):
    """Where ``@validate_request`` reads the body from (Quart-Schema's name)."""

    JSON = "json"
    FORM = "form"


class RouteSchema:
    """What one view function declared (all optional)."""

    def __init__(self) -> None:
        #: (model, "json" or "form")
        self.request: tuple[Any, str] | None = None
        self.querystring: Any = None
        self.headers: Any = None
        #: status code -> (model or None, headers model or None)
        self.responses: dict[int, tuple[Any, Any]] = {}
        self.tags: list[str] | None = None
        self.deprecated = False
        self.hidden = False
        self.security: list[dict[str, list[str]]] | None = None
        self.operation_id: str | None = None

    def declares_validation(self) -> bool:
        return bool(self.request or self.querystring or self.headers or self.responses)


def route_schema(func: Any) -> RouteSchema | None:
    """What ``func`` declared with the decorators (None if nothing)."""
    return getattr(func, ATTR, None)


def _schema_of(func: Any) -> RouteSchema:
    spec = func.__dict__.get(ATTR) if hasattr(func, "__dict__") else None
    if spec is None:
        spec = RouteSchema()
        setattr(func, ATTR, spec)
    return spec


def _check_model(model: Any, decorator: str) -> None:
    if not is_model(model):
        raise TypeError(
            f"@{decorator}() needs a model (a pydantic BaseModel, a msgspec Struct, a dataclass, or a"
            f" list of one), not {model!r}."
        )


def validate_request(model: Any, *, source: DataSource | str = DataSource.JSON) -> SchemaDecorator:
    """Validate the request body against ``model`` and pass it to the view as ``data=``.

    ``source="json"`` (the default) reads a JSON body; ``source="form"`` a form
    (``application/x-www-form-urlencoded`` or ``multipart/form-data``). A body that does not
    validate is answered 422 (see :class:`RequestValidationError`).
    """
    _check_model(model, "validate_request")
    kind = DataSource(source).value

    def decorator(func: F) -> F:
        _schema_of(func).request = (model, kind)
        return func

    return decorator


def validate_querystring(model: Any) -> SchemaDecorator:
    """Validate the query string against ``model`` and pass it as ``query_args=``.

    Values are converted from text (``?page=2`` fills an ``int``); a field typed as a list
    takes every value of a repeated key (``?tag=a&tag=b``).
    """
    _check_model(model, "validate_querystring")

    def decorator(func: F) -> F:
        _schema_of(func).querystring = model
        return func

    return decorator


def validate_headers(model: Any) -> SchemaDecorator:
    """Validate the request headers against ``model`` and pass them as ``headers=``.

    A header matches the field named after it in lower case with ``-`` as ``_``
    (``X-Request-Id`` fills ``x_request_id``).
    """
    _check_model(model, "validate_headers")

    def decorator(func: F) -> F:
        _schema_of(func).headers = model
        return func

    return decorator


def validate_response(model: Any, status_code: int = 200, headers: Any = None) -> SchemaDecorator:
    """Check and serialise what the view returns for ``status_code`` against ``model``.

    The view may return a model instance, a ``dict`` (or list) that the model accepts, or a
    tuple ``(value, status)``, ``(value, headers)`` or ``(value, status, headers)``. Stack the
    decorator for several status codes. ``headers`` is an optional model for the response
    headers. A value that does not fit the model is the server's bug: a 500, logged with the
    model and the field (:class:`ResponseValidationError`).
    """
    if model is not None:
        _check_model(model, "validate_response")
    if headers is not None:
        _check_model(headers, "validate_response")
    code = int(status_code)

    def decorator(func: F) -> F:
        _schema_of(func).responses[code] = (model, headers)
        return func

    return decorator


def tag(*tags: str) -> SchemaDecorator:
    """Group the operation under these tags in the OpenAPI document (default: its blueprint)."""

    def decorator(func: F) -> F:
        spec = _schema_of(func)
        spec.tags = [*(spec.tags or ()), *tags]
        return func

    return decorator


def deprecated(func: F) -> F:
    """Mark the operation as deprecated in the OpenAPI document."""
    _schema_of(func).deprecated = True
    return func


def hide(func: F) -> F:
    """Leave the route out of the OpenAPI document (it still validates what it declares)."""
    _schema_of(func).hidden = True
    return func


def security(*requirements: str | Mapping[str, list[str]]) -> SchemaDecorator:
    """The security schemes the operation needs: ``@security("bearer")`` or
    ``@security({"oauth": ["read"]})``; the schemes are declared on :class:`OpenAPI`.
    Several arguments are alternatives (any one of them suffices). ``@security()`` with no
    argument marks the operation as public when the document has a default."""

    def decorator(func: F) -> F:
        items: list[dict[str, list[str]]] = [
            {r: []} if isinstance(r, str) else {k: list(v) for k, v in r.items()} for r in requirements
        ]
        _schema_of(func).security = items
        return func

    return decorator


def operation_id(value: str) -> SchemaDecorator:
    """Override the operation's ``operationId`` (by default its endpoint)."""

    def decorator(func: F) -> F:
        _schema_of(func).operation_id = value
        return func

    return decorator


class RequestValidationError(HTTPException):
    """The request did not validate: answered 422 with FastAPI's body,
    ``{"detail": [{"loc": ["body", "title"], "msg": "Field required", "type": "missing"}]}``.

    ``errors`` holds the items. Handle it to answer otherwise:
    ``@app.errorhandler(RequestValidationError)``.
    """

    code = 422
    description = "The request did not validate."

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        body = json.dumps({"detail": errors}, separators=(",", ":"), ensure_ascii=False).encode()
        super().__init__(response=Response(body, self.code, mimetype="application/json"))
        self.errors = errors

    def get_json_body(self) -> dict[str, Any]:
        return {"detail": self.errors}


class ResponseValidationError(Exception):
    """A view returned data its response model rejects: the server's bug, answered 500 and
    logged with the endpoint, the status, the model and the fields."""

    def __init__(self, endpoint: str | None, status: int | None, model_name: str, errors: list[dict[str, Any]]) -> None:
        fields = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or '(root)'}: {e['msg']}" for e in errors)
        where = f"The response of {endpoint!r}" + (f" for status {status}" if status is not None else "")
        super().__init__(f"{where} does not match {model_name}: {fields}")
        self.endpoint = endpoint
        self.status = status
        self.model_name = model_name
        self.errors = errors
