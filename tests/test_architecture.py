"""The package's shape: the layer rules that import-linter cannot see, and Flask's module names.

import-linter (``make lint``) holds the layer contract itself; these tests hold the rest of
docs/architecture.md: few function-level imports, each saying why; short modules; the tools
that ``import microflask`` must not load; and Flask's public module names as real modules.
"""

from __future__ import annotations

import ast
import io
import subprocess
import sys
from pathlib import Path

import pytest

import microflask
from microflask import MicroFlask, jsonify
from microflask.exceptions import MethodNotAllowed, NotFound

PACKAGE = Path(microflask.__file__).parent


def _function_level_imports() -> list[tuple[str, int, str]]:
    """(module path, line, source line) of each microflask import inside a function body."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        lines = path.read_text().splitlines()
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for inner in ast.walk(node):
                if isinstance(inner, ast.ImportFrom) and (inner.level or (inner.module or "").startswith("microflask")):
                    found.append((str(path.relative_to(PACKAGE)), inner.lineno, lines[inner.lineno - 1]))
    return found


def test_at_most_eight_function_level_imports_each_saying_why() -> None:
    imports = _function_level_imports()
    assert len(imports) <= 8, imports
    for module, line, source in imports:
        assert "#" in source and "import" in source.split("#", 1)[1], f"{module}:{line} needs a comment saying why"


def test_no_module_over_600_lines() -> None:
    sizes = {str(p.relative_to(PACKAGE)): len(p.read_text().splitlines()) for p in PACKAGE.rglob("*.py")}
    assert {name: n for name, n in sizes.items() if n > 600} == {}


def test_import_microflask_leaves_the_tools_unloaded() -> None:
    # The lazy imports exist for this: the CLI, the test client and Jinja load on first use.
    code = (
        "import sys, microflask; "
        "print(sorted(m for m in ('typer', 'httpx2', 'jinja2', 'microflask.cli', 'microflask.testing',"
        " 'microflask.templating') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_flask_module_names_are_real_modules() -> None:
    from microflask import ctx, globals, testing
    from microflask.json import provider, tag

    assert provider.JSONProvider.__module__ == "microflask.json.provider"
    assert provider.DefaultJSONProvider.__module__ == "microflask.json.provider"
    assert tag.TaggedJSONSerializer.__module__ == "microflask.json.tag"
    assert testing.FlaskClient is testing.TestClient
    assert testing.FlaskCliRunner.__name__ == "CliRunner"
    # The names stay importable from where they were.
    from microflask.json import DefaultJSONProvider
    from microflask.sessions import TaggedJSONSerializer

    assert DefaultJSONProvider is provider.DefaultJSONProvider
    assert TaggedJSONSerializer is tag.TaggedJSONSerializer
    for name in ("current_app", "g", "request", "session", "websocket", "has_app_context", "has_request_context"):
        assert getattr(ctx, name) is getattr(globals, name)
        assert getattr(microflask, name) is getattr(globals, name)


def test_app_ctx_and_request_ctx_proxies() -> None:
    from microflask.globals import app_ctx, request_ctx

    app = MicroFlask(__name__)
    with pytest.raises(RuntimeError, match="outside of application context"):
        app_ctx.g  # noqa: B018
    with app.app_context() as ctx:
        assert app_ctx._get_current_object() is ctx
        assert app_ctx.app is app
        with pytest.raises(RuntimeError, match="outside of request context"):
            request_ctx.request  # noqa: B018
    with app.test_request_context("/x?a=1") as ctx:
        assert request_ctx._get_current_object() is ctx
        assert request_ctx.request.args["a"] == "1"


def test_json_dump_and_load_use_the_app_provider() -> None:
    from microflask import json

    app = MicroFlask(__name__)
    out = io.StringIO()
    json.dump({"b": 1, "a": 2}, out)  # no app: the stdlib with Flask's default hook
    assert json.load(io.StringIO(out.getvalue())) == {"b": 1, "a": 2}

    class Upper(json.DefaultJSONProvider):
        def dumps(self, obj: object, **kwargs: object) -> str:
            return super().dumps(obj, **kwargs).upper()

    app.json = Upper(app)
    with app.app_context():
        out = io.StringIO()
        json.dump({"b": "x", "a": "y"}, out)
        assert out.getvalue() == '{"A": "Y", "B": "X"}'
        assert json.loads(b'{"k": 1}') == {"k": 1}


def test_json_provider_response_uses_the_app_response_class() -> None:
    class Marked(MicroFlask.response_class):
        pass

    class App(MicroFlask):
        response_class = Marked

    app = App(__name__)
    with app.app_context():
        response = jsonify(a=1)
    assert type(response) is Marked
    assert response.body == b'{"a":1}\n'


def test_http_exception_get_response_is_its_own_page() -> None:
    page = NotFound("No such page.").get_response()
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert b"<h1>Not Found</h1>" in page.body and b"No such page." in page.body
    allowed = MethodNotAllowed(["GET", "POST"]).get_response()
    assert allowed.status_code == 405 and allowed.headers["allow"] == "GET, POST"


def test_get_response_returned_from_an_error_handler() -> None:
    app = MicroFlask(__name__)

    @app.errorhandler(404)
    async def not_found(e: NotFound) -> object:
        response = e.get_response()
        response.headers["x-handled"] = "yes"
        return response

    response = app.test_client().get("/missing")
    assert response.status_code == 404
    assert response.headers["x-handled"] == "yes"
    assert "<h1>Not Found</h1>" in response.text
