"""The request path of typed views: worked out once at freeze, then a thin wrapper per view.

:func:`collect` turns what a view declared (decorators and annotations) into
:class:`Operation`\\ s with their adapters built, and checks the view's annotations against
its URL converters. :func:`wrap_view` wraps the view, keeping it sync or async as it was, so
that each request reads and validates what the operation needs, calls the view with
``data=``/``query_args=``/``headers=``, and checks and serialises what it returns. A view that
declared nothing is returned as it is: it pays nothing per request.
"""

from __future__ import annotations

import functools
import inspect
import json
import typing
import uuid
from collections.abc import Callable, Mapping
from types import CoroutineType
from typing import Any

from starlette.datastructures import Headers
from starlette.responses import Response as StarletteResponse

from ..concurrency import is_async_callable
from ..converters import (
    AnyConverter,
    BaseConverter,
    FloatConverter,
    IntegerConverter,
    PathConverter,
    UnicodeConverter,
    UUIDConverter,
)
from ..globals import _cv_context
from ..httputil import status_code
from ..views import HTTP_METHOD_FUNCS, MethodView
from .adapters import ModelAdapter, ModelError, adapter_for, is_model, model_name
from .spec import RequestValidationError, ResponseValidationError, RouteSchema, route_schema

__all__ = ["Operation", "collect", "declared", "rule_variables", "view_functions", "wrap_view"]

#: The keyword arguments a view receives, as Quart-Schema's.
KWARGS = {"request": "data", "querystring": "query_args", "headers": "headers"}


def _hints(func: Any) -> dict[str, Any]:
    """The view's annotations, resolved (each one on its own where some cannot be)."""
    func = inspect.unwrap(func)
    try:
        return typing.get_type_hints(func)
    except Exception:
        pass
    hints: dict[str, Any] = {}
    namespace = getattr(func, "__globals__", {})
    for name, value in getattr(func, "__annotations__", {}).items():
        if isinstance(value, str):
            try:
                value = eval(value, namespace)  # the view's own annotation, as get_type_hints does
            except Exception:
                if name in KWARGS.values():
                    raise TypeError(
                        f"Cannot resolve the annotation {name}: {value} of {func.__qualname__}: define the model at"
                        " module level (or use the validate_* decorators)."
                    ) from None
                continue
        hints[name] = value
    return hints


def declared(func: Any) -> RouteSchema:
    """What ``func`` declares: its decorators, completed by its annotations (``data: Model``,
    ``query_args: Model``, ``headers: Model``, ``-> Model``). Decorators win."""
    spec = route_schema(func)
    merged = RouteSchema()
    if spec is not None:
        merged.__dict__.update(spec.__dict__)
        merged.responses = dict(spec.responses)
    hints = _hints(func)
    if merged.request is None and is_model(hints.get("data")):
        merged.request = (hints["data"], "json")
    if merged.querystring is None and is_model(hints.get("query_args")):
        merged.querystring = hints["query_args"]
    if merged.headers is None and is_model(hints.get("headers")):
        merged.headers = hints["headers"]
    # The return annotation is the success response, unless a decorator declared one (a 2xx).
    if not any(200 <= code < 300 for code in merged.responses) and is_model(hints.get("return")):
        merged.responses[200] = (hints["return"], None)
    return merged


def view_functions(view: Callable[..., Any]) -> dict[str | None, Any]:
    """The functions that handle ``view``'s requests: ``{None: view}``, or one per HTTP method
    for a :class:`MethodView` (``dispatch_request`` for another class-based view)."""
    cls = getattr(view, "view_class", None)
    if cls is None:
        return {None: view}
    if issubclass(cls, MethodView):
        return {name.upper(): getattr(cls, name) for name in sorted(HTTP_METHOD_FUNCS) if hasattr(cls, name)}
    return {None: cls.dispatch_request}


