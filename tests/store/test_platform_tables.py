"""The platform's tables on both backends: accounts and tokens, test versions, the launch
limits, node assignment and schedule claims (the writes that must hold under concurrency
take their lock on PostgreSQL too)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from swarmdeck.errors import Conflict
from swarmdeck.store import Store
from swarmdeck.store import nodes as node_rows
from swarmdeck.store.launches import Limits
from swarmdeck.store.platform import Accounts, Launches, Nodes, SavedTests, Schedules
from swarmdeck.store.saved_tests import StoredLocustfile

SETTINGS = {"host": "http://127.0.0.1:1", "users": 1, "spawn_rate": 1.0, "run_time_s": 5.0,
            "shape": None, "thresholds": [], "tags": {}, "regions": {}}
FILE = StoredLocustfile("a.py", "from locust import User\nclass A(User): pass\n", "0" * 64)


def test_accounts_and_tokens(store: Store) -> None:
    accounts = Accounts(store)
    ada = accounts.add_user("ada", "correct horse", "admin", actor="t")
    token, secret = accounts.create_token(ada.id, "ci", actor="ada")
    assert accounts.user_of_token(secret) == ada
    accounts.revoke_token(ada.id, token.id, actor="ada")
    assert accounts.user_of_token(secret) is None
    with pytest.raises(Conflict):
        accounts.add_user("ada", "another one", "viewer", actor="t")
    assert [e.action for e in accounts.audit_log()] == ["deleted", "created", "created"]


def test_versions_limits_nodes_and_claims(store: Store) -> None:
    accounts = Accounts(store)
    tests = SavedTests(store, accounts)
    saved = tests.create("t", FILE, SETTINGS, actor="tess")
    edited = tests.edit(saved.id, "t2", None, {**SETTINGS, "users": 3}, actor="tess")
    assert (edited.versions, edited.current.locustfile, edited.name) == (2, FILE, "t2")
    launches = Launches(store, accounts)
    limits = Limits(max_runs=2, max_runs_per_user=1)
    first = launches.reserve(test_id=saved.id, version=2, sha256=FILE.sha256,
                             requested_by="tess", hostname="h", users=3, limits=limits)
    with pytest.raises(Conflict, match="the most per user"):
        launches.reserve(test_id=saved.id, version=2, sha256=FILE.sha256,
                         requested_by="tess", hostname="h", users=3, limits=limits)
    launches.reserve(test_id=saved.id, version=2, sha256=FILE.sha256, requested_by="vic",
                     hostname="h", users=3, limits=limits)
    with pytest.raises(Conflict, match="the most this server starts at once"):
        launches.reserve(test_id=saved.id, version=2, sha256=FILE.sha256,
                         requested_by="ada", hostname="h", users=3, limits=limits)
    nodes = Nodes(store)
    for name, region in (("n1", "eu"), ("n2", "eu"), ("n3", "us")):
        nodes.heartbeat(name, region, "tess", None, busy=False)
    with pytest.raises(Conflict, match="2 in us \\(1 free\\)"):
        nodes.assign(first.id, {"us": 2})
    taken = nodes.assign(first.id, {"eu": 2})
    assert sorted(n.name for n in taken) == ["n1", "n2"]
    with pytest.raises(Conflict, match="1 in eu \\(0 free\\)"):
        nodes.assign(first.id, {"eu": 1})
    launches.update(first.id, master_port=5999, worker_token="w")
    _, assignment = nodes.heartbeat("n1", "eu", "tess", None, busy=False)
    assert assignment == {"launch_id": first.id, "master_port": 5999, "worker_token": "w"}
    launches.update(first.id, status="ended")
    node, assignment = nodes.heartbeat("n1", "eu", "tess", None, busy=False)
    assert assignment is None and node.launch_id is None
    assert node.state(datetime.now(UTC)) == "idle"
    assert node.state(datetime.now(UTC) + timedelta(seconds=node_rows.FRESH_S + 1)) == \
        "offline"
    schedules = Schedules(store, accounts)
    made = schedules.add(saved.id, "0 3 * * *", {}, actor="tess")
    due = datetime(2030, 1, 1, 3, tzinfo=UTC)
    assert schedules.claim(made, due)
    assert not schedules.claim(made, due)  # read before the first claim: too late
    again = schedules.get(made.id)
    assert again.last_due == due and schedules.claim(again, due + timedelta(days=1))
