"""The SSE clock example (examples/sse_clock): the page and the first events of its stream."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from types import ModuleType
from typing import Any

import pytest
from example_loader import example_module


@pytest.fixture(scope="module")
def clock() -> Iterator[ModuleType]:
    """examples/sse_clock/app.py."""
    with example_module("sse_clock") as module:
        yield module


@pytest.fixture
def client(clock: ModuleType) -> Iterator[Any]:
    app = clock.create_app({"TICK_SECONDS": 0.001})
    with app.test_client() as client:
        yield client


def parse_events(text: str) -> list[dict[str, str]]:
    """``text/event-stream`` text -> one dict of fields per event (comments skipped)."""
    events = []
    for block in text.split("\n\n"):
        fields: dict[str, str] = {}
        for line in block.splitlines():
            if line and not line.startswith(":"):
                name, _, value = line.partition(": ")
                fields[name] = f"{fields[name]}\n{value}" if name in fields else value
        if fields:
            events.append(fields)
    return events


def test_page_listens_with_event_source(client: Any) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert 'new EventSource("/clock")' in response.text
    assert 'addEventListener("tick"' in response.text


def test_first_two_ticks(client: Any) -> None:
    response = client.get("/clock?count=2")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["cache-control"] == "no-cache"
    events = parse_events(response.text)
    assert [(e["event"], e["id"], e["retry"]) for e in events] == [("tick", "1", "2000"), ("tick", "2", "2000")]
    first, second = (json.loads(e["data"]) for e in events)
    assert datetime.fromisoformat(first["time"]).tzinfo is not None
    assert first["epoch"] <= second["epoch"]


def test_interval_comes_from_config(clock: ModuleType) -> None:
    assert clock.app.config["TICK_SECONDS"] == 1.0  # the module-level app: one tick a second
    app = clock.create_app({"TICK_SECONDS": 0.001})
    with app.test_client() as client:
        events = parse_events(client.get("/clock?count=3").text)
    assert [e["id"] for e in events] == ["1", "2", "3"]


@pytest.mark.parametrize("count", ["0", "-1", "two", ""])
def test_count_must_be_positive(client: Any, count: str) -> None:
    assert client.get(f"/clock?count={count}").status_code == 400
