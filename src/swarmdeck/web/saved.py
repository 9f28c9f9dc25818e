"""What the saved-test pages and API share: reading a locustfile from an upload or from the
server's allowed folder (checked, never executed), and a saved test as JSON."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import current_app

from swarmdeck.errors import BadInput, LocustfileError
from swarmdeck.launch.locustcheck import MAX_BYTES, check_locustfile
from swarmdeck.store import Store
from swarmdeck.store.platform import Accounts, SavedTests
from swarmdeck.store.saved_tests import SavedTest, StoredLocustfile, TestVersion


def saved_tests() -> SavedTests:
    found: SavedTests = current_app.extensions["swarmdeck_saved_tests"]
    return found


def init_app(store: Store, accounts: Accounts) -> SavedTests:
    return SavedTests(store, accounts)


def from_upload(name: str, data: bytes) -> StoredLocustfile:
    checked = check_locustfile(name, data)
    return StoredLocustfile(checked.name, checked.source, checked.sha256)


def from_path(given: str) -> StoredLocustfile:
    """A locustfile under the server's allowed folder (``--locustfile-dir``)."""
    folder = current_app.config.get("LOCUSTFILE_DIR")
    if not folder:
        raise BadInput("this server reads no locustfiles from its disk",
                       "upload the file, or start `swarmdeck serve` with --locustfile-dir")
    root = Path(folder).resolve()
    path = (root / given).resolve()
    if not path.is_relative_to(root) or path == root:
        raise BadInput(f"{given[:200]!r} is not under the allowed folder",
                       "give a path relative to --locustfile-dir")
    if not path.is_file():
        raise LocustfileError(f"no locustfile {given[:200]!r} in the allowed folder",
                              "check the name")
    with path.open("rb") as handle:
        data = handle.read(MAX_BYTES + 1)
    checked = check_locustfile(path.name, data)
    return StoredLocustfile(checked.name, checked.source, checked.sha256,
                            str(path.relative_to(root)))


def locustfile_json(locustfile: StoredLocustfile, *, source: bool) -> dict[str, Any]:
    data: dict[str, Any] = {"name": locustfile.name, "sha256": locustfile.sha256,
                            "path": locustfile.path}
    if source:
        data["source"] = locustfile.source
    return data


def version_json(version: TestVersion, *, source: bool = False) -> dict[str, Any]:
    return {"test_id": version.test_id, "version": version.version,
            "created_by": version.created_by, "created_at": version.created_at.isoformat(),
            "locustfile": locustfile_json(version.locustfile, source=source),
            "settings": version.settings}


def saved_test_json(test: SavedTest) -> dict[str, Any]:
    return {"id": test.id, "name": test.name, "created_by": test.created_by,
            "created_at": test.created_at.isoformat(), "versions": test.versions,
            "current": version_json(test.current)}
