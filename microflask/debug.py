"""The debug error page: what a 500 shows in the browser while ``DEBUG`` is on.

:func:`render_debug_page` turns an exception into a self-contained HTML page: the exception's
type and message, every frame of its traceback (file, line, function, the source around the
line, the failing expression marked), chained causes in Python's order, and the plain-text
traceback to copy. Everything taken from the exception, the source or the request is escaped.
No locals are shown and nothing runs in the page (no JavaScript, no console).

Never send this page with ``DEBUG`` off: it shows source code and file paths.
"""

from __future__ import annotations

import linecache
import os
import sysconfig
import traceback
from html import escape
from typing import Any

__all__ = ["render_debug_page"]

#: Source lines shown before and after the failing one.
CONTEXT_LINES = 2
#: Sub-exceptions of an exception group shown (the plain traceback has them all).
MAX_GROUP_MEMBERS = 10
_CAUSE = "The above exception was the direct cause of the following exception:"
_CONTEXT = "During handling of the above exception, another exception occurred:"
#: Frames under these folders (the standard library, installed packages, microflask) are dimmed.
_LIBRARY_DIRS = tuple(
    os.path.join(os.path.normcase(os.path.realpath(p)), "")
    for p in {
        sysconfig.get_path("stdlib"),
        sysconfig.get_path("purelib"),
        sysconfig.get_path("platlib"),
        os.path.dirname(__file__),
    }
    if p
)

_STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 0; color: #1d1d1f; background: #fafafa; }
header { background: #8b1a1a; color: #fff; padding: 18px 28px; }
header h1 { margin: 0; font-size: 22px; word-break: break-word; }
header p { margin: 6px 0 0; opacity: .85; }
main { padding: 8px 28px 28px; }
h2 { font-size: 18px; margin: 26px 0 6px; word-break: break-word; }
.chain { margin: 22px 0 0; font-style: italic; color: #555; }
.note { margin: 4px 0; color: #444; }
.frame { background: #fff; border: 1px solid #ddd; border-radius: 6px; margin: 10px 0; overflow: hidden; }
.frame.lib { opacity: .6; }
.where { padding: 6px 12px; background: #f0f0f2; font-family: ui-monospace, monospace; font-size: 13px; }
.where .func { font-weight: 600; }
.frame pre { margin: 0; padding: 6px 0; font: 13px/1.5 ui-monospace, monospace; overflow-x: auto; }
.frame pre span { display: block; padding: 0 12px; white-space: pre; }
.frame pre .current { background: #ffe9e9; }
mark { background: #ffb3b3; }
.repeat { color: #666; margin: 6px 0; }
details { margin-top: 28px; }
details pre { background: #fff; border: 1px solid #ddd; padding: 12px; overflow-x: auto; font-size: 13px; }
footer { margin-top: 24px; color: #666; font-size: 13px; }
"""


def render_debug_page(exc: BaseException, request: Any = None) -> str:
    """The HTML debug page for ``exc``, raised while handling ``request`` (if given)."""
    title = f"{_type_name(exc)}: {_message(exc)}" if _message(exc) else _type_name(exc)
    where = _request_line(request)
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{escape(title)} // microflask debug</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<header><h1>{escape(title)}</h1>",
        f"<p>{escape(where)}</p>" if where else "",
        "</header><main>",
        _render_chain(exc, depth=0),
        "<details><summary>Plain-text traceback</summary>",
        f"<pre>{escape(_plain_traceback(exc))}</pre></details>",
        "<footer>This page is shown because DEBUG is on. Never turn DEBUG on in production:"
        " the page shows source code and file paths to whoever sees the error.</footer>",
        "</main></body></html>",
    ]
    return "\n".join(part for part in parts if part)


def _type_name(exc: BaseException) -> str:
    cls = type(exc)
    module = cls.__module__
    return cls.__qualname__ if module in ("builtins", "__main__") else f"{module}.{cls.__qualname__}"


def _message(exc: BaseException) -> str:
    try:
        return str(exc)
    except Exception:
        return "<the exception's message could not be rendered>"


def _request_line(request: Any) -> str:
    if request is None:
        return ""
    try:
        method = request.method
        url = request.url
        path = url.path + (f"?{url.query}" if url.query else "")
    except Exception:
        return ""
    return f"While handling {method} {path}"


def _plain_traceback(exc: BaseException) -> str:
    try:
        return "".join(traceback.format_exception(exc))
    except Exception:
        return f"{_type_name(exc)}: {_message(exc)}"


def _chain(exc: BaseException) -> list[tuple[BaseException, str]]:
    """The exception and its causes, oldest first as Python prints them; each with the sentence
    that links the one before it to it ("" for the first)."""
    chain: list[tuple[BaseException, str]] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None:
        seen.add(id(current))
        older: BaseException | None = None
        link = ""
        if current.__cause__ is not None:
            older, link = current.__cause__, _CAUSE
        elif current.__context__ is not None and not current.__suppress_context__:
            older, link = current.__context__, _CONTEXT
        if older is not None and id(older) in seen:
            older, link = None, ""
        chain.append((current, link))
        current = older
    chain.reverse()
    return chain


def _render_chain(exc: BaseException, depth: int) -> str:
    out: list[str] = []
    for e, link in _chain(exc):
        if link:
            out.append(f'<p class="chain">{escape(link)}</p>')
        out.append(_render_exception(e, depth))
    return "\n".join(out)


def _render_exception(exc: BaseException, depth: int) -> str:
    message = _message(exc)
    heading = f"{_type_name(exc)}: {message}" if message else _type_name(exc)
    out = [f"<section><h2>{escape(heading)}</h2>"]
    for note in getattr(exc, "__notes__", None) or ():
        out.append(f'<p class="note">{escape(str(note))}</p>')
    out.append(_render_frames(traceback.extract_tb(exc.__traceback__)))
    if isinstance(exc, BaseExceptionGroup) and depth < 3:
        members = exc.exceptions
        for i, member in enumerate(members[:MAX_GROUP_MEMBERS], 1):
            out.append(f'<p class="chain">Sub-exception {i} of {len(members)}:</p>')
            out.append(_render_chain(member, depth + 1))
        if len(members) > MAX_GROUP_MEMBERS:
            out.append(
                f'<p class="chain">... and {len(members) - MAX_GROUP_MEMBERS} more (see the plain traceback).</p>'
            )
    out.append("</section>")
    return "\n".join(out)


def _render_frames(frames: traceback.StackSummary) -> str:
    """The frames, most recent call last; runs of the same frame (deep recursion) collapsed."""
    out: list[str] = []
    previous: tuple[str, int | None, str] | None = None
    repeats = 0
    for frame in frames:
        key = (frame.filename, frame.lineno, frame.name)
        if key == previous:
            repeats += 1
            continue
        if repeats:
            out.append(_repeat_line(repeats))
        previous, repeats = key, 0
        out.append(_render_frame(frame))
    if repeats:
        out.append(_repeat_line(repeats))
    return "\n".join(out)


def _repeat_line(count: int) -> str:
    return f'<p class="repeat">[The frame above repeated {count} more time{"s" if count > 1 else ""}]</p>'


def _is_library(filename: str) -> bool:
    if not os.path.isabs(filename):  # "<string>" and the like: code the app made
        return False
    return os.path.normcase(os.path.realpath(filename)).startswith(_LIBRARY_DIRS)


def _render_frame(frame: traceback.FrameSummary) -> str:
    lib = " lib" if _is_library(frame.filename) else ""
    where = (
        f'<div class="where">File "{escape(frame.filename)}", line {frame.lineno},'
        f' in <span class="func">{escape(frame.name)}</span></div>'
    )
    return f'<div class="frame{lib}">{where}{_render_source(frame)}</div>'


def _render_source(frame: traceback.FrameSummary) -> str:
    lineno = frame.lineno
    lines = linecache.getlines(frame.filename) if lineno else []
    if not lines or lineno is None or not 0 < lineno <= len(lines):
        line = (frame.line or "").rstrip()
        return f'<pre><span class="current">{escape(line)}</span></pre>' if line else ""
    first, last = max(1, lineno - CONTEXT_LINES), min(len(lines), lineno + CONTEXT_LINES)
    width = len(str(last))
    spans = []
    for number in range(first, last + 1):
        text = lines[number - 1].rstrip("\r\n")
        prefix = f"{number:>{width}}  "
        if number == lineno:
            spans.append(f'<span class="current">{escape(prefix)}{_mark(text, frame)}</span>')
        else:
            spans.append(f"<span>{escape(prefix + text)}</span>")
    return "<pre>" + "".join(spans) + "</pre>"


def _mark(text: str, frame: traceback.FrameSummary) -> str:
    """The failing line with the failing expression marked (when Python knows its columns)."""
    start, end = getattr(frame, "colno", None), getattr(frame, "end_colno", None)
    same_line = getattr(frame, "end_lineno", frame.lineno) == frame.lineno
    if start is None or end is None or not same_line or not 0 <= start < end <= len(text.encode()):
        return escape(text)
    raw = text.encode()  # the columns count UTF-8 bytes
    try:
        before, middle, after = (raw[:start].decode(), raw[start:end].decode(), raw[end:].decode())
    except UnicodeDecodeError:
        return escape(text)
    if not middle.strip() or len(middle.strip()) == len(text.strip()):
        return escape(text)  # the whole line failed: nothing worth marking
    return f"{escape(before)}<mark>{escape(middle)}</mark>{escape(after)}"
