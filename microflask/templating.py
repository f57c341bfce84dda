"""Jinja templates: ``await render_template(...)``, rendered fast without giving up async.

Each app has one Jinja environment (``app.jinja_env``) and, created on demand, an async
twin sharing its loader, filters, tests and globals. A render uses the plain sync
compilation when nothing async is in play, which costs about as much as raw Jinja; async
Jinja's ``render_async`` costs ~1.4x that. "Async in play" means an async filter, test,
global or context processor is registered, or an awaitable reaches the output; the render
then switches to the async twin. In a plain ``def`` view the same functions return the
result directly instead of an awaitable.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable, Iterator
from typing import TYPE_CHECKING, Any

import jinja2
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame, optimizeconst
from markupsafe import Markup

from .concurrency import Pending, finish_without_loop, is_async_callable, on_event_loop
from .globals import _Proxy, current_context, g, request, session
from .helpers import context_processor_values, get_flashed_messages
from .signals import before_render_template, send_async, send_sync, template_rendered
from .signals import state as _SIGNALS
from .wrappers import StreamedResponse

if TYPE_CHECKING:
    from .app import MicroFlask

__all__ = [
    "DispatchingJinjaLoader",
    "Environment",
    "create_jinja_environment",
    "render_template",
    "render_template_string",
    "stream_template",
    "stream_template_string",
]

AUTOESCAPE_EXTENSIONS = ("html", "htm", "xml", "xhtml", "svg")


class _AwaitableInSyncRender(Exception):
    """An awaitable reached the output of a sync render: redo the render in async mode."""


_PLAIN_OUTPUT = frozenset({str, int, float, bool, type(None), Markup})
_DICT_ATTRIBUTES = frozenset(dir(dict))


def _refuse_awaitables(value: Any) -> Any:
    # Jinja calls this for every {{ ... }} output of a sync render, so plain values leave first.
    if type(value) in _PLAIN_OUTPUT or not hasattr(type(value), "__await__"):
        return value
    if inspect.iscoroutine(value) or type(value) is Pending:
        value.close()  # never awaited, on purpose: the async render makes a new one
    raise _AwaitableInSyncRender


class SyncRenderCodeGenerator(CodeGenerator):
    """Jinja's code generator, with two things of the sync compilation inlined in the
    template's code instead of a Python call each (a 50-row page made ~250 of each):

    - the awaitable check at each ``{{ ... }}`` output: ``type(value) in plain types``, only
      other values reach :func:`_refuse_awaitables` (as a ``finalize`` function it cost 7%);
    - ``obj.name``: ``getattr(obj, "name", missing)`` in C, and ``environment.getattr`` only
      when there is no such attribute (a dict's key, or undefined), so the answers are
      :meth:`Environment.getattr`'s. Not when a subclass overrides ``getattr`` (a sandbox).

    The async compilation (``enable_async``) awaits by itself and gets plain Jinja code."""

    def visit_Template(self, node: nodes.Template, frame: Frame | None = None) -> None:
        if not self.environment.is_async:
            self.writeline(f"from {__name__} import _PLAIN_OUTPUT as _mf_plain, _refuse_awaitables as _mf_refuse")
        super().visit_Template(node, frame)

    def _output_child_pre(self, node: nodes.Expr, frame: Frame, finalize: Any) -> None:
        super()._output_child_pre(node, frame, finalize)
        if not self.environment.is_async:
            self.write("(_mf_v if type((_mf_v := ")

    def _output_child_post(self, node: nodes.Expr, frame: Frame, finalize: Any) -> None:
        if not self.environment.is_async:
            self.write(")) in _mf_plain else _mf_refuse(_mf_v))")
        super()._output_child_post(node, frame, finalize)

    @optimizeconst
    def visit_Getattr(self, node: nodes.Getattr, frame: Frame) -> None:
        env = self.environment
        if env.is_async or env.sandboxed or type(env).getattr is not Environment.getattr:
            super().visit_Getattr(node, frame)  # type: ignore[call-arg]  # optimizeconst's wrapper
            return
        # Nested reads (a.b.c) reuse the names: each is read right after its own assignment.
        self.write("(_mf_a if (_mf_a := getattr((_mf_o := ")
        self.visit(node.node, frame)
        self.write(f"), {node.attr!r}, missing)) is not missing else environment.getattr(_mf_o, {node.attr!r}))")


class Environment(jinja2.Environment):
    """The app's Jinja environment: ``Environment(app, **options)``, loading through
    ``app.create_global_jinja_loader()`` unless ``loader`` is given. Subclass it and set
    ``app.jinja_environment`` (a class attribute) to use your own."""

    code_generator_class = SyncRenderCodeGenerator

    def __init__(self, app: MicroFlask, **options: Any) -> None:
        if "loader" not in options:
            options["loader"] = app.create_global_jinja_loader()
        super().__init__(**options)
        self.app = app

    def getattr(self, obj: Any, attribute: str) -> Any:
        """``obj.attribute`` in a template: the attribute, else the item, else undefined, as in
        Jinja. A plain dict's key is read directly when ``dict`` has no attribute of that name
        (the same answer): Jinja tries the attribute first, and the AttributeError it raises and
        catches for every ``{{ row.name }}`` of a dict row is a third of the page's time."""
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        try:
            return getattr(obj, attribute)
        except AttributeError:
            pass
        try:
            return obj[attribute]
        except (TypeError, LookupError, AttributeError):
            return self.undefined(obj=obj, name=attribute)


class DispatchingJinjaLoader(jinja2.BaseLoader):
    """Looks in the app's template folder, then in each blueprint's, in registration order.

    With ``EXPLAIN_TEMPLATE_LOADING`` on, each lookup logs (``app.logger.info``) the loaders it
    tried and what each found: the way to see why a blueprint's template is not picked.
    """

    def __init__(self, app: MicroFlask) -> None:
        self.app = app

    def _owned_loaders(self) -> Iterator[tuple[Any, jinja2.BaseLoader]]:
        loader = self.app.jinja_loader
        if loader is not None:
            yield self.app, loader
        for blueprint in getattr(self.app, "blueprints", {}).values():
            loader = blueprint.jinja_loader
            if loader is not None:
                yield blueprint, loader

    def _loaders(self) -> Iterator[jinja2.BaseLoader]:
        for _, loader in self._owned_loaders():
            yield loader

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str | None, Any]:
        if self.app.config.get("EXPLAIN_TEMPLATE_LOADING"):
            return self._get_source_explained(environment, template)
        for loader in self._loaders():
            try:
                return loader.get_source(environment, template)
            except jinja2.TemplateNotFound:
                continue
        raise self._not_found(template)

    def _not_found(self, template: str) -> jinja2.TemplateNotFound:
        """The error for a template no loader has: its message lists the folders searched."""
        searched = []
        for owner, loader in self._owned_loaders():
            whose = f"application {owner.name!r}" if owner is self.app else f"blueprint {owner.name!r}"
            folders = getattr(loader, "searchpath", None)
            where = ", ".join(map(str, folders)) if folders else f"a {type(loader).__name__}"
            searched.append(f"{where} ({whose})")
        message = (
            f"{template!r} was not found in the template folders: {'; '.join(searched)}."
            if searched
            else f"{template!r} was not found: the app has no template folder."
        )
        if not self.app.config.get("EXPLAIN_TEMPLATE_LOADING"):
            message += " Set EXPLAIN_TEMPLATE_LOADING = True to log each lookup."
        return jinja2.TemplateNotFound(template, message)

    def _get_source_explained(self, environment: jinja2.Environment, template: str) -> tuple[str, str | None, Any]:
        attempts: list[tuple[Any, jinja2.BaseLoader, tuple[str, str | None, Any] | None]] = []
        for owner, loader in self._owned_loaders():
            try:
                found: tuple[str, str | None, Any] | None = loader.get_source(environment, template)
            except jinja2.TemplateNotFound:
                found = None
            attempts.append((owner, loader, found))
        self.app.logger.info(explain_template_loading(self.app, template, attempts))
        for _, _, found in attempts:
            if found is not None:
                return found
        raise self._not_found(template)

    def list_templates(self) -> list[str]:
        found: set[str] = set()
        for loader in self._loaders():
            found.update(loader.list_templates())
        return sorted(found)


