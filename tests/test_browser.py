"""The blog and the chat end to end in real headless Chromium, against a live Uvicorn.

Each test starts the example with Uvicorn in a subprocess on a free port of 127.0.0.1 and
drives Debian's Chromium (``/usr/bin/chromium``, or ``$CHROMIUM``) with Playwright. Playwright
never downloads a browser here (``scripts/install-browser.sh``, run by ``.ci/run``, installs
Chromium with apt-get). The tests skip, saying why, only when there is no browser to run.

The pages may load nothing but 127.0.0.1: every other request is refused and fails the test.
Waits are Playwright's bounded auto-waiting (``expect``), never sleeps.

Screenshots go to a temporary folder on every run; with ``UPDATE_SCREENSHOTS=1`` (or when the
file is missing) they are copied to ``docs/img/blog.png`` and ``docs/img/chat.png``, which the
README and the tutorial show. A normal run therefore leaves the git tree as it was.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from subprocess_server import ServerProcess, clean_env, free_port, python

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
IMAGES = ROOT / "docs" / "img"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: The most one browser wait (an element appearing, a navigation) may take, in milliseconds.
TIMEOUT_MS = 15_000


def _why_no_browser() -> str | None:
    if not Path(CHROMIUM).is_file() or not os.access(CHROMIUM, os.X_OK):
        return f"no browser: {CHROMIUM} is missing (scripts/install-browser.sh installs Debian's chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "no browser driver: the playwright package is missing (pip install -e '.[dev]')"
    return None


NO_BROWSER = _why_no_browser()
if NO_BROWSER is not None:
    print(f"tests/test_browser.py skipped: {NO_BROWSER}", file=sys.stderr)
pytestmark = pytest.mark.skipif(NO_BROWSER is not None, reason=NO_BROWSER or "")


# -- fixtures -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def playwright() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        yield driver


class Browser:
    """One Chromium with a fresh profile; pages may fetch from 127.0.0.1 only."""

    def __init__(self, playwright: Any, profile: Path) -> None:
        self.context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1024, "height": 720},
            locale="en-GB",
            timezone_id="UTC",
        )
        self.context.set_default_timeout(TIMEOUT_MS)
        self.refused: list[str] = []
        self.context.route("**/*", self._only_local)
        self.errors: list[str] = []

    def _only_local(self, route: Any) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            self.refused.append(route.request.url)
            route.abort()

    def new_page(self) -> Any:
        page = self.context.new_page()
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        return page

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def browser(playwright: Any, tmp_path: Path) -> Iterator[Browser]:
    browser = Browser(playwright, tmp_path / "chromium-profile")
    try:
        yield browser
    finally:
        browser.close()
    assert browser.refused == [], f"the pages tried to load from elsewhere than 127.0.0.1: {browser.refused}"
    assert browser.errors == [], f"JavaScript errors: {browser.errors}"


def serve(app: str, cwd: Path, port: int, **env: str) -> ServerProcess:
    """``uvicorn app`` on 127.0.0.1:``port``, running in ``cwd``; returns once it listens."""
    server = ServerProcess(
        python("-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port), "--no-access-log"),
        cwd=cwd,
        env=clean_env(**env),
    )
    try:
        server.wait_for("Application startup complete")
        server.wait_listening(port)
    except BaseException:
        server.kill()
        raise
    return server


def keep_screenshot(shot: Path, name: str) -> None:
    """Copy ``shot`` to docs/img/``name`` when asked to (UPDATE_SCREENSHOTS=1) or when it is missing."""
    target = IMAGES / name
    if os.environ.get("UPDATE_SCREENSHOTS") == "1" or not target.exists():
        IMAGES.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, target)


# -- the blog -----------------------------------------------------------------------------------

BLOG_LAUNCHER = """\
import sys

sys.path.insert(0, {blog_dir!r})
from app import create_app  # examples/blog/app.py

