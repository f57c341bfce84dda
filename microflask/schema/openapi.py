"""The OpenAPI 3.1 document of an app, and :class:`OpenAPI`, the extension that serves it.

``OpenAPI(app, title="Todo API", version="1.0")`` (or ``api = OpenAPI(...)`` then
``api.init_app(app)`` in a factory) does three things:

- it registers a view wrapper on the app (``app.view_wrappers``), so that when the app freezes
  every view that declared a model (by decorator or annotation) gets its validation wired in
  once; views that declared nothing are left as they are;
- while doing so, it builds the document: every route and method, path parameters from the
  Flask converters, request body, query and header schemas, responses by status,
  ``operationId``, tags, summary and description, ``deprecated``, security;
- it serves the document at ``/openapi.json``, and the interactive docs at ``/docs`` (Swagger
  UI) and ``/redoc`` (ReDoc), see ``docs.py``.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import Any

from ..converters import AnyConverter, BaseConverter, FloatConverter, IntegerConverter, PathConverter, UUIDConverter
from ..wrappers import Response
from .adapters import ModelAdapter, adapter_for
from .docs import register_docs
from .runtime import collect, declared, rule_variables, view_functions, view_is_async, wrap_view
from .spec import RouteSchema, hide

__all__ = ["OpenAPI"]

REF = "#/components/schemas/{name}"
_VALIDATION_ERROR = {
    "title": "ValidationError",
    "type": "object",
    "properties": {
        "loc": {"title": "Location", "type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}},
        "msg": {"title": "Message", "type": "string"},
        "type": {"title": "Error Type", "type": "string"},
    },
    "required": ["loc", "msg", "type"],
}
_HTTP_VALIDATION_ERROR = {
    "title": "HTTPValidationError",
    "type": "object",
    "properties": {
        "detail": {"title": "Detail", "type": "array", "items": {"$ref": REF.format(name="ValidationError")}}
    },
}
_SHORTHAND_SCHEMES = {
    "bearer": {"type": "http", "scheme": "bearer"},
    "basic": {"type": "http", "scheme": "basic"},
}


def converter_schema(converter: BaseConverter) -> dict[str, Any]:
    """The JSON Schema of a URL variable, from its converter."""
    if isinstance(converter, IntegerConverter):
        schema: dict[str, Any] = {"type": "integer"}
    elif isinstance(converter, FloatConverter):
        schema = {"type": "number"}
    elif isinstance(converter, UUIDConverter):
        return {"type": "string", "format": "uuid"}
    elif isinstance(converter, AnyConverter):
        return {"type": "string", "enum": sorted(converter.items)}
    elif isinstance(converter, PathConverter):
        return {"type": "string", "format": "path"}
    else:
        return {"type": "string"}
    low, high = getattr(converter, "min", None), getattr(converter, "max", None)
    if low is not None:
        schema["minimum"] = low
    elif not getattr(converter, "signed", False):
        schema["minimum"] = 0
    if high is not None:
        schema["maximum"] = high
    return schema


def openapi_path(rule: Any) -> str:
    """``/todos/<int:id>`` as ``/todos/{id}``."""
    return "".join(text if conv is None else "{" + text + "}" for text, conv in rule._parts)


def _summary(func: Any, fallback: Any = None) -> tuple[str | None, str | None]:
    doc = inspect.getdoc(func) or (inspect.getdoc(fallback) if fallback is not None else None)
    if not doc:
        return None, None
    first, _, rest = doc.strip().partition("\n\n")
    return " ".join(first.split()), (rest.strip() or None)


class _Document:
    """One app's document, filled while the app freezes (see :meth:`OpenAPI.init_app`)."""

    def __init__(self, api: OpenAPI, app: Any) -> None:
        self.api = api
        self.app = app
        self.paths: dict[str, dict[str, Any]] = {}
        self.schemas: dict[str, Any] = {}
        self.tags: set[str] = set()
        self._json: bytes | None = None
        self._rules: dict[str, list[Any]] | None = None
        #: the model first named so in the document (to tell its output schema from a namesake's)
        self._owners: dict[str, Any] = {}

    # -- at freeze: wrap each view, and describe it ----------------------------------------
    def wrap(self, app: Any, rule: Any, view: Callable[..., Any]) -> Callable[..., Any]:
        if rule.websocket:
            return view
        if self._rules is None or rule.endpoint not in self._rules:
            self._rules = {}
            for r in app.url_map:
                self._rules.setdefault(r.endpoint, []).append(r)
        rules = self._rules[rule.endpoint]
        ops = collect(rule.endpoint, rules, view)
        self._describe(rule.endpoint, rules, view)
        self._json = None
        return wrap_view(view, ops, view_is_async(view))

    def _schema(self, adapter: ModelAdapter, mode: str = "validation") -> dict[str, Any]:
        schema, defs = adapter.json_schema(REF, mode)
        renames = {}
        for name, definition in defs.items():
            if name in self.schemas and self.schemas[name] != definition:
                # Another model of the same name (from another module, or another library), or
                # what a model sends differing from what it accepts (a computed field): this one
                # gets the next free name ("TodoOutput", "Item2"), and its references follow.
                same_model = self._owners.get(name) is adapter.base
                candidates = [f"{name}Output"] if mode == "serialization" and same_model else []
                candidates += [f"{name}{number}" for number in range(2, len(self.schemas) + 3)]
                new = next(c for c in candidates if c not in self.schemas or self.schemas[c] == definition)
                renames[REF.format(name=name)] = REF.format(name=new)
        if renames:
            text = json.dumps([schema, defs])
            for old, new in renames.items():
                text = text.replace(json.dumps(old), json.dumps(new))
            schema, defs = json.loads(text)
            defs = {renames.get(REF.format(name=n), REF.format(name=n)).rsplit("/", 1)[-1]: d for n, d in defs.items()}
        self.schemas.update(defs)
        self._owners.setdefault(getattr(adapter.base, "__name__", ""), adapter.base)
        return schema

    def _object_schema(self, adapter: ModelAdapter) -> dict[str, Any]:
        schema = self._schema(adapter)
        if "$ref" in schema:
            return self.schemas.get(schema["$ref"].rsplit("/", 1)[-1], {})  # type: ignore[no-any-return]
        return schema

    def _parameters(self, adapter: ModelAdapter, where: str) -> list[dict[str, Any]]:
        schema = self._object_schema(adapter)
        required = set(schema.get("required", ()))
        out = []
        for name, prop in schema.get("properties", {}).items():
            param: dict[str, Any] = {
                "name": name.replace("_", "-") if where == "header" else name,
                "in": where,
                "required": name in required,
                "schema": prop,
            }
            if isinstance(prop, dict) and prop.get("description"):
                param["description"] = prop["description"]
            if where == "query" and isinstance(prop, dict) and prop.get("type") == "array":
                param["style"], param["explode"] = "form", True
            out.append(param)
        return out

    def _describe(self, endpoint: str, rules: list[Any], view: Callable[..., Any]) -> None:
        funcs = view_functions(view)
        class_doc = getattr(view, "view_class", None)
        specs = {method: declared(func) for method, func in funcs.items()}
        if all(spec.hidden for spec in specs.values()):
            return
        if endpoint == "static" or endpoint.endswith(".static"):
            return
        for index, rule in enumerate(rules):
            methods = sorted(m for m in rule.methods if m not in ("HEAD", "OPTIONS"))
            if not methods:
                continue
            item = self.paths.setdefault(openapi_path(rule), {})
            path_params = [
                {"name": name, "in": "path", "required": True, "schema": converter_schema(conv)}
                for name, conv in rule_variables(rule)
            ]
            for method in methods:
                key = method if method in funcs else None  # a MethodView's method, or the one view
                if key not in funcs:
                    continue
                spec, func = specs[key], funcs[key]
                if spec.hidden:
                    continue
                op_id = spec.operation_id or endpoint
                if len(methods) > 1 and not spec.operation_id:
                    op_id = f"{op_id}_{method.lower()}"
                if index:
                    op_id = f"{op_id}_{index}"
                item[method.lower()] = self._operation(endpoint, op_id, spec, func, class_doc, path_params)

    def _operation(
        self,
        endpoint: str,
        op_id: str,
        spec: RouteSchema,
        func: Any,
        view_class: Any,
        path_params: list[dict[str, Any]],
    ) -> dict[str, Any]:
        op: dict[str, Any] = {"operationId": op_id}
        summary, description = _summary(func, view_class)
        if summary:
            op["summary"] = summary
        if description:
            op["description"] = description
        tags = spec.tags if spec.tags is not None else ([endpoint.rsplit(".", 1)[0]] if "." in endpoint else [])
        if tags:
            op["tags"] = list(tags)
            self.tags.update(tags)
        if spec.deprecated:
            op["deprecated"] = True
        params = list(path_params)
        if spec.querystring is not None:
            params += self._parameters(adapter_for(spec.querystring), "query")
        if spec.headers is not None:
            params += self._parameters(adapter_for(spec.headers), "header")
        if params:
            op["parameters"] = params
        if spec.request is not None:
            model, source = spec.request
            media = "application/json" if source == "json" else "application/x-www-form-urlencoded"
            op["requestBody"] = {"required": True, "content": {media: {"schema": self._schema(adapter_for(model))}}}
        responses: dict[str, Any] = {}
        for code, (model, headers_model) in sorted(spec.responses.items()):
            entry: dict[str, Any] = {"description": _phrase(code)}
            if model is not None:
                entry["content"] = {"application/json": {"schema": self._schema(adapter_for(model), "serialization")}}
            if headers_model is not None:
                entry["headers"] = {
                    p["name"]: {"schema": p["schema"], "required": p["required"]}
                    for p in self._parameters(adapter_for(headers_model), "header")
                }
            responses[str(code)] = entry
        if not responses:
            responses["200"] = {"description": "Successful response"}
        if spec.request is not None or spec.querystring is not None or spec.headers is not None:
            self.schemas["ValidationError"] = _VALIDATION_ERROR
            self.schemas["HTTPValidationError"] = _HTTP_VALIDATION_ERROR
            responses.setdefault(
                "422",
                {
                    "description": "Validation Error",
                    "content": {"application/json": {"schema": {"$ref": REF.format(name="HTTPValidationError")}}},
                },
            )
        op["responses"] = responses
        if spec.security is not None:
            for requirement in spec.security:
                for name in requirement:
                    if name not in self.api.security_schemes:
                        raise LookupError(
                            f"@security({name!r}) on {endpoint!r}: no such scheme. Declare it with"
                            f" OpenAPI(app, security_schemes={{{name!r}: ...}})."
                        )
            op["security"] = spec.security
        return op

    # -- the document -------------------------------------------------------------------
    def document(self) -> dict[str, Any]:
        api = self.api
        info: dict[str, Any] = {"title": api.title, "version": api.version}
        if api.description:
            info["description"] = api.description
        doc: dict[str, Any] = {"openapi": "3.1.0", "info": info}
        if api.servers:
            doc["servers"] = [{"url": s} if isinstance(s, str) else dict(s) for s in api.servers]
        doc["paths"] = {path: self.paths[path] for path in sorted(self.paths) if self.paths[path]}
        components: dict[str, Any] = {}
        if self.schemas:
            components["schemas"] = {name: self.schemas[name] for name in sorted(self.schemas)}
        if api.security_schemes:
            components["securitySchemes"] = dict(api.security_schemes)
        if components:
            doc["components"] = components
        if api.security:
            doc["security"] = api.security
        described = {t["name"]: t for t in api.tags}
        names = sorted(self.tags | set(described))
        if names:
            doc["tags"] = [described.get(name, {"name": name}) for name in names]
        return doc

    def document_json(self) -> bytes:
        if self._json is None:
            self._json = json.dumps(self.document(), ensure_ascii=False, default=str).encode()
        return self._json


