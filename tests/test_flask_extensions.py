"""Flask extensions on microflask, with the real extension packages (issue 15, point 3).

Each extension's tests live in ``tests/flask_extensions/ext_*.py`` (not collected by our own
run) and run here in a fresh interpreter that imports ``microflask.flask_patch`` before
anything else, as an app's entry module would: the patch makes ``flask`` microflask's in that
process only, so the rest of our suite never sees it (and never imports the real Flask).
Every case is tested in a ``def`` view and an ``async def`` view, through the test client.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

CASES = Path(__file__).parent / "flask_extensions"
ROOT = Path(__file__).parent.parent


# The package each case needs (the dev extra installs them); looked up, never imported here.
PACKAGES = {
    "ext_bcrypt.py": "flask_bcrypt",
    "ext_caching.py": "flask_caching",
    "ext_cors.py": "flask_cors",
    "ext_limiter.py": "flask_limiter",
    "ext_login.py": "flask_login",
    "ext_mail.py": "flask_mail",
    "ext_migrate.py": "flask_migrate",
    "ext_restful.py": "flask_restful",
    "ext_jwt.py": "flask_jwt_extended",
    "ext_httpauth.py": "flask_httpauth",
    "ext_babel.py": "flask_babel",
    "ext_talisman.py": "flask_talisman",
    "ext_compress.py": "flask_compress",
    "ext_session.py": "flask_session",
    "ext_smorest.py": "flask_smorest",
    "ext_admin.py": "flask_admin",
    "ext_apiflask.py": "apiflask",
    "ext_restx.py": "flask_restx",
    "ext_pydantic.py": "flask_pydantic",
    "ext_debugtoolbar.py": "flask_debugtoolbar",
    "ext_openapi3.py": "flask_openapi3",
    "ext_principal.py": "flask_principal",
    "ext_marshmallow.py": "flask_marshmallow",
    "ext_seasurf.py": "flask_seasurf",
    "ext_templates_misc.py": "flask_bootstrap",  # and flask_moment, flask_htmx (the dev extra has all three)
    "ext_sqlalchemy.py": "flask_sqlalchemy",
    "ext_sentry.py": "sentry_sdk",  # its Flask integration (auto-enabled), with its WSGI wrapper refused
    "ext_wtf.py": "flask_wtf",
    "ext_authlib_client.py": "authlib",  # its OAuth client, against a provider stand-in on 127.0.0.1
    "ext_authlib_server.py": "authlib",  # its OAuth 2 provider: token endpoint, grants, ResourceProtector
    "ext_webargs.py": "webargs",
    "ext_flasgger.py": "flasgger",
    "ext_prometheus.py": "prometheus_flask_exporter",
    "ext_frozen.py": "flask_frozen",
    "ext_flatpages.py": "flask_flatpages",
    "ext_appbuilder.py": "flask_appbuilder",
    "ext_security.py": "flask_security",
    "ext_dance.py": "flask_dance",  # OAuth through requests-oauthlib, against a provider stand-in on 127.0.0.1
    "ext_apscheduler.py": "flask_apscheduler",
    "ext_spectree.py": "spectree",
    "ext_injector.py": "flask_injector",
    "ext_executor.py": "flask_executor",
}


def test_every_case_names_its_package() -> None:
    assert sorted(PACKAGES) == sorted(p.name for p in CASES.glob("ext_*.py"))


@pytest.mark.parametrize("case", sorted(PACKAGES))
def test_extension(case: str) -> None:
    if importlib.util.find_spec(PACKAGES[case]) is None:
        pytest.skip(f"{PACKAGES[case]} is not installed (pip install -e '.[dev]')")
    result = subprocess.run(
        # -p: the patch loads as pytest starts, before any test module could import flask.
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "microflask.flask_patch",
            "-q",
            "-rs",
            "-p",
            "no:cacheprovider",
            str(CASES / case),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
    if result.returncode in (0, 5) and "skipped" in summary and "passed" not in summary:
        # A case that cannot run yet (a module-level skip) says why, here too.
        reasons = [line for line in result.stdout.splitlines() if line.startswith("SKIPPED")]
        pytest.skip("; ".join(reasons) or summary)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
