"""The platform's side of the store: accounts, tokens, the audit log and saved tests, each
call with
its database errors turned into one-line StoreErrors like the rest of the store.

    accounts = Accounts(store)
    admin = accounts.add_user("ada", "correct horse", "admin", actor="cli")
    token, secret = accounts.create_token(admin.id, "ci", actor="ada")
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from swarmdeck.store import accounts as rows
from swarmdeck.store import launches as launch_rows
from swarmdeck.store import nodes as node_rows
from swarmdeck.store import saved_tests as tests
from swarmdeck.store import schedules as schedule_rows
from swarmdeck.store import webhooks as hook_rows
from swarmdeck.store.accounts import Account, ApiToken, AuditEntry
from swarmdeck.store.api import Store
from swarmdeck.store.connect import translate_errors, write_connection
from swarmdeck.store.launches import Launch, Limits, Target
from swarmdeck.store.nodes import Node
from swarmdeck.store.saved_tests import SavedTest, StoredLocustfile, TestVersion
from swarmdeck.store.schedules import Schedule
from swarmdeck.store.webhooks import Delivery, Webhook


class Accounts:
    """Users, their API tokens and the audit log of a store. Every change is audited."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._engine = store.engine
        self._url = store.raw_url

    def _errors(self, doing: str) -> Any:
        return translate_errors(self._url, doing)

    # -- reading -----------------------------------------------------------------------

    def count_users(self) -> int:
        with self._errors("count the users in {db}"), self._engine.connect() as connection:
            return rows.count_users(connection)

    def users(self) -> list[Account]:
        with self._errors("list the users in {db}"), self._engine.connect() as connection:
            return rows.list_users(connection)

    def user(self, user_id: int) -> Account:
        with self._errors("read a user in {db}"), self._engine.connect() as connection:
            return rows.get_user(connection, user_id)

    def find_user(self, name: str) -> Account | None:
        with self._errors("read a user in {db}"), self._engine.connect() as connection:
            return rows.find_user(connection, name)

    def check_login(self, name: str, password: str) -> Account | None:
        with self._errors("check a login in {db}"), self._engine.connect() as connection:
            return rows.check_login(connection, name, password)

    def tokens(self, user_id: int) -> list[ApiToken]:
        with self._errors("list tokens in {db}"), self._engine.connect() as connection:
            return rows.list_tokens(connection, user_id)

    def user_of_token(self, secret: str) -> Account | None:
        with self._errors("check a token in {db}"):
            return rows.user_of_token(self._engine, secret)

    def audit_log(self, limit: int = 100, offset: int = 0) -> list[AuditEntry]:
        with self._errors("read the audit log in {db}"), self._engine.connect() as connection:
            return rows.list_audit(connection, limit, offset)

    # -- changing (audited) ------------------------------------------------------------

    def audit(self, actor: str, action: str, kind: str, subject: str,
              detail: Mapping[str, Any] | None = None) -> None:
        with self._errors("write the audit log in {db}"), \
                write_connection(self._engine) as connection:
            rows.record(connection, actor, action, kind, subject, detail)

    def add_user(self, name: str, password: str, role: str, *, actor: str) -> Account:
        with self._errors("add a user to {db}"):
            account = rows.add_user(self._engine, name, password, role)
        self.audit(actor, "created", "user", account.name, {"role": account.role})
        return account

    def change_user(self, user_id: int, *, actor: str, role: str | None = None,
                    password: str | None = None) -> Account:
        with self._errors("change a user in {db}"):
            account = rows.change_user(self._engine, user_id, role=role, password=password)
        changed = ({"role": role} if role is not None else {}) | (
            {"password": "changed"} if password is not None else {})
        self.audit(actor, "changed", "user", account.name, changed)
        return account

    def remove_user(self, user_id: int, *, actor: str) -> Account:
        with self._errors("remove a user from {db}"):
            account = rows.remove_user(self._engine, user_id)
        self.audit(actor, "deleted", "user", account.name)
        return account

    def create_token(self, user_id: int, name: str, *, actor: str) -> tuple[ApiToken, str]:
        with self._errors("create a token in {db}"):
            token, secret = rows.create_token(self._engine, user_id, name)
        self.audit(actor, "created", "token", f"{token.name} ({token.prefix}…)")
        return token, secret

    def revoke_token(self, user_id: int, token_id: int, *, actor: str) -> ApiToken:
        with self._errors("revoke a token in {db}"):
            token = rows.revoke_token(self._engine, user_id, token_id)
        self.audit(actor, "deleted", "token", f"{token.name} ({token.prefix}…)")
        return token


