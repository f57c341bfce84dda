"""A form given as a mapping in the test client and ``test_request_context``, encoded as the given
type says, as Werkzeug's builder does: ``content_type="multipart/form-data"`` (or the header)
gets a multipart body with its boundary, with or without files (a common Flask test idiom for
uploads). Our own tests."""

from __future__ import annotations

import io
from typing import Any

import pytest

from microflask import MicroFlask, request


@pytest.fixture
def app() -> MicroFlask:
    app = MicroFlask(__name__)

    @app.post("/up")
    def up() -> dict[str, Any]:
        upload = request.files.get("doc")
        return {
            "type": request.mimetype,
            "boundary": request.mimetype_params.get("boundary", ""),
            "form": request.form.to_dict(),
            "file": [upload.filename, upload.read().decode()] if upload else None,
        }

    return app


def upload() -> dict[str, Any]:
    return {"name": "Ada", "doc": (io.BytesIO(b"notes"), "notes.txt")}


@pytest.mark.parametrize(
    "given",
    [
        {"content_type": "multipart/form-data"},
        {"headers": {"Content-Type": "multipart/form-data"}},
        {"content_type": "multipart/form-data; boundary=ignored"},
        {"mimetype": "multipart/form-data"},
        {},
    ],
)
def test_a_file_upload_with_the_multipart_type_given(app: MicroFlask, given: dict[str, Any]) -> None:
    response = app.test_client().post("/up", data=upload(), **given)
    assert response.status_code == 200, response.text
    body = response.get_json()
    assert body["type"] == "multipart/form-data" and body["boundary"] not in ("", "ignored")
    assert body["form"] == {"name": "Ada"} and body["file"] == ["notes.txt", "notes"]


def test_fields_only_as_multipart_when_asked(app: MicroFlask) -> None:
    client = app.test_client()
    multipart = client.post("/up", data={"name": "Ada"}, content_type="multipart/form-data").get_json()
    assert multipart["type"] == "multipart/form-data" and multipart["form"] == {"name": "Ada"}
    plain = client.post("/up", data={"name": "Ada"}).get_json()
    assert plain["type"] == "application/x-www-form-urlencoded" and plain["form"] == {"name": "Ada"}
    typed = client.post("/up", data={"name": "Ada"}, headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert typed.get_json()["form"] == {"name": "Ada"}


def test_request_context_with_a_multipart_form(app: MicroFlask) -> None:
    with app.test_request_context("/up", method="POST", data=upload(), content_type="multipart/form-data"):
        assert request.mimetype == "multipart/form-data" and request.mimetype_params["boundary"]
        assert request.form["name"] == "Ada"
        assert request.files["doc"].filename == "notes.txt"
