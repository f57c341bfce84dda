"""examples/flask_extensions: the reading list (Flask-Login, Flask-Bcrypt, Flask-WTF,
Flask-SQLAlchemy on microflask through ``microflask.flask_patch``).

Its test-client tests are in ``tests/flask_extensions/example_reading_list.py`` and run here in
a fresh interpreter with the patch loaded first, as the example's own process has it (the patch
makes ``flask`` microflask's for the whole process, so our own run never loads it). The browser
test is in tests/test_browser_flask_extensions.py.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "tests" / "flask_extensions" / "example_reading_list.py"
NEEDS = ("flask_login", "flask_bcrypt", "flask_wtf", "flask_sqlalchemy")


def test_example_reading_list() -> None:
    missing = [m for m in NEEDS if importlib.util.find_spec(m) is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed (pip install -e '.[dev]')")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "microflask.flask_patch", "-q", "-p", "no:cacheprovider", str(CASES)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    assert " passed" in result.stdout and "skipped" not in result.stdout, result.stdout[-2000:]