class Operation:
    """What one view function validates, with its adapters built (once, at freeze)."""

    __slots__ = ("body", "body_source", "default_status", "endpoint", "headers", "query", "responses", "spec")

    def __init__(self, spec: RouteSchema, endpoint: str) -> None:
        self.spec = spec
        self.endpoint = endpoint
        self.body: ModelAdapter | None = adapter_for(spec.request[0]) if spec.request else None
        self.body_source = spec.request[1] if spec.request else "json"
        self.query = adapter_for(spec.querystring) if spec.querystring is not None else None
        self.headers = adapter_for(spec.headers) if spec.headers is not None else None
        self.responses: dict[int, tuple[ModelAdapter | None, ModelAdapter | None]] = {
            code: (adapter_for(m) if m is not None else None, adapter_for(h) if h is not None else None)
            for code, (m, h) in spec.responses.items()
        }
        successes = [code for code in self.responses if 200 <= code < 300]
        #: the status of a value returned without one
        self.default_status = successes[0] if len(successes) == 1 and 200 not in self.responses else 200

    @property
    def reads_request(self) -> bool:
        return self.body is not None or self.query is not None or self.headers is not None


# -- URL variables against annotations ---------------------------------------------------
_CONVERTER_TYPES: tuple[tuple[type[BaseConverter], type], ...] = (
    (IntegerConverter, int),
    (FloatConverter, float),
    (UUIDConverter, uuid.UUID),
    (PathConverter, str),
    (AnyConverter, str),
    (UnicodeConverter, str),
)


def converter_type(converter: BaseConverter) -> type | None:
    """The Python type a built-in converter gives the view (None for a custom one)."""
    for cls, tp in _CONVERTER_TYPES:
        if type(converter) is cls:
            return tp
    return None


def rule_variables(rule: Any) -> list[tuple[str, BaseConverter]]:
    """The rule's variables in order, with their converters."""
    return [(name, conv) for name, conv in rule._parts if conv is not None]


def check_annotations(rule: Any, funcs: dict[str | None, Any]) -> None:
    """A URL variable annotated with another type than its converter gives is an error."""
    for func in funcs.values():
        hints = _hints(func)
        for name, converter in rule_variables(rule):
            expected = converter_type(converter)
            annotation = hints.get(name)
            if expected is None or not isinstance(annotation, type) or annotation is object:
                continue
            if annotation is not expected:
                raise TypeError(
                    f"The URL variable {name!r} of the rule {rule.rule!r} is converted to {expected.__name__},"
                    f" but {getattr(func, '__qualname__', func)} annotates it as {annotation.__name__}. Make them"
                    f" agree: change the converter (<int:{name}>, <float:{name}>, <uuid:{name}>, <path:{name}>)"
                    " or the annotation."
                )


def collect(endpoint: str, rules: list[Any], view: Callable[..., Any]) -> dict[str | None, Operation]:
    """The operations of ``view`` (those that declare something), after checking its annotations."""
    funcs = view_functions(view)
    for rule in rules:
        check_annotations(rule, funcs)
    ops: dict[str | None, Operation] = {}
    for method, func in funcs.items():
        spec = declared(func)
        if spec.declares_validation():
            ops[method] = Operation(spec, endpoint)
    return ops


# -- reading the request --------------------------------------------------------------
def _from_multi(values: Any, adapter: ModelAdapter) -> dict[str, Any]:
    """A MultiDict (query string, form) as the model's input: lists for list fields."""
    return {key: values.getlist(key) if key in adapter.multi_fields else values.get(key) for key in values}


def _from_headers(headers: Headers, adapter: ModelAdapter) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in headers.keys():
        name = key.lower().replace("-", "_")
        out[name] = headers.getlist(key) if name in adapter.multi_fields else headers[key]
    return out


def _validate(adapter: ModelAdapter, where: str, value: Any, errors: list[dict[str, Any]], json_body: bool) -> Any:
    try:
        return adapter.from_json(value) if json_body else adapter.from_mapping(value)
    except ModelError as e:
        for item in e.errors:
            item["loc"] = [where, *item["loc"]]
        errors.extend(e.errors)
        return None


def _read_mappings(op: Operation, request: Any, kwargs: dict[str, Any], errors: list[dict[str, Any]]) -> None:
    if op.query is not None:
        kwargs["query_args"] = _validate(op.query, "query", _from_multi(request.args, op.query), errors, False)
    if op.headers is not None:
        kwargs["headers"] = _validate(op.headers, "header", _from_headers(request.headers, op.headers), errors, False)


def _read_body(op: Operation, body: Any, kwargs: dict[str, Any], errors: list[dict[str, Any]]) -> None:
    assert op.body is not None
    if op.body_source == "form":
        kwargs["data"] = _validate(op.body, "body", _from_multi(body, op.body), errors, False)
    elif not body:
        errors.append({"loc": ["body"], "msg": "Field required", "type": "missing"})
    else:
        kwargs["data"] = _validate(op.body, "body", body, errors, True)


