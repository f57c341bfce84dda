"""Form bodies (urlencoded and multipart) parsed with Flask's limits: ``MAX_FORM_MEMORY_SIZE``
for each field, ``MAX_FORM_PARTS`` fields and files in all. Broken input is a 400, too much a 413;
a multipart body cut short fails the parse, so the files it opened are closed."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from starlette.datastructures import FormData, UploadFile

from .datastructures import FileStorage, ImmutableMultiDict, MultiDict
from .exceptions import BadRequest, RequestEntityTooLarge
from .httputil import short_error

__all__ = ["parse_form"]


async def parse_form(request: Any, part_size: int | None, parts: int | None) -> tuple[FormData, MultiDict, MultiDict]:
    """Parse ``request``'s form body: Starlette's form (to close its files), the fields, the files."""
    # python-multipart (behind Starlette's parsers) loads on the first form, not at import.
    from starlette.formparsers import FormParser, MultiPartException, MultiPartParser

    part_size = part_size or 2**63
    parts = parts or 2**63
    try:
        if request.mimetype == "multipart/form-data":
            boundary = request.mimetype_params.get("boundary", "").encode("latin-1")
            stream = _until_closing_boundary(b"--" + boundary + b"--", request.stream())
            parser: Any = MultiPartParser(
                request.headers, stream, max_files=parts, max_fields=parts, max_part_size=part_size
            )
        else:
            parser = FormParser(request.headers, request.stream(), max_fields=parts, max_part_size=part_size)
        form = await parser.parse()
    except MultiPartException as e:
        if "Too many" in e.message or "exceeded maximum size" in e.message:
            raise RequestEntityTooLarge(f"The form is too large: {e.message}") from None
        raise BadRequest(f"Invalid form data: {e.message}") from None
    except (ValueError, UnicodeDecodeError) as e:
        raise BadRequest(f"Invalid form data: {short_error(e)}") from None
    if len(form.multi_items()) > parts:  # Starlette counts fields and files apart
        await form.close()
        raise RequestEntityTooLarge(f"The form has more than {parts} fields and files.")
    fields: list[tuple[str, Any]] = []
    files: list[tuple[str, Any]] = []
    for key, value in form.multi_items():
        if isinstance(value, UploadFile):
            files.append(
                (key, FileStorage(value.file, size=value.size, filename=value.filename, headers=value.headers))
            )
        else:
            fields.append((key, value))
    return form, ImmutableMultiDict(fields), ImmutableMultiDict(files)


async def _until_closing_boundary(marker: bytes, stream: AsyncGenerator[bytes, None]) -> AsyncGenerator[bytes, None]:
    """Pass a multipart body through; if it ends before its closing boundary (``marker``, looked
    for across chunks too), fail the parse, so the parser closes the files it opened."""
    from starlette.formparsers import MultiPartException  # python-multipart: see parse_form

    seen = False
    tail = b""
    async for chunk in stream:
        if not seen:
            window = tail + chunk
            seen = marker in window
            tail = window[-len(marker) :]
        yield chunk
    if not seen:
        raise MultiPartException("the multipart body ended before its closing boundary.")


def close_form_files(form: FormData) -> None:
    """Close a parsed form's uploaded files from sync code (Starlette's ``form.close()`` is async)."""
    for _, value in form.multi_items():
        if isinstance(value, UploadFile):
            value.file.close()
