"""Model adapters: one object per model type, built once, that validates and serialises it.

A *model* is a pydantic v2 ``BaseModel``, a msgspec ``Struct``, a stdlib dataclass, or
``list[...]`` of one of them. Each is validated by its own library: pydantic models by
pydantic, Structs by msgspec, dataclasses by msgspec when it is installed (else pydantic).
Neither library is imported by ``import microflask``, nor by importing this module: a model of
a library exists only once its library was imported, and a dataclass imports msgspec (else
pydantic) when its adapter is first built.

An adapter offers what the request and response paths need, each on its fast path:

- :meth:`ModelAdapter.from_json`: bytes straight into the model (``msgspec.json.decode(type=)``,
  pydantic's ``validate_json``), no intermediate ``dict``;
- :meth:`ModelAdapter.from_mapping`: a query string, a form or headers (strings, converted);
- :meth:`ModelAdapter.to_json`: a model instance, a ``dict`` or a list, checked and serialised;
- :meth:`ModelAdapter.json_schema`: the JSON Schema, for the OpenAPI document.

Validation errors come out as :class:`ModelError` with FastAPI's error items
(``{"loc": [...], "msg": "...", "type": "..."}``), whichever library found them.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import re
import sys
import typing
from typing import Any

__all__ = ["ModelAdapter", "ModelError", "adapter_for", "is_model", "model_name"]

ErrorItem = dict[str, Any]


class ModelError(Exception):
    """Validation failed: ``errors`` lists FastAPI-shaped items (``loc`` relative to the value)."""

    def __init__(self, errors: list[ErrorItem]) -> None:
        super().__init__(errors)
        self.errors = errors


def _optional(name: str) -> Any:
    """The library ``name`` if it is installed, else None. Imported on first use: pydantic is
    slow to import, and an app that validates nothing (or only msgspec) never pays for it."""
    module = sys.modules.get(name)
    if module is not None:
        return module
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def _is_pydantic_model(tp: Any) -> bool:
    # A pydantic model exists only if pydantic was imported: no need to import it to check.
    pydantic = sys.modules.get("pydantic")
    return pydantic is not None and isinstance(tp, type) and issubclass(tp, pydantic.BaseModel)


def _is_struct(tp: Any) -> bool:
    msgspec = sys.modules.get("msgspec")
    return msgspec is not None and isinstance(tp, type) and issubclass(tp, msgspec.Struct)


def _item_type(tp: Any) -> Any:
    """``X`` for ``list[X]`` (or ``typing.List[X]``), else None."""
    if typing.get_origin(tp) is list:
        args = typing.get_args(tp)
        if len(args) == 1:
            return args[0]
    return None


def is_model(tp: Any) -> bool:
    """Whether ``tp`` is a model (or a list of models) this layer validates."""
    item = _item_type(tp)
    if item is not None:
        return is_model(item)
    if not isinstance(tp, type):
        return False
    return dataclasses.is_dataclass(tp) or _is_pydantic_model(tp) or _is_struct(tp)


def _library_for(tp: Any) -> str:
    item = _item_type(tp)
    base = item if item is not None else tp
    if _is_pydantic_model(base):
        return "pydantic"
    if _is_struct(base):
        return "msgspec"
    if dataclasses.is_dataclass(base):
        if _optional("msgspec") is not None:
            return "msgspec"
        if _optional("pydantic") is not None:
            return "pydantic"
        raise RuntimeError(
            f"Validating the dataclass {model_name(base)} needs msgspec or pydantic: pip install 'microflask[api]'."
        )
    raise TypeError(
        f"{tp!r} is not a model: use a pydantic BaseModel, a msgspec Struct, a dataclass, or a list of one."
    )


def model_name(tp: Any) -> str:
    """A readable name for ``tp`` (``Todo``, ``list[Todo]``), for messages and logs."""
    item = _item_type(tp)
    if item is not None:
        return f"list[{model_name(item)}]"
    return getattr(tp, "__qualname__", None) or repr(tp)


class ModelAdapter:
    """Validation and serialisation of one model type (see the module's docstring)."""

    model: Any
    library: str

    def __init__(self, model: Any) -> None:
        self.model = model
        self.name = model_name(model)
        item = _item_type(model)
        #: the model's own class (the item's for a list)
        self.base = item if item is not None else model
        #: field names that take several values in a query string or form (``?tag=a&tag=b``)
        self.multi_fields: frozenset[str] = frozenset()

    def from_json(self, data: bytes) -> Any:
        raise NotImplementedError

    def from_mapping(self, data: dict[str, Any]) -> Any:
        raise NotImplementedError

    def to_json(self, value: Any) -> bytes:
        raise NotImplementedError

    def json_schema(self, ref_template: str, mode: str = "validation") -> tuple[dict[str, Any], dict[str, Any]]:
        """``(schema, definitions)``: the model's schema, with ``$ref``\\ s built from ``ref_template``
        (``"#/components/schemas/{name}"``), and the named schemas those refer to. ``mode`` is
        ``"validation"`` (what the model accepts) or ``"serialization"`` (what it sends)."""
        raise NotImplementedError

    def _find_multi_fields(self) -> None:
        if self.base is not self.model:  # a list body is never read from a mapping
            return
        schema, defs = self.json_schema("#/$defs/{name}")
        if "$ref" in schema:
            schema = defs.get(schema["$ref"].rsplit("/", 1)[-1], {})
        self.multi_fields = frozenset(
            name for name, prop in schema.get("properties", {}).items() if _allows_array(prop, defs)
        )


def _allows_array(prop: dict[str, Any], defs: dict[str, Any]) -> bool:
    if prop.get("type") == "array":
        return True
    if "$ref" in prop:
        return _allows_array(defs.get(prop["$ref"].rsplit("/", 1)[-1], {}), defs)
    return any(_allows_array(option, defs) for option in prop.get("anyOf", ()) if isinstance(option, dict))


# -- msgspec --------------------------------------------------------------------------
_MSGSPEC_PATH = re.compile(r"^(?P<msg>.*?)(?: - at `(?P<path>\$[^`]*)`)?$", re.DOTALL)
_PATH_PART = re.compile(r"\.([^.\[]+)|\[(\d+)\]|\[(?:'|\")?([^\]]*?)(?:'|\")?\]")
_MISSING_FIELD = re.compile(r"Object missing required field `(?P<field>[^`]*)`")
_UNKNOWN_FIELD = re.compile(r"Object contains unknown field `(?P<field>[^`]*)`")


def _msgspec_errors(error: Exception) -> list[ErrorItem]:
    """msgspec reports one error as text (``Expected `int`, got `str` - at `$.items[0].n```)."""
    text = str(error)
    match = _MSGSPEC_PATH.match(text)
    message, path = (match.group("msg"), match.group("path")) if match else (text, None)
    loc: list[Any] = []
    for name, index, key in _PATH_PART.findall(path[1:] if path else ""):
        loc.append(int(index) if index else (name or key))
    kind = "value_error"
    missing = _MISSING_FIELD.fullmatch(message)
    unknown = _UNKNOWN_FIELD.fullmatch(message)
    if missing:
        loc.append(missing.group("field"))
        kind, message = "missing", "Field required"
    elif unknown:
        loc.append(unknown.group("field"))
        kind, message = "extra_forbidden", "Extra inputs are not permitted"
    elif message.startswith("Expected"):
        kind = "type_error"
    elif "out of range" in message:
        kind = "out_of_range"
    return [{"loc": loc, "msg": message, "type": kind}]


class MsgspecAdapter(ModelAdapter):
    library = "msgspec"

    def __init__(self, model: Any) -> None:
        super().__init__(model)
        self._msgspec = msgspec = _optional("msgspec")
        self._decoder = msgspec.json.Decoder(model)
        self._encoder = msgspec.json.Encoder()
        self._find_multi_fields()

    def from_json(self, data: bytes) -> Any:
        msgspec = self._msgspec
        try:
            return self._decoder.decode(data)
        except msgspec.ValidationError as e:
            raise ModelError(_msgspec_errors(e)) from None
        except msgspec.DecodeError as e:
            raise ModelError([{"loc": [], "msg": f"Invalid JSON: {e}", "type": "json_invalid"}]) from None
        except RecursionError:
            raise ModelError([{"loc": [], "msg": "Invalid JSON: nested too deeply", "type": "json_invalid"}]) from None

    def from_mapping(self, data: dict[str, Any]) -> Any:
        msgspec = self._msgspec
        try:
            return msgspec.convert(data, self.model, strict=False)
        except msgspec.ValidationError as e:
            raise ModelError(_msgspec_errors(e)) from None

    def to_json(self, value: Any) -> bytes:
        if type(value) is not self.model:  # a dict, a list, another object: check it against the model
            msgspec = self._msgspec
            try:
                value = msgspec.convert(value, self.model, from_attributes=True)
            except msgspec.ValidationError as e:
                raise ModelError(_msgspec_errors(e)) from None
        return self._encoder.encode(value)

    def json_schema(self, ref_template: str, mode: str = "validation") -> tuple[dict[str, Any], dict[str, Any]]:
        (schema,), defs = self._msgspec.json.schema_components([self.model], ref_template=ref_template)
        return schema, defs


# -- pydantic -------------------------------------------------------------------------
def _pydantic_errors(error: Any) -> list[ErrorItem]:
    # The input and context are left out: they may be large, binary, or not JSON at all.
    return [{"loc": list(item["loc"]), "msg": item["msg"], "type": item["type"]} for item in error.errors()]


class PydanticAdapter(ModelAdapter):
    library = "pydantic"

    def __init__(self, model: Any) -> None:
        super().__init__(model)
        self._error = _optional("pydantic").ValidationError
        self._adapter = _optional("pydantic").TypeAdapter(model)
        self._find_multi_fields()

    def from_json(self, data: bytes) -> Any:
        try:
            return self._adapter.validate_json(data)
        except self._error as e:
            raise ModelError(_pydantic_errors(e)) from None

    def from_mapping(self, data: dict[str, Any]) -> Any:
        try:
            return self._adapter.validate_python(data)
        except self._error as e:
            raise ModelError(_pydantic_errors(e)) from None

    def to_json(self, value: Any) -> bytes:
        if type(value) is not self.model:
            try:
                value = self._adapter.validate_python(value, from_attributes=True)
            except self._error as e:
                raise ModelError(_pydantic_errors(e)) from None
        return self._adapter.dump_json(value)  # type: ignore[no-any-return]

    def json_schema(self, ref_template: str, mode: str = "validation") -> tuple[dict[str, Any], dict[str, Any]]:
        schema = self._adapter.json_schema(ref_template=ref_template.replace("{name}", "{model}"), mode=mode)
        defs = schema.pop("$defs", {})
        if isinstance(self.model, type) and schema.get("type") == "object" and "title" in schema:
            # A model's own schema is named, as msgspec does: the document refers to it.
            name = self.model.__name__
            defs[name] = schema
            schema = {"$ref": ref_template.format(name=name)}
        return schema, defs


@functools.cache
def adapter_for(model: Any) -> ModelAdapter:
    """The adapter of ``model``, built once per model (raises TypeError for anything else)."""
    library = _library_for(model)
    if library == "msgspec":
        return MsgspecAdapter(model)
    return PydanticAdapter(model)
