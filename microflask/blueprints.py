"""Blueprints: a group of routes, hooks, handlers, templates and static files, registered on
an app (or on another blueprint) under a name and a URL prefix.

A blueprint uses the same registration API as the app (:class:`~microflask.scaffold.Scaffold`).
Its routes are recorded and replayed on the app at registration, with the prefix and the
dotted endpoint name (``parent.child.view``); its hooks and error handlers are merged into
the app under the blueprint's name, so they apply to its endpoints only.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from .scaffold import Scaffold, setupmethod

if TYPE_CHECKING:
    from .appbase import AppBase

__all__ = ["Blueprint", "BlueprintSetupState"]

T = TypeVar("T", bound=Callable[..., Any])
#: ``cli_group``'s default: the blueprint's registered name.
_OWN_NAME: Any = object()
DeferredSetup = Callable[["BlueprintSetupState"], None]


class BlueprintSetupState:
    """One registration of a blueprint on an app: the name, prefix and defaults it got."""

    def __init__(self, blueprint: Blueprint, app: AppBase, options: dict[str, Any], first_registration: bool) -> None:
        self.app = app
        self.blueprint = blueprint
        self.options = options
        self.first_registration = first_registration
        url_prefix = options.get("url_prefix")
        self.url_prefix: str | None = blueprint.url_prefix if url_prefix is None else url_prefix
        subdomain = options.get("subdomain")
        #: The subdomain of the blueprint's rules (a rule's own ``subdomain=`` wins).
        self.subdomain: str | None = blueprint.subdomain if subdomain is None else subdomain
        self.name: str = options.get("name", blueprint.name)
        self.name_prefix: str = options.get("name_prefix", "")
        self.url_defaults = {**blueprint.url_values_defaults, **options.get("url_defaults", {})}

    def add_url_rule(
        self, rule: str, endpoint: str | None = None, view_func: Callable[..., Any] | None = None, **options: Any
    ) -> None:
        """Register a rule on the app with this registration's prefix, name and defaults."""
        if self.url_prefix is not None:
            rule = "/".join((self.url_prefix.rstrip("/"), rule.lstrip("/"))) if rule else self.url_prefix
        if endpoint is None:
            if view_func is None:
                raise TypeError("add_url_rule() needs an endpoint or a view_func.")
            endpoint = view_func.__name__
        defaults = self.url_defaults
        if "defaults" in options:
            defaults = {**defaults, **(options.pop("defaults") or {})}
        full_endpoint = f"{self.name_prefix}.{self.name}.{endpoint}".lstrip(".")
        if self.subdomain is not None:
            options.setdefault("subdomain", self.subdomain)
        self.app.add_url_rule(rule, full_endpoint, view_func, defaults=defaults or None, **options)


