"""Helpers used in views: ``url_for``, ``redirect``, ``abort``, ``make_response``."""

from __future__ import annotations

import functools
import inspect
import io
import mimetypes
import os
import posixpath
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from email.utils import formatdate
from html import escape
from stat import S_ISREG
from typing import IO, Any, NoReturn
from urllib.parse import quote

import anyio.to_thread
from starlette.responses import FileResponse as StarletteFileResponse
from starlette.responses import Response as StarletteResponse
from starlette.types import Receive, Scope, Send

from . import wrappers
from .concurrency import Pending, on_event_loop
from .exceptions import Aborter, NotFound
from .globals import _cv_context, _lookup_request_context, current_app, current_context, session
from .httputil import content_disposition, not_modified
from .responses import StreamedResponse
from .signals import message_flashed, send_sync
from .signals import state as _SIGNALS
from .werkzeug_interop import adopt_werkzeug_hierarchy

__all__ = [
    "FileResponse",
    "abort",
    "build_redirect",
    "flash",
    "get_debug_flag",
    "get_flashed_messages",
    "get_load_dotenv",
    "get_template_attribute",
    "make_response",
    "redirect",
    "safe_join",
    "send_file",
    "send_from_directory",
    "stream_with_context",
    "url_for",
]

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


def redirect(location: str, code: int = 302, Response: type[wrappers.Response] | None = None) -> wrappers.Response:
    """A redirect response to ``location`` (302 unless ``code`` says otherwise).

    Inside an app this is ``current_app.redirect(location, code)`` (so an app can change every
    redirect it makes); outside one, :func:`build_redirect`. Unsafe characters in ``location``
    are percent-encoded, so a user-supplied target can never add a header or break the response.
    """
    ctx = current_context()
    if ctx is not None:
        return ctx.app.redirect(location, code)  # type: ignore[no-any-return]
    return build_redirect(location, code, Response)


def build_redirect(
    location: str, code: int = 302, Response: type[wrappers.Response] | None = None
) -> wrappers.Response:
    """A redirect response to ``location`` of class ``Response`` (Werkzeug's ``redirect``)."""
    if Response is None:
        Response = wrappers.Response
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


#: What :func:`abort` raises with outside an app (inside one, ``current_app.aborter``).
_default_aborter = Aborter()


def abort(code: int | StarletteResponse, *args: Any, **kwargs: Any) -> NoReturn:
    """Stop the request with an HTTP error: ``abort(404)``, ``abort(403, "why")``, or
    ``abort(response)`` to send that response as it is. Inside an app, ``current_app.aborter``
    raises it (add codes to ``app.aborter.mapping``)."""
    adopt_werkzeug_hierarchy()  # if Werkzeug is imported, code catching its classes catches ours
    ctx = current_context()
    aborter = ctx.app.aborter if ctx is not None else _default_aborter
    aborter(code, *args, **kwargs)
    raise AssertionError("the aborter returned instead of raising")  # pragma: no cover


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
    if _SIGNALS.connected:
        ctx = current_context()
        assert ctx is not None  # session above needs a request
        send_sync(message_flashed, ctx.app, message=message, category=category)


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


async def context_processor_values(app: Any, context: dict[str, Any]) -> dict[str, Any]:
    """The context processors' values (app first, then the blueprint's), under the explicit ones."""
    ctx = current_context()
    scopes: list[str | None] = [None]
    if ctx is not None and ctx.request is not None:
        scopes += list(reversed(ctx.request.blueprints))
    processors = [f for scope in scopes for f in app.template_context_processors.get(scope, ())]
    if not processors:
        return context
    merged: dict[str, Any] = {}
    for func in processors:
        values = func()
        if inspect.isawaitable(values):
            values = await values
        merged.update(values)
    merged.update(context)
    return merged


def get_template_attribute(template_name: str, attribute: str) -> Any:
    """A macro (or any top-level name) of a template, to call from Python:
    ``hello = get_template_attribute("_macros.html", "hello"); hello("World")``."""
    return getattr(current_app.jinja_env.get_template(template_name).module, attribute)


# -- environment -----------------------------------------------------------------------------

_OFF = frozenset({"0", "false", "no"})


def _env(name: str) -> str | None:
    """``MICROFLASK_<name>``, else Flask's ``FLASK_<name>`` (apps moved over keep their settings)."""
    value = os.environ.get(f"MICROFLASK_{name}")
    return value if value is not None else os.environ.get(f"FLASK_{name}")


def get_debug_flag() -> bool:
    """Whether the environment asks for debug mode: ``MICROFLASK_DEBUG`` (or ``FLASK_DEBUG``) set to
    anything but empty, ``0``, ``false`` or ``no``."""
    value = _env("DEBUG")
    return bool(value) and value.strip().lower() not in _OFF  # type: ignore[union-attr]


def get_load_dotenv(default: bool = True) -> bool:
    """Whether the command line should load ``.env`` files: ``default``, unless
    ``MICROFLASK_SKIP_DOTENV`` (or ``FLASK_SKIP_DOTENV``) says to skip them."""
    value = _env("SKIP_DOTENV")
    if not value:
        return default
    return value.strip().lower() in _OFF


