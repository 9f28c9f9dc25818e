"""Configuration: production-like defaults, overridden by the environment or a test config."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

PROFILES = ("naive", "tuned")
MIN_SECRET_LENGTH = 32
# The key of a TESTING app given none; any other configuration without one is refused.
TESTING_SECRET_KEY = "testing-only-secret-never-use-in-production"  # nosec B105  # tests only


class ConfigError(RuntimeError):
    """The application cannot start with the configuration it was given."""


def default_config(instance_path: str) -> dict[str, Any]:
    """Defaults for a production-like deployment; every one can be set from the environment."""
    database_url = os.environ.get(
        "DATABASE_URL", "sqlite:///" + os.path.join(instance_path, "shopfront.db")
    )
    config: dict[str, Any] = {
        "DEBUG": False,
        "TESTING": False,
        "SECRET_KEY": os.environ.get("SECRET_KEY"),
        "SHOPFRONT_PROFILE": os.environ.get("SHOPFRONT_PROFILE", "tuned"),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        # A request body larger than this is refused with 413 before a view runs.
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_CONTENT_LENGTH", str(2 * 1024 * 1024))),
        "UPLOAD_FOLDER": os.environ.get("UPLOAD_FOLDER", os.path.join(instance_path, "uploads")),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": os.environ.get("SESSION_COOKIE_SECURE", "0") == "1",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "WTF_CSRF_TIME_LIMIT": 3600,
        "JWT_ACCESS_TOKEN_EXPIRES": timedelta(
            seconds=int(os.environ.get("JWT_ACCESS_TOKEN_EXPIRES", "900"))
        ),
        "JWT_TOKEN_LOCATION": ["headers"],
        "CACHE_DEFAULT_TIMEOUT": int(os.environ.get("CACHE_DEFAULT_TIMEOUT", "30")),
    }
    redis_url = os.environ.get("CACHE_REDIS_URL")
    if redis_url:
        config.update(CACHE_TYPE="RedisCache", CACHE_REDIS_URL=redis_url,
                      CACHE_KEY_PREFIX=os.environ.get("CACHE_KEY_PREFIX", "shopfront:"))
    else:
        config.update(CACHE_TYPE="SimpleCache")
    return config


def validate(config: dict[str, Any]) -> None:
    """Refuse to start on a configuration that would be unsafe or meaningless."""
    if config["SHOPFRONT_PROFILE"] not in PROFILES:
        raise ConfigError(
            f"SHOPFRONT_PROFILE={config['SHOPFRONT_PROFILE']!r} is not a profile; "
            f"use one of: {', '.join(PROFILES)}"
        )
    if not config.get("SECRET_KEY"):
        if config.get("TESTING"):
            config["SECRET_KEY"] = TESTING_SECRET_KEY
        else:
            raise ConfigError(
                "SECRET_KEY is not set; export SECRET_KEY to a random string of 32+ characters "
                '(python -c "import secrets; print(secrets.token_hex(32))")'
            )
    if len(config["SECRET_KEY"]) < MIN_SECRET_LENGTH:
        raise ConfigError(
            f"SECRET_KEY is {len(config['SECRET_KEY'])} characters; it signs sessions and JWTs, "
            f"so use {MIN_SECRET_LENGTH}+ random characters "
            '(python -c "import secrets; print(secrets.token_hex(32))")'
        )
    config.setdefault("JWT_SECRET_KEY", config["SECRET_KEY"])
    if config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # SQLite allows one writer; wait for the lock instead of failing at once under load.
        options = dict(config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        options.setdefault("connect_args", {"timeout": 30})
        config["SQLALCHEMY_ENGINE_OPTIONS"] = options
