"""What lives as long as the app serves: the ASGI lifespan (``before_serving``/``after_serving``,
``@app.lifespan``), mounted apps and their lifespans, and background tasks."""

from __future__ import annotations

import functools
import math
import traceback
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from typing import TYPE_CHECKING, Any

import anyio
import anyio.to_thread

from .concurrency import is_async_callable

if TYPE_CHECKING:
    from anyio.abc import TaskGroup
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

    from .app import MicroFlask

__all__ = ["BackgroundTasks", "LifespanDriver", "Mounts", "run_lifespan", "serving"]


@asynccontextmanager
async def serving(app: MicroFlask, state: dict[str, Any] | None) -> AsyncIterator[None]:
    """Startup on enter, shutdown on exit, inside an app context.

    Mounted apps start first, then the lifespan context managers in registration order (a
    mapping they yield is added to ``state``), then ``before_serving`` runs. At shutdown the
    pending background tasks are awaited (bounded), ``after_serving`` runs, and the rest exits
    in reverse order.
    """
    async with AsyncExitStack() as stack:
        ctx = await stack.enter_async_context(app.app_context())
        for mounted in app.mounts.apps():
            await stack.enter_async_context(LifespanDriver(mounted, required=False))
        for factory in app.lifespan_contexts:
            value = await stack.enter_async_context(factory(app))
            if isinstance(value, Mapping) and state is not None:
                state.update(value)
        await stack.enter_async_context(app.background_tasks.running())
        for func in app.before_serving_funcs:
            await app._call(ctx, func, is_async_callable(func))
        try:
            yield
        finally:
            await app.background_tasks.drain(app.config["BACKGROUND_TASK_SHUTDOWN_TIMEOUT"])
            for func in app.after_serving_funcs:
                await app._call(ctx, func, is_async_callable(func))


async def run_lifespan(app: MicroFlask, scope: Scope, receive: Receive, send: Send) -> None:
    """The ASGI lifespan protocol: startup, wait for shutdown, shutdown; failures reported."""
    started = False
    await receive()  # lifespan.startup
    try:
        async with serving(app, scope.get("state")):
            await send({"type": "lifespan.startup.complete"})
            started = True
            await receive()  # lifespan.shutdown
    except BaseException:
        message = traceback.format_exc()
        app.logger.error("Lifespan %s failed:\n%s", "shutdown" if started else "startup", message)
        kind = "lifespan.shutdown.failed" if started else "lifespan.startup.failed"
        await send({"type": kind, "message": message})
        raise
    await send({"type": "lifespan.shutdown.complete"})


class LifespanDriver:
    """Run another ASGI app's lifespan: ``async with LifespanDriver(app):`` is startup ... shutdown.

    With ``required=False`` an app that does not speak the lifespan protocol (it raises or
    returns at once) is simply skipped; a reported startup failure always raises.
    """

    def __init__(self, app: ASGIApp, state: dict[str, Any] | None = None, required: bool = True) -> None:
        self.app = app
        self.state = state if state is not None else {}
        self.required = required
        self._supported = True

    async def __aenter__(self) -> LifespanDriver:
        self._to_app, self._app_receive = anyio.create_memory_object_stream[dict[str, Any]](math.inf)
        self._app_send, self._from_app = anyio.create_memory_object_stream[dict[str, Any]](math.inf)
        self._task_group = anyio.create_task_group()
        await self._task_group.__aenter__()
        scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}, "state": self.state}
        self._task_group.start_soon(self._run, scope)
        await self._to_app.send({"type": "lifespan.startup"})
        message = await self._from_app.receive()
        if message["type"] == "lifespan.ended" and not self.required:
            self._supported = False  # no lifespan support: nothing to start or stop
            await self._close()
        elif message["type"] != "lifespan.startup.complete":
            await self._close()
            raise RuntimeError(f"The app's lifespan failed: {message.get('message', message['type'])}")
        return self

    async def _run(self, scope: dict[str, Any]) -> None:
        try:
            await self.app(scope, self._app_receive.receive, self._app_send.send)  # type: ignore[arg-type]
        except Exception:
            pass  # a failure is reported through lifespan.*.failed (or is "no lifespan support")
        finally:
            await self._app_send.send({"type": "lifespan.ended"})

    async def _close(self) -> None:
        await self._task_group.__aexit__(None, None, None)
        for stream in (self._to_app, self._app_receive, self._app_send, self._from_app):
            stream.close()

    async def __aexit__(self, *exc_info: Any) -> None:
        if not self._supported:
            return
        await self._to_app.send({"type": "lifespan.shutdown"})
        message: Message = await self._from_app.receive()
        await self._close()
        if message["type"] != "lifespan.shutdown.complete":
            raise RuntimeError(f"The app's lifespan shutdown failed: {message.get('message', message['type'])}")


