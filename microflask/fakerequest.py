"""Made-up requests for tests: :class:`EnvironBuilder` and ``app.test_request_context()``.

A test request is described the way Flask describes it: a WSGI-style ``environ`` dict
(``REQUEST_METHOD``, ``SCRIPT_NAME``, ``PATH_INFO``, ``HTTP_*`` headers, ``wsgi.input``...),
built by :class:`EnvironBuilder` from Flask's arguments and the app's configuration
(``SERVER_NAME``, ``APPLICATION_ROOT``, ``PREFERRED_URL_SCHEME``). :func:`environ_to_scope`
turns such a dict into the ASGI scope and body the app serves. The test client sends the same
description through its transport. Kept apart from :mod:`microflask.testing` so that it needs
nothing beyond the core install.
"""

from __future__ import annotations

import base64
import mimetypes
import os
import secrets
import sys
from collections.abc import Iterable, Mapping
from io import BytesIO
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

from .ctx import RequestContext
from .datastructures import ImmutableMultiDict, MultiDict
from .httputil import SafeHeaders
from .logging import ERRORS_STREAM_KEY

if TYPE_CHECKING:
    from starlette.types import Message

    from .app import MicroFlask

__all__ = [
    "BASE_URL",
    "EnvironBuilder",
    "encode_multipart",
    "environ_body",
    "environ_headers",
    "environ_to_scope",
    "form_pairs",
    "make_test_request_context",
]

BASE_URL = "http://localhost"
_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


def form_pairs(values: Any) -> list[tuple[str, Any]]:
    """``(key, value)`` pairs of a mapping (every value of a multi-dict), or of pairs; a list
    value is one pair per item."""
    if values is None:
        return []
    if hasattr(values, "multi_items"):
        items = values.multi_items()
    elif callable(getattr(values, "lists", None)):  # Werkzeug's MultiDict
        items = [(key, value) for key, many in values.lists() for value in many]
    elif isinstance(values, Mapping):
        items = values.items()
    else:
        items = values
    pairs: list[tuple[str, Any]] = []
    for key, value in items:
        if isinstance(value, list):
            pairs.extend((key, item) for item in value)
        else:
            pairs.append((key, value))
    return pairs


def _is_file(value: Any) -> bool:
    """A file to upload: a file object, or Flask's ``(file, filename[, content_type])``."""
    return hasattr(value, "read") or (isinstance(value, tuple) and bool(value) and hasattr(value[0], "read"))