def explain_template_loading(
    app: MicroFlask, template: str, attempts: list[tuple[Any, jinja2.BaseLoader, tuple[str, str | None, Any] | None]]
) -> str:
    """The report ``EXPLAIN_TEMPLATE_LOADING`` logs: each loader tried, in order, and its result."""
    lines = [f"Locating template {template!r}:"]
    for number, (owner, loader, found) in enumerate(attempts, 1):
        if owner is app:
            lines.append(f"{number}: trying loader of application {app.name!r}")
        else:
            lines.append(f"{number}: trying loader of blueprint {owner.name!r} ({owner.import_name})")
        lines.append(f"       class: {type(loader).__module__}.{type(loader).__name__}")
        searchpath = getattr(loader, "searchpath", None)
        if searchpath:
            lines.append(f"       searchpath: {', '.join(map(str, searchpath))}")
        lines.append(f"       -> found ({found[1] or '<string>'!r})" if found else "       -> no match")
    matches = sum(found is not None for _, _, found in attempts)
    if matches == 0:
        lines.append("Error: the template could not be found.")
    elif matches > 1:
        lines.append("Warning: more than one loader found the template; the first one is used.")
    ctx = current_context()
    blueprint = ctx.request.blueprint if ctx is not None and ctx.request is not None else None
    if blueprint is not None and matches != 1:
        lines.append(f"  The template was looked up from an endpoint that belongs to the blueprint {blueprint!r}.")
        lines.append("  Blueprint templates share one namespace: is the template in that blueprint's folder,")
        lines.append("  under a subfolder named after the blueprint?")
        lines.append("  See https://flask.palletsprojects.com/blueprints/#templates (microflask resolves them alike)")
    return "\n".join(lines)


