"""Helpers used in views: ``url_for``, ``redirect``, ``abort``, ``make_response``."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING, Any, NoReturn
from urllib.parse import quote

from starlette.responses import Response as StarletteResponse

from .ctx import current_app, current_context, session
from .exceptions import HTTPException, default_exceptions

if TYPE_CHECKING:
    from .app import MicroFlask
    from .wrappers import Response

__all__ = ["abort", "build_url", "flash", "get_flashed_messages", "make_response", "redirect", "url_for"]

# Characters left as they are in a redirect target; everything else (CR, LF, spaces,
# quotes, backslashes, non-ASCII) is percent-encoded, so a target can never break a header.
_LOCATION_SAFE = "/:?#[]@!$&'()*+,;=%~-._"


def url_for(
    endpoint: str,
    *,
    _anchor: str | None = None,
    _method: str | None = None,
    _scheme: str | None = None,
    _external: bool | None = None,
    **values: Any,
) -> str:
    """The URL of ``endpoint`` with ``values`` for its variables; other values become the query.

    ``url_for("user", id=2)`` -> ``/users/2``; ``_external=True`` gives scheme and host;
    ``_anchor`` adds ``#...``; ``_method`` picks the rule for that method. Inside a blueprint,
    ``url_for(".view")`` means that blueprint's ``view``. Raises
    :class:`~microflask.exceptions.BuildError` naming the endpoint and missing values.
    """
    return current_app.url_for(
        endpoint, _anchor=_anchor, _method=_method, _scheme=_scheme, _external=_external, **values
    )


def build_url(
    app: MicroFlask,
    endpoint: str,
    values: dict[str, Any],
    anchor: str | None,
    method: str | None,
    scheme: str | None,
    external: bool | None,
) -> str:
    """``url_for`` for ``app``: relative inside a request, external (needs SERVER_NAME) outside."""
    ctx = current_context()
    request = ctx.request if ctx is not None and ctx.app is app else None
    if request is not None:
        if endpoint[:1] == ".":
            blueprint = request.blueprint
            endpoint = f"{blueprint}{endpoint}" if blueprint else endpoint[1:]
        if external is None:
            external = scheme is not None
        root, host, default_scheme = request.root_path, request.host, request.scheme
    else:
        server_name = app.config["SERVER_NAME"]
        if server_name is None:
            raise RuntimeError(
                "Unable to build URLs outside an active request without 'SERVER_NAME' configured."
                " Also configure 'APPLICATION_ROOT' and 'PREFERRED_URL_SCHEME' as needed."
            )
        if external is None:
            external = True
        root = (app.config["APPLICATION_ROOT"] or "/").rstrip("/")
        host, default_scheme = server_name, app.config["PREFERRED_URL_SCHEME"]
        endpoint = endpoint.lstrip(".")
    if scheme is not None and not external:
        raise ValueError("When specifying '_scheme', '_external' must be True.")
    values = dict(values)
    app.inject_url_defaults(endpoint, values)
    url = quote(root, safe="/%") + app.url_map.build(endpoint, values, method)
    if external:
        url = f"{scheme or default_scheme}://{host}{url}"
    if anchor is not None:
        url += "#" + quote(anchor, safe="%!#$&'()*+,/:;=?@")
    return url


def redirect(location: str, code: int = 302, Response: type[Response] | None = None) -> Response:
    """A redirect response to ``location`` (302 unless ``code`` says otherwise).

    Unsafe characters in ``location`` are percent-encoded, so a user-supplied target can
    never add a header or break the response.
    """
    if Response is None:
        from .wrappers import Response as DefaultResponse

        ctx = current_context()
        Response = ctx.app.response_class if ctx is not None else DefaultResponse
    target = quote(location, safe=_LOCATION_SAFE)
    link = escape(target)
    body = (
        "<!doctype html>\n<html lang=en>\n<title>Redirecting...</title>\n<h1>Redirecting...</h1>\n"
        f'<p>You should be redirected automatically to the target URL: <a href="{link}">{link}</a>.'
        " If not, click the link.\n"
    )
    response = Response(body, code)
    response.headers["Location"] = target
    return response


def abort(code: int | StarletteResponse, *args: Any, **kwargs: Any) -> NoReturn:
    """Stop the request with an HTTP error: ``abort(404)``, ``abort(403, "why")``, or
    ``abort(response)`` to send that response as it is."""
    if isinstance(code, StarletteResponse):
        raise HTTPException(response=code)
    try:
        error_class = default_exceptions[code]
    except KeyError:
        raise LookupError(f"no exception for {code!r}") from None
    raise error_class(*args, **kwargs)


def make_response(*args: Any) -> Any:
    """A response from view-style return values, to change before returning it:
    ``resp = make_response("hi", 201); resp.set_cookie("a", "b")``."""
    if not args:
        return current_app.response_class()
    return current_app.make_response(args[0] if len(args) == 1 else args)


def flash(message: Any, category: str = "message") -> None:
    """Store a message for the next request that calls :func:`get_flashed_messages` (in the session)."""
    flashes = session.get("_flashes", [])
    flashes.append((category, message))
    session["_flashes"] = flashes


def get_flashed_messages(with_categories: bool = False, category_filter: tuple[str, ...] | list[str] = ()) -> list[Any]:
    """The messages flashed so far, taken from the session once per request.

    ``with_categories=True`` gives ``(category, message)`` pairs; ``category_filter`` keeps
    only those categories.
    """
    ctx = current_context()
    if ctx is None or ctx.request is None:
        raise RuntimeError("get_flashed_messages() needs an active request.")
    flashes = getattr(ctx, "flashes", None)
    if flashes is None:
        flashes = [tuple(f) for f in session.pop("_flashes")] if "_flashes" in session else []
        ctx.flashes = flashes  # type: ignore[attr-defined]
    if category_filter:
        flashes = [f for f in flashes if f[0] in category_filter]
    if not with_categories:
        return [message for _, message in flashes]
    return flashes
