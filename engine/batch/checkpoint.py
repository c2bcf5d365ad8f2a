"""Output that is never half-written, and a checkpoint to resume a killed run from.

Rows go to ``OUT.partial`` (and ``ERRORS.partial``) beside the final files; after every chunk both
are fsync'd and then ``OUT.checkpoint`` records how far the input was read and how long each
partial file was. A killed run leaves only files whose names say they are incomplete. ``--resume``
checks that the input and the options are the same, cuts the partial files back to the recorded
lengths (dropping rows written after the last checkpoint) and reads on from the recorded offset,
so the finished files are byte for byte those of an uninterrupted run.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, BinaryIO

HEAD_BYTES = 1 << 20
TAIL_BYTES = 1 << 16
FORMAT = 1  # bump when the output format changes: an old checkpoint must not be continued


class ResumeError(ValueError):
    """The checkpoint does not belong to this input or these options."""


def head_hash(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.sha256(f.read(HEAD_BYTES)).hexdigest()


def fingerprint(path: Path, offset: int, head: str | None = None) -> dict[str, Any]:
    """Size, the first MB's hash and the hash of the 64 KB read last: enough to spot another file."""
    head = head or head_hash(path)
    with path.open("rb") as f:
        start = max(0, offset - TAIL_BYTES)
        f.seek(start)
        tail = hashlib.sha256(f.read(offset - start)).hexdigest()
    return {"size": path.stat().st_size, "head_sha256": head, "before_offset_sha256": tail}


@dataclass
class Checkpoint:
    options: dict[str, Any]
    offset: int  # input bytes read and settled (a record boundary)
    line: int  # the physical line that starts at ``offset``
    out_bytes: int
    err_bytes: int
    totals: dict[str, Any] = field(default_factory=dict)
    input: dict[str, Any] = field(default_factory=dict)
    format: int = FORMAT


TOTALS = ("read", "decided", "rejected", "blank")


def _damage(cp: Checkpoint) -> str | None:
    """What in a parsed checkpoint has the wrong type, or None: a checkpoint edited by hand or
    cut short must be refused here, not crash the run halfway through resuming."""
    for name in ("offset", "line", "out_bytes", "err_bytes", "format"):
        value = getattr(cp, name)
        if type(value) is not int or value < 0:
            return f"{name} 应为非负整数，而不是 {value!r}"
    for name in ("options", "totals", "input"):
        if not isinstance(getattr(cp, name), dict):
            return f"{name} 应为一组字段"
    as_of = cp.options.get("as_of")
    try:
        date.fromisoformat(str(as_of))
    except ValueError:
        return f"as_of 不是日期：{as_of!r}"
    if set(cp.totals) - {*TOTALS, "counts"} or not all(type(cp.totals.get(k, 0)) is int for k in TOTALS):
        return "totals 中的计数不是整数"
    counts = cp.totals.get("counts", {})
    if not isinstance(counts, dict) or not all(type(n) is int for n in counts.values()):
        return "totals.counts 中的计数不是整数"
    return None


def read_checkpoint(path: Path) -> Checkpoint | None:
    """The checkpoint at ``path`` (None if there is none); a damaged one is refused."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        cp = Checkpoint(**data)
    except FileNotFoundError:
        return None
    except (ValueError, TypeError) as err:
        raise ResumeError(f"检查点文件 {path} 已损坏（{err}）") from None
    if (problem := _damage(cp)) is not None:
        raise ResumeError(f"检查点文件 {path} 已损坏（{problem}）；请去掉 --resume 重新运行")
    return cp


def write_checkpoint(path: Path, cp: Checkpoint) -> None:
    """Replace the checkpoint atomically, after the rows it counts are on disk."""
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as f:
        json.dump(asdict(cp), f, ensure_ascii=False)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def same_options(cp: Checkpoint, options: dict[str, Any]) -> None:
    """Refuse to continue a run of another output format or with other options, naming each."""
    if cp.format != FORMAT:
        raise ResumeError("检查点来自另一版本的输出格式，不能续跑；请去掉 --resume 重新运行")
    changed = [k for k in sorted(set(options) | set(cp.options)) if options.get(k) != cp.options.get(k)]
    if changed:
        raise ResumeError(
            "选项与中断的运行不同，不能续跑："
            + "；".join(f"{k} 原为 {cp.options.get(k)}，现为 {options.get(k)}" for k in changed)
        )


def _fsync_dir(path: Path) -> None:
    fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Outputs:
    """The partial output and error files and their checkpoint, for one run."""

    def __init__(self, out: Path, errors: Path):
        self.out, self.errors = out, errors
        self.out_part = out.with_name(out.name + ".partial")
        self.err_part = errors.with_name(errors.name + ".partial")
        self.checkpoint = out.with_name(out.name + ".checkpoint")
        self._out: BinaryIO | None = None
        self._err: BinaryIO | None = None

    def load(self) -> Checkpoint | None:
        return read_checkpoint(self.checkpoint)

    def verify(self, cp: Checkpoint, source: Path, options: dict[str, Any]) -> None:
        """Refuse to continue with another input, other options or partial files that were cut short."""
        same_options(cp, options)
        if fingerprint(source, cp.offset) != cp.input:
            raise ResumeError(f"输入文件 {source} 与中断的运行读到的文件不同（大小或内容已变），不能续跑")
        finishing = not self.err_part.exists() and self.out_part.exists() and self.errors.exists()
        if finishing and self.errors.stat().st_size == cp.err_bytes:
            # Killed while finishing, between the two renames: the errors file is already complete.
            os.replace(self.errors, self.err_part)
        for part, size in ((self.out_part, cp.out_bytes), (self.err_part, cp.err_bytes)):
            if not part.exists() or part.stat().st_size < size:
                raise ResumeError(f"未完成的输出 {part} 缺失或比检查点记录的短，不能续跑")

    def start(self, out_head: bytes, err_head: bytes) -> tuple[int, int]:
        """Begin afresh: empty partial files holding just their headers."""
        self.discard()
        self._out, self._err = self.out_part.open("wb"), self.err_part.open("wb")
        return self.append(out_head, err_head)

    def reopen(self, cp: Checkpoint) -> None:
        """Continue: cut both partial files back to what the checkpoint vouches for."""
        self._out, self._err = self.out_part.open("r+b"), self.err_part.open("r+b")
        for f, size in ((self._out, cp.out_bytes), (self._err, cp.err_bytes)):
            f.truncate(size)
            f.seek(size)

    def append(self, out: bytes, err: bytes) -> tuple[int, int]:
        """Write one chunk's rows and make them durable; returns both files' lengths."""
        assert self._out is not None and self._err is not None
        for f, data in ((self._out, out), (self._err, err)):
            if data:
                f.write(data)
            f.flush()
            os.fsync(f.fileno())
        return self._out.tell(), self._err.tell()

    def save(self, cp: Checkpoint) -> None:
        write_checkpoint(self.checkpoint, cp)

    def finish(self) -> None:
        """Rename the complete files into place; only then is the checkpoint removed."""
        self.close()
        os.replace(self.err_part, self.errors)
        os.replace(self.out_part, self.out)
        _fsync_dir(self.errors)
        _fsync_dir(self.out)
        self.checkpoint.unlink(missing_ok=True)

    def close(self) -> None:
        for f in (self._out, self._err):
            if f is not None:
                f.close()
        self._out = self._err = None

    def discard(self) -> None:
        self.close()
        tmp = self.checkpoint.with_name(self.checkpoint.name + ".tmp")
        for path in (self.out_part, self.err_part, self.checkpoint, tmp):
            path.unlink(missing_ok=True)
