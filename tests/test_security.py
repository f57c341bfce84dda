"""What the framework guarantees for security (docs/security.md): TRUSTED_HOSTS, session cookie
defaults and signing, key rotation, error pages that never show a secret, a config value or a
traceback when DEBUG is off, encoded redirect targets, contained file paths, body limits."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
from pathlib import Path
from typing import Any

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from microflask import MicroFlask, abort, current_app, redirect, request, send_from_directory, session
from microflask.helpers import safe_join
from microflask.httputil import host_is_trusted
from microflask.sessions import TaggedJSONSerializer

SECRET_KEY = "SUPER-SECRET-KEY-do-not-leak-4c1d"
OLD_KEY = "OLD-SECRET-KEY-rotated-out-93be"
DATABASE_PASSWORD = "CONFIG-DB-PASSWORD-77aa"


def serializer(key: str | list[str], signer: type[TimestampSigner] = TimestampSigner) -> URLSafeTimedSerializer:
    """The signer the cookie session uses (Flask's parameters)."""
    return URLSafeTimedSerializer(
        key,
        salt="cookie-session",
        serializer=TaggedJSONSerializer(),
        signer=signer,
        signer_kwargs={"key_derivation": "hmac", "digest_method": hashlib.sha1},
    )


def with_payload(cookie: str, data: dict[str, Any]) -> str:
    """``cookie`` with another payload and its original timestamp and signature."""
    payload = base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).rstrip(b"=").decode()
    return payload + "." + cookie.split(".", 1)[1]


def session_app(**config: Any) -> MicroFlask:
    app = MicroFlask(__name__)
    app.config.update(SECRET_KEY=SECRET_KEY, **config)

    @app.route("/login/<name>")
    async def login(name: str) -> str:
        session["user"] = name
        return "logged in"

    @app.route("/whoami")
    async def whoami() -> str:
        return str(session.get("user"))

    @app.route("/touch")
    async def touch() -> str:
        session["n"] = session.get("n", 0) + 1
        return str(session["n"])

    return app


def set_cookie_header(response: Any, name: str = "session") -> str:
    headers = [v for v in response.headers.get_list("set-cookie") if v.startswith(name + "=")]
    assert len(headers) == 1, headers
    return headers[0]


def cookie_value(response: Any, name: str = "session") -> str:
    return set_cookie_header(response, name).split(";", 1)[0].split("=", 1)[1]


# -- TRUSTED_HOSTS -------------------------------------------------------------------------------

TRUSTED = ["example.org", ".example.com", "[::1]", "localhost:8000"]


@pytest.mark.parametrize(
    ("host", "trusted"),
    [
        ("example.org", True),
        ("EXAMPLE.ORG", True),
        ("example.org:8443", True),
        ("example.org.", True),
        ("example.com", True),
        ("api.example.com", True),
        ("deep.api.example.com:8080", True),
        ("[::1]", True),
        ("[::1]:8000", True),
        ("localhost", True),
        ("", False),
        ("evil.test", False),
        ("example.org.evil.test", False),
        ("evilexample.com", False),
        ("example.com.evil.test", False),
        ("sub.example.org", False),
        ("[::2]", False),
        ("example.org@evil.test", False),
        ("evil.test#example.org", False),
        ("\xff\xfe", False),
    ],
)
def test_host_is_trusted(host: str, trusted: bool) -> None:
    assert host_is_trusted(host, TRUSTED) is trusted


def trusted_app() -> MicroFlask:
    app = MicroFlask(__name__)
    app.config["TRUSTED_HOSTS"] = ["example.org", ".example.com"]

    @app.route("/")
    async def index() -> str:
        return f"hello {request.host}"

    return app


@pytest.mark.parametrize("host", ["example.org", "example.com", "api.example.com", "a.b.example.com:8080"])
def test_trusted_hosts_are_served(host: str) -> None:
    with trusted_app().test_client() as client:
        response = client.get("/", headers={"Host": host})
    assert (response.status_code, response.text) == (200, f"hello {host}")


