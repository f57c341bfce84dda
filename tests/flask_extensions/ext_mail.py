"""Flask-Mail's quick start: Mail(app), Message, mail.send; with MAIL_SUPPRESS_SEND nothing
is sent and record_messages captures the messages; in def and async def views. Sending for
real is blocking SMTP: an async view would run it with ``await app.ensure_async(...)``."""

# isort: off
import microflask.flask_patch  # noqa: F401  (first: from here on, flask is microflask)

# isort: on
import pytest
from flask import Flask, request
from flask_mail import Mail, Message


def make_app(kind: str) -> tuple[Flask, Mail]:
    app = Flask(__name__)
    app.config.update(MAIL_SUPPRESS_SEND=True, MAIL_DEFAULT_SENDER="app@example.com")
    mail = Mail(app)

    def welcome(address: str) -> str:
        mail.send(Message("Welcome", recipients=[address], body=f"Hello {address}"))
        return "sent"

    if kind == "def":

        @app.post("/signup")
        def signup() -> str:
            return welcome(request.form["email"])

    else:

        @app.post("/signup")
        async def signup() -> str:
            return await app.ensure_async(welcome)((await request.form)["email"])

    return app, mail


@pytest.mark.parametrize("kind", ["def", "async"])
def test_messages_are_recorded_not_sent(kind: str) -> None:
    app, mail = make_app(kind)
    with mail.record_messages() as outbox:
        assert app.test_client().post("/signup", data={"email": "ada@example.com"}).text == "sent"
    assert len(outbox) == 1
    message = outbox[0]
    assert message.subject == "Welcome"
    assert message.recipients == ["ada@example.com"]
    assert message.sender == "app@example.com"
    assert message.body == "Hello ada@example.com"
