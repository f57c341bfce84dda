"""HTTP exceptions, named as Werkzeug names them, and the routing errors.

An :class:`HTTPException` is both an exception and the description of the error
response it stands for. Raise one (or call :func:`microflask.abort`) anywhere in
a request and the app turns it into a response, through ``@app.errorhandler``
when one is registered.
"""

from __future__ import annotations

from html import escape
from http import HTTPStatus
from typing import Any

from starlette.responses import Response as StarletteResponse

from .httputil import SafeHeaders

__all__ = [
    "Aborter",
    "BadGateway",
    "BadRequest",
    "BadRequestKeyError",
    "BuildError",
    "Conflict",
    "ExpectationFailed",
    "FailedDependency",
    "Forbidden",
    "GatewayTimeout",
    "Gone",
    "HTTPException",
    "HTTPVersionNotSupported",
    "ImATeapot",
    "InternalServerError",
    "LengthRequired",
    "Locked",
    "MethodNotAllowed",
    "NotAcceptable",
    "NotFound",
    "NotImplemented",
    "PreconditionFailed",
    "PreconditionRequired",
    "RangeNotSatisfiable",
    "RequestEntityTooLarge",
    "RequestHeaderFieldsTooLarge",
    "RequestRedirect",
    "RequestTimeout",
    "RequestURITooLarge",
    "ServiceUnavailable",
    "TooManyRequests",
    "Unauthorized",
    "UnavailableForLegalReasons",
    "UnprocessableEntity",
    "UnsupportedMediaType",
    "default_exceptions",
]


class _HTTPError(Exception):
    """The plain base of :class:`HTTPException`. A class whose only base is a builtin exception
    cannot be given more bases later; through this one, ``werkzeug_interop`` can add Werkzeug's
    ``HTTPException`` beside it once the app imports Werkzeug."""


class HTTPException(_HTTPError):
    """An error that has an HTTP status code and a default response.

    ``HTTPException(description=None, response=None)``: ``description`` replaces
    the class's default text; ``response`` (any Starlette/microflask response) is
    sent as it is, which is how ``abort(response)`` works.
    """

    code: int | None = None
    description: str | None = None

    def __init__(
        self,
        description: str | None = None,
        response: StarletteResponse | None = None,
    ) -> None:
        # Exception's, not super()'s: Werkzeug's classes may join the bases (werkzeug_interop),
        # and their __init__ takes other arguments.
        Exception.__init__(self)
        if description is not None:
            self.description = description
        self.response = response

    @property
    def name(self) -> str:
        """The status phrase, e.g. ``"Not Found"``."""
        try:
            return HTTPStatus(self.code).phrase if self.code else "Unknown Error"
        except ValueError:
            return "Unknown Error"

    def get_headers(self) -> dict[str, str]:
        """Headers the default response carries (``Allow`` for 405, ...)."""
        return {}

    def get_body(self) -> str:
        """The short HTML page Werkzeug sends for this error."""
        description = escape(self.description or "").replace("\n", "<br>")
        return (
            "<!doctype html>\n<html lang=en>\n"
            f"<title>{self.code} {escape(self.name)}</title>\n"
            f"<h1>{escape(self.name)}</h1>\n"
            f"<p>{description}</p>\n"
        )

    def get_description(self) -> str:
        """The description, HTML-escaped, as the default page shows it."""
        return escape(self.description or "")

    def get_response(self) -> StarletteResponse:
        """The response this error stands for, as Werkzeug's: ``self.response`` if one was given,
        else the short HTML page with the error's headers. (The app's own error answer, which
        also speaks JSON to clients that prefer it, is :func:`microflask.responses.error_response`.)"""
        if self.response is not None:
            return self.response
        response = StarletteResponse(self.get_body(), self.code or 500, self.get_headers(), media_type="text/html")
        # Werkzeug's headers API (pop, extend, get_all...), which code handling the page expects
        # (Flask-RESTful pops Content-Length): Starlette's headers property uses this object.
        response._headers = SafeHeaders(raw=response.raw_headers)  # type: ignore[attr-defined]
        return response

    def get_json_body(self) -> dict[str, Any]:
        """The JSON document sent instead of the page when the client prefers JSON."""
        return {"code": self.code, "name": self.name, "description": self.description}

    def __str__(self) -> str:
        return f"{self.code or '???'} {self.name}: {self.description}"

    def __repr__(self) -> str:
        return f"<{type(self).__name__} '{self}'>"


class BadRequest(HTTPException):
    """400: the request could not be understood (malformed JSON, form, ...)."""

    code = 400
    description = "The browser (or proxy) sent a request that this server could not understand."


