"""Registered generator nodes (``swarmdeck node``): who, where (region), when last heard
from, busy or idle, and the launch they are assigned to.

A node is connected while its heartbeats keep coming (``FRESH_S``). ``assign`` takes the
free nodes a run asks for, by region, in one write transaction (so two runs cannot take
the same node), or refuses with what is free; a node is free again once its launch ended.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    Boolean,
    Connection,
    Engine,
    Integer,
    String,
    Table,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.orm import Mapped, mapped_column

from swarmdeck.errors import Conflict
from swarmdeck.store import models
from swarmdeck.store.connect import write_connection
from swarmdeck.store.launches import ACTIVE, launches
from swarmdeck.store.liveness import db_now

FRESH_S = 10.0
_NODES_LOCK = 0x5357_4E4F_4445  # "SWNODE"


class NodeRow(models.Base):
    __tablename__ = "nodes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    region: Mapped[str] = mapped_column(String(64))
    owner: Mapped[str] = mapped_column(String(64))  # whose token it registered with
    address: Mapped[str | None] = mapped_column(String(255))
    last_seen: Mapped[datetime] = mapped_column(models.UTCDateTime)
    busy: Mapped[bool] = mapped_column(Boolean)  # its worker runs
    launch_id: Mapped[int | None] = mapped_column(Integer)  # assigned to


nodes = cast(Table, NodeRow.__table__)


@dataclass(frozen=True)
class Node:
    id: int
    name: str
    region: str
    owner: str
    address: str | None
    last_seen: datetime
    busy: bool
    launch_id: int | None

    def state(self, now: datetime) -> str:
        if now - self.last_seen > timedelta(seconds=FRESH_S):
            return "offline"
        if self.busy:
            return "busy"
        return "assigned" if self.launch_id is not None else "idle"


def _node(row: Any) -> Node:
    return Node(int(row.id), row.name, row.region, row.owner, row.address, row.last_seen,
                bool(row.busy), row.launch_id)


def list_nodes(connection: Connection) -> list[Node]:
    return [_node(row) for row in connection.execute(select(nodes).order_by(
        nodes.c.region, nodes.c.name))]


def heartbeat(engine: Engine, name: str, region: str, owner: str, address: str | None,
              busy: bool) -> tuple[Node, dict[str, Any] | None]:
    """Record a heartbeat; the node, and the launch it should join (port and token)."""
    with write_connection(engine) as connection:
        now = db_now(connection)
        row = connection.execute(select(nodes).where(nodes.c.name == name)).first()
        values = {"region": region, "owner": owner, "address": address, "last_seen": now,
                  "busy": busy}
        if row is None:
            connection.execute(insert(nodes).values(name=name, launch_id=None, **values))
        else:
            connection.execute(update(nodes).where(nodes.c.id == row.id).values(**values))
        node = _node(connection.execute(select(nodes).where(nodes.c.name == name)).one())
        if node.launch_id is None:
            return node, None
        launch = connection.execute(select(launches).where(
            launches.c.id == node.launch_id)).first()
        if launch is None or launch.status not in ACTIVE:  # its run is over: free again
            connection.execute(update(nodes).where(nodes.c.id == node.id)
                               .values(launch_id=None))
            return _node(connection.execute(select(nodes).where(
                nodes.c.id == node.id)).one()), None
        if busy or launch.master_port is None:
            return node, None
        return node, {"launch_id": int(launch.id), "master_port": int(launch.master_port),
                      "worker_token": launch.worker_token}


def assign(engine: Engine, launch_id: int, wanted: Mapping[str, int]) -> list[Node]:
    """Give the launch the nodes it asks for per region, or Conflict naming what is free."""
    with write_connection(engine) as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                               {"key": _NODES_LOCK})
        now = db_now(connection)
        # nodes whose launch ended are free, whatever they last said
        ended = select(launches.c.id).where(launches.c.status.not_in(ACTIVE))
        connection.execute(update(nodes).where(nodes.c.launch_id.in_(ended))
                           .values(launch_id=None))
        free: dict[str, list[Node]] = {}
        for node in list_nodes(connection):
            if node.state(now) == "idle":
                free.setdefault(node.region, []).append(node)
        short = [f"{count} in {region} ({len(free.get(region, []))} free)"
                 for region, count in wanted.items() if len(free.get(region, [])) < count]
        if short:
            raise Conflict("not enough free nodes: the test asks for " + ", ".join(short),
                           "start more `swarmdeck node --region ...` machines, wait for a "
                           "run to end, or ask for fewer")
        taken = [node for region, count in wanted.items() for node in free[region][:count]]
        connection.execute(update(nodes).where(nodes.c.id.in_([n.id for n in taken]))
                           .values(launch_id=launch_id))
        return taken


def release(engine: Engine, launch_id: int) -> None:
    with write_connection(engine) as connection:
        connection.execute(update(nodes).where(nodes.c.launch_id == launch_id)
                           .values(launch_id=None))
