"""Webhooks of saved tests, and the log of their deliveries.

A webhook's URL is a secret (a Slack incoming-webhook URL is a credential): it is stored,
and only ever shown masked (``mask``). Each delivery is one row, updated after every
attempt: how many, the last answer's status or error, delivered or failed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast
from urllib.parse import urlsplit

from sqlalchemy import (
    JSON,
    Connection,
    Engine,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    select,
    update,
)
from sqlalchemy.orm import Mapped, mapped_column

from swarmdeck.store import items, models
from swarmdeck.store.connect import write_connection
from swarmdeck.store.liveness import db_now


class WebhookRow(models.Base):
    __tablename__ = "webhooks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    test_id: Mapped[int] = items.of_saved_test()
    url: Mapped[str] = mapped_column(Text)  # a secret: never shown in full
    format: Mapped[str] = mapped_column(String(16))  # json, slack
    events: Mapped[list[str]] = mapped_column(JSON)  # run_end, threshold_failed, regression
    base_url: Mapped[str | None] = mapped_column(Text)  # the server's, for links to runs
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(models.UTCDateTime)


class DeliveryRow(models.Base):
    __tablename__ = "webhook_deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    webhook_id: Mapped[int] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"),
                                            index=True)
    launch_id: Mapped[int | None] = mapped_column(Integer)
    run_id: Mapped[int | None] = mapped_column(Integer)
    events: Mapped[list[str]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16))  # pending, delivered, failed
    attempts: Mapped[int] = mapped_column(Integer)
    response_status: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(models.UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(models.UTCDateTime)


webhooks = cast(Table, WebhookRow.__table__)
deliveries = cast(Table, DeliveryRow.__table__)


def mask(url: str) -> str:
    """Enough to recognise a URL, not to use it: scheme, host and the last 4 characters."""
    parts = urlsplit(url)
    tail = url.rstrip("/")[-4:] if len(url) > len(f"{parts.scheme}://{parts.netloc}") + 8 \
        else ""
    return f"{parts.scheme}://{parts.hostname or ''}/…{tail}"


@dataclass(frozen=True)
class Webhook:
    id: int
    test_id: int
    url: str  # the secret: for sending only
    format: str
    events: tuple[str, ...]
    base_url: str | None
    created_by: str
    created_at: datetime

    @property
    def masked(self) -> str:
        return mask(self.url)


@dataclass(frozen=True)
class Delivery:
    id: int
    webhook_id: int
    launch_id: int | None
    run_id: int | None
    events: tuple[str, ...]
    status: str
    attempts: int
    response_status: int | None
    error: str | None
    created_at: datetime
    finished_at: datetime | None


def _webhook(row: Any) -> Webhook:
    return Webhook(int(row.id), int(row.test_id), row.url, row.format, tuple(row.events),
                   row.base_url, row.created_by, row.created_at)


def _delivery(row: Any) -> Delivery:
    return Delivery(int(row.id), int(row.webhook_id), row.launch_id, row.run_id,
                    tuple(row.events), row.status, int(row.attempts), row.response_status,
                    row.error, row.created_at, row.finished_at)


def get_webhook(connection: Connection, webhook_id: int) -> Webhook:
    return items.get(connection, webhooks, _webhook, webhook_id, "webhook",
                     "see the test's page")


def list_webhooks(connection: Connection, test_id: int) -> list[Webhook]:
    query = select(webhooks).where(webhooks.c.test_id == test_id).order_by(webhooks.c.id)
    return [_webhook(row) for row in connection.execute(query)]


def add_webhook(engine: Engine, test_id: int, url: str, format_: str, events: list[str],
                base_url: str | None, actor: str) -> Webhook:
    with write_connection(engine) as connection:
        new_id = items.add(connection, webhooks, test_id=test_id, url=url, format=format_,
                           events=events, base_url=base_url, created_by=actor,
                           created_at=db_now(connection))
        return get_webhook(connection, new_id)


def remove_webhook(engine: Engine, webhook_id: int) -> Webhook:
    return items.remove(engine, webhooks, webhook_id, get_webhook)


def list_deliveries(connection: Connection, webhook_id: int, limit: int) -> list[Delivery]:
    query = select(deliveries).where(deliveries.c.webhook_id == webhook_id).order_by(
        deliveries.c.id.desc()).limit(limit)
    return [_delivery(row) for row in connection.execute(query)]


def start_delivery(engine: Engine, webhook_id: int, launch_id: int | None,
                   run_id: int | None, events: list[str]) -> int:
    with write_connection(engine) as connection:
        return items.add(connection, deliveries, webhook_id=webhook_id, launch_id=launch_id,
                         run_id=run_id, events=events, status="pending", attempts=0,
                         response_status=None, error=None, created_at=db_now(connection),
                         finished_at=None)


def record_attempt(engine: Engine, delivery_id: int, *, status: str,
                   response_status: int | None, error: str | None) -> None:
    with write_connection(engine) as connection:
        values: dict[str, Any] = {"status": status, "response_status": response_status,
                                  "error": error, "attempts": deliveries.c.attempts + 1}
        if status != "pending":
            values["finished_at"] = db_now(connection)
        connection.execute(update(deliveries).where(deliveries.c.id == delivery_id)
                           .values(**values))
