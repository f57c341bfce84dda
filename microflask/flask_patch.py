"""``import microflask.flask_patch``: Flask extensions run on microflask.

Import it first (before anything imports ``flask``): from then on ``import flask``,
``from flask import ...`` and Flask's submodules (``flask.globals``, ``flask.signals``,
``flask.json``, ``flask.ctx``, ``flask.wrappers``, ``flask.testing``, ``flask.cli``,
``flask.views``, ``flask.sessions``, ``flask.templating``, ``flask.helpers``, ``flask.typing``,
...) are microflask's modules, also when the real Flask is installed, as it is beside any
extension. Nothing else changes: no patching of asyncio (uvloop works), and an app that never
imports this module pays nothing for it.

``flask.X`` is ``microflask.X``, the same module object under both names; a submodule
microflask does not have fails to import, as it would without Flask installed.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
from types import ModuleType
from typing import Any

__all__ = ["FlaskAliasFinder", "patched"]

_PREFIX = "flask"
_TARGET = "microflask"


class _AliasLoader(importlib.abc.Loader):
    """Loads ``flask.X`` as the already imported ``microflask.X``."""

    def __init__(self, target: str) -> None:
        self.target = target

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        return importlib.import_module(self.target)

    def exec_module(self, module: ModuleType) -> None:
        pass  # the module ran when microflask imported it


class FlaskAliasFinder(importlib.abc.MetaPathFinder):
    """Answers imports of ``flask`` and ``flask.*`` with microflask's modules (first on
    ``sys.meta_path``, ahead of an installed Flask)."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> importlib.machinery.ModuleSpec | None:
        if fullname != _PREFIX and not fullname.startswith(_PREFIX + "."):
            return None
        aliased = _TARGET + fullname[len(_PREFIX) :]
        if importlib.util.find_spec(aliased) is None:
            return None  # not one of ours: fails as a missing module (other finders may still answer)
        return importlib.machinery.ModuleSpec(fullname, _AliasLoader(aliased))


def patched() -> bool:
    """Whether the patch is active in this process."""
    return any(isinstance(finder, FlaskAliasFinder) for finder in sys.meta_path)


def _install() -> None:
    loaded = sys.modules.get(_PREFIX)
    if loaded is not None and loaded is not sys.modules[_TARGET]:
        raise ImportError(
            "microflask.flask_patch was imported after the real Flask: import microflask.flask_patch first, at"
            f" the top of the app's entry module (or of conftest.py), before anything imports flask ({loaded!r})."
        )
    if not patched():
        sys.meta_path.insert(0, FlaskAliasFinder())


_install()