# -- the response ---------------------------------------------------------------------
def _split(rv: Any) -> tuple[Any, Any, Any]:
    """(value, status, headers) of what a view returned (as ``make_response`` reads a tuple)."""
    if type(rv) is not tuple:
        return rv, None, None
    if len(rv) == 3:
        return rv
    if len(rv) == 2:
        if isinstance(rv[1], Headers | Mapping | list):
            return rv[0], None, rv[1]
        return rv[0], rv[1], None
    return rv, None, None  # make_response explains the bad tuple


def _is_instance_of_model(value: Any) -> bool:
    return is_model(type(value))


def respond(op: Operation, rv: Any, response_class: type) -> Any:
    """Check and serialise ``rv`` with the model declared for its status."""
    value, status, headers = _split(rv)
    if isinstance(value, StarletteResponse):
        return rv
    if status is None:  # 200, or the one success status declared (@validate_response(Todo, 201))
        code = op.default_status
    else:
        code = status_code(status)
    model, headers_model = op.responses.get(code, (None, None))
    if model is None:
        if not _is_instance_of_model(value):
            return rv
        model = adapter_for(type(value))  # type: ignore[arg-type]  # an undeclared status: still sent as JSON
    try:
        body = model.to_json(value)
    except ModelError as e:
        raise ResponseValidationError(op.endpoint, code, model.name, e.errors) from None
    if headers_model is not None and headers is not None:
        try:
            if isinstance(headers, Mapping):  # header values are text: converted as a query string is
                headers = headers_model.from_mapping(dict(headers))
            values = json.loads(headers_model.to_json(headers))
        except ModelError as e:
            raise ResponseValidationError(op.endpoint, code, f"{headers_model.name} (headers)", e.errors) from None
        headers = {key.replace("_", "-"): str(v) for key, v in values.items() if v is not None}
    response = response_class(body, code, mimetype="application/json")
    return (response, headers) if headers else response


# -- the wrapper ----------------------------------------------------------------------
def wrap_view(view: Callable[..., Any], ops: dict[str | None, Operation], is_async: bool) -> Callable[..., Any]:
    """``view`` with validation around it; ``is_async`` keeps it the kind of view it was."""
    if not ops:
        return view
    by_method = None not in ops
    single = ops.get(None)

    def operation(request: Any) -> Operation | None:
        if not by_method:
            return single
        method = request.method
        return ops.get(method) or (ops.get("GET") if method == "HEAD" else None)

    if is_async:

        @functools.wraps(view)
        async def typed_view(**kwargs: Any) -> Any:
            ctx = _cv_context.get()
            request: Any = ctx.request
            op = operation(request)
            if op is not None and op.reads_request:
                errors: list[dict[str, Any]] = []
                _read_mappings(op, request, kwargs, errors)
                if op.body is not None:
                    body = await (request.form if op.body_source == "form" else request.body())
                    _read_body(op, body, kwargs, errors)
                if errors:
                    raise RequestValidationError(errors)
            rv = view(**kwargs)
            while type(rv) is CoroutineType or inspect.isawaitable(rv):
                rv = await rv
            if op is not None and op.responses:
                rv = respond(op, rv, ctx.app.response_class)
            return rv

        return typed_view

    @functools.wraps(view)
    def typed_sync_view(**kwargs: Any) -> Any:
        ctx = _cv_context.get()
        request: Any = ctx.request
        op = operation(request)
        if op is not None and op.reads_request:
            errors: list[dict[str, Any]] = []
            _read_mappings(op, request, kwargs, errors)
            if op.body is not None:
                # On the request's worker thread, these read the body through the event loop.
                _read_body(op, request.form if op.body_source == "form" else request.get_data(), kwargs, errors)
            if errors:
                raise RequestValidationError(errors)
        rv = view(**kwargs)
        if op is not None and op.responses:
            rv = respond(op, rv, ctx.app.response_class)
        return rv

    return typed_sync_view


def view_is_async(view: Callable[..., Any]) -> bool:
    """As the app decides it: async, or a sync Flask-style decorator around an async view."""
    return is_async_callable(view) or is_async_callable(inspect.unwrap(view))


__all__ += ["check_annotations", "converter_type", "model_name", "respond", "view_is_async"]
