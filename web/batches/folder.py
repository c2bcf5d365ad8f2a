"""One batch run's folder, instance/batches/<ref>/: its files, its status and how far it has got.

The folder is the only thing the web server and the job process share. The job writes
``status.json`` (atomically); the engine writes the checkpoint after every chunk; the web side
reads both and never writes while a job runs. Whether a job is running is told by a lock the job
holds for its whole life (``job.lock``): unlike a pid it cannot be reused by another process, and
a killed job releases it at once, even while its parent has not yet reaped it.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from engine.batch.checkpoint import Outputs
from web.settings import private_file, private_folder

ROOT = "batches"  # under the app's instance folder


@dataclass
class Status:
    """What the job last said: running (with its pid), done (with totals) or failed (with why)."""

    state: str
    pid: int | None = None
    totals: dict[str, Any] | None = None
    summary: str = ""  # engine.batch.run.summary's text, as the CLI prints it
    error: str = ""
    finished_at: str | None = None  # ISO, UTC
    error_en: str = ""  # ``error`` in English, for the English desk


@dataclass(frozen=True)
class Progress:
    """The run as a page shows it: the state, the share of the input read and the counts so far."""

    state: str  # running | done | failed | interrupted (running, but no job holds the lock)
    percent: int
    read: int = 0
    decided: int = 0
    rejected: int = 0
    blank: int = 0
    counts: dict[str, int] = field(default_factory=dict)  # "program|status" → cases, when done
    error: str = ""  # why it failed
    error_en: str = ""  # the same in English

    def why(self, lang: str) -> str:
        """Why it failed, in the page's language."""
        return self.error_en if lang == "en" and self.error_en else self.error

    @classmethod
    def finished(cls, totals: dict[str, Any]) -> Progress:
        """A finished run, from the engine's totals (its status file, or the database row)."""
        return cls("done", 100, counts=dict(totals.get("counts", {})), **_counts(totals))


@dataclass(frozen=True)
class RunFolder:
    path: Path

    @classmethod
    def of(cls, instance_path: str | Path, ref: str) -> RunFolder:
        return cls(Path(instance_path) / ROOT / ref)

    @property
    def input(self) -> Path:
        return self.path / "input.csv"

    @property
    def result(self) -> Path:
        return self.path / "result.csv"

    @property
    def errors(self) -> Path:
        return self.path / "errors.csv"

    @property
    def checkpoint(self) -> Path:
        return Outputs(self.result, self.errors).checkpoint

    @property
    def job(self) -> Path:
        return self.path / "job.json"  # the run's options, written once at upload

    @property
    def settings(self) -> Path:
        return self.path / "districts.json"  # the desk's district settings when the run was uploaded

    @property
    def log(self) -> Path:
        return self.path / "run.log"

    @property
    def status_file(self) -> Path:
        return self.path / "status.json"

    @property
    def lock(self) -> Path:
        return self.path / "job.lock"

    def create(self) -> None:
        """The folder, readable by the server's user only: registries carry ID numbers."""
        private_folder(self.path.parent)
        self.path.mkdir(mode=0o700)

    def open_private(self, path: Path, mode: str = "wb") -> BinaryIO:
        """One of the folder's files opened for writing, readable by the server's user only."""
        return os.fdopen(private_file(path, append=mode.startswith("a")), mode)

    def write_job(self, options: dict[str, Any]) -> None:
        with self.open_private(self.job) as out:
            out.write(json.dumps(options, ensure_ascii=False).encode("utf-8"))

    def write_settings(self, book: dict[str, Any]) -> None:
        """The district settings the run evaluates with (the desk's, as a districts table)."""
        with self.open_private(self.settings) as out:
            out.write(json.dumps(book, ensure_ascii=False).encode("utf-8"))

    def read_job(self) -> dict[str, Any]:
        return json.loads(self.job.read_text(encoding="utf-8"))

    def write_status(self, status: Status) -> None:
        """Replace status.json atomically: a reader sees the old or the new one, never half."""
        tmp = self.status_file.with_name("status.json.tmp")
        with self.open_private(tmp) as out:
            out.write(json.dumps(asdict(status), ensure_ascii=False).encode("utf-8"))
        os.replace(tmp, self.status_file)

    def read_status(self) -> Status:
        try:
            return Status(**json.loads(self.status_file.read_text(encoding="utf-8")))
        except FileNotFoundError:
            gone = "The run's folder no longer holds its files"
            return Status("failed", error="运行目录中的文件已不存在", error_en=gone)

    def take_lock(self) -> int | None:
        """The lock's descriptor, locked, if no job (or launcher) holds it; None if one does.

        The lock lasts while the descriptor, or a copy a child inherits, stays open (flock is per
        open file, so closing another descriptor of the same file never releases it).
        """
        import fcntl  # POSIX only, like the engine's fork pool; imported here so the desk starts elsewhere

        fd = os.open(self.lock, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        return fd

    def alive(self) -> bool:
        """Does a job (or its launcher) hold the lock? Probing takes it only for an instant."""
        fd = self.take_lock()
        if fd is None:
            return True
        os.close(fd)
        return False

    def state(self) -> tuple[str, Status]:
        """The state to show, and the status it comes from."""
        status = self.read_status()
        if status.state != "running" or self.alive():
            return status.state, status
        status = self.read_status()  # read again: the job may have finished since the first read
        return ("interrupted" if status.state == "running" else status.state), status

    def progress(self) -> Progress:
        state, status = self.state()
        if state == "done" and status.totals is not None:
            return Progress.finished(status.totals)
        try:
            checkpoint = json.loads(self.checkpoint.read_text(encoding="utf-8"))
            share = checkpoint["offset"] / max(self.input.stat().st_size, 1)
            totals = checkpoint["totals"]
        except (FileNotFoundError, ValueError, KeyError):
            return Progress(state, 0, error=status.error, error_en=status.error_en)  # no chunk finished yet
        share = min(int(share * 100), 99)
        return Progress(state, share, error=status.error, error_en=status.error_en, **_counts(totals))


def _counts(totals: dict[str, Any]) -> dict[str, int]:
    return {k: int(totals.get(k, 0)) for k in ("read", "decided", "rejected", "blank")}
