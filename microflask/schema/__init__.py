"""Typed APIs: request and response validation from models, OpenAPI 3.1, docs served offline.

Install the ``api`` extra (``pip install 'microflask[api]'``: pydantic v2 and msgspec), then::

    from microflask.schema import OpenAPI, validate_request, validate_response

    app = MicroFlask(__name__)
    OpenAPI(app, title="Todo API", version="1.0")

    @app.post("/todos")
    @validate_request(TodoIn)
    @validate_response(Todo, 201)
    async def create(data: TodoIn) -> tuple[Todo, int]:
        ...

Annotations work as the decorators: ``async def create(data: TodoIn) -> Todo``. This package
sits below the app in the layers: the app knows nothing of it; :class:`OpenAPI` registers a
view wrapper on the app (``app.view_wrappers``), applied once when the app freezes.
"""

from __future__ import annotations

from .adapters import ModelAdapter, ModelError, adapter_for, is_model
from .openapi import OpenAPI
from .spec import (
    DataSource,
    RequestValidationError,
    ResponseValidationError,
    deprecated,
    hide,
    operation_id,
    security,
    tag,
    validate_headers,
    validate_querystring,
    validate_request,
    validate_response,
)

__all__ = [
    "DataSource",
    "ModelAdapter",
    "ModelError",
    "OpenAPI",
    "RequestValidationError",
    "ResponseValidationError",
    "adapter_for",
    "deprecated",
    "hide",
    "is_model",
    "operation_id",
    "security",
    "tag",
    "validate_headers",
    "validate_querystring",
    "validate_request",
    "validate_response",
]
