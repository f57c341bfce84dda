"""The ASGI lifespan: startup and shutdown of the app (``before_serving``/``after_serving``,
``@app.lifespan``), of the apps mounted in it, and of its background tasks' task group;
:class:`LifespanDriver` runs another ASGI app's lifespan (a mounted app's, a test client's)."""

from __future__ import annotations

import math
import traceback
from collections.abc import AsyncIterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from typing import TYPE_CHECKING, Any

import anyio

from .concurrency import is_async_callable

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

    from .app import MicroFlask

__all__ = ["LifespanDriver", "run_lifespan", "serving"]


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