@pytest.mark.parametrize(
    "host", ["evil.test", "localhost", "evilexample.com", "example.com.evil.test", "x.example.org"]
)
def test_untrusted_hosts_get_400(host: str) -> None:
    with trusted_app().test_client() as client:
        response = client.get("/", headers={"Host": host})
    assert response.status_code == 400
    assert "not trusted" in response.text
    assert "hello" not in response.text


def test_untrusted_host_goes_through_the_400_handler() -> None:
    app = trusted_app()

    @app.errorhandler(400)
    async def bad_request(e: Exception) -> Any:
        return {"error": "bad host"}, 400

    with app.test_client() as client:
        response = client.get("/anything", headers={"Host": "evil.test"})
    assert (response.status_code, response.json) == (400, {"error": "bad host"})


def test_untrusted_host_is_checked_before_routing() -> None:
    """A 404 or a 405 would tell an attacker about the routes: the host check comes first."""
    with trusted_app().test_client() as client:
        assert client.get("/missing", headers={"Host": "evil.test"}).status_code == 400
        assert client.post("/", headers={"Host": "evil.test"}).status_code == 400


# -- cookies -------------------------------------------------------------------------------------


def test_session_cookie_defaults_are_httponly_and_samesite_lax() -> None:
    with session_app().test_client() as client:
        header = set_cookie_header(client.get("/login/ann"))
    attributes = [part.strip() for part in header.split(";")[1:]]
    assert "HttpOnly" in attributes
    assert "SameSite=Lax" in attributes
    assert "Path=/" in attributes
    assert "Secure" not in attributes  # plain http in development; SESSION_COOKIE_SECURE turns it on
    assert not any(a.startswith(("Expires=", "Max-Age=")) for a in attributes)  # a browser-session cookie


def test_session_cookie_attributes_are_configurable() -> None:
    app = session_app(
        SESSION_COOKIE_SECURE=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_DOMAIN="example.com",
        SESSION_COOKIE_PATH="/app",
        SESSION_COOKIE_NAME="sid",
    )
    with app.test_client() as client:
        header = set_cookie_header(client.get("/login/ann", headers={"Host": "example.com"}), "sid")
    attributes = [part.strip() for part in header.split(";")[1:]]
    assert {"Secure", "HttpOnly", "SameSite=Strict", "Domain=example.com", "Path=/app"} <= set(attributes)


def test_session_cookie_samesite_none_and_httponly_off() -> None:
    app = session_app(SESSION_COOKIE_SAMESITE="None", SESSION_COOKIE_SECURE=True, SESSION_COOKIE_HTTPONLY=False)
    with app.test_client() as client:
        header = set_cookie_header(client.get("/login/ann"))
    attributes = [part.strip() for part in header.split(";")[1:]]
    assert "SameSite=None" in attributes and "Secure" in attributes
    assert "HttpOnly" not in attributes


def test_response_set_cookie_defaults_to_samesite_lax() -> None:
    app = MicroFlask(__name__)

    @app.route("/")
    async def index() -> Any:
        response = current_app.response_class("x")
        response.set_cookie("pref", "dark")
        return response

    with app.test_client() as client:
        header = set_cookie_header(client.get("/"), "pref")
    assert "SameSite=Lax" in header


def test_cookie_values_cannot_inject_attributes_or_headers() -> None:
    app = MicroFlask(__name__)

    @app.route("/")
    async def index() -> Any:
        response = current_app.response_class("x")
        response.set_cookie("pref", request.args["v"])
        return response

    with app.test_client() as client:
        response = client.get("/", params={"v": "dark; Domain=evil.test; HttpOnly"})
    header = set_cookie_header(response, "pref")
    value, *attributes = [part.strip() for part in header.split(";")]
    assert attributes == ["Path=/", "SameSite=Lax"]  # the value's ";" are escaped inside its quotes
    assert value == 'pref="dark\\073 Domain=evil.test\\073 HttpOnly"'


