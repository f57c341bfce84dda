"""/docs (Swagger UI) and /redoc (ReDoc): served by the app from installed packages, nothing from elsewhere."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pydantic
import pytest

from microflask import MicroFlask
from microflask.schema import OpenAPI
from microflask.schema import docs as docs_module


class Note(pydantic.BaseModel):
    text: str


def build_app(**options: Any) -> MicroFlask:
    app = MicroFlask(__name__)
    OpenAPI(app, title="Notes <API>", version="1", **options)

    @app.post("/notes")
    async def create(data: Note) -> Note:
        return data

    return app


def test_the_page_and_every_asset_it_names_are_served_locally() -> None:
    client = build_app().test_client()
    page = client.get("/docs")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "<title>Notes &lt;API&gt; - Swagger UI</title>" in page.text
    assert "<script>" not in page.text  # no inline script: a strict CSP allows the page
    urls = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert urls and all(url.startswith("/docs/") for url in urls), urls
    for url in urls:
        asset = client.get(url)
        assert asset.status_code == 200, url
        assert len(asset.content) > 0
    assert 'data-openapi-url="/openapi.json"' in page.text
    assert "SwaggerUIBundle" in client.get("/docs/swagger-ui-bundle.js").text
    assert client.get("/docs/init.js").headers["content-type"].startswith("text/javascript")


def test_only_the_distributions_files_are_served() -> None:
    client = build_app().test_client()
    assert client.get("/docs/index.html").status_code == 404
    assert client.get("/docs/..%2F__init__.py").status_code == 404
    assert client.get("/docs/swagger-ui.js.map").status_code == 404


def test_docs_path_configurable_disabled_and_parameters() -> None:
    client = build_app(docs_path="/api/ui", swagger_ui_parameters={"docExpansion": "none"}).test_client()
    assert client.get("/docs").status_code == 404
    page = client.get("/api/ui")
    assert page.status_code == 200 and 'src="/api/ui/swagger-ui-bundle.js"' in page.text
    assert '"docExpansion": "none"' in client.get("/api/ui/init.js").text
    assert build_app(docs_path=None).test_client().get("/docs").status_code == 404


def test_without_swagger_ui_installed_the_page_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(docs_module, "swagger_ui_folder", lambda: None)
    client = build_app().test_client()
    page = client.get("/docs")
    assert page.status_code == 501 and "microflask[api]" in page.text
    assert client.get("/docs/swagger-ui.css").status_code == 404


def test_docs_routes_are_not_in_the_document() -> None:
    document = build_app().test_client().get("/openapi.json").json
    assert list(document["paths"]) == ["/notes"]


# -- /redoc: ReDoc, from the installed flask-openapi-redoc (its files only) -----------------------


def test_redoc_page_and_every_file_it_names_are_served_locally() -> None:
    client = build_app().test_client()
    page = client.get("/redoc")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "<title>Notes &lt;API&gt; - ReDoc</title>" in page.text
    assert "<script>" not in page.text  # no inline script: a strict CSP allows the page
    assert '<div id="redoc" data-spec-url="/openapi.json">' in page.text
    assert '<script type="module" src="/redoc/init.js">' in page.text  # the bundle is an ES module
    assert 'href="/redoc/redoc.standalone.js"' in page.text
    assert re.findall(r"https?://", page.text) == []
    assert page.headers["content-security-policy"] == "img-src 'self' data:"  # not ReDoc's logo from its CDN
    urls = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert urls and all(url.startswith("/redoc/") for url in urls), urls
    for url in urls:
        asset = client.get(url)
        assert asset.status_code == 200 and len(asset.content) > 0, url
    bundle = client.get("/redoc/redoc.standalone.js")
    assert bundle.headers["content-type"].startswith("text/javascript")  # module scripts need a JS type
    assert "export{RedocStandalone,hydrate,init}" in bundle.text
    assert client.get("/redoc/redoc.svg").headers["content-type"] == "image/svg+xml"


def test_redoc_init_module_imports_the_bundle_with_the_options() -> None:
    client = build_app(redoc_options={"hideDownloadButtons": True}).test_client()
    init = client.get("/redoc/init.js")
    assert init.headers["content-type"].startswith("text/javascript")
    assert 'import { init } from "./redoc.standalone.js";' in init.text
    # Telemetry to Redocly is off unless asked for; the app's options come on top.
    assert '{"disableTelemetry": true, "hideDownloadButtons": true}' in init.text
    init = build_app(redoc_options={"disableTelemetry": False}).test_client().get("/redoc/init.js")
    assert '{"disableTelemetry": false}' in init.text


def test_redoc_only_its_files_are_served() -> None:
    client = build_app().test_client()
    for name in ("index.html", "..%2F__init__.py", "..%2F..%2F__init__.py", "js%2Fredoc.standalone.js", "redoc.js"):
        assert client.get(f"/redoc/{name}").status_code == 404, name
    assert client.get("/redoc/js/redoc.standalone.js").status_code == 404
    assert client.get("/redoc/swagger-ui.css").status_code == 404  # each page serves its own files


def test_redoc_path_configurable_and_disabled() -> None:
    client = build_app(redoc_path="/api/reference").test_client()
    assert client.get("/redoc").status_code == 404
    page = client.get("/api/reference")
    assert page.status_code == 200 and 'src="/api/reference/init.js"' in page.text
    assert client.get("/api/reference/redoc.standalone.js").status_code == 200
    client = build_app(redoc_path=None).test_client()
    assert client.get("/redoc").status_code == 404
    assert client.get("/docs").status_code == 200
    client = build_app(openapi_path=None).test_client()
    assert client.get("/redoc").status_code == 404 and client.get("/docs").status_code == 404


def test_without_redoc_installed_the_page_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(docs_module, "redoc_folder", lambda: None)
    client = build_app().test_client()
    page = client.get("/redoc")
    assert page.status_code == 501 and page.headers["content-type"].startswith("text/plain")
    assert "microflask[api]" in page.text and "flask-openapi-redoc" in page.text
    assert client.get("/redoc/redoc.standalone.js").status_code == 404
    assert client.get("/docs").status_code == 200  # Swagger UI does not need it


def test_redoc_folder_is_found_without_importing_the_package(tmp_path: Path) -> None:
    # flask-openapi-redoc imports Flask: microflask reads its files and imports neither.
    code = (
        "import sys, pydantic, microflask, microflask.schema\n"
        "app = microflask.MicroFlask('notes')\n"
        "microflask.schema.OpenAPI(app)\n"
        "client = app.test_client()\n"
        "assert client.get('/redoc').status_code == 200\n"
        "assert client.get('/redoc/redoc.standalone.js').status_code == 200\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in"
        " ('flask', 'werkzeug', 'flask_openapi', 'flask_openapi_redoc'))\n"
        "print(loaded)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path)
    assert out.stdout.strip() == "[]"


def test_redoc_folder_needs_the_package_and_its_files(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    folder = docs_module.redoc_folder()
    assert folder is not None and Path(folder, "js", "redoc.standalone.js").is_file()
    # A package of that name without ReDoc's files (another layout) is as good as none.
    (tmp_path / "flask_openapi_redoc").mkdir()
    (tmp_path / "flask_openapi_redoc" / "__init__.py").write_text("raise AssertionError('never imported')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert docs_module.redoc_folder() is None
    monkeypatch.setattr(sys, "path", [str(tmp_path / "empty")])
    assert docs_module.redoc_folder() is None
