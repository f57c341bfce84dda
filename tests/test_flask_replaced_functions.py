"""Code written for Flask that replaces an app's functions after they were registered (as
Flask-Injector does, wrapping every view and hook to inject their arguments):

- the view function ``View.as_view`` makes closes over ``class_args`` and ``class_kwargs``, as
  Flask's does, so such code can make the instance itself from them;
- views, ``before_request``/``after_request``/``teardown_request`` hooks, context processors
  and error handlers replaced in the app's containers (``view_functions``,
  ``before_request_funcs``, ``error_handler_spec``...) before the first request are the ones
  served (the app's plans are made when it first serves);
- outside a context our proxies (``request``, ``g``, ``session``...) count as Werkzeug's
  ``LocalProxy`` once ``werkzeug.local`` is imported, so such code leaves them alone when it
  walks ``app.jinja_env.globals``."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any

import pytest

from microflask import MicroFlask, Request, g, render_template_string, request, session
from microflask.globals import _Proxy
from microflask.views import MethodView, View


def closure_of(view: Callable[..., Any]) -> dict[str, Any]:
    cells = view.__closure__ or ()
    return dict(zip(view.__code__.co_freevars, (cell.cell_contents for cell in cells), strict=True))


class Greeting(View):
    def __init__(self, word: str = "hello", *, punct: str = ".") -> None:
        self.word, self.punct = word, punct

    def dispatch_request(self, name: str) -> str:
        return f"{self.word} {name}{self.punct}"


class AsyncGreeting(Greeting):
    async def dispatch_request(self, name: str) -> str:  # type: ignore[override]
        return f"{self.word} {name}{self.punct} (async)"


class Notes(MethodView):
    def __init__(self, store: list[str]) -> None:
        self.store = store

    def get(self) -> str:
        return ",".join(self.store)

    async def post(self) -> str:
        self.store.append("new")
        return "added"


@pytest.mark.parametrize("cls", [Greeting, AsyncGreeting])
def test_as_view_closes_over_the_class_arguments(cls: type[View]) -> None:
    view = cls.as_view("greet", "hi", punct="!")
    closure = closure_of(view)
    assert closure["class_args"] == ("hi",)
    assert closure["class_kwargs"] == {"punct": "!"}
    assert view.view_class is cls  # type: ignore[attr-defined]


@pytest.mark.parametrize("cls", [Greeting, AsyncGreeting])
def test_a_view_made_from_the_closure_replaces_the_apps(cls: type[View]) -> None:
    app = MicroFlask(__name__)
    app.add_url_rule("/greet/<name>", view_func=cls.as_view("greet", punct="!"))
    made: list[str] = []

    def replace(fun: Callable[..., Any]) -> Callable[..., Any]:
        view_class, class_kwargs = fun.view_class, closure_of(fun)["class_kwargs"]  # type: ignore[attr-defined]

        def view(*args: Any, **kwargs: Any) -> Any:
            made.append(view_class.__name__)
            return view_class(word="howdy", **class_kwargs).dispatch_request(*args, **kwargs)

        view.view_class = view_class  # type: ignore[attr-defined]
        return view

    app.view_functions["greet"] = replace(app.view_functions["greet"])
    r = app.test_client().get("/greet/ada")
    assert r.text.startswith("howdy ada!")
    assert made == [cls.__name__]


def test_a_method_view_with_sync_and_async_methods_made_from_its_closure() -> None:
    app = MicroFlask(__name__)
    store = ["a"]
    app.add_url_rule("/notes", view_func=Notes.as_view("notes", store=store))
    original = app.view_functions["notes"]

    def view(**kwargs: Any) -> Any:  # a sync function, returning the coroutine of post()
        return original.view_class(**closure_of(original)["class_kwargs"]).dispatch_request(**kwargs)  # type: ignore[attr-defined]

    app.view_functions["notes"] = view
    client = app.test_client()
    assert client.post("/notes").text == "added"
    assert client.get("/notes").text == "a,new"


def wrapped(fun: Callable[..., Any], tag: str) -> Callable[..., Any]:
    """A sync replacement of ``fun`` that records the call, as an injecting wrapper would."""

    @functools.wraps(fun)
    def call(*args: Any, **kwargs: Any) -> Any:
        g.calls = [*g.get("calls", []), tag]
        return fun(*args, **kwargs)

    return call


@pytest.mark.parametrize("kind", ["def", "async"])
def test_hooks_and_handlers_replaced_in_place_before_the_first_request(kind: str) -> None:
    app = MicroFlask(__name__)
    seen: list[list[str]] = []

    if kind == "def":

        @app.get("/page")
        def page() -> str:
            return render_template_string("{{ tag }} {{ g.calls|join(',') }}")

    else:

        @app.get("/page")
        async def page() -> str:
            return await render_template_string("{{ tag }} {{ g.calls|join(',') }}")  # type: ignore[misc]

    @app.before_request
    def before() -> None:
        pass

    @app.after_request
    def after(response: Any) -> Any:
        response.headers["X-Calls"] = ",".join(g.calls)
        return response

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        seen.append(list(g.calls))

    @app.context_processor
    def tag() -> dict[str, str]:
        return {"tag": "T"}

    @app.errorhandler(404)
    def not_found(e: Exception) -> Any:
        return "none " + ",".join(g.calls), 404

    # Replaced in place, as Flask-Injector does: dict entries and list items.
    app.view_functions["page"] = wrapped(app.view_functions["page"], "view")
    for name, funcs in [
        ("before", app.before_request_funcs),
        ("after", app.after_request_funcs),
        ("teardown", app.teardown_request_funcs),
        ("context", app.template_context_processors),
    ]:
        funcs[None][:] = [wrapped(f, name) for f in funcs[None]]
    handlers = app.error_handler_spec[None][404]
    for cls in handlers:
        handlers[cls] = wrapped(handlers[cls], "404")

    client = app.test_client()
    r = client.get("/page")
    assert r.text == "T before,view,context"
    assert r.headers["X-Calls"] == "before,view,context,after"
    r = client.get("/nope")
    assert r.status_code == 404 and r.text == "none before,404"
    assert seen == [["before", "view", "context", "after", "teardown"], ["before", "404", "after", "teardown"]]


def test_proxies_count_as_werkzeugs_local_proxy_outside_a_context() -> None:
    local = pytest.importorskip("werkzeug.local")
    app = MicroFlask(__name__)
    for proxy in (request, g, session):
        assert isinstance(proxy, local.LocalProxy)
        assert isinstance(proxy, _Proxy)
    for value in app.jinja_env.globals.values():
        if isinstance(value, _Proxy):
            assert isinstance(value, local.LocalProxy)
    with app.test_request_context("/"):
        assert isinstance(request, Request)  # inside, the object's own class, as before
        assert not isinstance(request, local.LocalProxy)


def test_proxies_outside_a_context_without_werkzeug(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "werkzeug.local", raising=False)
    assert request.__class__ is _Proxy