class Blueprint(Scaffold):
    """``bp = Blueprint("admin", __name__, url_prefix="/admin")``; then ``app.register_blueprint(bp)``."""

    def __init__(
        self,
        name: str,
        import_name: str,
        static_folder: str | os.PathLike[str] | None = None,
        static_url_path: str | None = None,
        template_folder: str | os.PathLike[str] | None = None,
        url_prefix: str | None = None,
        subdomain: str | None = None,
        url_defaults: dict[str, Any] | None = None,
        root_path: str | None = None,
        cli_group: str | None = _OWN_NAME,
    ) -> None:
        super().__init__(import_name, static_folder, static_url_path, template_folder, root_path)
        if not name:
            raise ValueError("'name' may not be empty.")
        if "." in name:
            raise ValueError("'name' may not contain a dot '.' character.")
        self.name = name
        self.url_prefix = url_prefix
        #: The subdomain its routes match (with the app's ``subdomain_matching``).
        self.subdomain = subdomain
        self.url_values_defaults = dict(url_defaults or {})
        #: Where ``bp.cli``'s commands go in the app's: a group of this name (by default the
        #: blueprint's registered name), or the app's own group when None.
        self.cli_group = cli_group
        self.deferred_functions: list[DeferredSetup] = []
        self._blueprints: list[tuple[Blueprint, dict[str, Any]]] = []
        self._got_registered_once = False

    def _check_setup_finished(self, f_name: str) -> None:
        if self._got_registered_once:
            raise AssertionError(
                f"The setup method '{f_name}' can no longer be called on the blueprint '{self.name}'. It has"
                " already been registered at least once; changes would not reach the registrations made."
                " Make sure all imports, decorators and setup calls happen before registering it."
            )

    @setupmethod
    def record(self, func: DeferredSetup) -> None:
        """Run ``func(state)`` at each registration of the blueprint."""
        self.deferred_functions.append(func)

    @setupmethod
    def record_once(self, func: DeferredSetup) -> None:
        """Run ``func(state)`` at the blueprint's first registration on an app only."""

        def once(state: BlueprintSetupState) -> None:
            if state.first_registration:
                func(state)

        self.record(once)

    @setupmethod
    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: Callable[..., Any] | None = None,
        provide_automatic_options: bool | None = None,
        **options: Any,
    ) -> None:
        if endpoint and "." in endpoint:
            raise ValueError("'endpoint' may not contain a dot '.' character.")
        if view_func is not None and "." in getattr(view_func, "__name__", ""):
            raise ValueError("'view_func' name may not contain a dot '.' character.")
        if provide_automatic_options is not None:
            options["provide_automatic_options"] = provide_automatic_options
        self.record(lambda s: s.add_url_rule(rule, endpoint, view_func, **options))

    @setupmethod
    def register_blueprint(self, blueprint: Blueprint, **options: Any) -> None:
        """Nest ``blueprint`` in this one: its endpoints become ``this.child.view``, its prefix
        is appended to this one's."""
        if blueprint is self:
            raise ValueError("Cannot register a blueprint on itself")
        self._blueprints.append((blueprint, options))

    def _bound_static_view(self) -> Callable[..., Any]:
        """The blueprint's ``static`` view, reading as its bound ``send_static_file`` as Flask's
        does (``__func__``, ``__self__``): Frozen-Flask finds a blueprint's static folder that
        way. Holding the blueprint makes no cycle: a blueprint does not hold the apps it is on."""
        view = self._static_view()
        view.__func__ = type(self).send_static_file  # type: ignore[attr-defined]
        view.__self__ = self  # type: ignore[attr-defined]
        return view

    def register(self, app: AppBase, options: dict[str, Any]) -> None:
        """Called by ``app.register_blueprint``: replay the records on ``app``."""
        name = f"{options.get('name_prefix', '')}.{options.get('name', self.name)}".lstrip(".")
        if name in app.blueprints:
            which = "this" if app.blueprints[name] is self else "a different"
            raise ValueError(
                f"The name '{name}' is already registered for {which} blueprint. Use 'name=' to give this"
                " registration a unique name."
            )
        first_bp_registration = not any(bp is self for bp in app.blueprints.values())
        app.blueprints[name] = self
        self._got_registered_once = True
        state = BlueprintSetupState(self, app, options, first_bp_registration)
        if self.static_folder is not None:
            state.add_url_rule(f"{self.static_url_path}/<path:filename>", "static", self._bound_static_view())
        self._merge_into(app, name)
        if "cli" in self.__dict__:  # bp.cli was used (else Click is not even loaded)
            cli_group = options.get("cli_group", self.cli_group)
            self.cli.attach_to(app.cli, name if cli_group is _OWN_NAME else cli_group)
        for deferred in self.deferred_functions:
            deferred(state)
        for child, child_options in self._blueprints:
            child_options = dict(child_options)
            child_prefix = child_options.get("url_prefix")
            if child_prefix is None:  # url_prefix=None given, or nothing: the child's own prefix
                child_prefix = child.url_prefix
            if state.url_prefix is not None and child_prefix is not None:
                child_options["url_prefix"] = state.url_prefix.rstrip("/") + "/" + child_prefix.lstrip("/")
            elif child_prefix is None and state.url_prefix is not None:
                child_options["url_prefix"] = state.url_prefix
            child_subdomain = child_options.get("subdomain")
            if child_subdomain is None:
                child_subdomain = child.subdomain
            # A child's subdomain goes in front of its parent's: "api" in "parent" is "api.parent".
            if child_subdomain is not None and state.subdomain is not None:
                child_options["subdomain"] = f"{child_subdomain}.{state.subdomain}"
            elif child_subdomain is not None or state.subdomain is not None:
                child_options["subdomain"] = child_subdomain if child_subdomain is not None else state.subdomain
            child_options["name_prefix"] = name
            child.register(app, child_options)

    def _merge_into(self, app: AppBase, name: str) -> None:
        """Give ``app`` this blueprint's hooks and handlers, keyed by its registered name."""
        hook_lists = (
            "before_request_funcs",
            "after_request_funcs",
            "teardown_request_funcs",
            "before_websocket_funcs",
            "after_websocket_funcs",
            "teardown_websocket_funcs",
            "url_value_preprocessors",
            "url_default_functions",
            "template_context_processors",
        )
        for attr in hook_lists:
            ours: dict[str | None, list[Any]] = getattr(self, attr)
            theirs: dict[str | None, list[Any]] = getattr(app, attr)
            for key, funcs in ours.items():
                theirs[name if key is None else f"{name}.{key}"].extend(funcs)
        for key, by_code in self.error_handler_spec.items():
            target = app.error_handler_spec[name if key is None else f"{name}.{key}"] = defaultdict(dict)
            for code, handlers in by_code.items():
                target[code] = dict(handlers)
        # Views given with @bp.endpoint(name) serve the app's endpoint of that name, as in Flask
        # (rules of the app itself, or added to app.url_map directly); the blueprint's own rules
        # carry their views with them.
        for endpoint, func in self.view_functions.items():
            app.view_functions[endpoint] = func
        # Jinja filters, tests and globals are app-wide (one environment per app).
        for registry, add in (
            (self.template_filters, app.add_template_filter),
            (self.template_tests, app.add_template_test),
            (self.template_globals, app.add_template_global),
        ):
            for item_name, func in registry.items():
                add(func, item_name)

    # -- hooks and handlers for the whole app, declared on the blueprint -------------------
    def before_app_request(self, f: T) -> T:
        """``before_request`` for every request of the app, not just this blueprint's."""
        self.record_once(lambda s: s.app.before_request_funcs[None].append(f))
        return f

    def after_app_request(self, f: T) -> T:
        """``after_request`` for every request of the app."""
        self.record_once(lambda s: s.app.after_request_funcs[None].append(f))
        return f

    def teardown_app_request(self, f: T) -> T:
        """``teardown_request`` for every request of the app."""
        self.record_once(lambda s: s.app.teardown_request_funcs[None].append(f))
        return f

    def app_context_processor(self, f: T) -> T:
        """``context_processor`` for every template of the app."""
        self.record_once(lambda s: s.app.template_context_processors[None].append(f))
        return f

    def app_url_value_preprocessor(self, f: T) -> T:
        self.record_once(lambda s: s.app.url_value_preprocessors[None].append(f))
        return f

    def app_url_defaults(self, f: T) -> T:
        self.record_once(lambda s: s.app.url_default_functions[None].append(f))
        return f

    def app_errorhandler(self, code_or_exception: type[BaseException] | int) -> Callable[[T], T]:
        """``errorhandler`` for errors anywhere in the app."""

        def decorator(f: T) -> T:
            self.record_once(lambda s: s.app.register_error_handler(code_or_exception, f))
            return f

        return decorator

    def app_template_filter(self, name: str | None = None) -> Callable[[T], T]:
        return self.template_filter(name)

    def add_app_template_filter(self, f: Callable[..., Any], name: str | None = None) -> None:
        self.add_template_filter(f, name)

    def app_template_test(self, name: str | None = None) -> Callable[[T], T]:
        return self.template_test(name)

    def add_app_template_test(self, f: Callable[..., Any], name: str | None = None) -> None:
        self.add_template_test(f, name)

    def app_template_global(self, name: str | None = None) -> Callable[[T], T]:
        return self.template_global(name)

    def add_app_template_global(self, f: Callable[..., Any], name: str | None = None) -> None:
        self.add_template_global(f, name)

    def __repr__(self) -> str:
        return f"<Blueprint {self.name!r}>"
