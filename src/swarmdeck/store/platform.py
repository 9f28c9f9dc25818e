"""The platform's side of the store: accounts, tokens, the audit log and saved tests, each
call with
its database errors turned into one-line StoreErrors like the rest of the store.

    accounts = Accounts(store)
    admin = accounts.add_user("ada", "correct horse", "admin", actor="cli")
    token, secret = accounts.create_token(admin.id, "ci", actor="ada")
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

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

CHANGED = "changed"  # what the audit log records of a changed password (never its value)

# Accounts.audit: (actor, action, kind, subject, detail)
Auditor = Callable[[str, str, str, str, "Mapping[str, Any] | None"], None]


class AuditNote:
    """What a write inside ``_Part._audited`` notes for the audit log; written after it."""

    def __init__(self) -> None:
        self.entries: list[tuple[str, str, str, Mapping[str, Any] | None]] = []

    def __call__(self, action: str, kind: str, subject: str,
                 detail: Mapping[str, Any] | None = None) -> None:
        self.entries.append((action, kind, subject, detail))


class _Part:
    """One part of the platform's store: the store's engine, database errors in one line
    (``doing`` says what failed, ``{db}`` standing for the database), reads, and writes
    followed by their audit entries."""

    def __init__(self, store: Store, audit: Auditor | None = None) -> None:
        self._engine = store.engine
        self._url = store.raw_url
        self._audit = audit

    def _errors(self, doing: str) -> AbstractContextManager[None]:
        return translate_errors(self._url, doing)

    @contextmanager
    def _reading(self, doing: str) -> Iterator[Connection]:
        with self._errors(doing), self._engine.connect() as connection:
            yield connection

    @contextmanager
    def _audited(self, doing: str, actor: str) -> Iterator[AuditNote]:
        """A write, its database errors translated; once it succeeded, the audit entries
        it noted, by ``actor`` (a failed write is not audited)::

            with self._audited("add a target to {db}", actor) as audit:
                target = launch_rows.add_target(self._engine, origin, actor)
                audit("created", "target", origin)
        """
        assert self._audit is not None, f"{type(self).__name__} is not audited"
        note = AuditNote()
        with self._errors(doing):
            yield note
        for action, kind, subject, detail in note.entries:
            self._audit(actor, action, kind, subject, detail)


class _Audited(_Part):
    """A part whose changes the accounts' audit log records."""

    def __init__(self, store: Store, accounts: Accounts) -> None:
        super().__init__(store, accounts.audit)


class Accounts(_Part):
    """Users, their API tokens and the audit log of a store. Every change is audited."""

    def __init__(self, store: Store) -> None:
        super().__init__(store, self.audit)

    # -- reading -----------------------------------------------------------------------

    def count_users(self) -> int:
        with self._reading("count the users in {db}") as connection:
            return rows.count_users(connection)

    def users(self) -> list[Account]:
        with self._reading("list the users in {db}") as connection:
            return rows.list_users(connection)

    def user(self, user_id: int) -> Account:
        with self._reading("read a user in {db}") as connection:
            return rows.get_user(connection, user_id)

    def find_user(self, name: str) -> Account | None:
        with self._reading("read a user in {db}") as connection:
            return rows.find_user(connection, name)

    def check_login(self, name: str, password: str) -> Account | None:
        with self._reading("check a login in {db}") as connection:
            return rows.check_login(connection, name, password)

    def tokens(self, user_id: int) -> list[ApiToken]:
        with self._reading("list tokens in {db}") as connection:
            return rows.list_tokens(connection, user_id)

    def user_of_token(self, secret: str) -> Account | None:
        with self._errors("check a token in {db}"):
            return rows.user_of_token(self._engine, secret)

    def audit_log(self, limit: int = 100, offset: int = 0) -> list[AuditEntry]:
        with self._reading("read the audit log in {db}") as connection:
            return rows.list_audit(connection, limit, offset)

    # -- changing (audited) ------------------------------------------------------------

    def audit(self, actor: str, action: str, kind: str, subject: str,
              detail: Mapping[str, Any] | None = None) -> None:
        with self._errors("write the audit log in {db}"), \
                write_connection(self._engine) as connection:
            rows.record(connection, actor, action, kind, subject, detail)

    def add_user(self, name: str, password: str, role: str, *, actor: str) -> Account:
        with self._audited("add a user to {db}", actor) as audit:
            account = rows.add_user(self._engine, name, password, role)
            audit("created", "user", account.name, {"role": account.role})
        return account

    def change_user(self, user_id: int, *, actor: str, role: str | None = None,
                    password: str | None = None) -> Account:
        changed: dict[str, str] = {} if role is None else {"role": role}
        if password is not None:  # the audit log says it changed, never its value
            changed["password"] = CHANGED
        with self._audited("change a user in {db}", actor) as audit:
            account = rows.change_user(self._engine, user_id, role=role, password=password)
            audit("changed", "user", account.name, changed)
        return account

    def remove_user(self, user_id: int, *, actor: str) -> Account:
        with self._audited("remove a user from {db}", actor) as audit:
            account = rows.remove_user(self._engine, user_id)
            audit("deleted", "user", account.name)
        return account

    def create_token(self, user_id: int, name: str, *, actor: str) -> tuple[ApiToken, str]:
        with self._audited("create a token in {db}", actor) as audit:
            token, secret = rows.create_token(self._engine, user_id, name)
            audit("created", "token", f"{token.name} ({token.prefix}…)")
        return token, secret

    def revoke_token(self, user_id: int, token_id: int, *, actor: str) -> ApiToken:
        with self._audited("revoke a token in {db}", actor) as audit:
            token = rows.revoke_token(self._engine, user_id, token_id)
            audit("deleted", "token", f"{token.name} ({token.prefix}…)")
        return token


