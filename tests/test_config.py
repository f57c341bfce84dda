"""``Config`` and ``app.config``: Flask's defaults and loaders."""

from __future__ import annotations

import json
import os
import sys
import tomllib
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from microflask import Config, MicroFlask

FLASK_DEFAULTS = {
    "DEBUG": False,
    "TESTING": False,
    "PROPAGATE_EXCEPTIONS": None,
    "SECRET_KEY": None,
    "PERMANENT_SESSION_LIFETIME": timedelta(days=31),
    "SERVER_NAME": None,
    "APPLICATION_ROOT": "/",
    "SESSION_COOKIE_NAME": "session",
    "SESSION_COOKIE_DOMAIN": None,
    "SESSION_COOKIE_PATH": None,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SECURE": False,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_REFRESH_EACH_REQUEST": True,
    "MAX_CONTENT_LENGTH": None,
    "MAX_FORM_MEMORY_SIZE": 500_000,
    "MAX_FORM_PARTS": 1_000,
    "SEND_FILE_MAX_AGE_DEFAULT": None,
    "TRAP_HTTP_EXCEPTIONS": False,
    "PREFERRED_URL_SCHEME": "http",
    "TEMPLATES_AUTO_RELOAD": None,
    "TRUSTED_HOSTS": None,
}


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for key in list(os.environ):
        if key.startswith(("MICROFLASK_", "MYAPP_")):
            monkeypatch.delenv(key)
    return monkeypatch