class SavedTests:
    """Saved tests and their versions; every change is audited."""

    def __init__(self, store: Store, accounts: Accounts) -> None:
        self._engine = store.engine
        self._url = store.raw_url
        self._accounts = accounts

    def _errors(self, doing: str) -> Any:
        return translate_errors(self._url, doing)

    def all(self) -> list[SavedTest]:
        with self._errors("list the saved tests in {db}"), \
                self._engine.connect() as connection:
            return tests.list_tests(connection)

    def get(self, test_id: int) -> SavedTest:
        with self._errors("read a saved test in {db}"), self._engine.connect() as connection:
            return tests.get_test(connection, test_id)

    def versions(self, test_id: int) -> list[TestVersion]:
        with self._errors("read a test's versions in {db}"), \
                self._engine.connect() as connection:
            return tests.list_versions(connection, test_id)

    def version(self, test_id: int, version: int) -> TestVersion:
        with self._errors("read a test's version in {db}"), \
                self._engine.connect() as connection:
            tests.get_test(connection, test_id)
            return tests.get_version(connection, test_id, version)

    def create(self, name: str, locustfile: StoredLocustfile, settings: dict[str, Any], *,
               actor: str) -> SavedTest:
        with self._errors("save a test in {db}"):
            saved = tests.create_test(self._engine, name, actor, locustfile, settings)
        self._accounts.audit(actor, "created", "test", f"{saved.id} {saved.name}",
                             {"version": 1, "locustfile_sha256": locustfile.sha256})
        return saved

    def edit(self, test_id: int, name: str, locustfile: StoredLocustfile | None,
             settings: dict[str, Any], *, actor: str) -> SavedTest:
        with self._errors("save a test in {db}"):
            saved = tests.edit_test(self._engine, test_id, name, actor, locustfile, settings)
        self._accounts.audit(actor, "changed", "test", f"{saved.id} {saved.name}",
                             {"version": saved.versions,
                              "locustfile_sha256": saved.current.locustfile.sha256})
        return saved

    def delete(self, test_id: int, *, actor: str) -> SavedTest:
        with self._errors("delete a saved test in {db}"):
            saved = tests.delete_test(self._engine, test_id)
        self._accounts.audit(actor, "deleted", "test", f"{saved.id} {saved.name}")
        return saved


class Launches:
    """Runs started by the platform, and the permitted targets (audited)."""

    def __init__(self, store: Store, accounts: Accounts) -> None:
        self._engine = store.engine
        self._url = store.raw_url
        self._accounts = accounts

    def _errors(self, doing: str) -> Any:
        return translate_errors(self._url, doing)

    def get(self, launch_id: int) -> Launch:
        with self._errors("read a launch in {db}"), self._engine.connect() as connection:
            return launch_rows.get_launch(connection, launch_id)

    def of_run(self, run_id: int) -> Launch | None:
        with self._errors("read a launch in {db}"), self._engine.connect() as connection:
            return launch_rows.launch_of_run(connection, run_id)

    def recent(self, limit: int = 50, *, active: bool = False,
               test_id: int | None = None) -> list[Launch]:
        with self._errors("list launches in {db}"), self._engine.connect() as connection:
            return launch_rows.list_launches(connection, limit, active=active,
                                             test_id=test_id)

    def reserve(self, *, test_id: int, version: int, sha256: str, requested_by: str,
                hostname: str, users: int, limits: Limits) -> Launch:
        with self._errors("record a launch in {db}"):
            return launch_rows.reserve(self._engine, test_id=test_id, version=version,
                                       sha256=sha256, requested_by=requested_by,
                                       hostname=hostname, users=users, limits=limits)

    def update(self, launch_id: int, **values: Any) -> Launch:
        with self._errors("update a launch in {db}"):
            return launch_rows.update_launch(self._engine, launch_id, **values)

    def targets(self) -> list[Target]:
        with self._errors("list the targets in {db}"), self._engine.connect() as connection:
            return launch_rows.list_targets(connection)

    def find_target(self, origin: str) -> Target | None:
        with self._errors("read a target in {db}"), self._engine.connect() as connection:
            return launch_rows.find_target(connection, origin)

    def target(self, target_id: int) -> Target:
        with self._errors("read a target in {db}"), self._engine.connect() as connection:
            return launch_rows.get_target(connection, target_id)

    def add_target(self, origin: str, *, actor: str) -> Target:
        with self._errors("add a target to {db}"):
            target = launch_rows.add_target(self._engine, origin, actor)
        self._accounts.audit(actor, "created", "target", origin)
        return target

    def mark_verified(self, target_id: int, *, actor: str) -> Target:
        with self._errors("verify a target in {db}"):
            target = launch_rows.mark_verified(self._engine, target_id)
        self._accounts.audit(actor, "changed", "target", target.origin, {"verified": True})
        return target

    def remove_target(self, target_id: int, *, actor: str) -> Target:
        with self._errors("remove a target from {db}"):
            target = launch_rows.remove_target(self._engine, target_id)
        self._accounts.audit(actor, "deleted", "target", target.origin)
        return target


