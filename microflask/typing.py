"""Type aliases for views, hooks and their return values, under Flask's names (``flask.typing``),
so annotations written for Flask keep working: ``def index() -> ResponseReturnValue``.

Views may also be ``async def``: each callable alias accepts a function returning the value or
an awaitable of it.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Awaitable, Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar, Union

if TYPE_CHECKING:
    from starlette.responses import Response as StarletteResponse

    from .wrappers import Response

__all__ = [
    "AfterRequestCallable",
    "AppOrBlueprintKey",
    "BeforeRequestCallable",
    "ErrorHandlerCallable",
    "HeaderName",
    "HeaderValue",
    "HeadersValue",
    "ResponseClass",
    "ResponseReturnValue",
    "ResponseValue",
    "RouteCallable",
    "ShellContextProcessorCallable",
    "StatusCode",
    "TeardownCallable",
    "TemplateContextProcessorCallable",
    "TemplateFilterCallable",
    "TemplateGlobalCallable",
    "TemplateTestCallable",
    "URLDefaultCallable",
    "URLValuePreprocessorCallable",
]

# ``Union`` rather than ``|``: the aliases are real objects at run time (``ResponseReturnValue |
# None`` in an annotation Flask code evaluates), and ``Response`` is only a forward reference.
#: A body a view may return: text, bytes, JSON data, a response, or an iterable of chunks.
ResponseValue: TypeAlias = Union[
    "Response",
    "StarletteResponse",
    str,
    bytes,
    list[Any],
    Mapping[str, Any],
    Iterator[str],
    Iterator[bytes],
    AsyncIterable[str],
    AsyncIterable[bytes],
]
HeaderName: TypeAlias = str
HeaderValue: TypeAlias = str | list[str] | tuple[str, ...]
#: Headers as a mapping or as ``(name, value)`` pairs.
HeadersValue: TypeAlias = Mapping[HeaderName, HeaderValue] | Sequence[tuple[HeaderName, HeaderValue]]
StatusCode: TypeAlias = int | str
#: What a view may return: a body, or a body with a status and/or headers.
ResponseReturnValue: TypeAlias = Union[  # noqa: UP007
    ResponseValue,
    tuple[ResponseValue, HeadersValue],
    tuple[ResponseValue, StatusCode],
    tuple[ResponseValue, StatusCode, HeadersValue],
]
#: The app's response class, as Flask's (a type variable bound to :class:`~microflask.Response`).
ResponseClass = TypeVar("ResponseClass", bound="Response")
#: ``None`` for the app, else a blueprint's name.
AppOrBlueprintKey: TypeAlias = str | None

RouteCallable: TypeAlias = Callable[..., "ResponseReturnValue | Awaitable[ResponseReturnValue]"]
BeforeRequestCallable: TypeAlias = Callable[[], "ResponseReturnValue | Awaitable[ResponseReturnValue | None] | None"]
AfterRequestCallable: TypeAlias = Callable[[Any], Any]
TeardownCallable: TypeAlias = Callable[[BaseException | None], Any]
ErrorHandlerCallable: TypeAlias = Callable[[Any], "ResponseReturnValue | Awaitable[ResponseReturnValue]"]
ShellContextProcessorCallable: TypeAlias = Callable[[], dict[str, Any]]
TemplateContextProcessorCallable: TypeAlias = Callable[[], dict[str, Any] | Awaitable[dict[str, Any]]]
TemplateFilterCallable: TypeAlias = Callable[..., Any]
TemplateGlobalCallable: TypeAlias = Callable[..., Any]
TemplateTestCallable: TypeAlias = Callable[..., bool]
URLDefaultCallable: TypeAlias = Callable[[str, dict[str, Any]], None]
URLValuePreprocessorCallable: TypeAlias = Callable[[str | None, dict[str, Any] | None], None]
