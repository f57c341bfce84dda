"""Running a request's sync code: one worker thread per request, like a WSGI server.

A request to a plain ``def`` view runs its sync hooks, the view and its sync teardown
functions on one worker thread, in order (a :class:`ThreadLane`). Code written for Flask
keeps working: a ``sqlite3`` connection opened in ``before_request`` can be used by the
view and closed in ``teardown_appcontext``, since all three run on the same thread.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
import queue
import threading
from asyncio.events import _get_running_loop
from collections.abc import Awaitable, Callable, Coroutine, Generator
from types import FrameType, TracebackType
from typing import Any, NoReturn, TypeVar

import anyio
import anyio.from_thread
import anyio.to_thread
from anyio.abc import TaskGroup

__all__ = [
    "MissingAwaitError",
    "Pending",
    "ThreadLane",
    "async_partial",
    "awaiting_caller",
    "call_async_from_sync",
    "finish_without_loop",
    "is_async_callable",
    "on_event_loop",
]

T = TypeVar("T")
_Job = tuple[contextvars.Context, Callable[..., Any], tuple[Any, ...], list[Any], anyio.Event]


class ThreadLane:
    """Runs sync callables one after another on a single worker thread.

    ``async with ThreadLane() as lane: value = await lane.run(func, *args)``. The thread is
    taken from anyio's pool on the first ``run`` and given back when the block exits. Each
    call sees the caller's context variables at the time of the call, and the variables it
    sets stay set for the caller (as when the request's sync code shares one thread).

    Re-entrant: sync code on the lane's thread that waits for the event loop
    (:func:`call_async_from_sync`: a ``def`` view calling ``app.preprocess_request()``) may be
    waiting for something that runs a sync function on this same lane (the ``before_request``
    hooks); while it waits, the thread runs such calls itself instead of deadlocking.
    """

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[_Job | _Wake | None] = queue.SimpleQueue()
        self._task_group: TaskGroup | None = None
        self._started = False
        self._woken: set[_Wake] = set()  # waits of the thread whose answer came while another ran

    async def __aenter__(self) -> ThreadLane:
        self._task_group = anyio.create_task_group()
        await self._task_group.__aenter__()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool | None:
        if self._started:
            self._jobs.put(None)
        assert self._task_group is not None
        # Wait for the thread to finish, but let the request's own exception pass unchanged
        # (not wrapped in an ExceptionGroup, as exiting the task group with it would).
        await self._task_group.__aexit__(None, None, None)
        return None

    async def run(self, func: Callable[..., Any], *args: Any) -> Any:
        """Call ``func(*args)`` on the lane's thread and return (or raise) what it did."""
        if not self._started:
            assert self._task_group is not None, "use 'async with ThreadLane()'"
            self._task_group.start_soon(anyio.to_thread.run_sync, self._work)
            self._started = True
        done = anyio.Event()
        outcome: list[Any] = []
        context = contextvars.copy_context()
        self._jobs.put((context, func, args, outcome, done))
        await done.wait()
        _keep_changes(context)
        return _result(outcome)

    def _work(self) -> None:
        _on_lane.lane = self
        try:
            while (job := self._jobs.get()) is not None:
                assert not isinstance(job, _Wake), "an answer for a wait nobody is in"
                self._do(job)
        finally:
            _on_lane.lane = None  # the thread goes back to anyio's pool

    @staticmethod
    def _do(job: _Job) -> None:
        context, func, args, outcome, done = job
        try:
            outcome.append((True, context.run(func, *args)))
        except BaseException as e:  # handed to the waiting task, which re-raises it
            outcome.append((False, e))
        anyio.from_thread.run_sync(done.set)

    def wait_for_loop(self, func: Callable[[], Coroutine[Any, Any, T]]) -> T:
        """On the lane's own thread: ``await func()`` on the event loop and return its result,
        running meanwhile what the loop asks of this lane (see the class docstring)."""
        wake = _Wake()
        outcome: list[Any] = []

        async def on_loop() -> None:
            try:
                outcome.append((True, await func()))
            except BaseException as e:  # re-raised on the thread; the lane's task group stays whole
                outcome.append((False, e))
            self._jobs.put(wake)

        task_group = self._task_group
        assert task_group is not None

        def start() -> None:
            task_group.start_soon(on_loop)

        # Started in a copy of this thread's context variables, as anyio.from_thread.run does.
        anyio.from_thread.run_sync(contextvars.copy_context().run, start)
        while wake not in self._woken:
            item = self._jobs.get()
            if isinstance(item, _Wake):
                self._woken.add(item)
            else:
                assert item is not None, "the lane was closed while its thread waited"
                self._do(item)
        self._woken.discard(wake)
        return _result(outcome)  # type: ignore[no-any-return]


def _result(outcome: list[Any]) -> Any:
    """What a call handed between the loop and a thread returned, or raise what it raised:
    ``outcome`` holds one ``(True, value)`` or ``(False, exception)``."""
    ok, value = outcome[0]
    if ok:
        return value
    raise value


class _Wake:
    """The answer to one :meth:`ThreadLane.wait_for_loop` has come (put in the lane's queue)."""

    __slots__ = ()


_on_lane = threading.local()  # .lane: the ThreadLane whose thread this is, while it serves one


def _keep_changes(context: contextvars.Context) -> None:
    """Set here the context variables that code run in ``context`` changed: in Flask a request's
    hooks and view share one thread, so what a ``before_request`` function sets in a
    ``ContextVar`` the view and ``after_request`` see (Flask-DebugToolbar keeps its toolbar so)."""
    for var, value in context.items():
        if var.get(_UNSET) is not value:
            var.set(value)


_UNSET: Any = object()


def is_async_callable(func: Callable[..., Any]) -> bool:
    """Whether calling ``func`` gives an awaitable: coroutine functions, partials of them,
    and objects whose class defines ``async def __call__``."""
    while isinstance(func, functools.partial):
        func = func.func
    if inspect.iscoroutinefunction(func):
        return True
    # An object whose class defines "async def __call__" (a class-based view, an ASGI-style callable).
    return not inspect.isfunction(func) and inspect.iscoroutinefunction(type(func).__call__)


def on_event_loop() -> bool:
    """True in code running on an event loop (async views, hooks); False in worker threads
    (sync views) and plain sync code. Helpers with both forms use it to return an
    awaitable or the value itself."""
    return _get_running_loop() is not None


# Code flags of the frames that can "await": a coroutine, an async generator, a generator-based coroutine.
_AWAITING_CODE = inspect.CO_COROUTINE | inspect.CO_ASYNC_GENERATOR | inspect.CO_ITERABLE_COROUTINE
_PROXY_MODULE = "microflask.globals"  # request/session/g: their attribute lookups add a frame


def awaiting_caller(frame: FrameType | None) -> bool:
    """Whether ``frame`` (the caller of a helper with both a sync and an async form, as
    ``sys._getframe(n)`` gives it) runs in code that can ``await``: a coroutine or an async
    generator. Frames of microflask's context proxies (``request.data``) are looked through."""
    while frame is not None and frame.f_globals.get("__name__") == _PROXY_MODULE:
        frame = frame.f_back
    return frame is not None and bool(frame.f_code.co_flags & _AWAITING_CODE)


def async_partial(
    func: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any
) -> Callable[..., Coroutine[Any, Any, T]]:
    """``functools.partial(func, *args, **kwargs)`` as an ``async def`` function. An ASGI app
    handed to middleware must look like ASGI 3: middleware that tells ASGI 3 from ASGI 2 by
    looking for a coroutine function (Sentry's ``SentryAsgiMiddleware``, as Uvicorn does) takes
    a partial for an ASGI 2 app."""

    async def call(*more: Any) -> T:
        return await func(*args, *more, **kwargs)

    return call


def finish_without_loop(coro: Coroutine[Any, Any, T], needs_loop: str) -> T:
    """Run a coroutine that never waits (everything it needs is at hand) to its end in sync code
    with no event loop; if it would wait, close it and raise ``RuntimeError(needs_loop)``."""
    try:
        coro.send(None)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    coro.close()
    raise RuntimeError(needs_loop)


def call_async_from_sync(func: Callable[..., Coroutine[Any, Any, T]], *args: Any, **kwargs: Any) -> T:
    """Call the coroutine function ``func`` from sync code and return its result: in a sync
    view's worker thread it runs on the request's event loop; with no loop anywhere, it gets
    one of its own. On the event loop itself this cannot wait, and says so."""
    if on_event_loop():
        raise RuntimeError(
            f"{getattr(func, '__qualname__', func)!r} is async and was called from sync code running on the"
            " event loop: await it instead, or call it from a sync view (a worker thread)."
        )
    lane: ThreadLane | None = getattr(_on_lane, "lane", None)
    if lane is not None:  # a request's worker thread: what the call runs there meanwhile, it runs
        return lane.wait_for_loop(functools.partial(func, *args, **kwargs))
    try:
        return anyio.from_thread.run(functools.partial(func, *args, **kwargs))
    except anyio.NoEventLoopError:
        return anyio.run(functools.partial(func, *args, **kwargs))


class MissingAwaitError(TypeError):
    """An awaitable helper's result (``request.get_json()``, ``render_template(...)``...) was
    used without ``await``: the message says which call to await."""


class Pending:
    """What a helper with a sync and an async form gives async code on the event loop:
    ``await`` it for the value (``data = await request.get_json()``).

    Used any other way (indexed, tested for truth, iterated, measured, its attributes read,
    formatted, JSON-encoded, returned from an ``async def`` view) it raises
    :class:`MissingAwaitError` at once, on the line that forgot the ``await``, saying what to
    write; and it closes its coroutine, so no "never awaited" warning follows elsewhere later.
    It is a coroutine to asyncio (``send``/``throw``/``close``): ``asyncio.create_task`` takes it.
    """

    __slots__ = ("_coro", "what")

    def __init__(self, coro: Coroutine[Any, Any, Any], what: str) -> None:
        self._coro = coro
        #: The call to await, as the user wrote it: ``request.get_json()``, ``render_template(...)``.
        self.what = what

    def __await__(self) -> Generator[Any, None, Any]:
        return self._coro.__await__()

    def send(self, value: Any) -> Any:
        return self._coro.send(value)

    def throw(self, *args: Any) -> Any:
        return self._coro.throw(*args)

    def close(self) -> None:
        self._coro.close()

    def __repr__(self) -> str:
        return f"<{self.what} not awaited yet: use 'await {self.what}'>"

    def missing_await(self, message: str | None = None) -> MissingAwaitError:
        """The error for using this without ``await`` (``message`` instead of the usual one);
        closes the coroutine, which will never run."""
        self._coro.close()
        return MissingAwaitError(
            message or f"{self.what} must be awaited in async code: write 'await {self.what}' (it was used without)."
        )

    def _refuse(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise self.missing_await()

    __getattr__ = __getitem__ = __setitem__ = __delitem__ = __contains__ = _refuse
    __bool__ = __len__ = __iter__ = __aiter__ = __call__ = __str__ = __format__ = __bytes__ = _refuse
    __add__ = __radd__ = __lt__ = __le__ = __gt__ = __ge__ = __int__ = __float__ = __index__ = _refuse
    __hash__ = object.__hash__