# -- session signing and key rotation ---------------------------------------------------------------


def test_session_cookie_is_signed_with_the_secret_key() -> None:
    with session_app().test_client() as client:
        value = cookie_value(client.get("/login/ann"))
    assert serializer(SECRET_KEY).loads(value) == {"user": "ann"}
    with pytest.raises(Exception, match="Signature"):
        serializer("another key").loads(value)


@pytest.mark.parametrize(
    "forge",
    [
        lambda: serializer("attacker key").dumps({"user": "admin"}),
        lambda: with_payload(serializer(SECRET_KEY).dumps({"user": "ann"}), {"user": "admin"}),
        lambda: serializer(SECRET_KEY).dumps({"user": "ann"}).rsplit(".", 1)[0],
        lambda: "eyJ1c2VyIjoiYWRtaW4ifQ",  # {"user":"admin"} without any signature
        lambda: "." * 3,
    ],
    ids=["other-key", "payload-edited", "signature-stripped", "unsigned", "dots"],
)
def test_forged_session_cookies_give_an_empty_session(forge: Any) -> None:
    with session_app().test_client() as client:
        client.cookies.set("session", forge())
        assert client.get("/whoami").text == "None"


def test_expired_session_cookie_gives_an_empty_session() -> None:
    class LongAgo(TimestampSigner):
        def get_timestamp(self) -> int:
            return 1_000_000_000  # 2001

    app = session_app(PERMANENT_SESSION_LIFETIME=3600)
    with app.test_client() as client:
        client.cookies.set("session", serializer(SECRET_KEY, LongAgo).dumps({"user": "ann"}))
        assert client.get("/whoami").text == "None"
        client.cookies.set("session", serializer(SECRET_KEY).dumps({"user": "ann"}))
        assert client.get("/whoami").text == "ann"


def test_secret_key_fallbacks_rotate_keys() -> None:
    """A cookie signed with an old key still works while that key is a fallback; anything the
    app writes is signed with the current key; once the old key is dropped, its cookies are void."""
    old_cookie = serializer(OLD_KEY).dumps({"user": "ann", "n": 1})
    app = session_app(SECRET_KEY_FALLBACKS=[OLD_KEY])
    with app.test_client() as client:
        client.cookies.set("session", old_cookie)
        assert client.get("/whoami").text == "ann"
        response = client.get("/touch")
        assert response.text == "2"
        renewed = cookie_value(response)
    assert serializer(SECRET_KEY).loads(renewed) == {"user": "ann", "n": 2}
    with pytest.raises(Exception, match="Signature"):
        serializer(OLD_KEY).loads(renewed)

    app.config["SECRET_KEY_FALLBACKS"] = []
    with app.test_client() as client:
        client.cookies.set("session", old_cookie)
        assert client.get("/whoami").text == "None"
        client.cookies.set("session", renewed)
        assert client.get("/whoami").text == "ann"


def test_a_cookie_signed_by_the_new_key_is_not_accepted_by_an_app_with_only_the_old_key() -> None:
    new_cookie = serializer(SECRET_KEY).dumps({"user": "ann"})
    app = session_app()
    app.config["SECRET_KEY"] = OLD_KEY
    with app.test_client() as client:
        client.cookies.set("session", new_cookie)
        assert client.get("/whoami").text == "None"


def test_writing_a_session_without_a_secret_key_is_a_500_that_leaks_nothing(caplog: pytest.LogCaptureFixture) -> None:
    app = session_app()
    app.config["SECRET_KEY"] = None
    with app.test_client() as client:
        response = client.get("/login/ann")
    assert response.status_code == 500
    assert "SECRET_KEY" not in response.text and "Traceback" not in response.text
    assert any("no secret key" in str(r.exc_info[1]) for r in caplog.records if r.exc_info)


# -- error pages: no secret, no config value, no traceback when DEBUG is off --------------------------


