"""A schema-driven flatbuffers verifier and reader, in pure Python.

It mirrors the checks of the C++ ``flatbuffers::Verifier`` (offsets, vtables,
vectors and strings inside the buffer and aligned; bounded depth and table
count), driven by a layout table such as :mod:`flowerlite._tflite_layout`.
Reading through :class:`Table` after :func:`verify` succeeds never leaves the
buffer. Errors are :class:`VerifyError` with the byte offset involved.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping

_U16 = struct.Struct("<H")
_U32 = struct.Struct("<I")
_I32 = struct.Struct("<i")
_SCALAR_FORMATS = {1: "<B", 2: "<H", 4: "<I", 8: "<Q"}

MAX_DEPTH = 64
MAX_TABLES = 1_000_000
# Offsets are 32-bit: a flatbuffer is at most 2 GiB (larger files put data after it).
MAX_BUFFER_SIZE = 2**31 - 1


class VerifyError(ValueError):
    """The buffer is not a well-formed flatbuffer of the expected schema."""


class _Verifier:
    def __init__(self, buf: bytes, tables: Mapping, unions: Mapping) -> None:
        self.buf = buf
        self.size = min(len(buf), MAX_BUFFER_SIZE)
        self.tables = tables
        self.unions = unions
        self.table_count = 0

    def fail(self, what: str, pos: int) -> None:
        raise VerifyError(f"{what} at byte {pos}")

    def check(self, pos: int, length: int, align: int, what: str) -> None:
        if pos < 0 or length < 0 or pos + length > self.size:
            self.fail(f"{what} runs past the end of the data ({self.size} bytes)", pos)
        if align > 1 and pos % align:
            self.fail(f"{what} is misaligned", pos)

    def offset(self, pos: int, what: str) -> int:
        """Follows the uoffset stored at ``pos``; returns the target position."""
        self.check(pos, 4, 4, what)
        rel = _U32.unpack_from(self.buf, pos)[0]
        if rel == 0 or rel >= 2**31:
            self.fail(f"{what} has an invalid offset {rel}", pos)
        target = pos + rel
        self.check(target, 1, 1, what)
        return target

    def vector(self, pos: int, elem_size: int, what: str) -> int:
        """Checks a vector header and body; returns its length."""
        self.check(pos, 4, 4, what)
        count = _U32.unpack_from(self.buf, pos)[0]
        if count >= MAX_BUFFER_SIZE // max(elem_size, 1):
            self.fail(f"{what} claims {count} elements", pos)
        self.check(pos + 4, count * elem_size, 1, what)
        return count

    def string(self, pos: int, what: str) -> None:
        length = self.vector(pos, 1, what)
        end = pos + 4 + length
        self.check(end, 1, 1, f"{what} terminator")
        if self.buf[end] != 0:
            self.fail(f"{what} is not zero-terminated", end)

    def table(self, pos: int, name: str, depth: int) -> None:
        if depth > MAX_DEPTH:
            self.fail(f"{name} is nested too deeply", pos)
        self.table_count += 1
        if self.table_count > MAX_TABLES:
            self.fail("too many tables", pos)
        self.check(pos, 4, 4, name)
        vtable = pos - _I32.unpack_from(self.buf, pos)[0]
        self.check(vtable, 4, 2, f"{name} vtable")
        vt_size = _U16.unpack_from(self.buf, vtable)[0]
        if vt_size < 4 or vt_size % 2:
            self.fail(f"{name} vtable has invalid size {vt_size}", vtable)
        self.check(vtable, vt_size, 2, f"{name} vtable")
        for slot, kind in enumerate(self.tables[name]):
            entry = 4 + 2 * slot
            if entry >= vt_size:
                break
            field_off = _U16.unpack_from(self.buf, vtable + entry)[0]
            if field_off == 0 or kind == "unused":
                continue
            self.field(pos, pos + field_off, name, slot, kind, depth)

    def field(self, table: int, pos: int, name: str, slot: int, kind: str, depth: int) -> None:
        what = f"{name} field {slot}"
        tag, _, arg = kind.partition(":")
        if tag == "scalar":
            self.check(pos, int(arg), int(arg), what)
        elif tag == "string":
            self.string(self.offset(pos, what), what)
        elif tag == "vector":
            self.vector(self.offset(pos, what), int(arg), what)
        elif tag == "vstring":
            vec = self.offset(pos, what)
            for i in range(self.vector(vec, 4, what)):
                self.string(self.offset(vec + 4 + 4 * i, what), what)
        elif tag == "vtable":
            vec = self.offset(pos, what)
            for i in range(self.vector(vec, 4, what)):
                self.table(self.offset(vec + 4 + 4 * i, what), arg, depth + 1)
        elif tag == "table":
            self.table(self.offset(pos, what), arg, depth + 1)
        elif tag == "union":
            union_type = Table(self.buf, table).scalar(slot - 1, 1)
            target_name = self.unions[arg].get(union_type)
            # The offset itself must be sound whatever the type (flatc's Python follows it);
            # unknown members are then accepted unread, as the C++ verifier does.
            target = self.offset(pos, what)
            if union_type and target_name:
                self.table(target, target_name, depth + 1)
        else:  # pragma: no cover - layout tables are generated
            raise AssertionError(f"unknown layout kind {kind!r}")


def verify(buf: bytes, root: str, identifier: bytes, tables: Mapping, unions: Mapping) -> None:
    """Verifies ``buf`` as a flatbuffer with root table ``root`` and file identifier."""
    if len(buf) < 8:
        raise VerifyError(f"only {len(buf)} bytes, too short for a flatbuffer")
    if buf[4:8] != identifier:
        raise VerifyError(f"file identifier is {bytes(buf[4:8])!r}, expected {identifier!r}")
    verifier = _Verifier(buf, tables, unions)
    verifier.table(verifier.offset(0, "root offset"), root, 0)


class Table:
    """Read access to a table of an already verified buffer."""

    __slots__ = ("buf", "pos", "_vtable", "_vt_size")

    def __init__(self, buf: bytes, pos: int) -> None:
        self.buf = buf
        self.pos = pos
        self._vtable = pos - _I32.unpack_from(buf, pos)[0]
        self._vt_size = _U16.unpack_from(buf, self._vtable)[0]

    @classmethod
    def root(cls, buf: bytes) -> Table:
        """The root table of a verified buffer."""
        return cls(buf, _U32.unpack_from(buf, 0)[0])

    def _field(self, slot: int) -> int:
        entry = 4 + 2 * slot
        if entry >= self._vt_size:
            return 0
        off = _U16.unpack_from(self.buf, self._vtable + entry)[0]
        return self.pos + off if off else 0

    def has(self, slot: int) -> bool:
        return bool(self._field(slot))

    def scalar(self, slot: int, size: int, default: int | float = 0, fmt: str | None = None):
        pos = self._field(slot)
        if not pos:
            return default
        return struct.unpack_from(fmt or _SCALAR_FORMATS[size], self.buf, pos)[0]

    def _target(self, pos: int) -> int:
        return pos + _U32.unpack_from(self.buf, pos)[0]

    def table(self, slot: int) -> Table | None:
        pos = self._field(slot)
        return Table(self.buf, self._target(pos)) if pos else None

    def string(self, slot: int) -> str | None:
        pos = self._field(slot)
        if not pos:
            return None
        start = self._target(pos)
        length = _U32.unpack_from(self.buf, start)[0]
        return bytes(self.buf[start + 4 : start + 4 + length]).decode("utf-8", "replace")

    def vector(self, slot: int, fmt: str) -> tuple:
        """A vector of scalars, unpacked with struct format ``fmt`` (e.g. ``"i"``)."""
        pos = self._field(slot)
        if not pos:
            return ()
        start = self._target(pos)
        count = _U32.unpack_from(self.buf, start)[0]
        return struct.unpack_from(f"<{count}{fmt}", self.buf, start + 4)

    def bytes_span(self, slot: int) -> tuple[int, int] | None:
        """(start, length) of a ``[ubyte]`` vector, without copying it."""
        pos = self._field(slot)
        if not pos:
            return None
        start = self._target(pos)
        return start + 4, _U32.unpack_from(self.buf, start)[0]

    def tables(self, slot: int) -> list[Table]:
        pos = self._field(slot)
        if not pos:
            return []
        start = self._target(pos)
        count = _U32.unpack_from(self.buf, start)[0]
        return [Table(self.buf, self._target(start + 4 + 4 * i)) for i in range(count)]
