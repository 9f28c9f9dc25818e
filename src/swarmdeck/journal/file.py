"""A journal on disk: created by a run's writer, appended to, read back, compacted once the
store has everything, kept when it does not, and read again by ``swarmdeck import``.

The writer holds an exclusive ``flock`` on the file while its run lives, so an import
cannot replay a journal that is still being written. Appends are not fsync'ed one by one:
the journal is there for a store that does not answer and for a process that dies, whose
written bytes the operating system keeps; it is fsync'ed when it is kept at the end.
"""

from __future__ import annotations

import errno
import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from swarmdeck.errors import BadInput, CouldNotRun
from swarmdeck.journal.format import (
    BadRecord,
    Finish,
    Header,
    Problem,
    decode,
    encode,
    parse,
)
from swarmdeck.store.records import Batch


def journal_path(folder: Path, run_id: int) -> Path:
    """Where run ``run_id`` keeps its journal, in its local folder (store.local_folder)."""
    return folder / "journal" / f"run-{run_id}.journal"


class JournalFile:
    """The writer's side: an append-only file of records, the header first."""

    def __init__(self, path: Path, fd: int, header: Header, header_size: int) -> None:
        self.path = path
        self.header = header
        self._fd: int | None = fd
        self._header_size = header_size
        self._size = header_size

    @classmethod
    def create(cls, path: Path, header: Header) -> JournalFile:
        """A new journal holding only its header; OSError when it cannot be written."""
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            line = encode(header)
            _write_all(fd, line)
        except BaseException:
            os.close(fd)
            path.unlink(missing_ok=True)
            raise
        return cls(path, fd, header, len(line))

    @property
    def open(self) -> bool:
        return self._fd is not None

    @property
    def size(self) -> int:
        return self._size

    def _handle(self) -> int:
        if self._fd is None:
            raise OSError(errno.EBADF, f"the journal {self.path} is closed")
        return self._fd

    def append(self, record: Batch | Finish) -> tuple[int, int]:
        """Write one record at the end; its (offset, length). On failure (a full disk) the
        file is cut back to where it was, so that no half record sits before later ones,
        and OSError is raised."""
        fd = self._handle()
        line = encode(record)
        offset = self._size
        try:
            _write_all(fd, line)
        except OSError:
            try:
                os.ftruncate(fd, offset)
            except OSError:
                pass
            raise
        self._size += len(line)
        return offset, len(line)

    def read(self, offset: int, length: int) -> Batch | Finish:
        """The record ``append`` wrote at ``offset``."""
        data = os.pread(self._handle(), length, offset)
        record = decode(data.rstrip(b"\n"))
        if isinstance(record, Header):
            raise BadRecord(f"a header at byte {offset:,}")
        return record

    def compact(self) -> None:
        """Forget every record (the store has them all): the header alone remains."""
        os.ftruncate(self._handle(), self._header_size)
        self._size = self._header_size

    def keep(self) -> None:
        """Leave the file for `swarmdeck import`: fsync'ed and closed."""
        fd = self._handle()
        try:
            os.fsync(fd)
        finally:
            self._close()

    def delete(self) -> None:
        """The store has everything: remove the file."""
        try:
            self.path.unlink(missing_ok=True)
        finally:
            self._close()

    def _close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # releases the lock
            self._fd = None


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


# -- reading a journal back (swarmdeck import) ----------------------------------------------

@dataclass(frozen=True)
class Contents:
    """What a journal holds: its header, its batches in order, the run's finish (the last
    one written, if the run got that far), and the lines skipped."""

    path: Path
    header: Header
    batches: tuple[Batch, ...]
    finish: Finish | None
    problems: tuple[Problem, ...]


@contextmanager
def opened(path: Path) -> Iterator[Contents]:
    """Read the journal at ``path`` and hold its lock while the caller imports it.

    BadInput when it is missing or not a journal; CouldNotRun when its run's process still
    writes it."""
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        raise BadInput(f"no journal at {path}", "give the path printed when the run "
                       "ended (`results kept in ...`)") from None
    except OSError as exc:
        raise BadInput(f"cannot open the journal {path}: {exc.strerror or exc}",
                       "check the path and its permissions") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise CouldNotRun(f"the journal {path} is still being written by its run",
                              "import it once that run has ended") from None
        yield read(path, _read_all(fd))
    finally:
        os.close(fd)


def _read_all(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, 1 << 20):
        chunks.append(chunk)
    return b"".join(chunks)


def read(path: Path, data: bytes) -> Contents:
    """A journal's contents from its bytes; BadInput when it has no intact header."""
    parsed = parse(data)
    records = [record for _, _, record in parsed.records]
    if not records or not isinstance(records[0], Header) or parsed.records[0][0] != 0:
        raise BadInput(f"{path} is not a swarmdeck journal (no journal header on its first "
                       "line)", "give the path printed when the run ended")
    header = records[0]
    batches = tuple(r for r in records[1:] if isinstance(r, Batch))
    finishes = [r for r in records[1:] if isinstance(r, Finish)]
    return Contents(path=path, header=header, batches=batches,
                    finish=finishes[-1] if finishes else None,
                    problems=tuple(parsed.problems))
