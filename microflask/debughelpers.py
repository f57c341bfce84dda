"""Errors raised only in debug mode, to explain a mistake where production would fail silently
(Flask's ``flask.debughelpers``)."""

from __future__ import annotations

from typing import Any

from .datastructures import ImmutableMultiDict, MultiDict

__all__ = ["DebugFilesKeyError", "FormDataRoutingRedirect", "files_explaining_missing_enctype"]


class FormDataRoutingRedirect(AssertionError):
    """Raised in debug mode when routing answers a request that carries a body (a form POST)
    with a 301 or 302 redirect: browsers repeat such a request as a GET, and drop the form."""

    def __init__(self, request: Any, new_url: str) -> None:
        message = [
            f"A request was sent to '{request.url}', but routing issued a redirect to the canonical URL '{new_url}'."
        ]
        if new_url.split("?")[0] == str(request.base_url) + "/":
            message.append(
                "The URL was defined with a trailing slash: routing redirects to it when it is visited without one."
            )
        message.append(
            "Send requests to the canonical URL, or use 307 or 308 for routing redirects, which keep the method"
            " and body. Browsers turn a 301 or 302 into a GET without the form data.\n\n"
            "This exception is only raised in debug mode."
        )
        super().__init__(" ".join(message))


class DebugFilesKeyError(KeyError, AssertionError):
    """Raised in debug mode for ``request.files[name]`` when the form was not sent as
    ``multipart/form-data``: the browser then sends file names, not files."""

    def __init__(self, key: str, mimetype: str, submitted: list[Any]) -> None:
        message = (
            f"You asked for the file {key!r} in request.files, but there is no such file: the request's"
            f" mimetype is {mimetype!r}, not 'multipart/form-data', so no file contents were transmitted."
            ' Give the form enctype="multipart/form-data".'
        )
        if submitted:
            message += " The browser sent file names instead. This was submitted: " + ", ".join(map(repr, submitted))
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:  # KeyError's would show the message in quotes
        return self.message


class _FilesExplainingEnctype(ImmutableMultiDict):
    def __init__(self, files: MultiDict, form: MultiDict, mimetype: str) -> None:
        super().__init__(files.items(multi=True))
        self._form = form
        self._mimetype = mimetype

    def __getitem__(self, key: str) -> Any:
        if key not in self and key in self._form:
            raise DebugFilesKeyError(key, self._mimetype, self._form.getlist(key))
        return super().__getitem__(key)


def files_explaining_missing_enctype(files: MultiDict, form: MultiDict, mimetype: str) -> MultiDict:
    """``request.files`` as it is in debug mode: a missing file that the form has as a field
    raises :class:`DebugFilesKeyError`, which says to use ``multipart/form-data``."""
    return _FilesExplainingEnctype(files, form, mimetype)
