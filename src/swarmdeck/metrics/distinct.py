"""How many distinct strings a generator saw, in bounded memory, merged across workers.

Exact up to ``EXACT_UP_TO`` distinct strings (their 64-bit hashes are kept); beyond that a
HyperLogLog of ``REGISTERS`` one-byte registers estimates the count (standard error about
1.04/sqrt(1024) = 3.3%; linear counting, more precise, below ~2,500). The hash is stable
(BLAKE2b), not Python's per-process ``hash``, so two workers' counters merge: a string seen
by both counts once. Adding the same string again changes nothing.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from hashlib import blake2b

PRECISION = 10
REGISTERS = 1 << PRECISION  # 1,024
EXACT_UP_TO = 256  # distinct strings counted exactly (their hashes kept)
_REST_BITS = 64 - PRECISION
_REST_MASK = (1 << _REST_BITS) - 1


def stable_hash(text: str) -> int:
    """A 64-bit hash that is the same in every process."""
    data = text.encode("utf-8", "surrogatepass")
    return int.from_bytes(blake2b(data, digest_size=8).digest(), "big")


class DistinctCounter:
    """Exact (``hashes``, a set) until it holds more than EXACT_UP_TO hashes; from then on
    estimated (``registers``, a HyperLogLog). Exactly one of the two is not None."""

    __slots__ = ("hashes", "registers")

    def __init__(self, hashes: Iterable[int] | None = (),
                 registers: bytes | None = None) -> None:
        self.hashes: set[int] | None = None
        self.registers: bytearray | None = None
        if hashes is not None:
            self.hashes = set(hashes)
            if len(self.hashes) > EXACT_UP_TO:
                self._estimate()
        elif registers is not None and len(registers) == REGISTERS:
            self.registers = bytearray(registers)
        else:
            raise ValueError(f"a distinct counter needs its hashes or {REGISTERS} registers")

    def add(self, text: str) -> None:
        self.add_hash(stable_hash(text))

    def add_hash(self, value: int) -> None:
        hashes = self.hashes
        if hashes is not None:
            hashes.add(value)
            if len(hashes) > EXACT_UP_TO:
                self._estimate()
            return
        if self.registers is not None:
            _register(self.registers, value)

    def _estimate(self) -> None:
        """From now on estimated: the hashes seen so far go into registers."""
        registers = bytearray(REGISTERS)
        for value in self.hashes or ():
            _register(registers, value)
        self.hashes, self.registers = None, registers

    @property
    def exact(self) -> bool:
        """Whether ``count()`` is exact (at most EXACT_UP_TO distinct strings)."""
        return self.hashes is not None

    def count(self) -> int:
        if self.hashes is not None:
            return len(self.hashes)
        registers = self.registers or bytearray(REGISTERS)
        m = REGISTERS
        estimate = 0.7213 / (1 + 1.079 / m) * m * m / sum(2.0 ** -r for r in registers)
        zeros = registers.count(0)
        if zeros and estimate <= 2.5 * m:
            estimate = m * math.log(m / zeros)  # linear counting: better for small counts
        return max(round(estimate), EXACT_UP_TO + 1)  # it held more than EXACT_UP_TO

    def merge(self, other: DistinctCounter) -> None:
        if self.hashes is not None and other.hashes is not None:
            self.hashes |= other.hashes
            if len(self.hashes) > EXACT_UP_TO:
                self._estimate()
            return
        if self.hashes is not None:
            self._estimate()
        theirs = other.copy()
        if theirs.hashes is not None:
            theirs._estimate()
        self.registers = bytearray(max(a, b) for a, b in zip(
            self.registers or bytes(REGISTERS), theirs.registers or bytes(REGISTERS),
            strict=True))

    def copy(self) -> DistinctCounter:
        if self.hashes is not None:
            return DistinctCounter(self.hashes)
        return DistinctCounter(None, bytes(self.registers or b""))


def _register(registers: bytearray, value: int) -> None:
    """HyperLogLog: the register of the hash's first bits keeps the highest rank (leading
    zeros of the other bits, plus one) seen."""
    index, rest = value >> _REST_BITS, value & _REST_MASK
    registers[index] = max(registers[index], _REST_BITS - rest.bit_length() + 1)
