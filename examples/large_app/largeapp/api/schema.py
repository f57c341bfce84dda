"""Validation of note payloads: plain functions, errors collected per field."""

from __future__ import annotations

from typing import Any

from microflask import current_app

__all__ = ["ValidationError", "validate_note"]

FIELDS = ("title", "body")


class ValidationError(Exception):
    """Invalid input; ``errors`` maps a field name (or ``"_"``) to a message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


def validate_note(data: Any, partial: bool = False) -> dict[str, str]:
    """The cleaned fields of a note payload; raises :class:`ValidationError`.

    ``partial=True`` (PATCH) accepts a subset of the fields; otherwise ``title`` is required.
    """
    if not isinstance(data, dict):
        raise ValidationError({"_": "Expected a JSON object."})
    errors: dict[str, str] = {}
    cleaned: dict[str, str] = {}
    for name in sorted(set(data) - set(FIELDS)):
        errors[name] = "Unknown field."
    limits = {"title": current_app.config["NOTE_TITLE_MAX"], "body": current_app.config["NOTE_BODY_MAX"]}
    for name in FIELDS:
        if name not in data:
            if name == "title" and not partial:
                errors[name] = "This field is required."
            continue
        value = data[name]
        if not isinstance(value, str):
            errors[name] = "Must be a string."
            continue
        value = value.strip()
        if name == "title" and not value:
            errors[name] = "Must not be empty."
        elif len(value) > limits[name]:
            errors[name] = f"At most {limits[name]} characters."
        else:
            cleaned[name] = value
    if errors:
        raise ValidationError(errors)
    return cleaned