class Mounts:
    """The ASGI apps mounted below path prefixes (``app.mount``)."""

    def __init__(self) -> None:
        self._mounts: list[tuple[str, ASGIApp, str | None]] = []

    def add(self, path: str, app: ASGIApp, name: str | None) -> None:
        if not path.startswith("/"):
            raise ValueError(f"Mount path {path!r} must start with '/'.")
        self._mounts.append((path.rstrip("/"), app, name))

    def apps(self) -> list[ASGIApp]:
        return [app for _, app, _ in self._mounts]

    def find(self, scope: Scope, path: str) -> Callable[[Scope, Receive, Send], Any] | None:
        """The mounted app serving ``path``, ready to call with the parent's scope."""
        for prefix, app, _ in self._mounts:
            if path == prefix or path.startswith(prefix + "/") or not prefix:
                return functools.partial(_call_mounted, app, prefix)
        return None

    def build(self, name: str, endpoint: str, values: dict[str, Any], method: str | None) -> str:
        """``url_for("name:endpoint")``: the path of ``endpoint`` in the MicroFlask app mounted as ``name``."""
        from .exceptions import BuildError

        for prefix, app, mount_name in self._mounts:
            if mount_name == name:
                url_map = getattr(app, "url_map", None)
                if url_map is None:
                    raise BuildError(
                        f"{name}:{endpoint}", values, method, f"The app mounted as {name!r} has no url_map."
                    )
                app.inject_url_defaults(endpoint, values)  # type: ignore[attr-defined]
                return prefix + url_map.build(endpoint, values, method)  # type: ignore[no-any-return]
        raise BuildError(f"{name}:{endpoint}", values, method, f"No app is mounted with the name {name!r}.")

    def __iter__(self) -> Iterator[tuple[str, ASGIApp, str | None]]:
        return iter(self._mounts)


async def _call_mounted(app: ASGIApp, prefix: str, scope: Scope, receive: Receive, send: Send) -> None:
    # As Starlette's Mount: the prefix moves into root_path; path stays whole (ASGI's rule).
    child = dict(scope)
    child["root_path"] = scope.get("root_path", "") + prefix
    await app(child, receive, send)


class BackgroundTasks:
    """``app.add_background_task``: work that runs after the response, in its own app context."""

    def __init__(self, app: MicroFlask) -> None:
        self.app = app
        self._task_group: TaskGroup | None = None
        self._running = 0
        self._idle: anyio.Event | None = None
        self._scopes: set[anyio.CancelScope] = set()

    def add(self, func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        """Queue the task after the current response (in a request), else start it now."""
        from .ctx import current_context

        job = functools.partial(func, *args, **kwargs)
        ctx = current_context()
        if ctx is not None and ctx.request is not None:
            ctx.background_jobs.append(job)  # type: ignore[attr-defined]
        else:
            self.start(job)

    def start(self, job: Callable[[], Any]) -> None:
        if self._task_group is None:
            raise RuntimeError(
                "Background tasks need the app to be serving (its lifespan running): under a server, or"
                " inside 'with app.test_client()'."
            )
        self._running += 1
        self._task_group.start_soon(self._run, job)

    async def run_after_response(self, jobs: list[Callable[[], Any]]) -> None:
        """Start a request's tasks once its response went out (inline when no lifespan runs)."""
        for job in jobs:
            if self._task_group is not None:
                self.start(job)
            else:
                self._running += 1
                await self._run(job)

    async def _run(self, job: Callable[[], Any]) -> None:
        scope = anyio.CancelScope()
        self._scopes.add(scope)
        try:
            with scope:
                async with self.app.app_context():
                    if is_async_callable(job):
                        await job()
                    else:
                        await anyio.to_thread.run_sync(job)
        except Exception:
            self.app.logger.exception("Background task %s failed", getattr(job.func, "__qualname__", job))  # type: ignore[attr-defined]
        finally:
            self._scopes.discard(scope)
            self._running -= 1
            if self._running == 0 and self._idle is not None:
                self._idle.set()

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Keep a task group open while the app serves."""
        # Entered by hand so that an error of the app's own startup or shutdown passes unchanged
        # (exiting the group with it would wrap it in an ExceptionGroup); tasks log their own errors.
        task_group = anyio.create_task_group()
        await task_group.__aenter__()
        self._task_group = task_group
        try:
            yield
        finally:
            task_group.cancel_scope.cancel()  # whatever drain() left behind
            self._task_group = None
            await task_group.__aexit__(None, None, None)

    async def drain(self, timeout: float | None) -> None:
        """Wait for running tasks to finish, at most ``timeout`` seconds (then they are cancelled)."""
        with anyio.move_on_after(timeout if timeout is not None else math.inf) as scope:
            await self._wait_idle()
        if scope.cancelled_caught:
            self.app.logger.warning("%d background task(s) still running at shutdown were cancelled", self._running)
            for task_scope in list(self._scopes):
                task_scope.cancel()
            with anyio.move_on_after(1):  # their cleanup (finally blocks) ends before after_serving
                await self._wait_idle()

    async def _wait_idle(self) -> None:
        while self._running:
            self._idle = anyio.Event()
            await self._idle.wait()
