"""Parquet files joined by their bytes, as one writer would have written their tables in turn.

A Parquet file is ``PAR1``, its row groups' column chunks, a footer (Thrift compact ``FileMetaData``)
and the footer's length and ``PAR1``. Column chunks hold no file positions; the footer does (each
chunk's page offsets, each row group's offset and ordinal). So the workers' part files, written by
the same writer settings, are joined by copying their row groups' bytes (in the kernel) and writing
one footer: the parts' row groups with their offsets moved, under the head of an empty file of the
same writer. The result is byte for byte what ``ParquetWriter`` writes given the same tables, and
the main process neither decodes nor encodes any of them.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path
from typing import Any, BinaryIO

from engine.batch.checkpoint import copy_bytes

# Thrift compact types that occur in a Parquet footer
_TRUE, _FALSE, _BYTE, _I16, _I32, _I64 = 1, 2, 3, 4, 5, 6
_DOUBLE, _BINARY, _LIST, _SET, _STRUCT = 7, 8, 9, 10, 12

Struct = list[list[Any]]  # [field id, type, value] in the order written


def footer(path: Path) -> tuple[Struct, int]:
    """A Parquet file's footer, parsed, and where it starts."""
    with path.open("rb") as f:
        f.seek(-8, os.SEEK_END)
        size, magic = struct.unpack("<I4s", f.read(8))
        assert magic == b"PAR1", f"{path} is not a Parquet file"
        start = f.seek(-8 - size, os.SEEK_END)
        return _struct(f.read(size), 0)[0], start


def join(parts: list[Path], empty: bytes, out: BinaryIO) -> None:
    """``parts`` joined into ``out`` (at its start); ``empty``: the writer's file of no rows."""
    head = _struct(empty, len(empty) - 8 - struct.unpack("<I", empty[-8:-4])[0])[0]
    out.write(b"PAR1")
    groups: list[Struct] = []
    rows = 0
    for part in parts:
        meta, end = footer(part)
        moved = out.tell() - 4  # the part's bytes after its own PAR1 land here
        for group in _field(meta, 4, (_STRUCT, []))[1]:
            _move(group, moved, len(groups))
            groups.append(group)
        rows += _field(meta, 3, 0)
        with part.open("rb") as f:
            f.seek(4)
            copy_bytes(f, out, end - 4)
    meta = [[i, t, (_STRUCT, groups) if i == 4 else rows if i == 3 else v] for i, t, v in head]
    data = bytearray()
    _write_struct(data, meta)
    out.write(data + struct.pack("<I", len(data)) + b"PAR1")


def _field(fields: Struct, fid: int, default: Any) -> Any:
    return next((v for i, _, v in fields if i == fid), default)


def _move(group: Struct, by: int, ordinal: int) -> None:
    """A row group's file positions moved ``by`` bytes (0: unset, stays) and its ordinal set."""
    for field in group:
        fid, _, value = field
        if fid == 5 and value:  # RowGroup.file_offset
            field[2] += by
        elif fid == 7:  # RowGroup.ordinal
            field[2] = ordinal
        elif fid == 1:  # RowGroup.columns
            for column in value[1]:
                for c in column:
                    if c[0] in (2, 4, 6) and c[2]:  # ColumnChunk: file, offset index, column index
                        c[2] += by
                    elif c[0] == 3:  # ColumnMetaData: data, index, dictionary page, bloom filter
                        for m in c[2]:
                            if m[0] in (9, 10, 11, 14) and m[2]:
                                m[2] += by


# Thrift compact protocol: just what a Parquet footer uses, read and written back alike.


def _varint(b: bytes, i: int) -> tuple[int, int]:
    shift = out = 0
    while True:
        c = b[i]
        i += 1
        out |= (c & 0x7F) << shift
        shift += 7
        if c < 0x80:
            return out, i


def _struct(b: bytes, i: int) -> tuple[Struct, int]:
    fields: Struct = []
    last = 0
    while True:
        h = b[i]
        i += 1
        if h == 0:
            return fields, i
        t, delta = h & 0x0F, h >> 4
        if delta:
            fid = last + delta
        else:
            v, i = _varint(b, i)
            fid = (v >> 1) ^ -(v & 1)
        last = fid
        value, i = (t == _TRUE, i) if t in (_TRUE, _FALSE) else _value(b, i, t)
        fields.append([fid, t, value])


def _value(b: bytes, i: int, t: int) -> tuple[Any, int]:
    if t == _BYTE:
        return b[i], i + 1
    if t in (_I16, _I32, _I64):
        v, i = _varint(b, i)
        return (v >> 1) ^ -(v & 1), i
    if t == _DOUBLE:
        return b[i : i + 8], i + 8
    if t == _BINARY:
        n, i = _varint(b, i)
        return bytes(b[i : i + n]), i + n
    if t in (_LIST, _SET):
        n, kind = b[i] >> 4, b[i] & 0x0F
        i += 1
        if n == 15:
            n, i = _varint(b, i)
        items = []
        for _ in range(n):
            if kind in (_TRUE, _FALSE):
                items.append(b[i] == _TRUE)
                i += 1
            else:
                v, i = _value(b, i, kind)
                items.append(v)
        return (kind, items), i
    if t == _STRUCT:
        return _struct(b, i)
    raise ValueError(f"Thrift type {t} in a Parquet footer")


def _write_varint(out: bytearray, n: int) -> None:
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)


def _write_struct(out: bytearray, fields: Struct) -> None:
    last = 0
    for fid, t, value in fields:
        kind = (_TRUE if value else _FALSE) if t in (_TRUE, _FALSE) else t
        if 0 < fid - last <= 15:
            out.append((fid - last) << 4 | kind)
        else:
            out.append(kind)
            _write_varint(out, (fid << 1) ^ (fid >> 63))
        last = fid
        if t not in (_TRUE, _FALSE):
            _write_value(out, t, value)
    out.append(0)


def _write_value(out: bytearray, t: int, value: Any) -> None:
    if t == _BYTE:
        out.append(value)
    elif t in (_I16, _I32, _I64):
        _write_varint(out, (value << 1) ^ (value >> 63))
    elif t in (_DOUBLE,):
        out += value
    elif t == _BINARY:
        _write_varint(out, len(value))
        out += value
    elif t in (_LIST, _SET):
        kind, items = value
        out.append(len(items) << 4 | kind if len(items) < 15 else 0xF0 | kind)
        if len(items) >= 15:
            _write_varint(out, len(items))
        for item in items:
            if kind in (_TRUE, _FALSE):
                out.append(_TRUE if item else _FALSE)
            else:
                _write_value(out, kind, item)
    elif t == _STRUCT:
        _write_struct(out, value)
    else:
        raise ValueError(f"Thrift type {t} in a Parquet footer")
