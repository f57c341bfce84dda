"""Background tasks (``app.add_background_task``): work started after the response went out,
each in its own app context, errors logged; awaited (bounded) at shutdown."""

from __future__ import annotations

import functools
import math
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import anyio
import anyio.to_thread

from .concurrency import is_async_callable
from .globals import current_context

if TYPE_CHECKING:
    from anyio.abc import TaskGroup

    from .app import MicroFlask

__all__ = ["BackgroundTasks"]


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
        job = functools.partial(func, *args, **kwargs)
        ctx = current_context()
        if ctx is not None and ctx.request is not None:
            if not ctx.background_jobs:  # type: ignore[attr-defined]
                ctx.background_jobs = []  # type: ignore[attr-defined]
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