# -- files -----------------------------------------------------------------------------------


def safe_join(directory: str | os.PathLike[str], *pathnames: str) -> str | None:
    """Join untrusted path parts below ``directory``; None if any part could leave it
    (``..``, an absolute path, a backslash, a NUL byte)."""
    parts = [os.fspath(directory)]
    for name in pathnames:
        if name != "":
            name = posixpath.normpath(name)
        if (
            "\\" in name
            or "\x00" in name
            or os.path.isabs(name)
            or name == ".."
            or name.startswith("../")
            or any(sep in name for sep in (os.sep, os.altsep) if sep and sep != "/")
        ):
            return None
        parts.append(name)
    return posixpath.join(*parts)


def send_file(
    path_or_file: str | os.PathLike[str] | IO[bytes],
    mimetype: str | None = None,
    as_attachment: bool = False,
    download_name: str | None = None,
    conditional: bool = True,
    etag: bool | str = True,
    last_modified: datetime | int | float | None = None,
    max_age: int | timedelta | Callable[[str | None], int | None] | None = None,
) -> Any:
    """A response sending a file: ``return await send_file(path)`` in async code; in a plain
    ``def`` view ``return send_file(path)``, as in Flask.

    The file streams from disk (never read into memory) with ``Last-Modified`` and an
    ``ETag``; conditional requests get 304 and ``Range`` requests 206. A missing path is a
    404. A relative path is taken from the app's root path. ``max_age`` (or
    ``SEND_FILE_MAX_AGE_DEFAULT``) sets ``Cache-Control``.
    """
    args = (path_or_file, mimetype, as_attachment, download_name, conditional, etag, last_modified, max_age)
    if on_event_loop():
        return Pending(_send_file_async(*args), "send_file(...)")
    return _send_file(os.stat, *args)


async def _send_file_async(*args: Any) -> Any:
    # os.stat can block on slow disks: run it in a thread, then build the response here.
    path = args[0]
    if isinstance(path, str | os.PathLike):
        result = await anyio.to_thread.run_sync(_stat_or_none, _absolute(path))
        return _send_file(lambda _: result, *args)
    return _send_file(os.stat, *args)


def _stat_or_none(path: str) -> os.stat_result | None:
    try:
        return os.stat(path)
    except (OSError, ValueError):
        return None


def _absolute(path: str | os.PathLike[str]) -> str:
    path = os.fspath(path)
    if not os.path.isabs(path):
        path = os.path.join(current_app.root_path, path)
    return path


def _send_file(
    stat: Callable[[str], os.stat_result | None],
    path_or_file: str | os.PathLike[str] | IO[bytes],
    mimetype: str | None,
    as_attachment: bool,
    download_name: str | None,
    conditional: bool,
    etag: bool | str,
    last_modified: datetime | int | float | None,
    max_age: int | timedelta | Callable[[str | None], int | None] | None,
) -> Any:
    if not isinstance(path_or_file, str | os.PathLike):
        return _send_file_object(path_or_file, mimetype, as_attachment, download_name)
    path = _absolute(path_or_file)
    try:
        result = stat(path)
    except (OSError, ValueError):
        result = None
    if result is None or not S_ISREG(result.st_mode):
        raise NotFound()
    name = download_name or os.path.basename(path)
    if mimetype is None:
        mimetype = mimetypes.guess_type(name)[0] or "application/octet-stream"
    response = FileResponse(path, media_type=mimetype, stat_result=result)
    response.headers["content-disposition"] = content_disposition(name, as_attachment)
    if isinstance(etag, str):
        response.headers["etag"] = etag if etag.startswith(('"', 'W/"')) else f'"{etag}"'
    elif not etag:
        del response.headers["etag"]
    if last_modified is not None:
        stamp = last_modified.timestamp() if isinstance(last_modified, datetime) else float(last_modified)
        response.headers["last-modified"] = formatdate(stamp, usegmt=True)
    seconds = _max_age(max_age, path)
    response.headers["cache-control"] = "no-cache" if seconds is None else f"public, max-age={seconds}"
    ctx = current_context()
    if (
        conditional
        and ctx is not None
        and ctx.request is not None
        and not_modified(ctx.request.headers, response.headers)
    ):
        kept = {k: v for k, v in response.headers.items() if k in ("etag", "last-modified", "cache-control")}
        return current_app.response_class(status=304, headers=kept)
    return response


