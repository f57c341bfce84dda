"""Import an example's ``app.py`` for its tests, under a module name no other test uses."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@contextmanager
def example_module(example: str) -> Iterator[ModuleType]:
    """``examples/<example>/app.py`` as the module ``microflask_example_<example>_app``."""
    name = f"microflask_example_{example}_app"
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / example / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # MicroFlask(__name__) finds its folder through sys.modules
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        del sys.modules[name]
