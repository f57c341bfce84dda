"""examples/flask_extensions (the reading list) end to end in real headless Chromium, against a
live Uvicorn (uvloop): register, log in, add a book through the CSRF-protected form, see its row.

Same harness as test_browser.py (Debian's Chromium through Playwright, only 127.0.0.1 reachable,
bounded waits, skipped with the reason when there is no browser). The example runs in its own
process, where ``microflask.flask_patch`` is imported first, as its ``app.py`` does. The
screenshot goes to docs/img/flask-extensions.png when it is missing or with ``UPDATE_SCREENSHOTS=1``.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest
from subprocess_server import free_port
from test_browser import NO_BROWSER, Browser, browser, keep_screenshot, playwright, serve  # noqa: F401

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "flask_extensions"
MISSING = [
    m for m in ("flask_login", "flask_bcrypt", "flask_wtf", "flask_sqlalchemy") if not importlib.util.find_spec(m)
]

pytestmark = [
    pytest.mark.skipif(NO_BROWSER is not None, reason=NO_BROWSER or ""),
    pytest.mark.skipif(bool(MISSING), reason=f"{', '.join(MISSING)} not installed (pip install -e '.[dev]')"),
]


def test_reading_list_register_log_in_and_add_a_book(browser: Browser, tmp_path: Path) -> None:  # noqa: F811
    from playwright.sync_api import expect

    port = free_port()
    database = str(tmp_path / "reading.sqlite")
    with serve("app:app", EXAMPLE, port, READING_DATABASE=database, READING_SECRET_KEY="browser-test"):
        base = f"http://127.0.0.1:{port}"
        page: Any = browser.new_page()
        page.goto(f"{base}/")
        expect(page).to_have_url(f"{base}/login?next=%2F")  # Flask-Login's login_view

        page.get_by_role("link", name="Register").click()
        page.get_by_label("Username").fill("ada")
        page.get_by_label("Password", exact=True).fill("analytical engine")
        page.get_by_label("Repeat password").fill("analytical engine")
        page.get_by_role("button", name="Register").click()
        expect(page).to_have_url(f"{base}/login")
        expect(page.locator(".flash.success")).to_have_text("Registered. Please log in.")

        page.get_by_label("Username").fill("ada")
        page.get_by_label("Password").fill("analytical engine")
        page.get_by_role("button", name="Log in").click()
        expect(page).to_have_url(f"{base}/")
        expect(page.locator(".flash.success")).to_have_text("Welcome, ada!")
        expect(page.locator("nav .user")).to_have_text("Signed in as ada")
        expect(page.locator(".empty")).to_have_text("No books yet.")

        for title, author in [("The Left Hand of Darkness", "Ursula K. Le Guin"), ("Middlemarch", "George Eliot")]:
            page.get_by_label("Title").fill(title)
            page.get_by_label("Author").fill(author)
            page.get_by_role("button", name="Add").click()
            expect(page.locator(".flash.success")).to_have_text(f"Added “{title}”.")
        rows = page.locator("tbody tr")
        expect(rows).to_have_count(2)
        expect(rows.nth(0)).to_contain_text("The Left Hand of Darkness")
        expect(rows.nth(1)).to_contain_text("George Eliot")
        shot = tmp_path / "flask-extensions.png"
        page.screenshot(path=str(shot))

        # The form's CSRF token is checked: a forged one is refused (Flask-WTF's 400).
        page.locator("form.add input[name=csrf_token]").evaluate("input => input.value = 'forged'")
        page.get_by_label("Title").fill("Forged")
        page.get_by_label("Author").fill("Nobody")
        page.get_by_role("button", name="Add").click()
        expect(page.locator("body")).to_contain_text("CSRF")

        page.goto(f"{base}/")
        expect(rows).to_have_count(2)  # nothing was added
        page.get_by_role("button", name="Log out").click()
        expect(page).to_have_url(f"{base}/login")
    keep_screenshot(shot, "flask-extensions.png")
