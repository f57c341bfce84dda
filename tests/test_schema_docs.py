"""/docs: Swagger UI served by the app from the installed package, nothing from elsewhere."""

from __future__ import annotations

import re
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
