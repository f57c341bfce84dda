"""Werkzeug's HTTP exceptions, raised by code written for Flask, treated as ours.

Flask apps and extensions raise ``werkzeug.exceptions.NotFound``, call
``werkzeug.exceptions.abort(403)`` and register ``@app.errorhandler(werkzeug.exceptions.Forbidden)``.
microflask does not depend on Werkzeug and never imports it: this module only looks at
``sys.modules`` to recognise Werkzeug's classes once the app itself has imported them.

- A Werkzeug HTTP exception is an HTTP error like ours: same status, description and headers,
  and ``abort(response)``'s response is sent.
- Werkzeug's standard classes (``HTTPException``, ``NotFound``, ...) stand for ours when
  error handlers are registered and looked up, so a handler keyed on either class fires for both.
- Once Werkzeug is imported, our classes also become subclasses of its equivalents
  (:func:`adopt_werkzeug_hierarchy`), so code written for Flask that checks
  ``isinstance(e, werkzeug.exceptions.HTTPException)`` or catches ``werkzeug.exceptions.NotFound``
  sees our errors as Flask's, and ``response.headers``, uploaded files and URL converters are
  instances of ``werkzeug.datastructures.Headers``, ``FileStorage`` and Werkzeug's converters.
  Our own methods come first in the MRO: behaviour is unchanged.
"""

from __future__ import annotations

import sys
from typing import Any

from starlette.responses import Response as StarletteResponse

from . import converters
from .datastructures import FileStorage
from .exceptions import BuildError, HTTPException, RequestRedirect, default_exceptions
from .httputil import SafeHeaders

__all__ = ["AdoptedHTTPException", "as_ours", "error_class_key", "error_lookup_classes", "is_foreign_http_exception"]


_CONVERTERS = (
    (converters.BaseConverter, "BaseConverter"),
    (converters.UnicodeConverter, "UnicodeConverter"),
    (converters.PathConverter, "PathConverter"),
    (converters._NumberConverter, "NumberConverter"),
    (converters.IntegerConverter, "IntegerConverter"),
    (converters.FloatConverter, "FloatConverter"),
    (converters.UUIDConverter, "UUIDConverter"),
    (converters.AnyConverter, "AnyConverter"),
)


def _werkzeug_exceptions() -> Any:
    """Werkzeug's exception module if something imported it (we never do), else None."""
    wz = sys.modules.get("werkzeug.exceptions")
    if wz is not None and "exceptions" not in _adopted:
        adopt_werkzeug_hierarchy()
    return wz


_adopted: set[str] = set()


def _add_base(cls: type, base: type) -> None:
    if not issubclass(cls, base):
        try:
            cls.__bases__ = (*cls.__bases__, base)
        except TypeError:  # a layout or MRO conflict: leave this class as it is
            pass


def adopt_werkzeug_hierarchy() -> None:
    """Make our HTTP exceptions (and ``BuildError``, ``RequestRedirect``) subclasses of Werkzeug's
    equivalents, if the app has imported Werkzeug; once per Werkzeug module, cheap after that.
    The app calls it when it freezes, and every look at Werkzeug's classes here calls it."""
    wz = sys.modules.get("werkzeug.exceptions")
    if wz is not None and "exceptions" not in _adopted:
        _adopted.add("exceptions")
        _add_base(HTTPException, wz.HTTPException)
        for code, ours in default_exceptions.items():
            theirs = wz.default_exceptions.get(code)
            if theirs is not None:
                _add_base(ours, theirs)
    datastructures = sys.modules.get("werkzeug.datastructures")
    if datastructures is not None and "datastructures" not in _adopted:
        _adopted.add("datastructures")
        # Response headers count as Werkzeug's Headers (code written for Flask checks, e.g.
        # Flask-CORS before it adds to them); ours implement all of Werkzeug's Headers API.
        _add_base(SafeHeaders, datastructures.Headers)
        # Uploaded files count as Werkzeug's FileStorage (Flask-WTF's file validators check).
        _add_base(FileStorage, datastructures.FileStorage)
    routing = sys.modules.get("werkzeug.routing")
    if routing is not None and "routing" not in _adopted:
        _adopted.add("routing")
        _add_base(BuildError, routing.BuildError)
        _add_base(RequestRedirect, routing.RequestRedirect)
        # Our URL converters count as Werkzeug's (OpenAPI plugins map converter classes to
        # parameter types: flask-smorest, apispec's Flask plugin). Bases first.
        for converter, name in _CONVERTERS:
            werkzeug_converter = getattr(routing, name, None)
            if werkzeug_converter is not None:
                _add_base(converter, werkzeug_converter)


