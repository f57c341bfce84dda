"""The ``api`` blueprint: a JSON API for notes under ``/api``.

- ``routes.py``: the blueprint, its login check, its JSON error handlers, the class-based
  note resources (``MethodView``) and the ``/api/notes/live`` websocket;
- ``schema.py``: validation of note payloads (errors become a JSON 400);
- ``events.py``: the in-process publish/subscribe hub that feeds the websocket.
"""

from .routes import bp

__all__ = ["bp"]
