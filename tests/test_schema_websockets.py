"""websocket.receive_as / send_as: messages validated by models; a bad message closes with 1007."""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

import msgspec
import pydantic
import pytest

from microflask import MicroFlask, websocket
from microflask.websockets import MessageValidationError, WebSocketDisconnect


class Move(pydantic.BaseModel):
    x: int
    y: int


class Ack(msgspec.Struct):
    ok: bool
    total: int


@dataclasses.dataclass
class Ping:
    n: int


def make_app() -> MicroFlask:
    app = MicroFlask(__name__)

    @app.websocket("/game")
    async def game() -> None:
        total = 0
        while True:
            move = await websocket.receive_as(Move)
            total += move.x + move.y
            await websocket.send_as({"ok": True, "total": total}, Ack)

    @app.websocket("/pings")
    async def pings() -> None:
        try:
            batch = await websocket.receive_as(list[Ping])
        except MessageValidationError as e:
            await websocket.send_json({"caught": e.errors[0]["type"]})  # too late: already closed
            raise
        await websocket.send_as(batch, list[Ping])

    @app.websocket("/broken")
    async def broken() -> None:
        await websocket.receive()
        await websocket.send_as({"ok": "not a bool"}, Ack)

    return app


def test_messages_are_validated_and_serialised() -> None:
    with make_app().test_client() as client, client.websocket_connect("/game") as ws:
        ws.send_text('{"x": 1, "y": 2}')
        assert ws.receive_json() == {"ok": True, "total": 3}
        ws.send_bytes(b'{"x": "4", "y": 0}')  # pydantic's lax mode, as for a body
        assert ws.receive_json() == {"ok": True, "total": 7}


@pytest.mark.parametrize(
    "message",
    [
        '{"x": 1}',
        "not json",
        '{"x": 1, "y": "' + "\ud800" + '"}',
        "[" * 100_000 + "]" * 100_000,
        '{"x": 1e999, "y": 1}',
    ],
    ids=["missing", "not json", "surrogate", "deep", "huge"],
)
def test_a_bad_message_closes_with_1007_and_a_reason(message: str) -> None:
    with make_app().test_client() as client, client.websocket_connect("/game") as ws:
        ws.send_text(message)
        with pytest.raises(WebSocketDisconnect) as info:
            ws.receive_text()
    assert info.value.code == 1007
    assert 0 < len(info.value.reason.encode()) <= 123


def test_the_close_reason_names_the_field() -> None:
    with make_app().test_client() as client, client.websocket_connect("/game") as ws:
        ws.send_text('{"x": 1}')
        with pytest.raises(WebSocketDisconnect) as info:
            ws.receive_text()
    assert info.value.reason == "y: Field required"


def test_lists_and_dataclasses_and_catching_the_error() -> None:
    with make_app().test_client() as client:
        with client.websocket_connect("/pings") as ws:
            ws.send_text('[{"n": 1}, {"n": 2}]')
            assert ws.receive_json() == [{"n": 1}, {"n": 2}]
        with client.websocket_connect("/pings") as ws:
            ws.send_text('[{"n": "one"}]')
            with pytest.raises(WebSocketDisconnect) as info:
                ws.receive_text()
            assert info.value.code == 1007 and info.value.reason == "0.n: Expected `int`, got `str`"


def test_sending_data_that_fails_its_model_is_a_logged_server_error(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR):
        with make_app().test_client() as client, client.websocket_connect("/broken") as ws:
            ws.send_text("go")
            with pytest.raises(WebSocketDisconnect) as info:
                ws.receive_text()
    assert info.value.code == 1011
    assert "The response of 'broken' does not match Ack: ok: Expected `bool`, got `str`" in caplog.text


def test_message_validation_error_is_a_disconnect() -> None:
    error: Any = MessageValidationError([{"loc": ["x"], "msg": "m", "type": "t"}], "x: m")
    assert isinstance(error, WebSocketDisconnect) and error.code == 1007 and error.reason == "x: m"