app = create_app({{"DATABASE": {database!r}, "SECRET_KEY": "browser-test"}})
"""


def test_blog_register_login_and_post(browser: Browser, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    # A launcher in tmp_path serves the blog with its database in tmp_path too.
    (tmp_path / "blog_server.py").write_text(
        BLOG_LAUNCHER.format(blog_dir=str(EXAMPLES / "blog"), database=str(tmp_path / "blog.sqlite"))
    )
    port = free_port()
    with serve("blog_server:app", tmp_path, port):
        base = f"http://127.0.0.1:{port}"
        page = browser.new_page()
        page.goto(f"{base}/")
        expect(page.locator("main")).to_contain_text("No posts yet")

        page.get_by_role("link", name="Register").click()
        expect(page).to_have_url(f"{base}/auth/register")
        page.get_by_label("Username").fill("ada")
        page.get_by_label("Password").fill("analytical engine")
        page.get_by_role("button", name="Register").click()

        expect(page).to_have_url(f"{base}/auth/login")
        expect(page.locator(".flash.success")).to_have_text("Registration successful. Please log in.")
        page.get_by_label("Username").fill("ada")
        page.get_by_label("Password").fill("analytical engine")
        page.get_by_role("button", name="Log in").click()

        expect(page).to_have_url(f"{base}/")
        expect(page.locator(".flash.success")).to_have_text("Welcome, ada!")
        expect(page.locator("nav .user")).to_have_text("Signed in as ada")

        # An empty title is refused by the server (the browser's own check is bypassed).
        page.get_by_role("link", name="New post").click()
        page.locator("#title").evaluate("input => input.removeAttribute('required')")
        page.get_by_role("button", name="Publish").click()
        expect(page.locator(".errors")).to_contain_text("Title is required.")

        posts = [
            ("Notes on the Analytical Engine", "The engine might compose elaborate pieces of music."),
            ("Hello from microflask", "Async views, Jinja templates, sessions and flash messages."),
        ]
        for title, body in posts:
            page.goto(f"{base}/posts/create")
            page.get_by_label("Title").fill(title)
            page.get_by_label("Body").fill(body)
            page.get_by_role("button", name="Publish").click()
            expect(page).to_have_url(f"{base}/posts/{posts.index((title, body)) + 1}")
            expect(page.locator(".flash.success")).to_have_text("Post published.")
            expect(page.locator("article.post h1")).to_have_text(title)
            expect(page.locator("article.post .body")).to_have_text(body)
            expect(page.locator("article.post .meta")).to_contain_text("by ada")
        shot = tmp_path / "blog.png"
        page.set_viewport_size({"width": 1024, "height": 430})
        page.screenshot(path=str(shot))

        page.get_by_role("link", name="All posts").click()
        expect(page.locator("article.post h2")).to_have_text([title for title, _ in reversed(posts)])  # newest first
        # The stylesheet came from the app's static folder.
        assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(250, 250, 250)"

        page.get_by_role("button", name="Log out").click()
        expect(page.locator(".flash.success")).to_have_text("You have been logged out.")
        expect(page.get_by_role("link", name="Log in")).to_be_visible()
    keep_screenshot(shot, "blog.png")


# -- the chat -----------------------------------------------------------------------------------


def test_chat_two_pages_talk(browser: Browser, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    port = free_port()
    with serve("app:app", EXAMPLES / "chat", port):
        url = f"http://127.0.0.1:{port}/"
        ada, bob = browser.new_page(), browser.new_page()
        for page, name in ((ada, "Ada"), (bob, "Bob")):
            page.goto(url)
            page.get_by_label("Your name").fill(name)
            page.get_by_role("button", name="Join").click()
            expect(page.locator("#status")).to_have_text(f"connected as {name}")
            expect(page.locator("#room-title")).to_have_text("# lobby")

        expect(ada.locator(".event").last).to_have_text("Bob joined")
        expect(ada.locator("#members li")).to_have_text(["Ada", "Bob"])
        expect(bob.locator("#members li")).to_have_text(["Ada", "Bob"])

        conversation = [
            (ada, "Hello Bob! Is the server up?"),
            (bob, "Hi Ada, it is: Uvicorn on 127.0.0.1, websockets and all."),
            (ada, "Every message reaches the whole room at once."),
            (bob, "Nice. And <b>markup</b> stays plain text."),
        ]
        for n, (sender, text) in enumerate(conversation, 1):
            sender.get_by_placeholder("Write a message...").fill(text)
            sender.get_by_role("button", name="Send").click()
            for page in (ada, bob):
                expect(page.locator(".message .text")).to_have_count(n)
                expect(page.locator(".message .text").last).to_have_text(text)
        # Each side sees its own messages as "you", the other's under the sender's name.
        expect(ada.locator(".message .name")).to_have_text(["you", "Bob", "you", "Bob"])
        expect(bob.locator(".message .name")).to_have_text(["Ada", "you", "Ada", "you"])
        expect(ada.locator(".message b")).to_have_count(0)  # shown as text, not markup

        shot = tmp_path / "chat.png"
        ada.set_viewport_size({"width": 1024, "height": 600})
        ada.screenshot(path=str(shot))

        bob.close()
        expect(ada.locator(".event").last).to_have_text("Bob left")
        expect(ada.locator("#members li")).to_have_text(["Ada"])
    keep_screenshot(shot, "chat.png")
