"""Errors raised only in debug mode, to explain a mistake where production would fail silently
(Flask's ``flask.debughelpers``)."""

from __future__ import annotations

from typing import Any

__all__ = ["FormDataRoutingRedirect"]


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