class BadRequestKeyError(BadRequest, KeyError):
    """400 raised by ``request.args["missing"]`` (also a ``KeyError``, as in Flask).

    The page names the missing key only when ``show_exception`` is set, which the app does
    under ``DEBUG`` or ``TRAP_BAD_REQUEST_ERRORS``: in production it stays an internal detail.
    """

    #: Whether the description names the missing key.
    show_exception = False

    def __init__(self, key: Any = None, description: str | None = None) -> None:
        self.key = key
        self._description: str | None = BadRequest.description
        super().__init__(description)

    @property  # type: ignore[override]
    def description(self) -> str | None:
        if self.show_exception and self.key is not None:
            return f"{self._description} KeyError: {self.key!r}"
        return self._description

    @description.setter
    def description(self, value: str | None) -> None:
        self._description = value

    def __str__(self) -> str:  # KeyError's __str__ would print only the key
        return HTTPException.__str__(self)


class SecurityError(BadRequest):
    """400 for input rejected for safety (e.g. an untrusted host)."""


class Unauthorized(HTTPException):
    code = 401
    description = (
        "The server could not verify that you are authorized to access the URL requested. You"
        " either supplied the wrong credentials (e.g. a bad password), or your browser doesn't"
        " understand how to supply the credentials required."
    )


class Forbidden(HTTPException):
    code = 403
    description = (
        "You don't have the permission to access the requested resource. It is either"
        " read-protected or not readable by the server."
    )


class NotFound(HTTPException):
    code = 404
    description = (
        "The requested URL was not found on the server. If you entered the URL manually please"
        " check your spelling and try again."
    )


class MethodNotAllowed(HTTPException):
    """405; ``valid_methods`` becomes the ``Allow`` header."""

    code = 405
    description = "The method is not allowed for the requested URL."

    def __init__(
        self,
        valid_methods: list[str] | tuple[str, ...] | frozenset[str] | set[str] | None = None,
        description: str | None = None,
        response: StarletteResponse | None = None,
    ) -> None:
        super().__init__(description, response)
        self.valid_methods = sorted(valid_methods) if valid_methods else None

    def get_headers(self) -> dict[str, str]:
        return {"Allow": ", ".join(self.valid_methods)} if self.valid_methods else {}


class NotAcceptable(HTTPException):
    code = 406
    description = "The resource identified by the request is only capable of generating response entities which have content characteristics not acceptable according to the accept headers sent in the request."  # noqa: E501


class RequestTimeout(HTTPException):
    code = 408
    description = "The server closed the network connection because the browser didn't finish the request within the specified time."  # noqa: E501


class Conflict(HTTPException):
    code = 409
    description = "A conflict happened while processing the request. The resource might have been modified while the request was being processed."  # noqa: E501


class Gone(HTTPException):
    code = 410
    description = "The requested URL is no longer available on this server and there is no forwarding address."


class LengthRequired(HTTPException):
    code = 411
    description = "A request with this method requires a valid <code>Content-Length</code> header."


class PreconditionFailed(HTTPException):
    code = 412
    description = "The precondition on the request for the URL failed positive evaluation."


class RequestEntityTooLarge(HTTPException):
    code = 413
    description = "The data value transmitted exceeds the capacity limit."


class RequestURITooLarge(HTTPException):
    code = 414
    description = (
        "The length of the requested URL exceeds the capacity limit for this server. The request cannot be processed."
    )


class UnsupportedMediaType(HTTPException):
    code = 415
    description = "The server does not support the media type transmitted in the request."


class RangeNotSatisfiable(HTTPException):
    """416; with ``length`` (the complete length), ``Content-Range: bytes */length`` tells the
    client what it may ask for (RFC 9110 §15.5.17)."""

    code = 416
    description = "The server cannot provide the requested range."

    def __init__(
        self,
        length: int | None = None,
        units: str = "bytes",
        description: str | None = None,
        response: StarletteResponse | None = None,
    ) -> None:
        if isinstance(length, str) and description is None:  # RangeNotSatisfiable("text"), as the others
            length, description = None, length
        super().__init__(description, response)
        self.length = length
        self.units = units

    def get_headers(self) -> dict[str, str]:
        return {} if self.length is None else {"Content-Range": f"{self.units} */{self.length}"}


class ExpectationFailed(HTTPException):
    code = 417
    description = "The server could not meet the requirements of the Expect header"


class ImATeapot(HTTPException):
    code = 418
    description = "This server is a teapot, not a coffee machine"


