"""Handing a request's contexts to a worker thread as Flask-Executor does: ``copy.copy(g)``
copies the object behind the proxy (as Werkzeug's proxies do); a function wrapped by
``copy_current_request_context`` called where an app context of the same app is active (the
worker pushed one, with that copy of ``g``) sees the request and that context's ``g``, as Flask
joins a request to an active app context; called where none is active it keeps the request's
``g`` (as before)."""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from typing import Any

import pytest

from microflask import MicroFlask, copy_current_request_context, current_app, g, request
from microflask.globals import _cv_app


def test_copy_of_g_is_a_copy_of_the_globals() -> None:
    app = MicroFlask(__name__)
    with app.app_context():
        g.user = "ann"
        g.items = [1]
        shallow, deep = copy.copy(g), copy.deepcopy(g)
        assert type(shallow) is app.app_ctx_globals_class
        assert shallow.user == "ann" and deep.items == [1]
        shallow.user = "bob"
        deep.items.append(2)
        assert g.user == "ann" and g.items == [1]
        assert shallow.items is g.items and deep.items is not g.items


def in_thread(func: Callable[[], Any]) -> Any:
    out: list[Any] = []
    thread = threading.Thread(target=lambda: out.append(func()))
    thread.start()
    thread.join()
    return out[0]


@pytest.mark.parametrize("kind", ["def", "async"])
def test_copied_request_context_joins_an_app_context_active_where_it_runs(kind: str) -> None:
    app = MicroFlask(__name__)

    def handing_over() -> Any:
        g.user = "ann"
        snapshot = copy.copy(g)

        @copy_current_request_context
        def job() -> tuple[str, str, str]:
            seen = (request.args["x"], g.user, current_app.name)
            g.user = "changed in the worker"
            return seen

        def worker() -> Any:
            with app.app_context():
                _cv_app.get().g = snapshot  # what Flask-Executor does in its worker
                return job()

        seen = in_thread(worker)
        after_joined = g.user  # the worker changed its copy only
        plain = in_thread(job)  # no app context active there: the request's own g
        return {"seen": list(seen), "after_joined": after_joined, "plain": list(plain), "after": g.user}

    if kind == "def":
        app.get("/")(handing_over)
    else:

        async def async_handing_over() -> Any:
            return handing_over()

        app.get("/")(async_handing_over)

    data = app.test_client().get("/?x=7").get_json()
    assert data["seen"] == ["7", "ann", app.name]
    assert data["after_joined"] == "ann"
    assert data["plain"] == ["7", "ann", app.name]
    assert data["after"] == "changed in the worker"  # by the plain call, which shares the request's g


def test_another_apps_context_is_not_joined() -> None:
    app, other = MicroFlask("first"), MicroFlask("other")

    @app.get("/")
    def index() -> str:
        g.user = "ann"

        @copy_current_request_context
        def job() -> str:
            return f"{current_app.name} {g.user}"

        def worker() -> str:
            with other.app_context():
                return job()

        return str(in_thread(worker))

    assert app.test_client().get("/").text == "first ann"
