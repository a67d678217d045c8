"""The addresses an import has already seen in its file, in bounded memory: an open-addressing
hash table in one bytearray (16 bytes a slot: the 64-bit hash of the address key, the record
number and the line of its first row), about 27 MB for a million distinct addresses where a
dict of strings would take ten times that. Two different keys share a 64-bit digest with a
probability of about 3·10⁻⁸ in a file of a million addresses."""

from __future__ import annotations

import struct

_SLOT = struct.Struct("<QII")
_EMPTY = 0


class SeenKeys:
    def __init__(self, capacity: int = 1 << 16) -> None:
        self._size = 1 << max(4, (capacity - 1).bit_length())
        self._buf = bytearray(self._size * _SLOT.size)
        self._count = 0

    def __len__(self) -> int:
        return self._count

    @staticmethod
    def _digest(key: str) -> int:
        # Python's own 64-bit string hash (SipHash, keyed per process): computed in C and
        # cached on the string. The table lives in one process only (a resumed run rebuilds
        # it from the file), so a per-process key is fine.
        return hash(key) & 0xFFFFFFFFFFFFFFFF or 1

    def first(self, key: str, record: int, line: int) -> tuple[int, int] | None:
        """(record, line) of the first row with this key; None (and remembered as this
        record) when it is new."""
        digest = self._digest(key)
        mask = self._size - 1
        i = digest & mask
        buf, unpack = self._buf, _SLOT.unpack_from
        while True:
            found, rec, ln = unpack(buf, i * 16)
            if found == _EMPTY:
                break
            if found == digest:
                return rec, ln
            i = (i + 1) & mask
        _SLOT.pack_into(buf, i * 16, digest, min(record, 0xFFFFFFFF), min(line, 0xFFFFFFFF))
        self._count += 1
        if self._count * 10 > self._size * 6:
            self._grow()
        return None

    def _grow(self) -> None:
        old, size = self._buf, self._size * 2
        self._buf, self._size = bytearray(size * _SLOT.size), size
        mask, buf = size - 1, self._buf
        for off in range(0, len(old), _SLOT.size):
            digest, rec, ln = _SLOT.unpack_from(old, off)
            if digest == _EMPTY:
                continue
            i = digest & mask
            while _SLOT.unpack_from(buf, i * 16)[0] != _EMPTY:
                i = (i + 1) & mask
            _SLOT.pack_into(buf, i * 16, digest, rec, ln)