def _phrase(code: int) -> str:
    try:
        return HTTPStatus(code).phrase
    except ValueError:
        return f"Status {code}"


class OpenAPI:
    """Typed APIs for an app: validation wired in at freeze, ``/openapi.json``, ``/docs``, ``/redoc``.

    ``security_schemes`` maps a name to an OpenAPI security scheme (``"bearer"`` and
    ``"basic"`` are shorthands for the HTTP ones), used with ``@security(name)``; ``security``
    is the document's default requirement. ``openapi_path``, ``docs_path`` (Swagger UI) and
    ``redoc_path`` (ReDoc), their assets served from the installed packages, may be None to
    serve nothing there; validation works all the same.
    """

    def __init__(
        self,
        app: Any = None,
        *,
        title: str = "API",
        version: str = "0.1.0",
        description: str | None = None,
        openapi_path: str | None = "/openapi.json",
        docs_path: str | None = "/docs",
        swagger_ui_parameters: Mapping[str, Any] | None = None,
        redoc_path: str | None = "/redoc",
        redoc_options: Mapping[str, Any] | None = None,
        security_schemes: Mapping[str, Any] | None = None,
        security: list[Mapping[str, list[str]]] | None = None,
        servers: list[str | Mapping[str, Any]] | None = None,
        tags: list[Mapping[str, Any]] | None = None,
    ) -> None:
        self.title = title
        self.version = version
        self.description = description
        self.openapi_path = openapi_path
        self.docs_path = docs_path
        #: Swagger UI's configuration (``{"docExpansion": "none"}``), merged into the page's defaults.
        self.swagger_ui_parameters = dict(swagger_ui_parameters or {})
        self.redoc_path = redoc_path
        #: ReDoc's options (``{"hideDownloadButtons": True}``), merged into the page's defaults.
        self.redoc_options = dict(redoc_options or {})
        self.security_schemes = {
            name: _SHORTHAND_SCHEMES[s] if isinstance(s, str) else dict(s)
            for name, s in (security_schemes or {}).items()
        }
        self.security = [dict(r) for r in security] if security else None
        self.servers = list(servers or ())
        self.tags = [dict(t) for t in tags or ()]
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Any) -> None:
        """Register on ``app`` (before it serves): the view wrapper, and the document's routes."""
        if "microflask.schema" in app.extensions:
            raise RuntimeError("microflask.schema is already registered on this app: call OpenAPI(app) once.")
        document = _Document(self, app)
        app.extensions["microflask.schema"] = document
        app.view_wrappers.append(document.wrap)
        if self.openapi_path:

            @hide
            async def openapi_json() -> Response:
                return Response(document.document_json(), mimetype="application/json")

            app.add_url_rule(self.openapi_path, endpoint="openapi_json", view_func=openapi_json)
        register_docs(app, self)

    @staticmethod
    def document(app: Any) -> dict[str, Any]:
        """The document of ``app`` (it is complete once the app has frozen)."""
        app._ensure_setup()
        return app.extensions["microflask.schema"].document()  # type: ignore[no-any-return]