def is_foreign_http_exception(e: BaseException) -> bool:
    """Whether ``e`` is a Werkzeug HTTP exception (not one of ours)."""
    if isinstance(e, HTTPException):
        return False
    wz = _werkzeug_exceptions()
    return wz is not None and isinstance(e, wz.HTTPException)


def _our_class_for(cls: type) -> type | None:
    """Our class standing for Werkzeug's standard class ``cls``; None for any other class."""
    wz = _werkzeug_exceptions()
    if wz is None or cls.__module__ != "werkzeug.exceptions":
        return None
    if cls is wz.HTTPException:
        return HTTPException
    code = getattr(cls, "code", None)
    if code is not None and wz.default_exceptions.get(code) is cls:
        return default_exceptions.get(code)
    return None


def error_class_key(cls: type[BaseException]) -> tuple[type[BaseException], int | None] | None:
    """How ``@errorhandler(cls)`` registers a Werkzeug class: ``(class, code)``; None if ``cls``
    is not Werkzeug's. Its standard classes become ours, its subclasses keep their own class."""
    wz = _werkzeug_exceptions()
    if wz is None or not issubclass(cls, wz.HTTPException):
        return None
    ours = _our_class_for(cls)
    if ours is not None:
        return ours, getattr(ours, "code", None)
    return cls, getattr(cls, "code", None)


def error_lookup_classes(e: BaseException) -> tuple[type, ...]:
    """The classes to look up a handler for ``e`` by, most specific first: its MRO, with
    Werkzeug's standard classes replaced by ours."""
    mro = type(e).__mro__
    if not is_foreign_http_exception(e):
        return mro
    return tuple(_our_class_for(cls) or cls for cls in mro)


class AdoptedHTTPException(HTTPException):
    """A Werkzeug HTTP exception as one of ours: its code, description, headers and response."""

    def __init__(self, original: BaseException) -> None:
        response = getattr(original, "response", None)
        if response is None and _has_own_page(original):
            response = _own_page(original)
        super().__init__(getattr(original, "description", None), _as_our_response(response))
        self.code = getattr(original, "code", None)
        self.original = original
        self._headers = {k: v for k, v in _headers_of(original).items() if k.lower() != "content-type"}

    def get_headers(self) -> dict[str, str]:
        return self._headers


def as_ours(e: BaseException) -> HTTPException:
    """``e`` if it is our HTTP exception, else ours for a Werkzeug one (see :func:`is_foreign_http_exception`)."""
    return e if isinstance(e, HTTPException) else AdoptedHTTPException(e)


_PAGE_METHODS = ("get_response", "get_body", "get_headers")


def _has_own_page(e: BaseException) -> bool:
    """Whether ``e``'s class builds its own page: a subclass of Werkzeug's written elsewhere (an
    extension's JSON error, e.g. Authlib's) overriding ``get_body``, ``get_headers`` or
    ``get_response``. Werkzeug's own classes only add headers (``Allow``, ...): their page is ours."""
    for name in _PAGE_METHODS:
        owner = next((c for c in type(e).__mro__ if name in vars(c)), None)
        if owner is not None and owner.__module__ != "werkzeug.exceptions":
            return True
    return False


def _own_page(e: BaseException) -> Any:
    """The page ``e`` builds itself (a Werkzeug response), as Flask sends it: ``e.get_response()``."""
    return e.get_response()  # type: ignore[attr-defined]


def _headers_of(e: BaseException) -> dict[str, str]:
    try:
        return dict(e.get_headers())  # type: ignore[attr-defined]
    except Exception:  # Werkzeug's get_headers wants a WSGI environ in some versions
        return {}


def _as_our_response(response: Any) -> StarletteResponse | None:
    """A Werkzeug response (``werkzeug.exceptions.abort(Response(...))``) as a Starlette one."""
    if response is None or isinstance(response, StarletteResponse):
        return response
    body = response.get_data()
    headers = [(k, v) for k, v in response.headers.items() if k.lower() != "content-length"]
    converted = StarletteResponse(body, response.status_code)
    converted.raw_headers = [
        (b"content-length", str(len(body)).encode("latin-1")),
        *((k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers),
    ]
    return converted