def leaky_app(debug: bool = False) -> MicroFlask:
    """An app whose failures all have a secret within reach."""
    app = MicroFlask(__name__)
    app.config.update(
        SECRET_KEY=SECRET_KEY,
        DATABASE_URL=f"postgresql://app:{DATABASE_PASSWORD}@db.internal/app",
        MAX_CONTENT_LENGTH=1024,
        DEBUG=debug,
    )

    @app.post("/json")
    async def json_view() -> Any:
        return {"got": await request.get_json()}

    @app.post("/upload")
    async def upload() -> Any:
        return {"length": len(await request.get_data())}

    @app.route("/crash")
    async def crash() -> str:
        config = current_app.config
        raise RuntimeError(f"cannot connect to {config['DATABASE_URL']} with key {config['SECRET_KEY']}")

    @app.route("/sync-crash")
    def sync_crash() -> str:
        secret = current_app.config["SECRET_KEY"]  # a local the traceback would show
        return {"no": "str"}[secret]  # KeyError carrying the secret

    @app.route("/crash-in-template")
    async def crash_in_template() -> Any:
        from microflask import render_template_string

        return await render_template_string("{{ config.SECRET_KEY }}{{ 1 // 0 }}")

    @app.route("/abort")
    async def abort_view() -> Any:
        abort(403)

    return app


ERROR_REQUESTS = [
    pytest.param("POST", "/json", {"content": b"{bad", "headers": {"Content-Type": "application/json"}}, 400, id="400"),
    pytest.param("GET", "/missing", {}, 404, id="404"),
    pytest.param("DELETE", "/crash", {}, 405, id="405"),
    pytest.param("POST", "/upload", {"content": b"x" * 4096}, 413, id="413"),
    pytest.param("POST", "/json", {"content": b"{}", "headers": {"Content-Type": "text/plain"}}, 415, id="415"),
    pytest.param("GET", "/abort", {}, 403, id="403"),
    pytest.param("GET", "/crash", {}, 500, id="500"),
    pytest.param("GET", "/sync-crash", {}, 500, id="500-sync"),
    pytest.param("GET", "/crash-in-template", {}, 500, id="500-template"),
]
LEAKS = (SECRET_KEY, DATABASE_PASSWORD, "db.internal", "Traceback", 'File "', "RuntimeError", "KeyError", __file__)


@pytest.mark.parametrize("accept", ["text/html", "application/json"])
@pytest.mark.parametrize(("method", "path", "kwargs", "status"), ERROR_REQUESTS)
def test_error_pages_never_show_secrets_config_or_tracebacks(
    method: str, path: str, kwargs: dict[str, Any], status: int, accept: str
) -> None:
    with leaky_app().test_client() as client:
        kwargs = {**kwargs, "headers": {**kwargs.get("headers", {}), "Accept": accept}}
        response = client.request(method, path, **kwargs)
    assert response.status_code == status
    for leak in LEAKS:
        assert leak not in response.text, f"{leak!r} in the {status} page"
    for value in response.headers.values():
        assert SECRET_KEY not in value and DATABASE_PASSWORD not in value
    if accept == "application/json":
        assert response.json["code"] == status
    else:
        assert len(response.text) < 1024


def test_the_500_is_logged_with_its_traceback_for_the_operator(caplog: pytest.LogCaptureFixture) -> None:
    with leaky_app().test_client() as client:
        assert client.get("/crash").status_code == 500
    (record,) = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert record.exc_info is not None and DATABASE_PASSWORD in str(record.exc_info[1])


def test_debug_mode_does_show_the_traceback() -> None:
    """The contrast: with DEBUG on (development only) the 500 page shows what went wrong; this is
    why DEBUG must never be on in production."""
    with leaky_app(debug=True).test_client(raise_server_exceptions=False) as client:
        response = client.get("/crash")
    assert response.status_code == 500
    assert "Traceback" in response.text and DATABASE_PASSWORD in response.text


