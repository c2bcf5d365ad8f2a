"""A batch run in a process of its own: ``python -m web.batches.job FOLDER [--resume]``.

The engine's worker pool is never started from one of the web server's threads: ``launch`` starts
this module as a separate process in a session of its own, which also outlives a restart of the
server.
It runs ``engine.batch.run.run`` exactly as ``subsidy batch`` does (same files, checkpoint, resume)
and reports through the folder's status.json; the web side copies the final counts into the
database when it first reads them, so this process never needs the database.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
import traceback
from datetime import UTC, date, datetime
from pathlib import Path

from engine.batch.checkpoint import ResumeError, has_checkpoint
from engine.batch.options import WorkerLost
from engine.batch.reader import FileError
from engine.batch.run import Options, run, summary
from engine.districts import districts
from engine.evaluate import default_engine
from web.batches.folder import RunFolder, Status


def launch(folder: RunFolder, resume: bool = False) -> bool:
    """Start the job on ``folder``; False, starting nothing, while a job still holds it."""
    fd = folder.take_lock()
    if fd is None:
        return False
    try:
        folder.write_status(Status("running"))
        command = [sys.executable, "-m", "web.batches.job", str(folder.path)]
        with folder.open_private(folder.log, "ab") as log:
            process = subprocess.Popen(
                [*command, "--resume"] if resume else command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                pass_fds=(fd,),  # the job inherits the lock taken here, so it is never free in between
                start_new_session=True,
            )
    finally:
        os.close(fd)
    threading.Thread(target=process.wait, daemon=True).start()  # reaped when it ends: no zombie
    return True


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m web.batches.job")
    parser.add_argument("folder", type=Path)
    parser.add_argument("--resume", action="store_true")
    args = parser.parse_args(argv)
    os.umask(0o077)  # the engine's files (results, errors, checkpoint) carry ID numbers: 0600
    folder = RunFolder(args.folder)
    job = folder.read_job()
    if folder.settings.exists():  # the desk's district settings, read as a deployment's own table
        os.environ["SUBSIDY_DISTRICTS_FILE"] = str(folder.settings)
        districts.cache_clear()
    pid = os.getpid()
    folder.write_status(Status("running", pid=pid))
    print(f"{_now()} {'续跑' if args.resume else '开始运行'}（进程 {pid}）", file=sys.stderr, flush=True)
    opts = Options(
        folder.input,
        folder.result,
        folder.errors,
        date.fromisoformat(job["as_of"]),
        job["kind"],
        job["long"],
        job["lang"],
        job["workers"],
        # a job stopped before its first checkpoint has nothing to resume: it starts afresh
        resume=args.resume and has_checkpoint(folder.result),
        quiet=True,
    )
    try:
        totals = run(opts)
    except (FileError, ResumeError) as err:
        print(err, file=sys.stderr)
        failed = Status("failed", pid=pid, error=err.text("zh"), error_en=err.text("en"), finished_at=_now())
        folder.write_status(failed)
        return 2
    except WorkerLost:
        print(f"{_now()} 一个工作进程意外结束", file=sys.stderr)
        error, error_en = f"{WorkerLost.said}；可从中断处继续运行", f"{WorkerLost.said.en}; it can be resumed"
        folder.write_status(Status("failed", pid=pid, error=error, error_en=error_en, finished_at=_now()))
        return 1
    except Exception as err:
        traceback.print_exc()
        error = f"运行出错（{type(err).__name__}：{err}）；详情见该批次目录中的 {folder.log.name}"
        error_en = f"The run failed ({type(err).__name__}: {err}); see {folder.log.name} in the run's folder"
        folder.write_status(Status("failed", pid=pid, error=error, error_en=error_en, finished_at=_now()))
        return 1
    text = summary(totals, default_engine(), Path(folder.errors.name))
    print(f"{_now()} 完成\n{text}", file=sys.stderr)
    folder.write_status(Status("done", pid=pid, totals=totals.dump(), summary=text, finished_at=_now()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
