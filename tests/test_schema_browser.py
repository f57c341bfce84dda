"""/docs and /redoc in real headless Chromium: Swagger UI loads offline and "Try it out" calls
the live app; ReDoc renders the API offline under a strict Content-Security-Policy.

Same harness as test_browser.py (Debian's Chromium through Playwright, only 127.0.0.1 reachable,
bounded waits, skipped with the reason when there is no browser). The screenshots go to
docs/img/api-docs.png and docs/img/api-redoc.png when they are missing or with
``UPDATE_SCREENSHOTS=1``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from subprocess_server import free_port
from test_browser import NO_BROWSER, Browser, browser, keep_screenshot, playwright, serve  # noqa: F401

pytestmark = pytest.mark.skipif(NO_BROWSER is not None, reason=NO_BROWSER or "")

NOTES_APP = '''\
import pydantic

from microflask import MicroFlask
from microflask.schema import OpenAPI

app = MicroFlask(__name__)
OpenAPI(app, title="Notes API", version="1.0")


class NoteIn(pydantic.BaseModel):
    text: str


class Note(NoteIn):
    id: int


@app.post("/notes")
async def create_note(data: NoteIn) -> Note:
    """Create a note (the text comes back in capitals)."""
    return Note(id=1, text=data.text.upper())
'''


def test_swagger_ui_try_it_out(browser: Browser, tmp_path: Path) -> None:  # noqa: F811
    from playwright.sync_api import expect

    (tmp_path / "notes_app.py").write_text(NOTES_APP)
    port = free_port()
    with serve("notes_app:app", tmp_path, port):
        page: Any = browser.new_page()
        page.goto(f"http://127.0.0.1:{port}/docs")
        expect(page.locator(".info .title")).to_contain_text("Notes API")
        page.locator(".opblock-summary-path", has_text="/notes").click()
        page.get_by_role("button", name="Try it out").click()
        page.locator("textarea.body-param__text").fill('{"text": "hello offline"}')
        page.get_by_role("button", name="Execute").click()
        responses = page.locator(".live-responses-table")
        expect(responses.locator("tbody .response-col_status")).to_contain_text("200")
        expect(responses.locator("tbody .response-col_description")).to_contain_text("HELLO OFFLINE")
        shot = tmp_path / "api-docs.png"
        page.set_viewport_size({"width": 1024, "height": 1500})
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(shot))
        # A body that does not validate shows the 422 and its field errors.
        page.locator("textarea.body-param__text").fill("{}")
        page.get_by_role("button", name="Execute").click()
        expect(responses.locator("tbody .response-col_status")).to_contain_text("422")
        expect(responses.locator("tbody .response-col_description")).to_contain_text("Field required")
    keep_screenshot(shot, "api-docs.png")


# docs/apis.md says the pages have no inline script: the ReDoc test runs under this policy.
STRICT_CSP = """

@app.after_request
def strict_csp(response):
    response.headers.add("Content-Security-Policy", "script-src 'self'")
    return response
"""


def test_redoc_renders_the_api_offline(browser: Browser, tmp_path: Path) -> None:  # noqa: F811
    from playwright.sync_api import expect

    (tmp_path / "notes_app.py").write_text(NOTES_APP + STRICT_CSP)
    port = free_port()
    with serve("notes_app:app", tmp_path, port):
        page: Any = browser.new_page()
        blocked: list[str] = []
        page.on("console", lambda message: "Content Security Policy" in message.text and blocked.append(message.text))
        response = page.goto(f"http://127.0.0.1:{port}/redoc")
        assert "script-src 'self'" in response.header_value("content-security-policy")
        expect(page.get_by_role("heading", level=1)).to_contain_text("Notes API (1.0)")
        operation = page.locator('[data-item-kind="httpItem"]', has_text="Create a note")
        expect(operation.get_by_role("heading", level=2)).to_contain_text(
            "Create a note (the text comes back in capitals)."
        )
        expect(operation.locator(".panel-request-samples")).to_contain_text("POST/notes")
        expect(operation.locator(".schema-name", has_text="text").first).to_be_visible()
        expect(page.get_by_test_id("search-trigger")).to_contain_text("Search")  # its index is built
        page.set_viewport_size({"width": 1280, "height": 800})
        shot = tmp_path / "api-redoc.png"
        page.screenshot(path=str(shot))
    # Nothing left 127.0.0.1 (the fixture checks it again, for every test): ReDoc's one outside
    # request, its logo from Redocly's CDN, is refused by the page's own policy before it is made.
    assert browser.refused == []
    assert [text for text in blocked if "cdn.redoc.ly" not in text] == []
    keep_screenshot(shot, "api-redoc.png")
