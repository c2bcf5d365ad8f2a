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
import shutil
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, BinaryIO

from engine.batch.refusal import Refusal
from engine.values import Words

HEAD_BYTES = 1 << 20
TAIL_BYTES = 1 << 16
FORMAT = 1  # bump when the output format changes: an old checkpoint must not be continued


class ResumeError(Refusal):
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


TOTALS = ("read", "decided", "rejected", "blank", "examples")


def _damage(cp: Checkpoint) -> Words | None:
    """What in a parsed checkpoint has the wrong type, or None: a checkpoint edited by hand or
    cut short must be refused here, not crash the run halfway through resuming."""
    for name in ("offset", "line", "out_bytes", "err_bytes", "format"):
        value = getattr(cp, name)
        if type(value) is not int or value < 0:
            return Words(
                f"{name} 应为非负整数，而不是 {value!r}",
                f"{name} should be a whole number ≥ 0, not {value!r}",
            )
    for name in ("options", "totals", "input"):
        if not isinstance(getattr(cp, name), dict):
            return Words(f"{name} 应为一组字段", f"{name} should be a set of fields")
    as_of = cp.options.get("as_of")
    try:
        date.fromisoformat(str(as_of))
    except ValueError:
        return Words(f"as_of 不是日期：{as_of!r}", f"as_of is not a date: {as_of!r}")
    if set(cp.totals) - {*TOTALS, "counts"} or not all(type(cp.totals.get(k, 0)) is int for k in TOTALS):
        return Words("totals 中的计数不是整数", "the counts in totals are not whole numbers")
    counts = cp.totals.get("counts", {})
    if not isinstance(counts, dict) or not all(type(n) is int for n in counts.values()):
        return Words("totals.counts 中的计数不是整数", "the counts in totals.counts are not whole numbers")
    return None


def read_checkpoint(path: Path) -> Checkpoint | None:
    """The checkpoint at ``path`` (None if there is none); a damaged one is refused."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        cp = Checkpoint(**data)
    except FileNotFoundError:
        return None
    except (ValueError, TypeError):  # not JSON, or not a checkpoint's fields
        raise ResumeError(
            f"检查点文件 {path} 已损坏（不是本程序写的检查点）；请去掉 --resume 重新运行",
            f"The checkpoint {path} is damaged (not a checkpoint this program wrote): leave out --resume "
            "to run afresh",
        ) from None
    if (problem := _damage(cp)) is not None:
        raise ResumeError(
            f"检查点文件 {path} 已损坏（{problem}）；请去掉 --resume 重新运行",
            f"The checkpoint {path} is damaged ({problem.en}): leave out --resume to run afresh",
        )
    return cp


def no_checkpoint(checkpoint: Path) -> ResumeError:
    """``--resume`` with nothing to resume: the results there (if any) are a finished run's."""
    return ResumeError(
        f"没有可续跑的检查点（{checkpoint.name}）：上次的运行已经完成或从未开始，结果不会被覆盖；"
        "要重新评估，请去掉 --resume",
        f"No checkpoint to resume ({checkpoint.name}): the last run finished or never started, and "
        "its results are not replaced; to evaluate again, leave out --resume",
    )


def leftovers(out: Path, errors: Path) -> list[Path]:
    """Every file a run of ``out`` leaves while unfinished (CSV and Parquet runs alike)."""
    names = (".partial", ".checkpoint", ".checkpoint.tmp", ".tmp", ".parts")
    return [out.with_name(out.name + n) for n in names] + [errors.with_name(errors.name + ".partial")]


def has_checkpoint(out: Path) -> bool:
    """A run of ``out`` stopped after a checkpoint, so ``--resume`` can go on from it."""
    return out.with_name(out.name + ".checkpoint").exists()


def clear_unresumable(out: Path, errors: Path) -> bool:
    """After a run stopped: True if it can be resumed (a checkpoint is there); otherwise its
    partial files are removed (nothing in them could be continued) and False."""
    if has_checkpoint(out):
        return True
    for path in leftovers(out, errors):
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    return False


def _copy_into(part: Path, target: BinaryIO) -> None:
    """A worker's file of rows appended to ``target``, then removed."""
    with part.open("rb") as f:
        copy_bytes(f, target, os.fstat(f.fileno()).st_size)
    part.unlink()


def copy_bytes(src: BinaryIO, dst: BinaryIO, size: int) -> None:
    """``size`` bytes of ``src`` from its position appended to ``dst``, by the kernel where it can
    (no copy through Python), else through Python."""
    dst.flush()
    start, done = src.tell(), 0
    try:
        while done < size and (moved := os.copy_file_range(src.fileno(), dst.fileno(), size - done)):
            done += moved
    except (AttributeError, OSError):  # no such call here, or not between these file systems
        pass
    dst.seek(0, os.SEEK_END)
    src.seek(start + done)
    while done < size:  # the rest through Python
        data = src.read(min(size - done, 1 << 20))
        if not data:
            raise EOFError(f"{getattr(src, 'name', src)} ends {size - done} bytes early")
        dst.write(data)
        done += len(data)