def create_jinja_environment(app: MicroFlask) -> jinja2.Environment:
    """The app's environment (``app.jinja_environment``, :class:`Environment` by default): its
    loader, autoescaping, the template globals and filters, ``tojson`` through ``app.json``."""
    options: dict[str, Any] = {
        "autoescape": jinja2.select_autoescape(AUTOESCAPE_EXTENSIONS, default_for_string=True),
        "auto_reload": app.templates_auto_reload,
        **app.jinja_options,
    }
    user_finalize = options.pop("finalize", None)
    env: jinja2.Environment = (app.jinja_environment or Environment)(app, **options)
    if issubclass(env.code_generator_class, SyncRenderCodeGenerator):
        env.finalize = user_finalize  # the awaitable check is in the compiled templates
    else:  # an environment class of the user's own: the check goes through finalize
        env.finalize = _compose(_refuse_awaitables, user_finalize)
    env.user_finalize = user_finalize  # type: ignore[attr-defined]
    env.policies["json.dumps_function"] = app.json.dumps  # tojson: dates, UUIDs... as jsonify
    env.globals.update(
        url_for=app.url_for,
        get_flashed_messages=get_flashed_messages,
        config=app.config,
        request=request,
        session=session,
        g=g,
    )
    env.filters.update(app.template_filters)
    env.tests.update(app.template_tests)
    env.globals.update(app.template_globals)
    return env


def _compose(first: Callable[[Any], Any], then: Callable[[Any], Any] | None) -> Callable[[Any], Any]:
    if then is None:
        return first
    return lambda value: then(first(value))


def async_twin(app: MicroFlask) -> jinja2.Environment:
    """The async compilation of ``app.jinja_env`` (same loader, filters, tests, globals)."""
    env = app.jinja_env
    twin: jinja2.Environment | None = getattr(env, "async_twin", None)
    if twin is None:
        twin = env.overlay(enable_async=True, finalize=env.user_finalize, cache_size=400)  # type: ignore[attr-defined]
        twin.__dict__["_string_templates"] = {}  # its own compiled strings, not the sync ones
        env.async_twin = twin  # type: ignore[attr-defined]
    twin.auto_reload = env.auto_reload  # follow changes made to app.jinja_env
    return twin


def needs_async(app: MicroFlask) -> bool:
    """Whether some registered filter, test, global or context processor is async (computed once
    per set of registrations; registering through the app's methods resets it)."""
    cached = app._templates_need_async
    if cached is None:
        env = app.jinja_env
        callables = [*env.filters.values(), *env.tests.values(), *env.globals.values()]
        callables += [f for funcs in app.template_context_processors.values() for f in funcs]
        # The request/session/g proxies are skipped: outside a request, touching them raises.
        cached = any(type(f) is not _Proxy and callable(f) and is_async_callable(f) for f in callables)
        app._templates_need_async = cached
    return cached


def _async_values(values: dict[str, Any]) -> bool:
    """Whether a context value is async: an async function, an awaitable, an async iterable, or
    an object with async methods (checked once per type). Then the render is async from the start."""
    for value in values.values():
        kind = type(value)
        if kind in _PLAIN_OUTPUT or kind is dict or kind is list or kind is tuple or kind is _Proxy:
            continue
        if inspect.isawaitable(value) or hasattr(value, "__aiter__") or (callable(value) and is_async_callable(value)):
            return True
        if _has_async_methods(kind):
            return True
    return False


_ASYNC_METHODS: dict[type, bool] = {}


def _has_async_methods(kind: type) -> bool:
    """Whether instances of ``kind`` have async methods (worked out once per type)."""
    found = _ASYNC_METHODS.get(kind)
    if found is None:
        names = [name for name in dir(kind) if not name.startswith("__")]
        found = _ASYNC_METHODS[kind] = any(inspect.iscoroutinefunction(getattr(kind, n, None)) for n in names)
    return found


def _context_sync(app: MicroFlask, context: dict[str, Any]) -> dict[str, Any]:
    return finish_without_loop(
        context_processor_values(app, context),
        "An async context processor cannot run in a sync view: make the view async.",
    )