class FileResponse(wrappers.Response, StarletteFileResponse):  # type: ignore[misc]
    """What :func:`send_file` returns for a path: streamed from disk by Starlette, with the
    response's Flask surface (``mimetype``, ``set_cookie``, ``data``...), ``cache_control``, and
    ``with send_file(...) as rv:`` as Werkzeug's responses."""

    #: As Werkzeug: the body is the file itself (kept for code that checks or clears it).
    direct_passthrough = True

    def __init__(self, path: str, media_type: str, stat_result: os.stat_result) -> None:
        StarletteFileResponse.__init__(self, path, media_type=media_type, stat_result=stat_result)

    def __enter__(self) -> FileResponse:
        return self

    def __exit__(self, *exc_info: object) -> None:
        return None  # nothing is open: the file is opened only while the response is sent

    @property
    def is_streamed(self) -> bool:
        """True until the body was replaced: the file is read from disk while it is sent."""
        return "body" not in self.__dict__

    def get_data(self, as_text: bool = False) -> bytes | str:
        """The file's content, read now (for tests; the response itself streams it)."""
        if "body" in self.__dict__:
            return super().get_data(as_text)
        with open(self.path, "rb") as f:
            body = f.read()
        return body.decode(self.charset, "replace") if as_text else body

    def set_data(self, value: str | bytes) -> None:
        """Replace the file with this body, sent from memory (``make_conditional`` does for a 304)."""
        wrappers.Response.set_data(self, value)

    data = property(get_data, set_data)

    def calculate_content_length(self) -> int | None:
        if "body" in self.__dict__:
            return len(self.body)
        return self.stat_result.st_size if self.stat_result is not None else os.path.getsize(self.path)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if "body" in self.__dict__:  # the body was replaced: send it, not the file
            await StarletteResponse.__call__(self, scope, receive, send)
        else:
            await StarletteFileResponse.__call__(self, scope, receive, send)


def _max_age(max_age: Any, path: str | None) -> int | None:
    if max_age is None:
        max_age = current_app.get_send_file_max_age  # the app's (overridable) default
    if callable(max_age):
        max_age = max_age(path)
    if isinstance(max_age, timedelta):
        return int(max_age.total_seconds())
    return None if max_age is None else int(max_age)


def _send_file_object(file: IO[bytes], mimetype: str | None, as_attachment: bool, download_name: str | None) -> Any:
    if as_attachment and not download_name:
        raise TypeError("No name provided for attachment: pass download_name with a file object.")
    if mimetype is None and download_name:
        mimetype = mimetypes.guess_type(download_name)[0]
    if mimetype is None:
        raise ValueError("Unable to detect the MIME type: pass mimetype or download_name with a file object.")
    headers = {"content-disposition": content_disposition(download_name, as_attachment)} if download_name else {}
    if isinstance(file, io.BytesIO):
        return current_app.response_class(file.getvalue(), headers=headers, mimetype=mimetype)

    def chunks() -> Iterator[bytes]:
        try:
            while chunk := file.read(65536):
                yield chunk
        finally:
            file.close()  # as Werkzeug: the file was handed over with the response

    return StreamedResponse(chunks(), headers=headers, mimetype=mimetype)


def send_from_directory(directory: str | os.PathLike[str], path: str | os.PathLike[str], **kwargs: Any) -> Any:
    """Send ``path`` from below ``directory``, refusing any path that leaves it (404).

    ``await send_from_directory(folder, filename)`` in async code, plain call in a ``def`` view.
    """
    joined = safe_join(_absolute(directory), os.fspath(path))
    if joined is None:
        raise NotFound()
    sent = send_file(joined, **kwargs)
    if type(sent) is Pending:
        sent.what = "send_from_directory(...)"
    return sent


def stream_with_context(generator_or_function: Any) -> Any:
    """Keep the current request's context around a (sync or async) generator, for the whole
    time it is iterated, also after the view returned. As a decorator on a generator
    function, or called on a generator object."""
    if callable(generator_or_function) and not hasattr(generator_or_function, "__next__"):
        func = generator_or_function

        @functools.wraps(func)
        def decorated(*args: Any, **kwargs: Any) -> Any:
            return stream_with_context(func(*args, **kwargs))

        return decorated
    ctx = _lookup_request_context()
    source = generator_or_function
    if hasattr(source, "__anext__"):

        async def async_steps() -> Any:
            try:
                while True:
                    token = _cv_context.set(ctx)
                    try:
                        item = await source.__anext__()
                    except StopAsyncIteration:
                        return
                    finally:
                        _cv_context.reset(token)
                    yield item
            finally:  # finished or abandoned: close the source too (in the request's context)
                aclose = getattr(source, "aclose", None)
                if aclose is not None:
                    token = _cv_context.set(ctx)
                    try:
                        await aclose()
                    finally:
                        _cv_context.reset(token)

        return async_steps()

    if not hasattr(source, "__next__"):
        source = iter(source)  # an iterable (a list, an object with __iter__): step through it

    def steps() -> Iterator[Any]:
        try:
            while True:
                token = _cv_context.set(ctx)
                try:
                    item = next(source)
                except StopIteration:
                    return
                finally:
                    _cv_context.reset(token)
                yield item
        finally:  # finished or abandoned: close the source too (in the request's context)
            close = getattr(generator_or_function, "close", None)
            if close is not None:
                token = _cv_context.set(ctx)
                try:
                    close()
                finally:
                    _cv_context.reset(token)

    return steps()