@pytest.fixture
def config_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """An importable module with settings; yields its name and unloads it afterwards."""
    name = "microflask_test_settings_module"
    (tmp_path / f"{name}.py").write_text(
        "DEBUG = True\n"
        "SECRET_KEY = 'from-module'\n"
        "lowercase = 'ignored'\n"
        "class Production:\n"
        "    DATABASE_URI = 'postgresql://prod'\n"
        "    debug = 'ignored'\n"
        "class Development(Production):\n"
        "    DATABASE_URI = 'sqlite://'\n"
        "    DEBUG = True\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    yield name
    sys.modules.pop(name, None)


# -- defaults -----------------------------------------------------------------------------------


def test_app_config_is_a_config_with_flask_defaults() -> None:
    app = MicroFlask(__name__)
    assert isinstance(app.config, Config)
    assert isinstance(app.config, dict)
    for key, value in FLASK_DEFAULTS.items():
        assert key in app.config, key
        assert app.config[key] == value, key


def test_each_app_has_its_own_config() -> None:
    one = MicroFlask(__name__)
    two = MicroFlask(__name__)
    one.config["DEBUG"] = True
    one.config["CUSTOM"] = 1
    assert two.config["DEBUG"] is False
    assert "CUSTOM" not in two.config
    assert MicroFlask(__name__).config["DEBUG"] is False


def test_app_properties_mirror_config() -> None:
    app = MicroFlask(__name__)
    assert app.debug is False and app.testing is False and app.secret_key is None
    app.config.update(DEBUG=True, TESTING=True, SECRET_KEY="k")
    assert app.debug is True and app.testing is True and app.secret_key == "k"
    app.debug = False
    app.testing = False
    app.secret_key = "other"
    assert app.config["DEBUG"] is False
    assert app.config["TESTING"] is False
    assert app.config["SECRET_KEY"] == "other"


def test_config_standalone() -> None:
    config = Config("/some/root", {"A": 1})
    assert config.root_path == "/some/root"
    assert config["A"] == 1
    assert Config() == {}
    assert "A" in repr(config) and "Config" in repr(config)


def test_config_is_readable_from_current_app() -> None:
    from microflask import current_app

    app = MicroFlask(__name__)
    app.config["GREETING"] = "hello"

    @app.route("/")
    async def index() -> str:
        return current_app.config["GREETING"]

    with app.test_client() as client:
        assert client.get("/").text == "hello"


# -- from_object -------------------------------------------------------------------------------


def test_from_object_takes_only_uppercase_attributes() -> None:
    class Settings:
        DEBUG = True
        SECRET_KEY = "obj-key"
        MAIL_PORT = 25
        lowercase = "ignored"
        MixedCase = "ignored"

    config = Config()
    config.from_object(Settings)
    assert config == {"DEBUG": True, "SECRET_KEY": "obj-key", "MAIL_PORT": 25}


def test_from_object_instance_and_inheritance() -> None:
    class Base:
        DATABASE = "base"
        TIMEOUT = 5

    class Production(Base):
        DATABASE = "prod"

    config = Config()
    config.from_object(Production())
    assert config == {"DATABASE": "prod", "TIMEOUT": 5}


def test_from_object_import_string_module(config_module: str) -> None:
    app = MicroFlask(__name__)
    app.config.from_object(config_module)
    assert app.config["DEBUG"] is True
    assert app.config["SECRET_KEY"] == "from-module"
    assert "lowercase" not in app.config
    assert "Production" not in app.config


@pytest.mark.parametrize("separator", [".", ":"])
def test_from_object_import_string_attribute(config_module: str, separator: str) -> None:
    config = Config()
    config.from_object(f"{config_module}{separator}Development")
    assert config == {"DATABASE_URI": "sqlite://", "DEBUG": True}
    config.from_object(f"{config_module}{separator}Production")
    assert config["DATABASE_URI"] == "postgresql://prod"


def test_from_object_bad_import_string() -> None:
    with pytest.raises(ImportError):
        Config().from_object("microflask_no_such_module_here")
    with pytest.raises(AttributeError):
        Config().from_object("microflask.config.NoSuchAttribute")


# -- from_pyfile -----------------------------------------------------------------------------------


def test_from_pyfile_absolute_path(tmp_path: Path) -> None:
    path = tmp_path / "settings.cfg"
    path.write_text("import os\nSECRET_KEY = 'file-key'\nPORT = 40 + 2\nlower = 1\nNAME = os.path.basename(__file__)\n")
    config = Config()
    assert config.from_pyfile(str(path)) is True
    assert config == {"SECRET_KEY": "file-key", "PORT": 42, "NAME": "settings.cfg"}


def test_from_pyfile_relative_to_root_path(tmp_path: Path) -> None:
    (tmp_path / "settings.py").write_text("DEBUG = True\n")
    config = Config(tmp_path)
    assert config.from_pyfile("settings.py") is True
    assert config["DEBUG"] is True


def test_from_pyfile_pathlike(tmp_path: Path) -> None:
    path = tmp_path / "settings.py"
    path.write_text("VALUE = 'pathlike'\n")
    config = Config()
    config.from_pyfile(path)
    assert config["VALUE"] == "pathlike"


def test_from_pyfile_instance_relative_config(tmp_path: Path) -> None:
    (tmp_path / "application.cfg").write_text("SECRET_KEY = 'instance'\n")
    app = MicroFlask(__name__, instance_path=str(tmp_path), instance_relative_config=True)
    assert app.config.root_path == str(tmp_path)
    assert app.config.from_pyfile("application.cfg") is True
    assert app.config["SECRET_KEY"] == "instance"


def test_from_pyfile_missing_silent_returns_false(tmp_path: Path) -> None:
    config = Config(tmp_path)
    assert config.from_pyfile("missing.cfg", silent=True) is False
    assert config == {}


def test_from_pyfile_missing_raises(tmp_path: Path) -> None:
    config = Config(tmp_path)
    with pytest.raises(FileNotFoundError, match="Unable to load configuration file") as info:
        config.from_pyfile("missing.cfg")
    assert "missing.cfg" in str(info.value)


def test_from_pyfile_errors_in_the_file_propagate(tmp_path: Path) -> None:
    path = tmp_path / "broken.cfg"
    path.write_text("X = 1 / 0\n")
    with pytest.raises(ZeroDivisionError):
        Config().from_pyfile(str(path), silent=True)


# -- from_mapping ------------------------------------------------------------------------------


def test_from_mapping() -> None:
    config = Config()
    assert config.from_mapping({"SECRET_KEY": "m", "lower": 1}, DEBUG=True, other=2) is True
    assert config == {"SECRET_KEY": "m", "DEBUG": True}
    config.from_mapping(None, TESTING=True)
    assert config["TESTING"] is True
    config.from_mapping([("PAIRS", "ok")])  # type: ignore[arg-type]
    assert config["PAIRS"] == "ok"


def test_from_mapping_kwargs_win_over_mapping() -> None:
    config = Config()
    config.from_mapping({"A": 1}, A=2)
    assert config["A"] == 2


# -- from_file ----------------------------------------------------------------------------------


def test_from_file_json(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text(json.dumps({"SECRET_KEY": "json-key", "ITEMS": [1, 2], "lower": True}))
    config = Config(tmp_path)
    assert config.from_file("config.json", load=json.load) is True
    assert config == {"SECRET_KEY": "json-key", "ITEMS": [1, 2]}


def test_from_file_toml_binary(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('SECRET_KEY = "toml-key"\nPORT = 8000\n[DATABASE]\nHOST = "db"\n')
    app = MicroFlask(__name__)
    assert app.config.from_file(str(path), load=tomllib.load, text=False) is True
    assert app.config["SECRET_KEY"] == "toml-key"
    assert app.config["PORT"] == 8000
    assert app.config["DATABASE"] == {"HOST": "db"}


def test_from_file_toml_needs_binary_mode(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('A = "b"\n')
    with pytest.raises(TypeError):
        Config().from_file(str(path), load=tomllib.load)


def test_from_file_missing(tmp_path: Path) -> None:
    config = Config(tmp_path)
    assert config.from_file("missing.json", load=json.load, silent=True) is False
    with pytest.raises(FileNotFoundError, match="Unable to load configuration file"):
        config.from_file("missing.json", load=json.load)


# -- from_prefixed_env ------------------------------------------------------------------------


def test_from_prefixed_env(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("MICROFLASK_SECRET_KEY", "env-secret")
    clean_env.setenv("MICROFLASK_DEBUG", "true")
    clean_env.setenv("MICROFLASK_PORT", "5001")
    clean_env.setenv("MICROFLASK_RATIO", "0.5")
    clean_env.setenv("MICROFLASK_HOSTS", '["a", "b"]')
    clean_env.setenv("MICROFLASK_NOTHING", "null")
    clean_env.setenv("MICROFLASK_QUOTED", '"5"')
    clean_env.setenv("OTHER_SECRET_KEY", "ignored")
    clean_env.setenv("MICROFLASKX_KEY", "ignored")

    app = MicroFlask(__name__)
    assert app.config.from_prefixed_env("MICROFLASK") is True
    assert app.config["SECRET_KEY"] == "env-secret"
    assert app.config["DEBUG"] is True
    assert app.config["PORT"] == 5001
    assert app.config["RATIO"] == 0.5
    assert app.config["HOSTS"] == ["a", "b"]
    assert app.config["NOTHING"] is None
    assert app.config["QUOTED"] == "5"
    assert "KEY" not in app.config
    assert "OTHER_SECRET_KEY" not in app.config


def test_from_prefixed_env_default_prefix(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("MICROFLASK_TESTING", "true")
    config = Config()
    config.from_prefixed_env()
    assert config["TESTING"] is True


def test_from_prefixed_env_nested(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("MICROFLASK_DB__HOST", "db.local")
    clean_env.setenv("MICROFLASK_DB__PORT", "5432")
    clean_env.setenv("MICROFLASK_EXISTING__NEW", "1")
    clean_env.setenv("MICROFLASK_A__B__C", "deep")

    config = Config(defaults={"EXISTING": {"OLD": "kept"}})
    config.from_prefixed_env("MICROFLASK")
    assert config["DB"] == {"HOST": "db.local", "PORT": 5432}
    assert config["EXISTING"] == {"OLD": "kept", "NEW": 1}
    assert config["A"] == {"B": {"C": "deep"}}


def test_from_prefixed_env_custom_prefix_and_loads(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("MYAPP_NAME", "demo")
    clean_env.setenv("MYAPP_COUNT", "3")
    clean_env.setenv("MICROFLASK_NAME", "ignored")
    config = Config()
    config.from_prefixed_env("MYAPP", loads=str.upper)
    assert config == {"NAME": "DEMO", "COUNT": "3"}


# -- get_namespace -------------------------------------------------------------------------------


def test_get_namespace() -> None:
    config = Config()
    config.from_mapping(
        IMAGE_STORE_TYPE="fs",
        IMAGE_STORE_PATH="/var/app/images",
        IMAGE_STORE_BASE_URL="http://img.website.com",
        OTHER="x",
    )
    assert config.get_namespace("IMAGE_STORE_") == {
        "type": "fs",
        "path": "/var/app/images",
        "base_url": "http://img.website.com",
    }
    assert config.get_namespace("IMAGE_STORE_", lowercase=False) == {
        "TYPE": "fs",
        "PATH": "/var/app/images",
        "BASE_URL": "http://img.website.com",
    }
    assert config.get_namespace("IMAGE_STORE_", trim_namespace=False) == {
        "image_store_type": "fs",
        "image_store_path": "/var/app/images",
        "image_store_base_url": "http://img.website.com",
    }
    assert config.get_namespace("NOPE_") == {}


def test_config_attribute_reads_and_writes_a_config_key() -> None:
    from microflask.config import ConfigAttribute

    class App(MicroFlask):
        api_title = ConfigAttribute("API_TITLE")
        page_size = ConfigAttribute("PAGE_SIZE", get_converter=int)

    app = App(__name__)
    app.config.update(API_TITLE="Pets", PAGE_SIZE="20")
    assert (app.api_title, app.page_size) == ("Pets", 20)
    app.api_title = "Shop"
    assert app.config["API_TITLE"] == "Shop"
    assert isinstance(App.api_title, ConfigAttribute)