def _template(env: jinja2.Environment, name: str | list[str] | jinja2.Template | None, source: str | None) -> Any:
    if source is not None:
        return _from_string(env, source)
    return env.get_or_select_template(name)  # type: ignore[arg-type]


def _from_string(env: jinja2.Environment, source: str) -> jinja2.Template:
    # Compiling is the expensive part of render_template_string: keep the last few sources.
    cache: dict[str, jinja2.Template] = env.__dict__.setdefault("_string_templates", {})
    template = cache.get(source)
    if template is None:
        if len(cache) >= 64:
            cache.pop(next(iter(cache)))
        template = cache[source] = env.from_string(source)
    return template


async def _render(app: MicroFlask, name: Any, source: str | None, context: dict[str, Any]) -> str:
    # No context processor registered (the common case): no coroutine to run for them.
    values = await context_processor_values(app, context) if app.template_context_processors else context
    signalled = _SIGNALS.connected
    if not needs_async(app) and not _async_values(values):
        template = _template(app.jinja_env, name, source)
        if signalled:
            await send_async(before_render_template, app, template=template, context=values)
        try:
            rendered: str = template.render(values)
        except _AwaitableInSyncRender:  # an async value deeper down: the async compilation handles it
            rendered = await _template(async_twin(app), name, source).render_async(values)
    else:
        template = _template(async_twin(app), name, source)
        if signalled:
            await send_async(before_render_template, app, template=template, context=values)
        rendered = await template.render_async(values)
    if signalled:
        await send_async(template_rendered, app, template=template, context=values)
    return rendered


def _render_sync(app: MicroFlask, name: Any, source: str | None, context: dict[str, Any]) -> str:
    """A render from sync code (a ``def`` view): plain Jinja, or the event loop when async is in play."""
    if not needs_async(app) and not _async_values(context):
        values = _context_sync(app, context)
        template = _template(app.jinja_env, name, source)
        signalled = _SIGNALS.connected
        if signalled:
            send_sync(before_render_template, app, template=template, context=values)
        try:
            rendered: str = template.render(values)
        except _AwaitableInSyncRender:
            pass
        else:
            if signalled:
                send_sync(template_rendered, app, template=template, context=values)
            return rendered
    import anyio.from_thread

    try:
        return anyio.from_thread.run(_render, app, name, source, context)
    except anyio.NoEventLoopError:
        raise RuntimeError("This template needs async rendering: render it with 'await' in async code.") from None


def _current_app() -> MicroFlask:
    ctx = current_context()
    if ctx is None:
        raise RuntimeError("Rendering a template needs an app: call it in a view or in 'app.app_context()'.")
    return ctx.app


def _dispatch(name: Any, source: str | None, context: dict[str, Any], what: str) -> Any:
    app = _current_app()
    if on_event_loop():
        return Pending(_render(app, name, source, context), what)
    return _render_sync(app, name, source, context)


def render_template(template_name_or_list: str | list[str] | jinja2.Template, **context: Any) -> Any:
    """Render a template from the template folders: ``html = await render_template("index.html", x=1)``.

    In a plain ``def`` view it returns the string directly (no ``await``), as in Flask.
    """
    return _dispatch(template_name_or_list, None, context, "render_template(...)")


def render_template_string(source: str, **context: Any) -> Any:
    """Render a template given as a string (autoescaped): ``await render_template_string("{{ x }}", x=1)``."""
    return _dispatch(None, source, context, "render_template_string(...)")


def _streamed(app: MicroFlask, name: Any, source: str | None, context: dict[str, Any]) -> Any:
    async def chunks() -> AsyncIterator[str]:
        values = await context_processor_values(app, context)
        template = _template(async_twin(app), name, source)
        signalled = _SIGNALS.connected
        if signalled:
            await send_async(before_render_template, app, template=template, context=values)
        async for chunk in template.generate_async(values):
            yield chunk
        if signalled:
            await send_async(template_rendered, app, template=template, context=values)

    return StreamedResponse(chunks())


async def _stream(name: Any, source: str | None, context: dict[str, Any]) -> Any:
    return _streamed(_current_app(), name, source, context)


def stream_template(template_name_or_list: str | list[str] | jinja2.Template, **context: Any) -> Any:
    """A streamed response rendering the template piece by piece: ``return await stream_template("big.html")``."""
    if on_event_loop():
        return Pending(_stream(template_name_or_list, None, context), "stream_template(...)")
    return _streamed(_current_app(), template_name_or_list, None, context)


def stream_template_string(source: str, **context: Any) -> Any:
    """:func:`stream_template` for a template given as a string."""
    if on_event_loop():
        return Pending(_stream(None, source, context), "stream_template_string(...)")
    return _streamed(_current_app(), None, source, context)
