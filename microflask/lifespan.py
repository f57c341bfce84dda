"""The ASGI lifespan: ``before_serving``/``after_serving`` and ``@app.lifespan`` context managers."""

from __future__ import annotations

import traceback
from collections.abc import AsyncIterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from typing import TYPE_CHECKING, Any

from .concurrency import is_async_callable

if TYPE_CHECKING:
    from starlette.types import Receive, Scope, Send

    from .app import MicroFlask

__all__ = ["run_lifespan", "serving"]


@asynccontextmanager
async def serving(app: MicroFlask, state: dict[str, Any] | None) -> AsyncIterator[None]:
    """Startup on enter, shutdown on exit, inside an app context.

    Lifespan context managers are entered in registration order (a mapping they yield is
    added to ``state``), then ``before_serving`` runs; on exit ``after_serving`` runs, then
    the context managers exit in reverse order.
    """
    async with AsyncExitStack() as stack:
        ctx = await stack.enter_async_context(app.app_context())
        for factory in app.lifespan_contexts:
            value = await stack.enter_async_context(factory(app))
            if isinstance(value, Mapping) and state is not None:
                state.update(value)
        for func in app.before_serving_funcs:
            await app._call(ctx, func, is_async_callable(func))
        try:
            yield
        finally:
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
