"""Flask's signals, with the same names and arguments (``flask.signals``), built on blinker.

    from microflask import request_started

    @request_started.connect_via(app)
    def log_request(sender, **extra): ...

Nothing is sent while nobody listens: the first ``connect`` on any of these signals sets
:data:`state.connected`, and the request path checks that one flag before it looks at any
signal, so an app without receivers pays one attribute read per request stage. Receivers may
be plain functions or ``async def`` functions; on the request path both are awaited in order
(:func:`send_async`), from a sync view's worker thread async receivers run on the loop (:func:`send_sync`).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Coroutine
from typing import Any

import anyio.from_thread
from blinker import ANY, NamedSignal, Namespace, Signal

__all__ = [
    "Namespace",
    "Signal",
    "appcontext_popped",
    "appcontext_pushed",
    "appcontext_tearing_down",
    "before_render_template",
    "got_request_exception",
    "message_flashed",
    "request_finished",
    "request_started",
    "request_tearing_down",
    "send_async",
    "send_async_to_all",
    "send_sync",
    "send_sync_to_all",
    "state",
    "template_rendered",
]


class _State:
    """Whether any receiver was ever connected to one of microflask's signals."""

    __slots__ = ("connected",)

    def __init__(self) -> None:
        self.connected = False


#: Read on the request path: ``False`` until a receiver connects to one of the signals below.
state = _State()


class _FrameworkSignal(NamedSignal):
    """A blinker signal that switches :data:`state` on when a receiver connects."""

    def connect(self, receiver: Any, sender: Any = ANY, weak: bool = True) -> Any:
        state.connected = True
        return super().connect(receiver, sender, weak)


class _FrameworkNamespace(Namespace):
    def signal(self, name: str, doc: str | None = None) -> NamedSignal:
        if name not in self:
            self[name] = _FrameworkSignal(name, doc)
        return self[name]


_signals = _FrameworkNamespace()

#: ``sender=app, template=, context=``: a template was rendered.
template_rendered = _signals.signal("template-rendered")
#: ``sender=app, template=, context=``: a template is about to be rendered (the context may be changed).
before_render_template = _signals.signal("before-render-template")
#: ``sender=app``: a request starts, before the ``before_request`` functions.
request_started = _signals.signal("request-started")
#: ``sender=app, response=``: the response is final (after ``after_request`` and the session).
request_finished = _signals.signal("request-finished")
#: ``sender=app, exc=``: the request's ``teardown_request`` functions ran.
request_tearing_down = _signals.signal("request-tearing-down")
#: ``sender=app, exception=``: an unhandled exception, before it becomes a 500.
got_request_exception = _signals.signal("got-request-exception")
#: ``sender=app, exc=``: the ``teardown_appcontext`` functions ran.
appcontext_tearing_down = _signals.signal("appcontext-tearing-down")
#: ``sender=app``: an app context (also each request's) was pushed.
appcontext_pushed = _signals.signal("appcontext-pushed")
#: ``sender=app``: an app context was popped.
appcontext_popped = _signals.signal("appcontext-popped")
#: ``sender=app, message=, category=``: ``flash()`` was called.
message_flashed = _signals.signal("message-flashed")


def _awaitable(receiver: Callable[..., Any]) -> Callable[..., Coroutine[Any, Any, Any]]:
    async def call(*args: Any, **kwargs: Any) -> Any:
        return receiver(*args, **kwargs)

    return call


def _on_lane(lane: Any) -> Callable[[Callable[..., Any]], Callable[..., Coroutine[Any, Any, Any]]]:
    def wrap(receiver: Callable[..., Any]) -> Callable[..., Coroutine[Any, Any, Any]]:
        async def call(*args: Any, **kwargs: Any) -> Any:
            return await lane.run(functools.partial(receiver, *args, **kwargs))

        return call

    return wrap


async def send_async(signal: Signal, sender: Any, _lane: Any = None, **kwargs: Any) -> None:
    """Send ``signal`` from async code: async receivers are awaited, sync ones called inline, or
    on ``_lane`` (the request's ``ThreadLane``, for a ``def`` view's request): sync code of a
    request runs on one thread, as in Flask, where it can read the request's body."""
    if signal.receivers:
        await signal.send_async(sender, _sync_wrapper=_awaitable if _lane is None else _on_lane(_lane), **kwargs)


def _through_the_loop(receiver: Callable[..., Any]) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return anyio.from_thread.run(functools.partial(receiver, *args, **kwargs))
        except RuntimeError as e:
            if "worker thread" not in str(e) and "event loop" not in str(e):
                raise
            raise RuntimeError(
                f"The signal receiver {getattr(receiver, '__qualname__', receiver)!r} is async, but the signal was"
                " sent from sync code with no event loop to run it on (a plain 'with' block): use a sync"
                " receiver, or 'async with'."
            ) from None

    return call


def send_sync(signal: Signal, sender: Any, **kwargs: Any) -> None:
    """Send ``signal`` from sync code: in a sync view's worker thread, async receivers run on the
    event loop; in sync code with no loop behind it they are refused with a clear error."""
    if signal.receivers:
        signal.send(sender, _async_wrapper=_through_the_loop, **kwargs)


async def send_async_to_all(signal: Signal, sender: Any, **kwargs: Any) -> list[Exception]:
    """:func:`send_async`, going on to every receiver when one raises: their errors, in order
    (teardown signals, where every receiver must run, as every teardown function)."""
    failed: list[Exception] = []
    for receiver in signal.receivers_for(sender) if signal.receivers else ():
        try:
            result = receiver(sender, **kwargs)
            if inspect.isawaitable(result):
                await result
        except Exception as e:
            failed.append(e)
    return failed


def send_sync_to_all(signal: Signal, sender: Any, **kwargs: Any) -> list[Exception]:
    """:func:`send_sync`, going on to every receiver when one raises: their errors, in order."""
    failed: list[Exception] = []
    for receiver in signal.receivers_for(sender) if signal.receivers else ():
        try:
            if inspect.iscoroutinefunction(receiver):
                _through_the_loop(receiver)(sender, **kwargs)
            else:
                receiver(sender, **kwargs)
        except Exception as e:
            failed.append(e)
    return failed