class UnprocessableEntity(HTTPException):
    code = 422
    description = "The request was well-formed but was unable to be followed due to semantic errors."


class Locked(HTTPException):
    code = 423
    description = "The resource that is being accessed is locked."


class FailedDependency(HTTPException):
    code = 424
    description = "The method could not be performed on the resource because the requested action depended on another action and that action failed."  # noqa: E501


class PreconditionRequired(HTTPException):
    code = 428
    description = 'This request is required to be conditional; try using "If-Match" or "If-Unmodified-Since".'


class TooManyRequests(HTTPException):
    code = 429
    description = "This user has exceeded an allotted request count. Try again later."


class RequestHeaderFieldsTooLarge(HTTPException):
    code = 431
    description = "One or more header fields exceeds the maximum size."


class UnavailableForLegalReasons(HTTPException):
    code = 451
    description = "Unavailable for legal reasons."


class InternalServerError(HTTPException):
    """500; ``original_exception`` is the unhandled error that caused it, if any."""

    code = 500
    description = "The server encountered an internal error and was unable to complete your request. Either the server is overloaded or there is an error in the application."  # noqa: E501

    def __init__(
        self,
        description: str | None = None,
        response: StarletteResponse | None = None,
        original_exception: BaseException | None = None,
    ) -> None:
        super().__init__(description, response)
        self.original_exception = original_exception


class NotImplemented(HTTPException):
    code = 501
    description = "The server does not support the action requested by the browser."


class BadGateway(HTTPException):
    code = 502
    description = "The proxy server received an invalid response from an upstream server."


class ServiceUnavailable(HTTPException):
    code = 503
    description = "The server is temporarily unable to service your request due to maintenance downtime or capacity problems. Please try again later."  # noqa: E501


class GatewayTimeout(HTTPException):
    code = 504
    description = "The connection to an upstream server timed out."


class HTTPVersionNotSupported(HTTPException):
    code = 505
    description = "The server does not support the HTTP protocol version used in the request."


class RequestRedirect(HTTPException):
    """308 raised by routing when a URL needs its trailing slash (Flask's strict slashes)."""

    code = 308

    def __init__(self, new_url: str) -> None:
        super().__init__(f"Redirecting to {new_url}")
        self.new_url = new_url

    def get_headers(self) -> dict[str, str]:
        return {"Location": self.new_url}


class _LookupError(LookupError):
    """The plain base of :class:`BuildError` (see :class:`_HTTPError` for why)."""


class BuildError(_LookupError):
    """``url_for`` could not build a URL for the endpoint with the values given."""

    def __init__(
        self,
        endpoint: str,
        values: dict[str, Any],
        method: str | None = None,
        reason: str | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.values = values
        self.method = method
        self.reason = reason
        LookupError.__init__(self, self._message())  # not super(): see HTTPException.__init__

    def _message(self) -> str:
        message = f"Could not build url for endpoint {self.endpoint!r}"
        if self.method:
            message += f" ({self.method!r})"
        if self.values:
            message += f" with values {sorted(self.values)!r}"
        message += "."
        if self.reason:
            message += f" {self.reason}"
        return message

    def __str__(self) -> str:
        return self._message()


def _collect_default_exceptions() -> dict[int, type[HTTPException]]:
    found: dict[int, type[HTTPException]] = {}
    pending = list(HTTPException.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls.code is not None and cls.code >= 400 and cls.code not in found:
            if cls.__name__ not in ("BadRequestKeyError", "SecurityError"):
                found[cls.code] = cls
    return found


#: Status code -> the exception class ``abort(code)`` raises for it.
default_exceptions: dict[int, type[HTTPException]] = _collect_default_exceptions()


class Aborter:
    """Raises the HTTP error for a status code: ``aborter(404)``, ``aborter(403, "why")``, or
    ``aborter(response)`` to send that response as it is. ``app.aborter`` is one (what
    :func:`microflask.abort` calls); add codes to ``mapping`` for errors of your own."""

    def __init__(
        self,
        mapping: dict[int, type[HTTPException]] | None = None,
        extra: dict[int, type[HTTPException]] | None = None,
    ) -> None:
        self.mapping = dict(default_exceptions if mapping is None else mapping)
        if extra:
            self.mapping.update(extra)

    def __call__(self, code: int | StarletteResponse, *args: Any, **kwargs: Any) -> Any:
        if not args and not kwargs and not isinstance(code, int):
            raise HTTPException(response=code)
        if code not in self.mapping:
            raise LookupError(f"no exception for {code!r}")
        raise self.mapping[code](*args, **kwargs)
