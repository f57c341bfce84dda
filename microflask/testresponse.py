"""What the test clients return: httpx responses with the names of Flask's test response
(``data``, ``get_json()``, ``headers.getlist()``, ``allow``, ``vary``, ``history``,
``request.path``), usable as a context manager (``with client.get("/") as rv:``)."""

from __future__ import annotations

import json as _json
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl

import httpx2

from .datastructures import MultiDict, header_set_property
from .httputil import converted_values, is_json_mimetype, parse_options_header

__all__ = ["TestHeaders", "TestRequest", "TestResponse", "as_test_response"]


class TestHeaders(httpx2.Headers):
    """httpx's headers with Werkzeug's names: ``getlist`` and ``get_all``."""

    __test__ = False

    def getlist(self, key: str, type: Any = None) -> list[Any]:
        """Every value of ``key`` (converted by ``type`` when given; values it rejects are skipped)."""
        return converted_values(self.get_list(key), type)

    def get_all(self, key: str) -> list[str]:
        """Every value of ``key``."""
        return self.get_list(key)


class TestRequest(httpx2.Request):
    """The request a test response answers (``rv.request``), with Flask's names for its parts."""

    __test__ = False

    @property
    def path(self) -> str:
        return self.url.path

    @property
    def query_string(self) -> bytes:
        return self.url.query

    @property
    def full_path(self) -> str:
        return f"{self.path}?{self.url.query.decode('latin-1')}"

    @property
    def args(self) -> MultiDict[str]:
        return MultiDict(parse_qsl(self.url.query.decode("latin-1"), keep_blank_values=True))

    @property
    def host(self) -> str:
        return self.headers.get("host") or self.url.netloc.decode("ascii")

    @property
    def scheme(self) -> str:
        return self.url.scheme

    @property
    def environ(self) -> dict[str, Any]:
        """The environ the test client built this request from (empty for a redirect's request)."""
        return dict(self.__dict__.get("test_environ") or {})


class TestResponse(httpx2.Response):
    """An httpx response with Flask's test-response names."""

    __test__ = False  # not a pytest test class
    headers: TestHeaders

    @property
    def data(self) -> bytes:
        """The body as bytes, as the app sent it: still gzip-compressed, say, as with Flask's
        client (httpx's ``content`` and ``text`` are decoded)."""
        return self.extensions.get("microflask.raw_body", self.content)  # type: ignore[no-any-return]

    @property
    def status(self) -> str:
        """``"200 OK"``."""
        return f"{self.status_code} {self.reason_phrase.upper()}"

    @property
    def mimetype(self) -> str:
        return parse_options_header(self.headers.get("content-type"))[0]

    @property
    def mimetype_params(self) -> dict[str, str]:
        return parse_options_header(self.headers.get("content-type"))[1]

    @property
    def content_type(self) -> str | None:
        return self.headers.get("content-type")

    @property
    def content_length(self) -> int | None:
        value = self.headers.get("content-length")
        return int(value) if value is not None and value.isdigit() else None

    @property
    def location(self) -> str | None:
        return self.headers.get("location")

    allow = header_set_property("Allow", "The ``Allow`` methods: ``sorted(rv.allow) == ['GET', 'HEAD', 'OPTIONS']``.")
    vary = header_set_property("Vary", "The ``Vary`` header's names (case-insensitive): ``'cookie' in rv.vary``.")

    def get_data(self, as_text: bool = False) -> bytes | str:
        """The body (``str`` with ``as_text``), as Flask's test response: see :attr:`data`."""
        if "microflask.raw_body" in self.extensions:
            data = self.data
            return data.decode(self.encoding or "utf-8", "replace") if as_text else data
        return self.text if as_text else self.content

    @property
    def is_json(self) -> bool:
        return is_json_mimetype(self.mimetype)

    def get_json(self, force: bool = False, silent: bool = False) -> Any:
        """The body parsed as JSON; None when it is not JSON and ``silent`` (raises otherwise)."""
        if not (force or self.is_json):
            if silent:
                return None
            raise ValueError(f"The response is not JSON (Content-Type: {self.headers.get('content-type')!r}).")
        try:
            return _json.loads(self.content)
        except ValueError:
            if silent:
                return None
            raise

    @property  # type: ignore[override]
    def json(self) -> Any:
        """The body parsed as JSON (a property, as Flask's test response)."""
        return self.get_json()

    def __enter__(self) -> TestResponse:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def as_test_response(response: httpx2.Response, raw_body: bytes | None = None) -> TestResponse:
    """Give an httpx response (and its redirect history, and their requests) Flask's names.
    ``raw_body``: the body as the app sent it, which ``data`` gives when httpx decoded a
    ``Content-Encoding`` (Flask's client returns the encoded bytes)."""
    if raw_body is not None and response.headers.get("content-encoding", "identity") != "identity":
        response.extensions["microflask.raw_body"] = raw_body
    for item in (*response.history, response):
        item.__class__ = TestResponse
        item.headers.__class__ = TestHeaders
        request = item._request
        if request is not None and type(request) is httpx2.Request:
            request.__class__ = TestRequest
    return response  # type: ignore[return-value]