def _quote_field(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


def encode_multipart(fields: Iterable[tuple[str, Any]], files: Iterable[tuple[str, Any]]) -> tuple[bytes, str]:
    """A ``multipart/form-data`` body and its content type, from form fields and Flask-style files."""
    boundary = f"microflask-{secrets.token_hex(12)}"
    body = BytesIO()
    for name, value in fields:
        body.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{_quote_field(name)}"\r\n\r\n'.encode())
        body.write(value.encode() if isinstance(value, str) else bytes(value))
        body.write(b"\r\n")
    for name, value in files:
        file, filename, content_type = (*value, None, None)[:3] if isinstance(value, tuple) else (value, None, None)
        filename = filename or os.path.basename(getattr(file, "name", "") or "") or name
        content_type = content_type or mimetypes.guess_type(filename)[0] or "application/octet-stream"
        data = file.read()
        header = f'name="{_quote_field(name)}"; filename="{_quote_field(filename)}"'
        body.write(f"--{boundary}\r\nContent-Disposition: form-data; {header}\r\n".encode())
        body.write(f"Content-Type: {content_type}\r\n\r\n".encode())
        body.write(data.encode() if isinstance(data, str) else data)
        body.write(b"\r\n")
    body.write(f"--{boundary}--\r\n".encode())
    return body.getvalue(), f"multipart/form-data; boundary={boundary}"


class EnvironBuilder:
    """Build a test request's ``environ`` from Flask's arguments, for ``client.open(builder)``
    and ``app.test_request_context(...)``.

    Without ``base_url``, the host is ``SERVER_NAME`` (or ``localhost``, with ``subdomain.`` in
    front when given), the script root is ``APPLICATION_ROOT`` and the scheme is ``url_scheme``
    (else ``PREFERRED_URL_SCHEME``). ``path`` may be a full URL. The body comes from ``json``
    (encoded by ``app.json``), ``data`` (text, bytes, a file, or a mapping of form fields and
    files) or ``input_stream``.
    """

    def __init__(
        self,
        app: MicroFlask,
        path: str = "/",
        base_url: str | None = None,
        subdomain: str | None = None,
        url_scheme: str | None = None,
        query_string: str | bytes | Mapping[str, Any] | None = None,
        method: str = "GET",
        input_stream: IO[bytes] | None = None,
        content_type: str | None = None,
        content_length: int | None = None,
        errors_stream: IO[str] | None = None,
        multithread: bool = False,
        multiprocess: bool = False,
        run_once: bool = False,
        headers: Any = None,
        data: Any = None,
        environ_base: Mapping[str, Any] | None = None,
        environ_overrides: Mapping[str, Any] | None = None,
        mimetype: str | None = None,
        json: Any = None,
        auth: tuple[str, str] | str | None = None,
    ) -> None:
        if base_url is not None and (subdomain or url_scheme):
            raise ValueError("Give either 'base_url' or 'subdomain' and 'url_scheme', not both.")
        self.app = app
        split = urlsplit(path or "/")
        if base_url is None:
            host = app.config["SERVER_NAME"] or "localhost"
            if subdomain:
                host = f"{subdomain}.{host}"
            scheme = url_scheme or app.config["PREFERRED_URL_SCHEME"] or "http"
            root = (app.config["APPLICATION_ROOT"] or "/").lstrip("/")
            base_url = f"{split.scheme or scheme}://{split.netloc or host}/{root}"
        self.base_url = base_url
        self.path = split.path or "/"
        if query_string is None:
            query_string = split.query
        if isinstance(query_string, bytes):
            query_string = query_string.decode("latin-1")
        elif not isinstance(query_string, str):
            query_string = urlencode(form_pairs(query_string), doseq=True)
        #: The query string, as given (``args`` is its parsed form).
        self.query_string: str = query_string
        self.method = method.upper()
        self.headers = SafeHeaders(raw=[])
        for key, value in form_pairs(headers):
            self.headers.append(key, str(value))
        if auth is not None:
            if isinstance(auth, tuple):
                auth = "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode("ascii")
            self.headers["Authorization"] = auth
        self.errors_stream = errors_stream
        self.multithread, self.multiprocess, self.run_once = multithread, multiprocess, run_once
        self.environ_base = dict(environ_base or {})
        self.environ_overrides = dict(environ_overrides or {})
        self.content_type = content_type if content_type is not None else mimetype
        self.content_length = content_length
        self.form: list[tuple[str, Any]] = []
        self.files: list[tuple[str, Any]] = []
        self.input_stream = input_stream
        if json is not None:
            if data is not None:
                raise TypeError("Give either 'json' or 'data', not both.")
            data = self.json_dumps(json)
            if self.content_type is None:
                self.content_type = "application/json"
        if isinstance(data, str):
            data = data.encode()
        if isinstance(data, memoryview):
            data = bytes(data)
        if isinstance(data, bytes | bytearray):
            self.input_stream = BytesIO(data)
            if self.content_length is None:
                self.content_length = len(data)
        elif hasattr(data, "read"):
            self.input_stream = data
        elif data is not None:
            for key, value in form_pairs(data):
                if _is_file(value):
                    self.files.append((key, value))
                else:
                    self.form.append((key, value if isinstance(value, str | bytes) else str(value)))

    def json_dumps(self, obj: Any) -> str:
        """Serialize ``obj`` for a ``json=`` body, with the app's JSON provider."""
        return str(self.app.json.dumps(obj))

    @property
    def base_url(self) -> str:
        """``scheme://host/script_root/``."""
        return f"{self.url_scheme}://{self.host}{self.script_root}/"

    @base_url.setter
    def base_url(self, value: str) -> None:
        split = urlsplit(value)
        self.url_scheme = split.scheme or "http"
        self.host = split.netloc or "localhost"
        self.script_root = split.path.rstrip("/")

    @property
    def args(self) -> MultiDict[str]:
        """The query string's values."""
        return ImmutableMultiDict(parse_qsl(self.query_string, keep_blank_values=True))

    @property
    def server_name(self) -> str:
        return self.host.rsplit(":", 1)[0] if not self.host.endswith("]") else self.host

    @property
    def server_port(self) -> int:
        host, _, port = self.host.rpartition(":")
        if host and port.isdigit() and not self.host.endswith("]"):
            return int(port)
        return _DEFAULT_PORTS.get(self.url_scheme, 80)

    def _body(self) -> tuple[IO[bytes], str | None, int | None]:
        if self.form or self.files:
            # Form fields and files: encoded as the type given (``content_type``, else a
            # Content-Type header) says, as Werkzeug's builder does; a given multipart type gets the
            # boundary of the body made here. Without a type: multipart with files, else urlencoded.
            given = self.content_type or self.headers.get("Content-Type")
            mimetype = (given or "").partition(";")[0].strip().lower()
            if mimetype == "multipart/form-data" or (self.files and not mimetype):
                data, content_type = encode_multipart(self.form, self.files)
                return BytesIO(data), content_type, len(data)
            if self.files and mimetype != "application/x-www-form-urlencoded":
                data, content_type = encode_multipart(self.form, self.files)
                return BytesIO(data), given, len(data)
            data = urlencode(self.form, doseq=True).encode()
            return BytesIO(data), given or "application/x-www-form-urlencoded", len(data)
        stream = self.input_stream
        if isinstance(stream, BytesIO):  # a body given as bytes: every environ gets its own copy
            stream = BytesIO(stream.getvalue())
        return stream or BytesIO(), self.content_type, self.content_length

    def get_environ(self) -> dict[str, Any]:
        """The WSGI-style environ of this request (``environ_base`` under it, ``environ_overrides``
        over it)."""
        body, content_type, content_length = self._body()
        query = self.query_string
        path = unquote(self.path)
        environ: dict[str, Any] = dict(self.environ_base)
        environ.update(
            {
                "REQUEST_METHOD": self.method,
                "SCRIPT_NAME": unquote(self.script_root),
                "PATH_INFO": path,
                "QUERY_STRING": query,
                "REQUEST_URI": self.script_root + self.path + (f"?{query}" if query else ""),
                "RAW_URI": self.script_root + self.path + (f"?{query}" if query else ""),
                "SERVER_NAME": self.server_name,
                "SERVER_PORT": str(self.server_port),
                "HTTP_HOST": self.host,
                "SERVER_PROTOCOL": "HTTP/1.1",
                "wsgi.version": (1, 0),
                "wsgi.url_scheme": self.url_scheme,
                "wsgi.input": body,
                "wsgi.errors": self.errors_stream or sys.stderr,
                "wsgi.multithread": self.multithread,
                "wsgi.multiprocess": self.multiprocess,
                "wsgi.run_once": self.run_once,
            }
        )
        if content_type is not None:
            environ["CONTENT_TYPE"] = content_type
        if content_length is not None:
            environ["CONTENT_LENGTH"] = str(content_length)
        form_body = bool(self.form or self.files)
        for key, value in self.headers.items():
            name = key.upper().replace("-", "_")
            if name == "CONTENT_TYPE" and form_body:
                continue  # the form's body has its own (the type given, with a boundary if multipart)
            if name in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                environ[name] = value
            else:
                environ[f"HTTP_{name}"] = value
        environ.update(self.environ_overrides)
        return environ

    def close(self) -> None:
        """Close the files given as uploads."""
        for _, value in self.files:
            file = value[0] if isinstance(value, tuple) else value
            if hasattr(file, "close"):
                file.close()


def environ_headers(environ: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The request headers an environ carries (``HTTP_*``, ``CONTENT_TYPE``, ``CONTENT_LENGTH``)."""
    headers: list[tuple[str, str]] = []
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            headers.append((key[5:].replace("_", "-").lower(), str(value)))
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH") and value != "":
            headers.append((key.replace("_", "-").lower(), str(value)))
    if "HTTP_HOST" not in environ:
        port = environ.get("SERVER_PORT", "80")
        default = str(_DEFAULT_PORTS.get(environ.get("wsgi.url_scheme", "http"), 80))
        host = environ.get("SERVER_NAME", "localhost")
        headers.append(("host", host if port == default else f"{host}:{port}"))
    return headers


def environ_body(environ: Mapping[str, Any]) -> bytes:
    """The request body of an environ (``wsgi.input``, up to ``CONTENT_LENGTH`` when given)."""
    stream = environ.get("wsgi.input")
    if stream is None:
        return b""
    length = environ.get("CONTENT_LENGTH")
    data = stream.read(int(length)) if length and str(length).isdigit() else stream.read()
    return data.encode() if isinstance(data, str) else bytes(data)


def environ_to_scope(environ: Mapping[str, Any], app: Any = None) -> dict[str, Any]:
    """The ASGI HTTP scope of a WSGI-style environ (the body is :func:`environ_body`)."""
    root = environ.get("SCRIPT_NAME", "").rstrip("/")
    path = root + (environ.get("PATH_INFO") or "/")
    scheme = environ.get("wsgi.url_scheme", "http")
    remote = environ.get("REMOTE_ADDR")
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": environ.get("SERVER_PROTOCOL", "HTTP/1.1").partition("/")[2] or "1.1",
        "method": environ.get("REQUEST_METHOD", "GET").upper(),
        "scheme": scheme,
        "path": path,
        "raw_path": quote(path, safe="/:@!$&'()*+,;=%~").encode("latin-1"),
        "root_path": root,
        "query_string": environ.get("QUERY_STRING", "").encode("latin-1"),
        "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in environ_headers(environ)],
        "client": (remote, int(environ.get("REMOTE_PORT") or 0)) if remote else None,
        "server": (environ.get("SERVER_NAME", "localhost"), int(environ.get("SERVER_PORT") or 80)),
        ERRORS_STREAM_KEY: environ.get("wsgi.errors"),
    }
    if app is not None:
        scope["app"] = app
    return scope


def make_test_request_context(app: MicroFlask, *args: Any, **kwargs: Any) -> RequestContext:
    """A request context for a request built from :class:`EnvironBuilder`'s arguments, or for a
    ready environ dict (no server involved)."""
    if args and isinstance(args[0], Mapping):
        environ: Mapping[str, Any] = args[0]
    else:
        root_path = kwargs.pop("root_path", None)  # the app's mount point, in ASGI's name
        builder = EnvironBuilder(app, *args, **kwargs)
        if root_path is not None:
            builder.script_root = root_path.rstrip("/")
        try:
            environ = builder.get_environ()
        finally:
            builder.close()
    scope = environ_to_scope(environ, app)
    body = environ_body(environ)
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    request = app.request_class(scope, receive)
    try:
        rule, values = app.url_map.match(
            environ.get("PATH_INFO") or "/", scope["method"], scope["query_string"], domain=app.request_domain(scope)
        )
        request.url_rule, request.view_args = rule, values
    except Exception as e:  # kept, as in Flask, for the code under test to inspect
        request.routing_exception = e
    return RequestContext(app, request)
