"""Settings per environment, one class each, and how ``create_app`` picks and checks them.

``create_app("production")`` (or ``LARGEAPP_ENV=production``) loads :class:`ProductionConfig`,
then the ``LARGEAPP_*`` environment variables on top (``LARGEAPP_SECRET_KEY`` sets
``SECRET_KEY``; values that parse as JSON are parsed, so ``LARGEAPP_SEED_USERS`` may be a JSON
list). Each class's ``validate`` then gets the final config: production refuses to start
without a secret key.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from microflask import MicroFlask

ENV_VAR = "LARGEAPP_ENV"
ENV_PREFIX = "LARGEAPP"

# (username, password, is_admin): demo accounts for development and the tests only.
DEMO_USERS = (("admin", "admin-password", True), ("alice", "alice-password", False))


class Config:
    """Settings shared by every environment (only UPPERCASE names become config keys)."""

    ENV = "base"
    SECRET_KEY: str | None = None
    #: Users created at startup: (username, password, is_admin) triples.
    SEED_USERS: tuple[tuple[str, str, bool], ...] | list[Any] = ()
    #: PBKDF2-SHA256 rounds for password hashes (OWASP's 2023 advice is 600,000).
    PASSWORD_HASH_ITERATIONS = 600_000
    NOTE_TITLE_MAX = 200
    NOTE_BODY_MAX = 10_000
    MAX_CONTENT_LENGTH = 64 * 1024
    #: The audit extension's settings (see extensions.py): a JSON-lines file, or None.
    AUDIT_LOG_PATH: str | None = None
    BACKGROUND_TASK_SHUTDOWN_TIMEOUT = 5

    @classmethod
    def validate(cls, config: Mapping[str, Any]) -> None:
        """Raise if ``config`` (the final one, environment included) cannot run."""


class DevelopmentConfig(Config):
    ENV = "development"
    DEBUG = True
    SECRET_KEY = "development-only-not-secret"
    SEED_USERS = DEMO_USERS
    PASSWORD_HASH_ITERATIONS = 50_000  # quicker restarts with --reload


class TestingConfig(Config):
    ENV = "testing"
    TESTING = True
    SECRET_KEY = "testing-only-not-secret"
    SEED_USERS = DEMO_USERS
    PASSWORD_HASH_ITERATIONS = 1_000  # fast tests; never this low in production
    BACKGROUND_TASK_SHUTDOWN_TIMEOUT = 1


class ProductionConfig(Config):
    ENV = "production"
    SESSION_COOKIE_SECURE = True

    @classmethod
    def validate(cls, config: Mapping[str, Any]) -> None:
        key = config.get("SECRET_KEY")
        if not key or key in (DevelopmentConfig.SECRET_KEY, TestingConfig.SECRET_KEY):
            raise RuntimeError(
                f"ProductionConfig needs a secret key: set {ENV_PREFIX}_SECRET_KEY in the environment to a long"
                " random value, e.g. the output of: python -c 'import secrets; print(secrets.token_hex(32))'"
            )


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def configure(app: MicroFlask, name_or_mapping: str | Mapping[str, Any] | None) -> type[Config]:
    """Fill ``app.config`` and return the config class used.

    ``name_or_mapping``: an environment name (``"development"``, ``"testing"``,
    ``"production"``); None for ``$LARGEAPP_ENV`` (default ``development``); or a mapping of
    settings applied over :class:`TestingConfig`, which is how tests pass paths and overrides.
    """
    overrides: Mapping[str, Any] = {}
    if isinstance(name_or_mapping, Mapping):
        config_class: type[Config] = TestingConfig
        overrides = name_or_mapping
    else:
        name = name_or_mapping or os.environ.get(ENV_VAR, "development")
        try:
            config_class = CONFIGS[name]
        except KeyError:
            raise ValueError(f"Unknown environment {name!r}: choose one of {', '.join(CONFIGS)}.") from None
    app.config.from_object(config_class)
    if not app.config["TESTING"]:
        app.config.from_prefixed_env(ENV_PREFIX)  # the environment wins over the class
    app.config.from_mapping(overrides)
    config_class.validate(app.config)
    return config_class
