"""Flask-Login, Flask-WTF and Flask-SQLAlchemy (and Flask-CORS, Flask-Caching, Flask-Limiter,
Flask-Bcrypt, Flask-Mail) served by a real ``uvicorn --loop uvloop`` (issue 15, point 3):
``tests/flask_extensions/served_app.py`` (``import microflask.flask_patch`` first) runs in its
own process on a free port of 127.0.0.1, and httpx2 drives it as a browser would: the login
redirect, a login form posted with its CSRF token, a note posted with its token and then listed
from the database, CORS headers, a cached page, a rate limit, a password hash and a mail; in
``def`` views and in ``async def`` views. webargs and Flasgger are served the same way
(``served_api.py``). Every wait is bounded (the server's log, then polling the port); the
server is stopped after the test.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import httpx2
import pytest
from subprocess_server import CLEAN_EXIT, ServerProcess, clean_env, free_port, python

CASES = Path(__file__).resolve().parent / "flask_extensions"
#: A hang guard for one request.
GUARD = 20.0
TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')

EXTENSIONS = ("flask_login", "flask_wtf", "flask_sqlalchemy", "flask_cors", "flask_caching", "flask_limiter")
EXTENSIONS += ("flask_bcrypt", "flask_mail", "uvloop")

pytestmark = pytest.mark.skipif(
    any(importlib.util.find_spec(m) is None for m in EXTENSIONS),
    reason="the Flask extensions and uvloop are needed (pip install -e '.[dev]')",
)


def token_of(page: str) -> str:
    found = TOKEN.search(page)
    assert found is not None, page
    return found.group(1)


def test_login_csrf_form_and_database_under_uvicorn_with_uvloop(tmp_path: Path) -> None:
    port = free_port()
    args = ["-m", "uvicorn", "served_app:app", "--loop", "uvloop", "--host", "127.0.0.1", "--port", str(port)]
    with ServerProcess(python(*args), cwd=CASES, env=clean_env(DATABASE=str(tmp_path / "served.db"))) as server:
        server.wait_for("Application startup complete")
        server.wait_listening(port)
        base = f"http://127.0.0.1:{port}"
        assert httpx2.get(f"{base}/loop", timeout=GUARD, trust_env=False).text == "uvloop"

        for kind in ("def", "async"):
            with httpx2.Client(base_url=base, timeout=GUARD, trust_env=False) as client:
                # Flask-Login: not logged in, to this blueprint's login view.
                reply = client.get(f"/{kind}/notes")
                assert reply.status_code == 302, reply.text
                assert reply.headers["location"].startswith(f"/{kind}/login?next=")

                # Flask-WTF's CSRFProtect: no token, 400; the form's token, accepted.
                token = token_of(client.get(f"/{kind}/login").text)
                reply = client.post(f"/{kind}/login", data={"name": "ada", "password": "engine"})
                assert reply.status_code == 400 and "CSRF" in reply.text, reply.text
                reply = client.post(f"/{kind}/login", data={"name": "ada", "password": "wrong", "csrf_token": token})
                assert reply.status_code == 401
                reply = client.post(f"/{kind}/login", data={"name": "ada", "password": "engine", "csrf_token": token})
                assert (reply.status_code, reply.headers["location"]) == (302, f"/{kind}/notes"), reply.text

                # Logged in: post a note with the page's token; Flask-SQLAlchemy stores it.
                page = client.get(f"/{kind}/notes")
                assert page.status_code == 200 and "user ada" in page.text
                text = f"written in a {kind} view"
                reply = client.post(f"/{kind}/notes", data={"text": text, "csrf_token": token_of(page.text)})
                assert reply.status_code == 302, reply.text
                reply = client.post(f"/{kind}/notes", data={"text": "no token"})
                assert reply.status_code == 400
                assert f"<li>{text} ({kind}, ada)</li>" in client.get(f"/{kind}/notes").text

        mailed = 0
        for kind in ("def", "async"):
            with httpx2.Client(base_url=base, timeout=GUARD, trust_env=False) as client:
                # Flask-CORS: the allowed origin gets its header, another one does not.
                reply = client.get(f"/{kind}/api/ping", headers={"Origin": "http://allowed.test"})
                assert (reply.json(), reply.headers["access-control-allow-origin"]) == (
                    {"kind": kind},
                    "http://allowed.test",
                )
                reply = client.get(f"/{kind}/api/ping", headers={"Origin": "http://other.test"})
                assert "access-control-allow-origin" not in reply.headers
                # Flask-Caching: the second request is answered from the cache.
                first = client.get(f"/{kind}/cached").text
                assert first.startswith("computed") and client.get(f"/{kind}/cached").text == first
                # Flask-Limiter: two a minute, the third is a 429.
                statuses = [client.get(f"/{kind}/limited").status_code for _ in range(3)]
                assert statuses == [200, 200, 429]
                # Flask-Bcrypt and Flask-Mail (MAIL_SUPPRESS_SEND: dispatched, not delivered).
                assert client.post(f"/{kind}/hash", data={"password": "engine"}).json() == {"ok": True}
                mailed += 1
                assert client.post(f"/{kind}/mail").json() == {"mailed": mailed}

        # Both kinds wrote to one database: the rows of the other kind are there too.
        with httpx2.Client(base_url=base, timeout=GUARD, trust_env=False) as client:
            token = token_of(client.get("/def/login").text)
            client.post("/def/login", data={"name": "ada", "password": "engine", "csrf_token": token})
            listed = client.get("/def/notes").text
            assert "written in a def view" in listed and "written in a async view" in listed
            assert "no token" not in listed

        assert server.stop() in CLEAN_EXIT
    assert "Exception in ASGI application" not in server.output, server.output
    assert "Traceback" not in server.output, server.output


@pytest.mark.skipif(
    any(importlib.util.find_spec(m) is None for m in ("webargs", "flasgger")),
    reason="webargs and flasgger are needed (pip install -e '.[dev]')",
)
def test_webargs_and_flasgger_under_uvicorn_with_uvloop() -> None:
    """``tests/flask_extensions/served_api.py``: webargs parses JSON bodies and query strings
    (its 422 as JSON), Flasgger serves its document, its page and Swagger UI's files."""
    port = free_port()
    args = ["-m", "uvicorn", "served_api:app", "--loop", "uvloop", "--host", "127.0.0.1", "--port", str(port)]
    with ServerProcess(python(*args), cwd=CASES, env=clean_env()) as server:
        server.wait_for("Application startup complete")
        server.wait_listening(port)
        with httpx2.Client(base_url=f"http://127.0.0.1:{port}", timeout=GUARD, trust_env=False) as client:
            for kind in ("def", "async"):
                reply = client.post(f"/{kind}/items", json={"name": "tea", "qty": 2})
                assert (reply.status_code, reply.json()) == (201, {"kind": kind, "name": "tea", "qty": 2})
                reply = client.post(f"/{kind}/items", json={"qty": 0})
                assert reply.status_code == 422
                assert reply.json() == {
                    "errors": {
                        "json": {
                            "name": ["Missing data for required field."],
                            "qty": ["Must be greater than or equal to 1."],
                        }
                    }
                }
                reply = client.post(f"/{kind}/items", content=b"{oops", headers={"Content-Type": "application/json"})
                assert (reply.status_code, reply.json()) == (400, {"errors": {"json": ["Invalid JSON body."]}})
                reply = client.get(f"/{kind}/items", params=[("page", "3"), ("tag", "a"), ("tag", "b")])
                assert reply.json() == {"kind": kind, "page": 3, "tag": ["a", "b"]}

            spec = client.get("/apispec_1.json").json()
            assert spec["info"]["title"] == "Served API"
            assert spec["paths"]["/def/items"]["post"]["summary"] == "Add an item"
            assert "Item" in spec["definitions"]
            page = client.get("/apidocs/")
            assert (page.status_code, page.headers["content-type"]) == (200, "text/html; charset=utf-8")
            script = client.get("/flasgger_static/swagger-ui-bundle.js")
            assert script.status_code == 200
            assert script.headers["content-type"].split(";")[0] in ("text/javascript", "application/javascript")
            assert int(script.headers["content-length"]) == len(script.content) > 100_000
            css = client.get("/flasgger_static/swagger-ui.css")
            assert (css.status_code, css.headers["content-type"].split(";")[0]) == (200, "text/css")

        assert server.stop() in CLEAN_EXIT
    assert "Traceback" not in server.output, server.output
