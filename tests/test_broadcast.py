"""Publish/subscribe: microflask.broadcast.Broadcast in memory, RedisBroadcast in a real Redis."""

from __future__ import annotations

import json
import time

import anyio
import pytest
from conftest_redis import RedisServer, fresh_redis_server, redis_server, redis_url  # noqa: F401
from subprocess_server import free_port

from microflask import MicroFlask, websocket
from microflask.broadcast import Broadcast, BroadcastBase
from microflask.contrib.redis import RedisBroadcast, RedisUnavailable

pytestmark = pytest.mark.anyio

#: The most any single wait may take (a hang guard).
GUARD = 5.0


async def test_memory_publish_reaches_every_subscriber_of_the_channel() -> None:
    async with Broadcast() as broadcast:
        async with broadcast.subscribe("room") as first, broadcast.subscribe("room") as second:
            async with broadcast.subscribe("other") as other:
                assert broadcast.subscriber_count("room") == 2
                await broadcast.publish("room", "hello")
                await broadcast.publish("other", "elsewhere")
                with anyio.fail_after(GUARD):
                    assert await first.get() == "hello"
                    assert await second.get() == "hello"
                    assert await other.get() == "elsewhere"
        assert broadcast.subscriber_count("room") == 0
        await broadcast.publish("room", "nobody listens")  # fine


async def test_memory_disconnect_ends_iteration() -> None:
    broadcast = Broadcast()
    await broadcast.connect()
    received: list[str] = []

    async def listen() -> None:
        async with broadcast.subscribe("room") as subscriber:
            ready.set()
            async for message in subscriber:
                received.append(message)

    ready = anyio.Event()
    with anyio.fail_after(GUARD):
        async with anyio.create_task_group() as tg:
            tg.start_soon(listen)
            await ready.wait()
            await broadcast.publish("room", "one")
            await broadcast.disconnect()
    assert received == ["one"]


async def test_memory_slow_subscriber_drops_the_excess() -> None:
    async with Broadcast(max_buffer=2) as broadcast, broadcast.subscribe("room") as subscriber:
        for i in range(5):
            await broadcast.publish("room", str(i))
        assert subscriber.dropped == 3
        with anyio.fail_after(GUARD):
            assert [await subscriber.get(), await subscriber.get()] == ["0", "1"]


def chat_app(broadcast: BroadcastBase) -> MicroFlask:
    """A minimal room chat: each connection subscribes, says it is ready, then relays."""
    app = MicroFlask(__name__)
    broadcast.init_app(app)

    @app.websocket("/ws/<room>")
    async def chat(room: str) -> None:
        await websocket.accept()
        async with broadcast.subscribe(room) as subscriber:
            await websocket.send_json({"ready": True})

            async def relay() -> None:
                async for message in subscriber:
                    await websocket.send(message)

            async with anyio.create_task_group() as tg:
                tg.start_soon(relay)
                async for text in websocket:
                    await broadcast.publish(room, json.dumps({"text": text}))
                tg.cancel_scope.cancel()

    return app


def test_memory_chat_between_two_websockets() -> None:
    broadcast = Broadcast()
    app = chat_app(broadcast)
    assert app.extensions["broadcast"] is broadcast
    with app.test_client() as client:
        with client.websocket_connect("/ws/lobby") as alice, client.websocket_connect("/ws/lobby") as bob:
            assert alice.receive_json() == {"ready": True}
            assert bob.receive_json() == {"ready": True}
            alice.send_text("hi bob")
            assert bob.receive_json() == {"text": "hi bob"}
            assert alice.receive_json() == {"text": "hi bob"}  # the sender hears it too


# -- Redis ------------------------------------------------------------------------------
async def test_redis_message_crosses_between_two_broadcasts(redis_server: RedisServer, redis_url: str) -> None:  # noqa: F811
    """Two RedisBroadcast objects stand for two processes."""
    async with RedisBroadcast(redis_url) as one, RedisBroadcast(redis_url) as two:
        with anyio.fail_after(GUARD):
            async with one.subscribe("room") as subscriber, one.subscribe("room") as again:
                assert redis_server.command("PUBSUB", "NUMSUB", "broadcast:room").endswith(b":1\r\n")
                await two.publish("room", "héllo")
                assert await subscriber.get() == "héllo"
                assert await again.get() == "héllo"
                async with two.subscribe("room") as local:
                    await one.publish("room", "back")
                    assert await local.get() == "back"
                    assert await subscriber.get() == "back"
            # The last local subscriber left: the process unsubscribed.
            assert redis_server.command("PUBSUB", "NUMSUB", "broadcast:room").endswith(b":0\r\n")


def test_redis_chat_between_two_apps(redis_url: str) -> None:  # noqa: F811
    """Two apps (as two processes would) share one room through Redis."""
    first, second = RedisBroadcast(redis_url), RedisBroadcast(redis_url)
    app_one, app_two = chat_app(first), chat_app(second)
    with app_one.test_client() as one, app_two.test_client() as two:
        with one.websocket_connect("/ws/lobby") as alice, two.websocket_connect("/ws/lobby") as bob:
            assert alice.receive_json() == {"ready": True}
            assert bob.receive_json() == {"ready": True}
            alice.send_text("across processes")
            assert bob.receive_json() == {"text": "across processes"}
    assert first._task is None and first.connector._client is None  # disconnected at shutdown


async def test_redis_publish_when_unreachable_is_503() -> None:
    broadcast = RedisBroadcast(f"redis://127.0.0.1:{free_port()}/0", connect_timeout=0.5, timeout=0.5)
    async with broadcast:
        with anyio.fail_after(GUARD), pytest.raises(RedisUnavailable) as error:  # a hang guard
            await broadcast.publish("room", "lost")
        assert error.value.code == 503
        with anyio.fail_after(GUARD), pytest.raises(RedisUnavailable):
            async with broadcast.subscribe("room"):
                pass
        assert broadcast.subscriber_count("room") == 0


async def test_redis_subscribe_before_connect_explains(redis_url: str) -> None:  # noqa: F811
    broadcast = RedisBroadcast(redis_url)
    with pytest.raises(RuntimeError, match="not connected"):
        async with broadcast.subscribe("room"):
            pass
    await broadcast.disconnect()


async def test_redis_listener_reconnects_after_a_restart(fresh_redis_server: RedisServer) -> None:  # noqa: F811
    server = fresh_redis_server
    async with RedisBroadcast(server.url) as listener, RedisBroadcast(server.url) as sender:
        with anyio.fail_after(GUARD):
            async with listener.subscribe("room") as subscriber:
                await sender.publish("room", "before")
                assert await subscriber.get() == "before"
                server.kill()
                with pytest.raises(RedisUnavailable):
                    await sender.publish("room", "while down")
                server.start()
                # The listener resubscribes by itself: publish until a message gets through
                # (messages published before it is back are lost, as pub/sub is).
                received = None
                deadline = time.monotonic() + GUARD
                while received is None and time.monotonic() < deadline:
                    await sender.publish("room", "after")
                    with anyio.move_on_after(0.1):
                        received = await subscriber.get()
                assert received == "after"
