"""Class-based views: :class:`View` and :class:`MethodView`, with async or sync methods.

``app.add_url_rule("/users/<int:id>", view_func=UserAPI.as_view("user"))``. A view whose
methods are all ``async def`` becomes an async view; one whose methods are all plain
``def`` a sync view (run on a worker thread like any sync view); mixed methods work too,
the sync ones then run on a worker thread.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, ClassVar

import anyio.to_thread

from .globals import request

__all__ = ["MethodView", "View", "http_method_funcs"]

HTTP_METHOD_FUNCS = frozenset(["get", "post", "head", "options", "delete", "put", "trace", "patch"])
#: Flask's name for it (``flask.views.http_method_funcs``, which Flask-RESTX imports).
http_method_funcs = HTTP_METHOD_FUNCS


class View:
    """Subclass and implement ``dispatch_request(**view_args)`` (async or sync)."""

    #: The methods the rule allows (``add_url_rule`` uses them when none are given).
    methods: ClassVar[set[str] | None] = None
    #: Whether ``add_url_rule`` adds OPTIONS automatically.
    provide_automatic_options: ClassVar[bool | None] = None
    #: Applied to the generated view function, in order (the first is innermost).
    decorators: ClassVar[list[Callable[..., Any]]] = []
    #: Make a new instance for every request (True, Flask's default), or share one (False: faster,
    #: but nothing per request may be stored on ``self``).
    init_every_request: ClassVar[bool] = True

    def dispatch_request(self, **kwargs: Any) -> Any:
        raise NotImplementedError()

    @classmethod
    def _is_async(cls) -> bool | None:
        """True if the class's handlers are all async, False if all sync, None if mixed."""
        return inspect.iscoroutinefunction(cls.dispatch_request)

    @classmethod
    def as_view(cls, name: str, *class_args: Any, **class_kwargs: Any) -> Callable[..., Any]:
        """A view function for ``add_url_rule``; ``class_args``/``class_kwargs`` go to ``__init__``."""
        # The view function closes over class_args and class_kwargs, as Flask's does: code written
        # for Flask reads them from its closure to make the instance itself (Flask-Injector).
        is_async = cls._is_async() is not False
        if cls.init_every_request and not is_async:

            def view(**kwargs: Any) -> Any:
                # view.view_class, not cls: replacing it on the view function takes effect (as Flask).
                self = view.view_class(*class_args, **class_kwargs)  # type: ignore[attr-defined]
                return self.dispatch_request(**kwargs)

        elif cls.init_every_request:

            async def view(**kwargs: Any) -> Any:  # type: ignore[misc]
                self = view.view_class(*class_args, **class_kwargs)  # type: ignore[attr-defined]
                rv = self.dispatch_request(**kwargs)
                return await rv if inspect.isawaitable(rv) else rv

        else:
            shared = cls(*class_args, **class_kwargs)
            if not is_async:

                def view(**kwargs: Any) -> Any:
                    return shared.dispatch_request(**kwargs)

            else:

                async def view(**kwargs: Any) -> Any:  # type: ignore[misc]
                    rv = shared.dispatch_request(**kwargs)
                    return await rv if inspect.isawaitable(rv) else rv

        for decorator in cls.decorators:
            view = decorator(view)
        view.__name__ = name
        view.__qualname__ = name
        view.__doc__ = cls.__doc__
        view.__module__ = cls.__module__
        view.view_class = cls  # type: ignore[attr-defined]
        view.methods = cls.methods  # type: ignore[attr-defined]
        view.provide_automatic_options = cls.provide_automatic_options  # type: ignore[attr-defined]
        return view


class MethodView(View):
    """Dispatches to the method named after the request's HTTP method: ``get``, ``post``, ...

    ``methods`` is worked out from the methods defined. HEAD falls back to ``get``.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "methods" not in cls.__dict__:
            methods = {name.upper() for name in HTTP_METHOD_FUNCS if hasattr(cls, name)}
            for base in cls.__bases__:
                methods.update(getattr(base, "methods", None) or ())
            if methods:
                cls.methods = methods

    @classmethod
    def _is_async(cls) -> bool | None:
        handlers = [getattr(cls, name) for name in HTTP_METHOD_FUNCS if hasattr(cls, name)]
        kinds = {inspect.iscoroutinefunction(h) for h in handlers}
        if kinds == {False}:
            return False
        return True if kinds == {True} else None

    def dispatch_request(self, **kwargs: Any) -> Any:
        handler = getattr(self, request.method.lower(), None)
        if handler is None and request.method == "HEAD":
            handler = getattr(self, "get", None)
        if handler is None:
            raise AssertionError(f"Unimplemented method {request.method!r}")
        if type(self)._is_async() is None and not inspect.iscoroutinefunction(handler):
            # A sync method of a mixed view: keep the event loop free.
            return anyio.to_thread.run_sync(functools.partial(handler, **kwargs))
        return handler(**kwargs)
