"""``app.config``: a dict with Flask's loaders (objects, Python files, data files, env vars)."""

from __future__ import annotations

import errno
import json
import os
import types
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import IO, Any

__all__ = ["DEFAULT_CONFIG", "Config", "ConfigAttribute"]

#: Flask's default keys, where they apply to microflask.
DEFAULT_CONFIG: dict[str, Any] = {
    "DEBUG": False,
    "TESTING": False,
    "PROPAGATE_EXCEPTIONS": None,
    "SECRET_KEY": None,
    "SECRET_KEY_FALLBACKS": None,
    "PERMANENT_SESSION_LIFETIME": timedelta(days=31),
    "SERVER_NAME": None,
    "APPLICATION_ROOT": "/",
    "SESSION_COOKIE_NAME": "session",
    "SESSION_COOKIE_DOMAIN": None,
    "SESSION_COOKIE_PATH": None,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SECURE": False,
    "SESSION_COOKIE_PARTITIONED": False,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_REFRESH_EACH_REQUEST": True,
    "MAX_CONTENT_LENGTH": None,
    "MAX_FORM_MEMORY_SIZE": 500_000,
    "MAX_FORM_PARTS": 1_000,
    "SEND_FILE_MAX_AGE_DEFAULT": None,
    "TRAP_HTTP_EXCEPTIONS": False,
    "TRAP_BAD_REQUEST_ERRORS": None,
    "PREFERRED_URL_SCHEME": "http",
    "TEMPLATES_AUTO_RELOAD": None,
    "EXPLAIN_TEMPLATE_LOADING": False,
    "TRUSTED_HOSTS": None,
    "MAX_COOKIE_SIZE": 4093,
    "BACKGROUND_TASK_SHUTDOWN_TIMEOUT": 5,
}


class ConfigAttribute:
    """An attribute of an app class that reads and writes a config key (Flask's): extensions
    subclassing the app declare ``openapi_version = ConfigAttribute("OPENAPI_VERSION")``.
    ``get_converter`` turns the stored value into the attribute's value."""

    def __init__(self, name: str, get_converter: Callable[[Any], Any] | None = None) -> None:
        self.__name__ = name
        self.get_converter = get_converter

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            return self
        value = obj.config[self.__name__]
        return value if self.get_converter is None else self.get_converter(value)

    def __set__(self, obj: Any, value: Any) -> None:
        obj.config[self.__name__] = value


class Config(dict[str, Any]):
    """A dict of settings. Only UPPERCASE keys are taken from objects and files."""

    def __init__(self, root_path: str | os.PathLike[str] = ".", defaults: Mapping[str, Any] | None = None) -> None:
        super().__init__(defaults or {})
        self.root_path = os.fspath(root_path)

    def from_object(self, obj: object | str) -> None:
        """Copy the UPPERCASE attributes of ``obj`` (an object, or its import string)."""
        if isinstance(obj, str):
            obj = _import_string(obj)
        for key in dir(obj):
            if key.isupper():
                self[key] = getattr(obj, key)

    def from_envvar(self, variable_name: str, silent: bool = False) -> bool:
        """``from_pyfile`` of the file named by an environment variable."""
        path = os.environ.get(variable_name)
        if not path:
            if silent:
                return False
            raise RuntimeError(
                f"The environment variable {variable_name!r} is not set; set it to the path of a configuration file."
            )
        return self.from_pyfile(path, silent=silent)

    def from_pyfile(self, filename: str | os.PathLike[str], silent: bool = False) -> bool:
        """Execute a Python file (relative to ``root_path``) and take its UPPERCASE names.

        Returns False if the file is missing and ``silent`` is true.
        """
        path = os.path.join(self.root_path, filename)
        module = types.ModuleType("config")
        module.__file__ = path
        try:
            with open(path, "rb") as config_file:
                exec(compile(config_file.read(), path, "exec"), module.__dict__)
        except OSError as e:
            if silent and e.errno in (errno.ENOENT, errno.EISDIR, errno.ENOTDIR):
                return False
            e.strerror = f"Unable to load configuration file ({e.strerror})"
            raise
        self.from_object(module)
        return True

    def from_file(
        self,
        filename: str | os.PathLike[str],
        load: Callable[[IO[Any]], Mapping[str, Any]],
        silent: bool = False,
        text: bool = True,
    ) -> bool:
        """Load a data file with ``load`` (``json.load``, ``tomllib.load`` with ``text=False``)."""
        path = os.path.join(self.root_path, filename)
        try:
            with open(path, "r" if text else "rb") as data_file:
                data = load(data_file)
        except OSError as e:
            if silent and e.errno in (errno.ENOENT, errno.EISDIR):
                return False
            e.strerror = f"Unable to load configuration file ({e.strerror})"
            raise
        return self.from_mapping(data)

    def from_mapping(self, mapping: Mapping[str, Any] | None = None, **kwargs: Any) -> bool:
        """Take the UPPERCASE keys of ``mapping`` and ``kwargs``."""
        values: dict[str, Any] = {}
        if mapping is not None:
            values.update(mapping)
        values.update(kwargs)
        for key, value in values.items():
            if key.isupper():
                self[key] = value
        return True

    def from_prefixed_env(self, prefix: str | None = None, *, loads: Callable[[str], Any] = json.loads) -> bool:
        """Take ``PREFIX_KEY`` environment variables, values parsed with ``loads`` when they can be
        (``"true"`` -> True, ``"5"`` -> 5), else kept as strings. ``PREFIX_A__B`` sets ``config["A"]["B"]``.

        With no prefix, ``FLASK_`` variables are read (an app moved from Flask keeps its
        environment), then ``MICROFLASK_`` ones, which win."""
        if prefix is None:
            self.from_prefixed_env("FLASK", loads=loads)
            prefix = "MICROFLASK"
        prefix = f"{prefix}_"
        for key in sorted(os.environ):
            if not key.startswith(prefix):
                continue
            value: Any = os.environ[key]
            try:
                value = loads(value)
            except Exception:
                pass
            key = key.removeprefix(prefix)
            if "__" not in key:
                self[key] = value
                continue
            current: dict[str, Any] = self
            *parts, tail = key.split("__")
            for part in parts:
                current = current.setdefault(part, {})
            current[tail] = value
        return True

    def get_namespace(self, namespace: str, lowercase: bool = True, trim_namespace: bool = True) -> dict[str, Any]:
        """The keys starting with ``namespace`` (e.g. ``"MAIL_"``), trimmed and lowercased."""
        found: dict[str, Any] = {}
        for key, value in self.items():
            if not key.startswith(namespace):
                continue
            name = key[len(namespace) :] if trim_namespace else key
            found[name.lower() if lowercase else name] = value
        return found

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {dict.__repr__(self)}>"


def _import_string(name: str) -> Any:
    import importlib

    module_name, _, attr = name.replace(":", ".").rpartition(".")
    try:
        return importlib.import_module(name)
    except ImportError:
        if not module_name:
            raise
    return getattr(importlib.import_module(module_name), attr)