def write_checkpoint(path: Path, cp: Checkpoint) -> None:
    """Replace the checkpoint atomically, after the rows it counts are on disk; a run stopped while
    writing it (Ctrl-C, SIGTERM, a full disk) keeps the one before and leaves no half-written copy."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        with tmp.open("w", encoding="utf-8") as f:
            json.dump(asdict(cp), f, ensure_ascii=False)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def same_options(cp: Checkpoint, options: dict[str, Any]) -> None:
    """Refuse to continue a run of another output format or with other options, naming each."""
    if cp.format != FORMAT:
        raise ResumeError(
            "检查点来自另一版本的输出格式，不能续跑；请去掉 --resume 重新运行",
            "The checkpoint is of another version's output format: leave out --resume to run afresh",
        )
    unchanged(cp.options, options, "中断的运行", "the interrupted run")


def unchanged(old: dict[str, Any], new: dict[str, Any], zh: str, en: str) -> None:
    """Refuse to go on with other options than ``zh``/``en`` (the earlier run) had, naming each
    option with both its values."""
    changed = [k for k in sorted(set(new) | set(old)) if new.get(k) != old.get(k)]
    if changed:
        raise ResumeError(
            f"选项与{zh}不同，不能续跑："
            + "；".join(f"{k} 原为 {_worded(old.get(k))}，现为 {_worded(new.get(k))}" for k in changed),
            f"The options differ from {en}'s, so it cannot be continued: "
            + "; ".join(
                f"{k} was {_worded(old.get(k), 'en')}, now {_worded(new.get(k), 'en')}" for k in changed
            ),
        )


def _worded(value: Any, lang: str = "zh") -> str:
    """An option's value as a person reads it: 是/否, columns' names joined, 无 for none (never
    Python's True, [] or None)."""
    zh = lang == "zh"
    if isinstance(value, bool):
        return ("是" if value else "否") if zh else ("yes" if value else "no")
    if isinstance(value, list):
        value = ("、" if zh else ", ").join(map(str, value))
    if value is None or value == "":
        return "无" if zh else "none"
    return str(value)


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
        self.hand_over = out.with_name(out.name + ".parts")  # workers' chunk rows, until appended
        self._out: BinaryIO | None = None
        self._err: BinaryIO | None = None

    def load(self) -> Checkpoint | None:
        return read_checkpoint(self.checkpoint)

    def verify(self, cp: Checkpoint, source: Path, options: dict[str, Any]) -> None:
        """Refuse to continue with another input, other options or partial files that were cut short."""
        same_options(cp, options)
        if fingerprint(source, cp.offset) != cp.input:
            raise ResumeError(
                f"输入文件 {source} 与中断的运行读到的文件不同（大小或内容已变），不能续跑",
                f"The input {source} is not the file the interrupted run read (its size or content has "
                "changed), so it cannot be continued",
            )
        finishing = not self.err_part.exists() and self.out_part.exists() and self.errors.exists()
        if finishing and self.errors.stat().st_size == cp.err_bytes:
            # Killed while finishing, between the two renames: the errors file is already complete.
            os.replace(self.errors, self.err_part)
        for part, size in ((self.out_part, cp.out_bytes), (self.err_part, cp.err_bytes)):
            if not part.exists() or part.stat().st_size < size:
                raise ResumeError(
                    f"未完成的输出 {part} 缺失或比检查点记录的短，不能续跑",
                    f"The unfinished output {part} is missing or shorter than the checkpoint records, "
                    "so the run cannot be continued",
                )

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

    def append(self, out: bytes, err: bytes, out_file: str | None = None) -> tuple[int, int]:
        """Write one chunk's rows (``out``, or a worker's file of them) and make them durable;
        returns both files' lengths."""
        assert self._out is not None and self._err is not None
        for f, data in ((self._out, out), (self._err, err)):
            if data:
                f.write(data)
            f.flush()
        if out_file is not None:
            _copy_into(Path(out_file), self._out)
        for f in (self._out, self._err):
            os.fsync(f.fileno())
        return self._out.tell(), self._err.tell()

    def hand_over_folder(self) -> Path:
        """A fresh, empty folder for the workers' chunk rows (``chunk.handed_over``)."""
        shutil.rmtree(self.hand_over, ignore_errors=True)
        self.hand_over.mkdir()
        return self.hand_over

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
        shutil.rmtree(self.hand_over, ignore_errors=True)

    def discard(self) -> None:
        self.close()
        tmp = self.checkpoint.with_name(self.checkpoint.name + ".tmp")
        for path in (self.out_part, self.err_part, self.checkpoint, tmp):
            path.unlink(missing_ok=True)