class Schedules:
    """Cron schedules of saved tests (changes audited)."""

    def __init__(self, store: Store, accounts: Accounts) -> None:
        self._engine = store.engine
        self._url = store.raw_url
        self._accounts = accounts

    def _errors(self, doing: str) -> Any:
        return translate_errors(self._url, doing)

    def all(self, test_id: int | None = None) -> list[Schedule]:
        with self._errors("list the schedules in {db}"), self._engine.connect() as connection:
            return schedule_rows.list_schedules(connection, test_id)

    def get(self, schedule_id: int) -> Schedule:
        with self._errors("read a schedule in {db}"), self._engine.connect() as connection:
            return schedule_rows.get_schedule(connection, schedule_id)

    def add(self, test_id: int, cron: str, options: dict[str, Any], *,
            actor: str) -> Schedule:
        with self._errors("add a schedule to {db}"):
            found = schedule_rows.add_schedule(self._engine, test_id, cron, options, actor)
        self._accounts.audit(actor, "created", "schedule", f"{found.id} test {test_id}",
                             {"cron": cron})
        return found

    def remove(self, schedule_id: int, *, actor: str) -> Schedule:
        with self._errors("remove a schedule from {db}"):
            found = schedule_rows.remove_schedule(self._engine, schedule_id)
        self._accounts.audit(actor, "deleted", "schedule", f"{found.id} test {found.test_id}")
        return found

    def claim(self, schedule: Schedule, due: datetime) -> bool:
        with self._errors("claim a schedule in {db}"):
            return schedule_rows.claim(self._engine, schedule, due)

    def record_firing(self, schedule_id: int, launch_id: int | None,
                      message: str | None) -> None:
        with self._errors("record a schedule's run in {db}"):
            schedule_rows.record_firing(self._engine, schedule_id, launch_id, message)


class Webhooks:
    """Webhooks of saved tests (changes audited, URLs masked there) and their deliveries."""

    def __init__(self, store: Store, accounts: Accounts) -> None:
        self._engine = store.engine
        self._url = store.raw_url
        self._accounts = accounts

    def _errors(self, doing: str) -> Any:
        return translate_errors(self._url, doing)

    def of_test(self, test_id: int) -> list[Webhook]:
        with self._errors("list webhooks in {db}"), self._engine.connect() as connection:
            return hook_rows.list_webhooks(connection, test_id)

    def get(self, webhook_id: int) -> Webhook:
        with self._errors("read a webhook in {db}"), self._engine.connect() as connection:
            return hook_rows.get_webhook(connection, webhook_id)

    def add(self, test_id: int, url: str, format_: str, events: list[str],
            base_url: str | None, *, actor: str) -> Webhook:
        with self._errors("add a webhook to {db}"):
            hook = hook_rows.add_webhook(self._engine, test_id, url, format_, events,
                                         base_url, actor)
        self._accounts.audit(actor, "created", "webhook", f"{hook.id} test {test_id}",
                             {"url": hook.masked, "events": list(hook.events)})
        return hook

    def remove(self, webhook_id: int, *, actor: str) -> Webhook:
        with self._errors("remove a webhook from {db}"):
            hook = hook_rows.remove_webhook(self._engine, webhook_id)
        self._accounts.audit(actor, "deleted", "webhook", f"{hook.id} test {hook.test_id}",
                             {"url": hook.masked})
        return hook

    def deliveries(self, webhook_id: int, limit: int = 50) -> list[Delivery]:
        with self._errors("list deliveries in {db}"), self._engine.connect() as connection:
            hook_rows.get_webhook(connection, webhook_id)
            return hook_rows.list_deliveries(connection, webhook_id, limit)

    def start_delivery(self, webhook_id: int, launch_id: int | None, run_id: int | None,
                       events: list[str]) -> int:
        with self._errors("log a delivery in {db}"):
            return hook_rows.start_delivery(self._engine, webhook_id, launch_id, run_id,
                                            events)

    def record_attempt(self, delivery_id: int, *, status: str, response_status: int | None,
                       error: str | None) -> None:
        with self._errors("log a delivery in {db}"):
            hook_rows.record_attempt(self._engine, delivery_id, status=status,
                                     response_status=response_status, error=error)


class Nodes:
    """Registered generator nodes and their assignment to runs."""

    def __init__(self, store: Store) -> None:
        self._engine = store.engine
        self._url = store.raw_url

    def all(self) -> list[Node]:
        with translate_errors(self._url, "list the nodes in {db}"), \
                self._engine.connect() as connection:
            return node_rows.list_nodes(connection)

    def heartbeat(self, name: str, region: str, owner: str, address: str | None,
                  busy: bool) -> tuple[Node, dict[str, Any] | None]:
        with translate_errors(self._url, "record a node's heartbeat in {db}"):
            return node_rows.heartbeat(self._engine, name, region, owner, address, busy)

    def assign(self, launch_id: int, wanted: Mapping[str, int]) -> list[Node]:
        with translate_errors(self._url, "assign nodes in {db}"):
            return node_rows.assign(self._engine, launch_id, wanted)

    def release(self, launch_id: int) -> None:
        with translate_errors(self._url, "release nodes in {db}"):
            node_rows.release(self._engine, launch_id)