def test_error_descriptions_are_html_escaped() -> None:
    app = MicroFlask(__name__)

    @app.route("/")
    async def index() -> Any:
        abort(400, description=f"bad value {request.args['v']}")

    with app.test_client() as client:
        response = client.get("/", params={"v": "<script>alert(1)</script>"})
    assert response.status_code == 400
    assert "<script>" not in response.text and "&lt;script&gt;" in response.text


def test_json_error_bodies_are_json_encoded() -> None:
    app = MicroFlask(__name__)

    @app.route("/")
    async def index() -> Any:
        abort(400, description=request.args["v"])

    with app.test_client() as client:
        response = client.get("/", params={"v": '"},"admin":true,{"'}, headers={"Accept": "application/json"})
    assert json.loads(response.text)["description"] == '"},"admin":true,{"'
    assert "admin" not in json.loads(response.text)


# -- redirects, paths, limits --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "location"),
    [
        ("/a\r\nSet-Cookie: x=1", "/a%0D%0ASet-Cookie:%20x=1"),
        ("/a\nX-Injected: 1", "/a%0AX-Injected:%201"),
        ('"><script>alert(1)</script>', "%22%3E%3Cscript%3Ealert(1)%3C/script%3E"),
        ("/caf\u00e9 au lait", "/caf%C3%A9%20au%20lait"),
        ("/ok?a=1&b=%2F#frag", "/ok?a=1&b=%2F#frag"),
    ],
)
def test_redirect_targets_are_encoded(target: str, location: str) -> None:
    app = MicroFlask(__name__)

    @app.route("/")
    async def index() -> Any:
        return redirect(request.args["to"])

    with app.test_client() as client:
        response = client.get("/", params={"to": target}, follow_redirects=False)
    assert response.status_code == 302
    assert response.headers["location"] == location
    assert "set-cookie" not in response.headers and "x-injected" not in response.headers
    assert "<script>" not in response.text


@pytest.mark.parametrize(
    "name",
    ["../secret.txt", "../../etc/passwd", "/etc/passwd", "a/../../secret.txt", "..\\secret.txt", "a\x00b", ".."],
)
def test_safe_join_refuses_paths_that_leave_the_folder(name: str) -> None:
    assert safe_join("/srv/files", name) is None


@pytest.mark.parametrize("name", ["a.txt", "sub/a.txt", "sub/../a.txt", "./a.txt"])
def test_safe_join_keeps_paths_inside_the_folder(name: str) -> None:
    joined = safe_join("/srv/files", name)
    assert joined is not None and joined.startswith("/srv/files/")


def test_send_from_directory_refuses_traversal(tmp_path: Path) -> None:
    (tmp_path / "files").mkdir()
    (tmp_path / "files" / "ok.txt").write_text("fine")
    (tmp_path / "secret.txt").write_text(SECRET_KEY)
    app = MicroFlask(__name__, root_path=str(tmp_path))

    @app.route("/f/<path:name>")
    async def files(name: str) -> Any:
        return await send_from_directory("files", name)

    with app.test_client() as client:
        assert client.get("/f/ok.txt").text == "fine"
        for path in ("/f/..%2fsecret.txt", "/f/%2e%2e/secret.txt", "/f/%2f" + str(tmp_path / "secret.txt")):
            response = client.get(path)
            assert response.status_code == 404, path
            assert SECRET_KEY not in response.text


def test_body_limit_applies_to_streamed_bodies() -> None:
    app = MicroFlask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = 100

    @app.post("/")
    async def index() -> Any:
        return {"length": len(await request.get_data())}

    def chunks() -> Any:
        for _ in range(10):
            yield b"x" * 50

    with app.test_client() as client:
        assert client.post("/", content=b"x" * 100).json == {"length": 100}
        assert client.post("/", content=b"x" * 101).status_code == 413
        assert client.post("/", content=chunks()).status_code == 413
