"""Configuration: refuse unsafe start-ups, ship safe defaults."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from conftest import SECRET, SESSION_USER, MakeApp, login
from shopfront import ConfigError, create_app
from shopfront.config import default_config

ENVIRONMENT = ["SECRET_KEY", "SHOPFRONT_PROFILE", "DATABASE_URL", "MAX_CONTENT_LENGTH",
               "UPLOAD_FOLDER", "SESSION_COOKIE_SECURE", "JWT_ACCESS_TOKEN_EXPIRES",
               "CACHE_DEFAULT_TIMEOUT", "CACHE_REDIS_URL"]


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No configuration leaking in from the shell running the tests."""
    for name in ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def _production(tmp_path: Path, **config: Any) -> dict[str, Any]:
    """A deployment's configuration: TESTING off, files kept in tmp_path."""
    return {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'shop.db'}",
            "UPLOAD_FOLDER": str(tmp_path / "uploads"), **config}


def test_missing_secret_key_is_refused_with_a_clear_message(
    clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with pytest.raises(ConfigError, match="SECRET_KEY is not set") as error:
        create_app(_production(tmp_path))

    assert "32+ characters" in str(error.value)
    assert "secrets.token_hex" in str(error.value)
    assert not (tmp_path / "shop.db").exists()


def test_empty_secret_key_is_refused(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="SECRET_KEY is not set"):
        create_app(_production(tmp_path, SECRET_KEY=""))


@pytest.mark.parametrize("secret", ["short", "x" * 31, "changeme"])
def test_short_secret_key_is_refused(
    clean_env: pytest.MonkeyPatch, tmp_path: Path, secret: str
) -> None:
    with pytest.raises(ConfigError, match=f"SECRET_KEY is {len(secret)} characters") as error:
        create_app(_production(tmp_path, SECRET_KEY=secret))

    assert "32+" in str(error.value)


def test_short_secret_key_is_refused_even_when_testing(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="SECRET_KEY is 5 characters"):
        create_app(_production(tmp_path, TESTING=True, SECRET_KEY="short"))


def test_secret_key_of_32_characters_is_accepted(
    clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    app = create_app(_production(tmp_path, SECRET_KEY="s" * 32))

    assert app.secret_key == "s" * 32


def test_secret_key_is_read_from_the_environment(
    clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    clean_env.setenv("SECRET_KEY", SECRET)

    app = create_app(_production(tmp_path))

    assert app.config["SECRET_KEY"] == SECRET
    assert app.config["JWT_SECRET_KEY"] == SECRET


@pytest.mark.parametrize("profile", ["fast", "", "Tuned"])
def test_unknown_profile_is_refused(tmp_path: Path, profile: str) -> None:
    with pytest.raises(ConfigError, match="is not a profile; use one of: naive, tuned"):
        create_app(_production(tmp_path, SECRET_KEY=SECRET, SHOPFRONT_PROFILE=profile))


def test_unknown_profile_from_the_environment_is_refused(
    clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    clean_env.setenv("SHOPFRONT_PROFILE", "turbo")

    with pytest.raises(ConfigError, match="'turbo'"):
        create_app(_production(tmp_path, SECRET_KEY=SECRET))


def test_profile_is_read_from_the_environment(
    clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    clean_env.setenv("SHOPFRONT_PROFILE", "naive")

    app = create_app(_production(tmp_path, SECRET_KEY=SECRET))

    assert app.config["SHOPFRONT_PROFILE"] == "naive"
    assert app.test_client().get("/api/health").json["profile"] == "naive"


def test_production_defaults_are_safe(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    app = create_app(_production(tmp_path, SECRET_KEY=SECRET))

    config = app.config
    assert config["DEBUG"] is False
    assert app.debug is False
    assert config["TESTING"] is False
    assert config["SESSION_COOKIE_HTTPONLY"] is True
    assert config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert config["REMEMBER_COOKIE_HTTPONLY"] is True
    assert config["REMEMBER_COOKIE_SAMESITE"] == "Lax"
    assert config["MAX_CONTENT_LENGTH"] == 2 * 1024 * 1024
    assert config["SHOPFRONT_PROFILE"] == "tuned"
    assert config["JWT_ACCESS_TOKEN_EXPIRES"] == timedelta(minutes=15)
    assert config["JWT_TOKEN_LOCATION"] == ["headers"]
    assert config["JWT_SECRET_KEY"] == SECRET
    assert config.get("WTF_CSRF_ENABLED", True) is True
    assert config["CACHE_TYPE"] == "SimpleCache"
    assert Path(config["UPLOAD_FOLDER"]).is_dir()


def test_defaults_follow_the_environment(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clean_env.setenv("MAX_CONTENT_LENGTH", "4096")
    clean_env.setenv("SESSION_COOKIE_SECURE", "1")
    clean_env.setenv("JWT_ACCESS_TOKEN_EXPIRES", "60")
    clean_env.setenv("CACHE_REDIS_URL", "redis://cache.internal:6379/2")
    clean_env.setenv("DATABASE_URL", "postgresql+psycopg://shop@db.internal/shop")

    config = default_config(str(tmp_path))

    assert config["MAX_CONTENT_LENGTH"] == 4096
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["JWT_ACCESS_TOKEN_EXPIRES"] == timedelta(seconds=60)
    assert config["CACHE_TYPE"] == "RedisCache"
    assert config["CACHE_REDIS_URL"] == "redis://cache.internal:6379/2"
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://shop@db.internal/shop"


def test_default_database_and_uploads_live_in_the_instance_folder(
    clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = default_config(str(tmp_path))

    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'shopfront.db'}"
    assert config["UPLOAD_FOLDER"] == str(tmp_path / "uploads")
    assert config["SESSION_COOKIE_SECURE"] is False


def test_sqlite_waits_for_the_write_lock(app: Flask) -> None:
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"] == {"timeout": 30}
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"] is True


def test_session_cookie_after_login_is_httponly_and_samesite_lax(client: FlaskClient) -> None:
    response = login(client, *SESSION_USER)

    assert response.status_code == 302
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert len(cookies) == 1
    attributes = [part.strip() for part in cookies[0].split(";")]
    assert "HttpOnly" in attributes
    assert "SameSite=Lax" in attributes
    assert "Path=/" in attributes
    assert "Secure" not in attributes  # plain HTTP in tests; SESSION_COOKIE_SECURE=1 adds it


def test_secure_session_cookie_when_configured(make_app: MakeApp) -> None:
    client = make_app(SESSION_COOKIE_SECURE=True).test_client()

    response = login(client, *SESSION_USER)

    (cookie,) = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert "Secure" in [part.strip() for part in cookie.split(";")]


def test_production_errors_show_no_traceback(
    clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # No tables yet: every database query fails, as on a broken deployment.
    app = create_app(_production(tmp_path, SECRET_KEY=SECRET))

    response = app.test_client().get("/api/products")

    assert response.status_code == 500
    assert response.json == {"error": "internal server error"}
    page = app.test_client().get("/blog")
    assert page.status_code == 500
    assert "Traceback" not in page.get_data(as_text=True)
    assert "sqlite" not in page.get_data(as_text=True).lower()