class SavedTests(_Audited):
    """Saved tests and their versions; every change is audited."""

    def all(self) -> list[SavedTest]:
        with self._reading("list the saved tests in {db}") as connection:
            return tests.list_tests(connection)

    def get(self, test_id: int) -> SavedTest:
        with self._reading("read a saved test in {db}") as connection:
            return tests.get_test(connection, test_id)

    def versions(self, test_id: int) -> list[TestVersion]:
        with self._reading("read a test's versions in {db}") as connection:
            return tests.list_versions(connection, test_id)

    def version(self, test_id: int, version: int) -> TestVersion:
        with self._reading("read a test's version in {db}") as connection:
            tests.get_test(connection, test_id)
            return tests.get_version(connection, test_id, version)

    def create(self, name: str, locustfile: StoredLocustfile, settings: dict[str, Any], *,
               actor: str) -> SavedTest:
        with self._audited("save a test in {db}", actor) as audit:
            saved = tests.create_test(self._engine, name, actor, locustfile, settings)
            audit("created", "test", f"{saved.id} {saved.name}",
                  {"version": 1, "locustfile_sha256": locustfile.sha256})
        return saved

    def edit(self, test_id: int, name: str, locustfile: StoredLocustfile | None,
             settings: dict[str, Any], *, actor: str) -> SavedTest:
        with self._audited("save a test in {db}", actor) as audit:
            saved = tests.edit_test(self._engine, test_id, name, actor, locustfile, settings)
            audit("changed", "test", f"{saved.id} {saved.name}",
                  {"version": saved.versions,
                   "locustfile_sha256": saved.current.locustfile.sha256})
        return saved

    def delete(self, test_id: int, *, actor: str) -> SavedTest:
        with self._audited("delete a saved test in {db}", actor) as audit:
            saved = tests.delete_test(self._engine, test_id)
            audit("deleted", "test", f"{saved.id} {saved.name}")
        return saved


class Launches(_Audited):
    """Runs started by the platform, and the permitted targets (audited)."""

    def get(self, launch_id: int) -> Launch:
        with self._reading("read a launch in {db}") as connection:
            return launch_rows.get_launch(connection, launch_id)

    def of_run(self, run_id: int) -> Launch | None:
        with self._reading("read a launch in {db}") as connection:
            return launch_rows.launch_of_run(connection, run_id)

    def recent(self, limit: int = 50, *, active: bool = False,
               test_id: int | None = None) -> list[Launch]:
        with self._reading("list launches in {db}") as connection:
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
        with self._reading("list the targets in {db}") as connection:
            return launch_rows.list_targets(connection)

    def find_target(self, origin: str) -> Target | None:
        with self._reading("read a target in {db}") as connection:
            return launch_rows.find_target(connection, origin)

    def target(self, target_id: int) -> Target:
        with self._reading("read a target in {db}") as connection:
            return launch_rows.get_target(connection, target_id)

    def add_target(self, origin: str, *, actor: str) -> Target:
        with self._audited("add a target to {db}", actor) as audit:
            target = launch_rows.add_target(self._engine, origin, actor)
            audit("created", "target", origin)
        return target

    def mark_verified(self, target_id: int, *, actor: str) -> Target:
        with self._audited("verify a target in {db}", actor) as audit:
            target = launch_rows.mark_verified(self._engine, target_id)
            audit("changed", "target", target.origin, {"verified": True})
        return target

    def remove_target(self, target_id: int, *, actor: str) -> Target:
        with self._audited("remove a target from {db}", actor) as audit:
            target = launch_rows.remove_target(self._engine, target_id)
            audit("deleted", "target", target.origin)
        return target


