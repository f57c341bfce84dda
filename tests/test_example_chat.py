"""The chat example (examples/chat): the page, rooms over websockets, broadcasting, refusals."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import anyio
import pytest
from example_loader import example_module
from starlette.testclient import WebSocketDenialResponse


@pytest.fixture(scope="module")
def chat() -> Iterator[ModuleType]:
    """examples/chat/app.py."""
    with example_module("chat") as module:
        yield module


@pytest.fixture
def client(chat: ModuleType) -> Iterator[Any]:
    # `with`: the websockets of a test share the client's event loop, as they would in a server.
    with chat.create_app().test_client() as client:
        yield client


def join(client: Any, name: str, room: str = "lobby") -> Any:
    return client.websocket_connect(f"/ws/{room}?name={name}")


def say(ws: Any, text: str) -> None:
    ws.send_text(json.dumps({"text": text}))


def receive(ws: Any, kind: str) -> dict[str, Any]:
    """The next message, which must be of type ``kind``."""
    message = ws.receive_json()
    assert message["type"] == kind, message
    return message  # type: ignore[no-any-return]


# -- the page -----------------------------------------------------------------------------------


def test_page_and_its_assets(client: Any) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert 'id="join"' in page.text and 'id="composer"' in page.text
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert assets == ["/static/chat.css", "/static/chat.js"]  # all local: nothing from a CDN
    script = client.get("/static/chat.js")
    assert script.status_code == 200 and "new WebSocket(url)" in script.text
    assert "innerHTML" not in script.text  # messages are shown as text, never as HTML
    assert client.get("/static/chat.css").status_code == 200


# -- joining, talking, leaving ------------------------------------------------------------------


def test_two_members_talk(client: Any) -> None:
    with join(client, "ada") as ada:
        welcome = receive(ada, "welcome")
        assert (welcome["name"], welcome["room"], welcome["members"]) == ("ada", "lobby", ["ada"])
        assert welcome["history"] == []
        assert receive(ada, "join")["members"] == ["ada"]
        with join(client, "bob") as bob:
            assert receive(bob, "welcome")["members"] == ["ada", "bob"]
            joined = receive(ada, "join")
            assert (joined["name"], joined["members"]) == ("bob", ["ada", "bob"])
            receive(bob, "join")  # everyone hears of the join, the newcomer too

            say(ada, "  hello bob  ")
            to_bob, to_ada = receive(bob, "message"), receive(ada, "message")
            assert to_bob == to_ada  # the same message, in the same order, for everyone
            assert (to_bob["name"], to_bob["text"], to_bob["from"]) == ("ada", "hello bob", welcome["you"])

            say(bob, "hi ada")
            assert receive(ada, "message")["text"] == "hi ada"
            assert receive(bob, "message")["text"] == "hi ada"
            assert client.get("/rooms").json == {"lobby": 2}
        left = receive(ada, "leave")
        assert (left["name"], left["members"]) == ("bob", ["ada"])
        assert client.get("/rooms").json == {"lobby": 1}
    assert client.get("/rooms").json == {}  # the last one out closes the room


def test_rooms_are_separate(client: Any) -> None:
    with join(client, "ada", "lobby") as ada, join(client, "cy", "games") as cy:
        receive(ada, "welcome"), receive(ada, "join")
        receive(cy, "welcome"), receive(cy, "join")
        say(cy, "only for games")
        assert receive(cy, "message")["text"] == "only for games"
        say(ada, "only for the lobby")
        assert receive(ada, "message")["text"] == "only for the lobby"  # ada saw nothing of the games room
        assert client.get("/rooms").json == {"games": 1, "lobby": 1}


def test_newcomers_get_recent_history(chat: ModuleType) -> None:
    with chat.create_app({"CHAT_HISTORY": 2}).test_client() as client, join(client, "ada") as ada:
        receive(ada, "welcome"), receive(ada, "join")
        for text in ("one", "two", "three"):
            say(ada, text)
            receive(ada, "message")
        with join(client, "bob") as bob:
            history = receive(bob, "welcome")["history"]
            assert [m["text"] for m in history] == ["two", "three"]  # the last CHAT_HISTORY messages


def test_bad_messages_answer_the_sender_only(client: Any) -> None:
    with join(client, "ada") as ada, join(client, "bob") as bob:
        receive(ada, "welcome"), receive(ada, "join"), receive(ada, "join")
        receive(bob, "welcome"), receive(bob, "join")
        for raw in ("not json", '{"text": ""}', '{"text": 5}', "[1]", json.dumps({"text": "x" * 1001})):
            ada.send_text(raw)
            assert "1 to 1000 characters" in receive(ada, "error")["message"]
        ada.send_bytes(b"\xff\xfe")
        receive(ada, "error")
        say(ada, "fine")
        assert receive(bob, "message")["text"] == "fine"  # bob got nothing before this


@pytest.mark.parametrize(
    "path",
    [
        "/ws/lobby",  # no name
        "/ws/lobby?name=",
        "/ws/lobby?name=%20%20",
        f"/ws/lobby?name={'x' * 25}",
        "/ws/lobby?name=a%0Ab",  # not printable
        "/ws/bad.room?name=ada",
        f"/ws/{'r' * 33}?name=ada",
    ],
)
def test_bad_names_are_refused_before_accepting(client: Any, path: str) -> None:
    with pytest.raises(WebSocketDenialResponse) as refused:
        client.websocket_connect(path).__enter__()
    assert refused.value.status_code == 400
    assert client.get("/rooms").json == {}


def test_unicode_names_and_text(client: Any) -> None:
    with client.websocket_connect("/ws/lobby?name=Zoë%20🙂") as zoe:
        assert receive(zoe, "welcome")["name"] == "Zoë 🙂"
        receive(zoe, "join")
        say(zoe, "<b>not bold</b> ✓")
        assert receive(zoe, "message")["text"] == "<b>not bold</b> ✓"  # stored and sent as it is


# -- slow members -------------------------------------------------------------------------------


def test_a_member_too_far_behind_is_dropped(chat: ModuleType) -> None:
    async def main() -> None:
        rooms = chat.ChatRooms(history=10, buffer=2)
        fast, fast_inbox = rooms.join("lobby", "fast")
        slow, slow_inbox = rooms.join("lobby", "slow")
        for n in range(3):
            rooms.publish("lobby", {"n": n})
            assert (await fast_inbox.receive())["n"] == n  # fast keeps up; slow reads nothing
        assert slow.dropped and not fast.dropped
        assert rooms.names("lobby") == ["fast"]
        assert [(await slow_inbox.receive())["n"] for _ in range(2)] == [0, 1]  # what it had queued
        with pytest.raises(anyio.EndOfStream):
            await slow_inbox.receive()  # then its stream ends, which closes its connection
        rooms.leave(fast)
        assert rooms.rooms == {}
        fast_inbox.close()
        slow_inbox.close()

    anyio.run(main)
