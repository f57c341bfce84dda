"""Flask's helpers as Flask's own suite checks them (issue 14, point 8): the environment flags,
send_file/send_static_file from sync code with Werkzeug's response surface, Cache-Control, and
stream_with_context closing what it wraps. Our own tests; the Flask suite is the yardstick."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from microflask import MicroFlask, abort, request, send_file, send_from_directory, session, stream_with_context, url_for
from microflask.datastructures import CacheControl
from microflask.helpers import FileResponse, get_debug_flag, get_load_dotenv

# -- the environment -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, False), ("", False), ("0", False), ("false", False), ("No", False), ("1", True), ("True", True)],
)
def test_get_debug_flag_reads_flask_debug(monkeypatch: pytest.MonkeyPatch, value: str | None, expected: bool) -> None:
    monkeypatch.delenv("MICROFLASK_DEBUG", raising=False)
    if value is None:
        monkeypatch.delenv("FLASK_DEBUG", raising=False)
    else:
        monkeypatch.setenv("FLASK_DEBUG", value)
    assert get_debug_flag() is expected


def test_get_debug_flag_prefers_our_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLASK_DEBUG", "1")
    monkeypatch.setenv("MICROFLASK_DEBUG", "0")
    assert get_debug_flag() is False


def test_get_load_dotenv(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MICROFLASK_SKIP_DOTENV", raising=False)
    monkeypatch.delenv("FLASK_SKIP_DOTENV", raising=False)
    assert get_load_dotenv() is True
    assert get_load_dotenv(False) is False
    monkeypatch.setenv("FLASK_SKIP_DOTENV", "1")
    assert get_load_dotenv() is False
    monkeypatch.setenv("MICROFLASK_SKIP_DOTENV", "0")
    assert get_load_dotenv() is True


# -- files from sync code ----------------------------------------------------------------------------


@pytest.fixture
def app(tmp_path: Path) -> MicroFlask:
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "index.html").write_text("<h1>hi</h1>")
    (tmp_path / "static" / "notes.txt").write_text("notes")
    return MicroFlask(__name__, root_path=str(tmp_path))


def test_send_file_in_sync_code_is_a_flask_style_response(app: MicroFlask) -> None:
    with app.test_request_context(), send_file("static/index.html") as rv:
        assert isinstance(rv, FileResponse)
        assert rv.direct_passthrough
        assert rv.mimetype == "text/html"
        assert rv.status_code == 200
        assert rv.data == b"<h1>hi</h1>"
        assert rv.get_data(as_text=True) == "<h1>hi</h1>"
        assert rv.cache_control.max_age is None
        assert rv.cache_control.no_cache
        rv.cache_control.max_age = 60
        assert rv.headers["cache-control"] == "no-cache, max-age=60"


def test_send_static_file_works_in_sync_and_async_code(app: MicroFlask) -> None:
    app.config["SEND_FILE_MAX_AGE_DEFAULT"] = 3600
    with app.test_request_context():
        with app.send_static_file("index.html") as rv:
            assert rv.cache_control.max_age == 3600
        with app.send_static_file(Path("notes.txt")) as rv:
            assert rv.data == b"notes"

    @app.get("/async")
    async def via_async() -> Any:
        return await app.send_static_file("notes.txt")

    client = app.test_client()
    assert client.get("/async").text == "notes"
    assert client.get("/static/index.html").text == "<h1>hi</h1>"


def test_get_send_file_max_age_override_applies_to_send_file_too(tmp_path: Path) -> None:
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "a.txt").write_text("a")

    class App(MicroFlask):
        def get_send_file_max_age(self, filename: str | None) -> int | None:
            return 10

    app = App(__name__, root_path=str(tmp_path))
    with app.test_request_context():
        assert send_file("static/a.txt").cache_control.max_age == 10
        assert send_from_directory("static", "a.txt").cache_control.max_age == 10
        assert app.send_static_file("a.txt").cache_control.max_age == 10
        assert send_file("static/a.txt", max_age=5).cache_control.max_age == 5


def test_cache_control_parses_and_rewrites() -> None:
    updates: list[str] = []
    cc = CacheControl('public, max-age=30, no-cache="Set-Cookie"', lambda c: updates.append(c.to_header()))
    assert cc.public and cc.max_age == 30 and cc.no_cache and not cc.no_store
    assert cc["no-cache"] == "Set-Cookie"
    cc.public = False
    cc.no_store = True
    cc.max_age = None
    assert updates[-1] == "no-cache=Set-Cookie, no-store"
    assert CacheControl(None).max_age is None
    assert CacheControl("max-age=abc").max_age is None


# -- stream_with_context -----------------------------------------------------------------------------


def test_stream_with_context_closes_the_wrapped_iterator() -> None:
    app = MicroFlask(__name__)
    closed: list[str] = []

    class Chunks:
        def __init__(self) -> None:
            self._it = iter(["a", "b"])

        def __iter__(self) -> Chunks:
            return self

        def __next__(self) -> str:
            return next(self._it) + request.args["end"]

        def close(self) -> None:
            closed.append(request.path)  # still inside the request's context

    @app.get("/stream")
    def stream() -> Any:
        return stream_with_context(Chunks())

    assert app.test_client().get("/stream?end=!").text == "a!b!"
    assert closed == ["/stream"]


def test_stream_with_context_of_a_plain_iterable_and_async_generator() -> None:
    app = MicroFlask(__name__)
    finished: list[bool] = []

    @app.get("/list")
    def from_list() -> Any:
        return stream_with_context(["x", "y"])

    @app.get("/agen")
    async def from_agen() -> Any:
        async def gen() -> Any:
            try:
                yield request.args["v"]
            finally:
                finished.append(True)

        return stream_with_context(gen())

    client = app.test_client()
    assert client.get("/list").text == "xy"
    assert client.get("/agen?v=1").text == "1"
    assert finished == [True]


def test_stream_with_context_decorator_keeps_the_session() -> None:
    app = MicroFlask(__name__)
    app.secret_key = "k"

    @app.get("/")
    def index() -> Any:
        session["who"] = "me"

        @stream_with_context
        def gen() -> Iterator[str]:
            yield session["who"]

        return gen()

    assert app.test_client().get("/").text == "me"


# -- url_for -----------------------------------------------------------------------------------------


def test_url_for_takes_a_value_named_self_and_endpoint_by_keyword() -> None:
    app = MicroFlask(__name__)

    @app.get("/<self>")
    def index(self: str) -> str:
        return self

    with app.test_request_context():
        assert url_for("index", self="2") == "/2"
        assert url_for(endpoint="index", self="3") == "/3"
        assert app.url_for("index", self="4") == "/4"


# -- abort -------------------------------------------------------------------------------------------


def test_abort_without_an_app_raises_werkzeugs_class_when_werkzeug_is_imported() -> None:
    werkzeug_exceptions = pytest.importorskip("werkzeug.exceptions")
    with pytest.raises(werkzeug_exceptions.Unauthorized):
        abort(401)
    with pytest.raises(LookupError):
        abort(900)


def test_typing_aliases_are_objects_at_run_time() -> None:
    # Flask code evaluates them in annotations (Flask-Admin: "-> ResponseReturnValue | None").
    from typing import TypeVar, get_args

    from microflask.typing import ResponseClass, ResponseReturnValue, ResponseValue

    assert type(None) in get_args(ResponseReturnValue | None)
    assert str in get_args(ResponseValue)
    assert isinstance(ResponseClass, TypeVar)
