"""The DEBUG error page: :func:`microflask.debug.render_debug_page`."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from starlette.requests import Request as StarletteRequest

from microflask.debug import render_debug_page


def _lookup(key: str) -> int:
    table = {"a": 1}
    return table[key] + 1


def _raise_chained() -> None:
    try:
        _lookup("<b>missing</b>")
    except KeyError as e:
        raise ValueError('bad value <script>alert("x")</script>') from e


def _caught(func: Any) -> BaseException:
    try:
        func()
    except BaseException as e:
        return e
    raise AssertionError("no exception")


def _text(page: str) -> str:
    """The page without tags, entities decoded: what a reader sees."""
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def test_type_message_frames_and_source() -> None:
    page = render_debug_page(_caught(_raise_chained))
    assert page.startswith("<!doctype html>")
    text = _text(page)
    assert 'ValueError: bad value <script>alert("x")</script>' in text
    assert "KeyError: '<b>missing</b>'" in text
    assert "The above exception was the direct cause of the following exception:" in text
    assert text.index("KeyError") < text.index("The above exception") < text.rindex("ValueError: bad value")
    assert f'File "{__file__}", line' in text
    for function in ("_raise_chained", "_lookup"):
        assert f"in {function}" in text
    assert "return table[key] + 1" in text  # the source line
    assert 'table = {"a": 1}' in text  # and the lines around it
    assert "<mark>table[key]</mark>" in page  # the failing expression is marked
    assert "Plain-text traceback" in text and "Traceback (most recent call last):" in text


def test_everything_is_escaped() -> None:
    page = render_debug_page(_caught(_raise_chained))
    assert "<script>" not in page and "<b>missing" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "&lt;b&gt;missing&lt;/b&gt;" in page


def test_request_line() -> None:
    scope = {"type": "http", "method": "POST", "path": "/items/<7>", "query_string": b"q=<x>", "headers": []}
    page = render_debug_page(_caught(_raise_chained), StarletteRequest(scope))
    assert "While handling POST /items/&lt;7&gt;?q=&lt;x&gt;" in page
    assert "While handling" not in render_debug_page(_caught(_raise_chained))


def test_context_and_suppressed_context() -> None:
    def during_handling() -> None:
        try:
            raise OSError("first")
        except OSError:
            raise RuntimeError("second")

    text = _text(render_debug_page(_caught(during_handling)))
    assert "During handling of the above exception, another exception occurred:" in text
    assert text.index("OSError: first") < text.rindex("RuntimeError: second")

    def suppressed() -> None:
        try:
            raise OSError("hidden")
        except OSError:
            raise RuntimeError("shown") from None

    page = render_debug_page(_caught(suppressed))
    assert "<h2>RuntimeError: shown</h2>" in page
    assert "<h2>OSError" not in page and "During handling" not in page


def test_notes_groups_and_odd_exceptions() -> None:
    error = _caught(_raise_chained)
    error.add_note("a note <i>")
    assert "&lt;i&gt;" in render_debug_page(error) and "a note" in _text(render_debug_page(error))

    group = ExceptionGroup("several", [ValueError("one"), KeyError("two")])
    text = _text(render_debug_page(group))
    assert "ExceptionGroup: several (2 sub-exceptions)" in text
    assert "Sub-exception 1 of 2:" in text and "ValueError: one" in text and "KeyError: 'two'" in text

    class Unprintable(Exception):
        def __str__(self) -> str:
            raise RuntimeError("no")

    assert "could not be rendered" in _text(render_debug_page(Unprintable()))
    assert "test_debug_page.test_notes_groups_and_odd_exceptions.&lt;locals&gt;.Unprintable" in render_debug_page(
        Unprintable()
    )
    never_raised = render_debug_page(LookupError())  # no traceback, no message
    assert "<h1>LookupError</h1>" in never_raised


def test_deep_recursion_is_collapsed() -> None:
    def recurse(n: int) -> int:
        if n < 200:
            return recurse(n + 1)
        return 1 // 0

    page = render_debug_page(_caught(lambda: recurse(0)))
    assert page.count('in <span class="func">recurse</span>') == 2  # the call line, and the failing one
    assert "[The frame above repeated 199 more times]" in page
    assert "ZeroDivisionError: integer division or modulo by zero" in _text(page)


def test_library_frames_are_dimmed() -> None:
    page = render_debug_page(_caught(lambda: pytest.fail("from pytest", pytrace=False)))
    assert 'class="frame lib"' in page  # pytest's frame (an installed package)
    assert 'class="frame"' in page  # this file's lambda
