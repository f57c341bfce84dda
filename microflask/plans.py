"""Per-endpoint plans: the work that depends only on the endpoint, done once at startup.

When the app starts serving, every endpoint gets an :class:`EndpointPlan`: its view, whether
that view is async, and its hook chains (app and blueprint hooks, already ordered). The
request path then just walks these tuples.
"""

from __future__ import annotations

import inspect
import sys
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .concurrency import is_async_callable

if TYPE_CHECKING:
    from starlette.types import Receive, Scope, Send

    from .app import MicroFlask
    from .appbase import AppBase
    from .ctx import AppContext
    from .routing import Rule

__all__ = ["EndpointPlan", "Hook", "RuleEndpoint", "hooks", "plan_of", "supports_flask_extensions", "teardown_hooks"]

Hook = tuple[Callable[..., Any], bool]  # (function, is it a coroutine function)


def hooks(funcs: list[Callable[..., Any]]) -> tuple[Hook, ...]:
    """Pair each function with whether it must be awaited."""
    return tuple((f, is_async_callable(f)) for f in funcs)


class EndpointPlan:
    """What one endpoint runs, worked out once: its view and hook chains in call order."""

    __slots__ = (
        "after",
        "before",
        "endpoint",
        "lean",
        "preprocessors",
        "reads_body_first",
        "scopes",
        "teardown_app",
        "teardown_request",
        "threaded",
        "view",
        "view_is_async",
    )

    def __init__(
        self,
        app: MicroFlask,
        endpoint: str | None,
        view: Callable[..., Any] | None,
        websocket: bool = False,
        for_extensions: bool = False,
    ) -> None:
        # Hooks apply from the app down to the innermost blueprint ("a", "a.b" for "a.b.view").
        parts = endpoint.split(".")[:-1] if endpoint else []
        outer_first: list[str | None] = [None] + [".".join(parts[: i + 1]) for i in range(len(parts))]
        inner_first = outer_first[::-1]
        self.endpoint = endpoint
        self.view = view
        # A sync decorator written for Flask (functools.wraps) around an async view counts as async:
        # it runs on the event loop and the coroutine it returns is awaited. For Flask extensions
        # (see supports_flask_extensions) it runs on the worker thread instead, where ensure_sync gives it
        # the view's result (Flask-Caching caches it), as in Flask.
        wraps_async = view is not None and not is_async_callable(view) and is_async_callable(inspect.unwrap(view))
        self.view_is_async = (
            view is None or is_async_callable(view) or (wraps_async and (websocket or not for_extensions))
        )
        self.scopes = tuple(inner_first)
        self.preprocessors = hooks([f for s in outer_first for f in app.url_value_preprocessors.get(s, ())])
        # A websocket endpoint runs the websocket hooks instead (as Quart).
        before = app.before_websocket_funcs if websocket else app.before_request_funcs
        after = app.after_websocket_funcs if websocket else app.after_request_funcs
        teardown_funcs = app.teardown_websocket_funcs if websocket else app.teardown_request_funcs
        self.before = hooks([f for s in outer_first for f in before.get(s, ())])
        self.after = hooks([f for s in inner_first for f in reversed(after.get(s, ()))])
        teardown = [f for s in inner_first for f in reversed(teardown_funcs.get(s, ()))]
        self.teardown_request = hooks(teardown)
        self.teardown_app = hooks(list(reversed(app.teardown_appcontext_funcs)))
        # A sync view takes the whole request onto one worker thread (see concurrency.py).
        self.threaded = not self.view_is_async
        #: Sync code on the event loop (a Flask extension's hooks) reads the body without waiting:
        #: the request path reads it before the hooks (see RequestBody.body_to_read_first).
        self.reads_body_first = for_extensions and not self.threaded and not websocket
        #: Nothing runs around the async view (no hook of any kind, no session opened before it;
        #: at most the body read first): the request path calls the view at once
        #: (MicroFlask._serve_lean).
        self.lean = (
            view is not None
            and not websocket
            and self.view_is_async
            and app.session_interface.opens_lazily
            and not (self.preprocessors or self.before or self.after or self.teardown_request or self.teardown_app)
        )


def supports_flask_extensions(app: MicroFlask) -> bool:
    """Whether the app's plans serve Flask extensions' sync code (``app.flask_extension_support``,
    by default (None) whether ``microflask.flask_patch`` is active): the body is read before
    async views and their hooks, and sync decorators around async views run on a worker thread."""
    setting = app.flask_extension_support
    if setting is not None:
        return bool(setting)
    patch = sys.modules.get("microflask.flask_patch")  # never imported here: only looked at
    return patch is not None and bool(patch.patched())


def teardown_hooks(app: MicroFlask, ctx: AppContext) -> tuple[tuple[Hook, ...], tuple[Hook, ...]]:
    """The teardown functions for leaving ``ctx``: the request's (none without a request), then
    the app context's."""
    if ctx.request is None:
        return (), hooks(list(reversed(app.teardown_appcontext_funcs)))
    rule = ctx.request.url_rule
    plan = rule.plan if rule is not None and rule.plan is not None else None
    if plan is None:
        plan = EndpointPlan(app, rule.endpoint if rule is not None else None, None)
    return plan.teardown_request, plan.teardown_app


def plan_of(ctx: AppContext) -> EndpointPlan:
    """The plan of the context's request: its rule's, or the app's plan for requests that no
    rule matched (and for a context without a request)."""
    app = ctx.app
    if app._entry is None:
        app._ensure_setup()  # type: ignore[attr-defined]  # plans exist once the app froze (as serving does)
    rule = ctx.request.url_rule if ctx.request is not None else None
    plan = rule.plan if rule is not None else None
    if plan is None:
        plan = ctx.app._no_route_plan or EndpointPlan(ctx.app, None, None)
    return plan  # type: ignore[no-any-return]


class RuleEndpoint:
    """The ASGI app of one rule's Starlette route: dispatches with Starlette's path params."""

    def __init__(self, app: AppBase, rule: Rule) -> None:
        self.app = weakref.proxy(app)  # the app holds its routes: no reference cycle back to it
        self.rule = rule

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app._serve_rule(self.rule, scope, receive, send)