class Schedules(_Audited):
    """Cron schedules of saved tests (changes audited)."""

    def all(self, test_id: int | None = None) -> list[Schedule]:
        with self._reading("list the schedules in {db}") as connection:
            return schedule_rows.list_schedules(connection, test_id)

    def get(self, schedule_id: int) -> Schedule:
        with self._reading("read a schedule in {db}") as connection:
            return schedule_rows.get_schedule(connection, schedule_id)

    def add(self, test_id: int, cron: str, options: dict[str, Any], *,
            actor: str) -> Schedule:
        with self._audited("add a schedule to {db}", actor) as audit:
            found = schedule_rows.add_schedule(self._engine, test_id, cron, options, actor)
            audit("created", "schedule", f"{found.id} test {test_id}", {"cron": cron})
        return found

    def remove(self, schedule_id: int, *, actor: str) -> Schedule:
        with self._audited("remove a schedule from {db}", actor) as audit:
            found = schedule_rows.remove_schedule(self._engine, schedule_id)
            audit("deleted", "schedule", f"{found.id} test {found.test_id}")
        return found

    def claim(self, schedule: Schedule, due: datetime) -> bool:
        with self._errors("claim a schedule in {db}"):
            return schedule_rows.claim(self._engine, schedule, due)

    def record_firing(self, schedule_id: int, launch_id: int | None,
                      message: str | None) -> None:
        with self._errors("record a schedule's run in {db}"):
            schedule_rows.record_firing(self._engine, schedule_id, launch_id, message)


class Webhooks(_Audited):
    """Webhooks of saved tests (changes audited, URLs masked there) and their deliveries."""

    def of_test(self, test_id: int) -> list[Webhook]:
        with self._reading("list webhooks in {db}") as connection:
            return hook_rows.list_webhooks(connection, test_id)

    def get(self, webhook_id: int) -> Webhook:
        with self._reading("read a webhook in {db}") as connection:
            return hook_rows.get_webhook(connection, webhook_id)

    def add(self, test_id: int, url: str, format_: str, events: list[str],
            base_url: str | None, *, actor: str) -> Webhook:
        with self._audited("add a webhook to {db}", actor) as audit:
            hook = hook_rows.add_webhook(self._engine, test_id, url, format_, events,
                                         base_url, actor)
            audit("created", "webhook", f"{hook.id} test {test_id}",
                  {"url": hook.masked, "events": list(hook.events)})
        return hook

    def remove(self, webhook_id: int, *, actor: str) -> Webhook:
        with self._audited("remove a webhook from {db}", actor) as audit:
            hook = hook_rows.remove_webhook(self._engine, webhook_id)
            audit("deleted", "webhook", f"{hook.id} test {hook.test_id}",
                  {"url": hook.masked})
        return hook

    def deliveries(self, webhook_id: int, limit: int = 50) -> list[Delivery]:
        with self._reading("list deliveries in {db}") as connection:
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


class Nodes(_Part):
    """Registered generator nodes and their assignment to runs."""

    def all(self) -> list[Node]:
        with self._reading("list the nodes in {db}") as connection:
            return node_rows.list_nodes(connection)

    def heartbeat(self, name: str, region: str, owner: str, address: str | None,
                  busy: bool) -> tuple[Node, dict[str, Any] | None]:
        with self._errors("record a node's heartbeat in {db}"):
            return node_rows.heartbeat(self._engine, name, region, owner, address, busy)

    def assign(self, launch_id: int, wanted: Mapping[str, int]) -> list[Node]:
        with self._errors("assign nodes in {db}"):
            return node_rows.assign(self._engine, launch_id, wanted)

    def release(self, launch_id: int) -> None:
        with self._errors("release nodes in {db}"):
            node_rows.release(self._engine, launch_id)
