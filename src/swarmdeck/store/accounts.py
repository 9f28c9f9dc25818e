"""The platform's accounts: users (hashed passwords, a role), their personal API tokens
(only a SHA-256 of each is kept; revocable) and the audit log of who did what, when.

The tables are declared here, on the models' metadata, next to the only code that uses
them (revision 0009). Passwords are hashed with Werkzeug's ``generate_password_hash``
(scrypt); a token is 32 random bytes, so a plain SHA-256 is enough to look it up without
keeping it.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, cast, get_args

from sqlalchemy import (
    JSON,
    Connection,
    Engine,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from swarmdeck.errors import BadInput, Conflict, ItemNotFound
from swarmdeck.store import items, models
from swarmdeck.store.connect import write_connection
from swarmdeck.store.liveness import db_now

Role = Literal["admin", "tester", "viewer"]
ROLES: tuple[Role, ...] = get_args(Role)
RANK: dict[str, int] = {"viewer": 0, "tester": 1, "admin": 2}
MIN_PASSWORD = 8
MAX_PASSWORD = 1024
MAX_NAME = 64
TOKEN_PREFIX = "sdt_"  # nosec B105  # the prefix every token shows, not a secret
LAST_USED_EVERY_S = 60
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-@")


class UserRow(models.Base):
    __tablename__ = "accounts"  # not "users": a target app's table of that name may share
    # the database (shopfront's does in the tests)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(MAX_NAME), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(models.UTCDateTime)


class TokenRow(models.Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"),
                                         index=True)
    name: Mapped[str] = mapped_column(String(MAX_NAME))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))  # the first characters, to recognise it
    created_at: Mapped[datetime] = mapped_column(models.UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(models.UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(models.UTCDateTime)


class AuditRow(models.Base):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_at", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(models.UTCDateTime)
    actor: Mapped[str] = mapped_column(String(MAX_NAME))
    action: Mapped[str] = mapped_column(String(32))  # created, changed, started, ...
    kind: Mapped[str] = mapped_column(String(32))  # user, token, test, run, target
    subject: Mapped[str] = mapped_column(String(255))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)


users = cast(Table, UserRow.__table__)
tokens = cast(Table, TokenRow.__table__)
audit = cast(Table, AuditRow.__table__)


@dataclass(frozen=True)
class Account:
    id: int
    name: str
    role: str
    created_at: datetime
    password_mark: str  # changes with the password: a session made before a change ends


@dataclass(frozen=True)
class ApiToken:
    id: int
    user_id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    action: str
    kind: str
    subject: str
    detail: dict[str, Any] | None


def check_name(name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > MAX_NAME or not set(name) <= _NAME_CHARS:
        raise BadInput(f"bad user name {name[:MAX_NAME]!r}",
                       f"use letters, digits and . _ - @ (at most {MAX_NAME} characters)")
    return name


def check_role(role: str) -> str:
    if role not in ROLES:
        raise BadInput(f"unknown role {role[:32]!r}", f"use one of {', '.join(ROLES)}")
    return role


def check_password(password: str) -> str:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise BadInput(f"the password is too short (at least {MIN_PASSWORD} characters)",
                       "choose a longer one")
    if len(password) > MAX_PASSWORD:
        raise BadInput(f"the password is too long (at most {MAX_PASSWORD} characters)",
                       "choose a shorter one")
    return password


def _mark(password_hash: str) -> str:
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


def _account(row: Any) -> Account:
    return Account(int(row.id), row.name, row.role, row.created_at, _mark(row.password_hash))


def _token(row: Any) -> ApiToken:
    return ApiToken(int(row.id), int(row.user_id), row.name, row.prefix, row.created_at,
                    row.last_used_at, row.revoked_at)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# -- users -------------------------------------------------------------------------------

def count_users(connection: Connection) -> int:
    return int(connection.execute(select(func.count()).select_from(users)).scalar_one())


def list_users(connection: Connection) -> list[Account]:
    return [_account(row) for row in connection.execute(select(users).order_by(users.c.name))]


def get_user(connection: Connection, user_id: int) -> Account:
    return items.get(connection, users, _account, user_id, "user",
                     "see the users page or `GET /api/users`")


def find_user(connection: Connection, name: str) -> Account | None:
    return items.find(connection, users, _account, users.c.name == name)


def check_login(connection: Connection, name: str, password: str) -> Account | None:
    """The account when the password is right; None otherwise (same work either way)."""
    row = connection.execute(select(users).where(users.c.name == name)).first()
    if row is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    return _account(row) if check_password_hash(row.password_hash, password) else None


_DUMMY_HASH = generate_password_hash(secrets.token_hex(8))


def add_user(engine: Engine, name: str, password: str, role: str) -> Account:
    name, role = check_name(name), check_role(role)
    hashed = generate_password_hash(check_password(password))
    with write_connection(engine) as connection:
        if find_user(connection, name) is not None:
            raise Conflict(f"there is already a user {name!r}", "pick another name")
        new_id = items.add(connection, users, name=name, password_hash=hashed, role=role,
                           created_at=db_now(connection))
        return get_user(connection, new_id)


def _admins_besides(connection: Connection, user_id: int) -> int:
    query = select(func.count()).select_from(users).where(users.c.role == "admin",
                                                          users.c.id != user_id)
    return int(connection.execute(query).scalar_one())


def change_user(engine: Engine, user_id: int, *, role: str | None = None,
                password: str | None = None) -> Account:
    values: dict[str, Any] = {}
    if role is not None:
        values["role"] = check_role(role)
    if password is not None:
        values["password_hash"] = generate_password_hash(check_password(password))
    with write_connection(engine) as connection:
        before = get_user(connection, user_id)
        if role not in (None, "admin") and before.role == "admin" \
                and _admins_besides(connection, user_id) == 0:
            raise Conflict(f"{before.name} is the last admin",
                           "make another user an admin first")
        if values:
            connection.execute(update(users).where(users.c.id == user_id).values(**values))
        return get_user(connection, user_id)


def remove_user(engine: Engine, user_id: int) -> Account:
    with write_connection(engine) as connection:
        before = get_user(connection, user_id)
        if before.role == "admin" and _admins_besides(connection, user_id) == 0:
            raise Conflict(f"{before.name} is the last admin",
                           "make another user an admin first")
        connection.execute(delete(tokens).where(tokens.c.user_id == user_id))
        connection.execute(delete(users).where(users.c.id == user_id))
        return before


# -- personal API tokens -----------------------------------------------------------------

def create_token(engine: Engine, user_id: int, name: str) -> tuple[ApiToken, str]:
    """A new token for the user: its record, and the token itself (shown once, never
    stored)."""
    name = (name or "").strip()
    if not name or len(name) > MAX_NAME:
        raise BadInput("a token needs a name (at most 64 characters)", "e.g. ci")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with write_connection(engine) as connection:
        get_user(connection, user_id)
        new_id = items.add(connection, tokens, user_id=user_id, name=name,
                           token_sha256=token_digest(secret),
                           prefix=secret[:len(TOKEN_PREFIX) + 4],
                           created_at=db_now(connection), last_used_at=None, revoked_at=None)
        row = connection.execute(select(tokens).where(tokens.c.id == new_id)).one()
        return _token(row), secret


def list_tokens(connection: Connection, user_id: int) -> list[ApiToken]:
    query = select(tokens).where(tokens.c.user_id == user_id).order_by(tokens.c.id)
    return [_token(row) for row in connection.execute(query)]


def revoke_token(engine: Engine, user_id: int, token_id: int) -> ApiToken:
    """Revoke one of the user's own tokens (another user's is not found)."""
    with write_connection(engine) as connection:
        row = connection.execute(select(tokens).where(tokens.c.id == token_id,
                                                      tokens.c.user_id == user_id)).first()
        if row is None:
            raise ItemNotFound(f"no token {token_id}", "see your account page")
        if row.revoked_at is None:
            connection.execute(update(tokens).where(tokens.c.id == token_id)
                               .values(revoked_at=db_now(connection)))
        return _token(connection.execute(select(tokens).where(tokens.c.id == token_id)).one())


def user_of_token(engine: Engine, secret: str) -> Account | None:
    """The live token's user, or None. Its last use is written at most once a minute."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    with engine.connect() as connection:
        row = connection.execute(select(tokens).where(
            tokens.c.token_sha256 == token_digest(secret),
            tokens.c.revoked_at.is_(None))).first()
        if row is None:
            return None
        account = get_user(connection, int(row.user_id))
        now = db_now(connection)
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() > LAST_USED_EVERY_S:
        with write_connection(engine) as connection:
            connection.execute(update(tokens).where(tokens.c.id == row.id)
                               .values(last_used_at=now))
    return account


# -- the audit log -----------------------------------------------------------------------

def record(connection: Connection, actor: str, action: str, kind: str, subject: str,
           detail: Mapping[str, Any] | None = None) -> None:
    connection.execute(insert(audit).values(
        at=db_now(connection), actor=actor[:MAX_NAME], action=action, kind=kind,
        subject=subject[:255], detail=dict(detail) if detail else None))


def list_audit(connection: Connection, limit: int, offset: int = 0) -> list[AuditEntry]:
    query = select(audit).order_by(audit.c.id.desc()).limit(limit).offset(offset)
    return [AuditEntry(int(r.id), r.at, r.actor, r.action, r.kind, r.subject, r.detail)
            for r in connection.execute(query)]
