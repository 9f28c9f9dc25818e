"""Flask extensions, created unbound here and wired in create_app with init_app."""

from __future__ import annotations

from flask_caching import Cache
from flask_jwt_extended import JWTManager
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase

from swarmdeck.flask import ServerTiming


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
csrf = CSRFProtect()
login_manager = LoginManager()
jwt = JWTManager()
cache = Cache()
# Server-Timing on every response (docs/server-timing.md): off unless
# SWARMDECK_SERVER_TIMING=1 (the demo and the integration tests turn it on)
server_timing = ServerTiming()
