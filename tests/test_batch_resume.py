"""A killed batch run resumes to the very bytes of an uninterrupted one; workers change nothing.

The registry comes from ``bench/make_registry.py`` (valid ID numbers, realistic gaps) with bad
rows mixed in, so chunks carry both decided and rejected rows.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from engine.batch.checkpoint import Outputs
from engine.batch.options import in_order
from engine.batch.work import Done
from engine.cli import main

ROOT = Path(__file__).resolve().parent.parent
AS_OF = "2020-09-15"


@pytest.fixture(scope="module")
def registry(tmp_path_factory, make_registry) -> Path:
    """12,000 generated rows, every 997th replaced by a bad one."""
    path = tmp_path_factory.mktemp("registry") / "registry.csv"
    make_registry.write_registry(path, 12_000, seed=7)
    lines = path.read_bytes().split(b"\r\n")
    for i in range(5, len(lines) - 1, 997):
        lines[i] = lines[i].replace(b"-", b"/", 1) if i % 2 else lines[i][: len(lines[i]) // 2]
    path.write_bytes(b"\r\n".join(lines))
    return path


def batch(source: Path, out: Path, *extra: str) -> list[str]:
    return ["batch", str(source), "-o", str(out), "--as-of", AS_OF, "--quiet", "--chunk", "250", *extra]


@pytest.fixture(scope="module")
def reference(registry, tmp_path_factory) -> tuple[bytes, bytes]:
    """The uninterrupted run, in one process."""
    out = tmp_path_factory.mktemp("reference") / "out.csv"
    assert main(batch(registry, out, "--workers", "1")) == 0
    return out.read_bytes(), out.with_name("out.errors.csv").read_bytes()


def results(out: Path) -> tuple[bytes, bytes]:
    return out.read_bytes(), out.with_name(out.stem + ".errors.csv").read_bytes()


def test_the_reference_has_decided_and_rejected_rows(reference):
    out, errors = reference
    assert out.count(b"\r\n") > 11_000
    assert 5 < errors.count(b"\r\n") < 100


def test_two_workers_write_the_same_bytes_as_one(registry, reference, tmp_path):
    out = tmp_path / "out.csv"
    assert main(batch(registry, out, "--workers", "2")) == 0
    assert results(out) == reference
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv", "out.errors.csv"]  # no hand-over left


def _command(registry: Path, out: Path, *extra: str) -> list[str]:
    code = "import sys; from engine.cli import main; sys.exit(main(sys.argv[1:]))"
    return [sys.executable, "-c", code, *batch(registry, out, "--workers", "2", *extra)]


def _kill_after_progress(command: list[str], checkpoint: Path, chunks: int) -> None:
    """Start the run and SIGKILL it (workers too) once ``chunks`` chunks are checkpointed."""
    process = subprocess.Popen(command, cwd=ROOT, start_new_session=True, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            try:
                done = json.loads(checkpoint.read_text("utf-8"))["totals"]["read"]
            except (FileNotFoundError, ValueError, KeyError):
                done = 0
            if done >= chunks * 250:
                break
            assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
            time.sleep(0.005)
        else:
            pytest.fail("the run made no progress")
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def test_kill_and_resume_gives_identical_bytes(registry, reference, tmp_path):
    out = tmp_path / "out.csv"
    outputs = Outputs(out, tmp_path / "out.errors.csv")
    _kill_after_progress(_command(registry, out), outputs.checkpoint, chunks=3)
    assert not out.exists(), "a killed run must not leave a file that looks complete"
    assert outputs.out_part.exists() and outputs.checkpoint.exists()
    _kill_after_progress(_command(registry, out, "--resume"), outputs.checkpoint, chunks=20)
    assert not out.exists()
    finished = subprocess.run(_command(registry, out, "--resume"), cwd=ROOT, capture_output=True, text=True)
    assert finished.returncode == 0, finished.stderr
    assert results(out) == reference
    assert not outputs.checkpoint.exists() and not outputs.out_part.exists() and not outputs.err_part.exists()
    assert not outputs.hand_over.exists()  # the killed workers' files went with their folder
    assert "读取 12,000 行" in finished.stderr


def test_rows_written_after_the_last_checkpoint_are_not_duplicated(
    registry, reference, tmp_path, monkeypatch
):
    """Killed between writing a chunk and recording it: resuming cuts the chunk and writes it again."""
    out = tmp_path / "out.csv"
    saves = {"n": 0}
    real_save = Outputs.save

    def dying_save(self, cp):
        saves["n"] += 1
        if saves["n"] == 7:
            raise KeyboardInterrupt  # the chunk is on disk, its checkpoint is not
        real_save(self, cp)

    monkeypatch.setattr(Outputs, "save", dying_save)
    assert main(batch(registry, out, "--workers", "1")) == 130  # interrupted, resumable
    monkeypatch.setattr(Outputs, "save", real_save)
    partial = Outputs(out, tmp_path / "out.errors.csv")
    recorded = partial.load()
    assert recorded is not None and partial.out_part.stat().st_size > recorded.out_bytes
    assert main(batch(registry, out, "--workers", "1", "--resume")) == 0
    assert results(out) == reference


def test_resume_refuses_another_input_or_other_options(registry, tmp_path, monkeypatch, capsys):
    out = tmp_path / "out.csv"
    monkeypatch.setattr(Outputs, "finish", lambda self: (_ for _ in ()).throw(KeyboardInterrupt))
    assert main(batch(registry, out, "--workers", "1")) == 130
    monkeypatch.undo()
    assert main(batch(registry, out, "--workers", "1", "--resume", "--as-of", "2020-10-01")) == 2
    assert "as_of 原为 2020-09-15，现为 2020-10-01" in capsys.readouterr().err
    changed = tmp_path / "changed.csv"
    changed.write_bytes(registry.read_bytes() + "X1,张三,,,,,,,,,,,,,,,,,,,,,\r\n".encode())
    assert main(batch(changed, out, "--workers", "1", "--resume")) == 2
    assert "不同" in capsys.readouterr().err
    assert Outputs(out, tmp_path / "out.errors.csv").checkpoint.exists()  # still resumable


def test_without_resume_a_stale_partial_run_is_replaced(registry, reference, tmp_path, capsys):
    out = tmp_path / "out.csv"
    parts = Outputs(out, tmp_path / "out.errors.csv")
    parts.out_part.write_bytes(b"stale")
    parts.checkpoint.write_text("{}", "utf-8")
    assert main(batch(registry, out, "--workers", "1")) == 0
    assert "从头开始" in capsys.readouterr().err
    assert results(out) == reference


def _nothing(rows: list) -> Done:
    return Done(b"", b"")


def test_chunks_in_flight_stay_bounded():
    """The pool is fed as results are taken, never the whole file at once (flat memory)."""
    submitted: list[int] = []

    def chunks():
        for i in range(50):
            submitted.append(i)
            yield [], i, i

    taken = 0
    for _done, end, _line in in_order(chunks(), 2, _nothing, ("fork", None, ())):
        taken += 1
        assert len(submitted) - taken <= 2 * 2 + 1, "too many chunks in flight"
        assert end == taken - 1
    assert taken == 50


@pytest.fixture(scope="module")
def parquet_registry(registry, tmp_path_factory) -> Path:
    """The same registry's good rows as Parquet, in several row groups."""
    import polars as pl

    frame = pl.read_csv(
        registry, infer_schema=False, truncate_ragged_lines=True, ignore_errors=True, encoding="utf8-lossy"
    )
    path = tmp_path_factory.mktemp("parquet") / "registry.parquet"
    frame.write_parquet(path, row_group_size=1_700)
    return path


CHUNK = ("--chunk", "1000")  # the last --chunk given counts


def test_a_killed_parquet_run_resumes_to_the_same_bytes(parquet_registry, tmp_path):
    """SIGKILL to the run and its workers, twice, mid-file: the resumed file is byte for byte the
    uninterrupted one's (the workers' Parquet parts kept, joined by their bytes at the end)."""
    whole = tmp_path / "whole.parquet"
    assert main(batch(parquet_registry, whole, "--workers", "1", *CHUNK)) == 0
    out = tmp_path / "out.parquet"
    checkpoint = out.with_name(out.name + ".checkpoint")
    _kill_after_progress(_command(parquet_registry, out, *CHUNK), checkpoint, chunks=3)
    assert not out.exists() and checkpoint.exists()
    _kill_after_progress(_command(parquet_registry, out, "--resume", *CHUNK), checkpoint, chunks=20)
    assert not out.exists()
    finished = subprocess.run(
        _command(parquet_registry, out, "--resume", *CHUNK), cwd=ROOT, capture_output=True, text=True
    )
    assert finished.returncode == 0, finished.stderr
    assert out.read_bytes() == whole.read_bytes()
    assert (tmp_path / "out.errors.csv").read_bytes() == (tmp_path / "whole.errors.csv").read_bytes()
    assert not checkpoint.exists() and not out.with_name(out.name + ".partial").exists()


def test_a_parquet_resume_missing_finished_parts_is_refused(parquet_registry, tmp_path, monkeypatch, capsys):
    """A finished chunk's part gone from ``OUT.partial/`` (removed by hand, or named by another
    version of the program): the resume is refused in one line, and nothing is written."""
    from engine.columnar.parquet import Results

    out = tmp_path / "out.parquet"
    checkpoint = out.with_name(out.name + ".checkpoint")
    monkeypatch.setattr(Results, "finish", lambda self: (_ for _ in ()).throw(KeyboardInterrupt))
    assert main(batch(parquet_registry, out, "--workers", "1", *CHUNK)) == 130
    monkeypatch.undo()
    parts = out.with_name(out.name + ".partial")
    (parts / "part-000001.parquet").unlink()
    kept = sorted(p.name for p in parts.iterdir())
    assert main(batch(parquet_registry, out, "--workers", "1", "--resume", *CHUNK)) == 2
    err = capsys.readouterr().err
    assert "无法续跑" in err and "第 2 块起" in err and "Traceback" not in err
    assert not out.exists() and checkpoint.exists() and sorted(p.name for p in parts.iterdir()) == kept


@pytest.mark.parametrize("kernel", [True, False])
def test_a_worker_s_file_of_rows_is_appended_whole_and_removed(tmp_path, monkeypatch, kernel):
    """``Outputs.append`` copies a worker's file into the results by the kernel, or through Python
    where the kernel cannot copy between the two files; either way whole, in order, then removed."""
    if not kernel:

        def refused(*args):
            raise OSError(18, "Invalid cross-device link")

        monkeypatch.setattr(os, "copy_file_range", refused)
    outputs = Outputs(tmp_path / "out.csv", tmp_path / "out.errors.csv")
    outputs.start(b"head\r\n", b"errors\r\n")
    folder = outputs.hand_over_folder()
    part = folder / "chunk.csv"
    part.write_bytes("一,二\r\n".encode() * 10_000)
    sizes = outputs.append(b"", b"bad\r\n", str(part))
    outputs.append(b"last\r\n", b"")
    outputs.close()
    written = outputs.out_part.read_bytes()
    assert written == b"head\r\n" + "一,二\r\n".encode() * 10_000 + b"last\r\n"
    assert sizes == (len(written) - len(b"last\r\n"), len(b"errors\r\nbad\r\n"))
    assert not part.exists() and not folder.exists()


@pytest.fixture(scope="module")
def small_registry(tmp_path_factory, make_registry) -> Path:
    path = tmp_path_factory.mktemp("small") / "registry.csv"
    make_registry.write_registry(path, 4_000, seed=11)
    return path


@pytest.fixture(scope="module")
def small_reference(small_registry, tmp_path_factory) -> bytes:
    out = tmp_path_factory.mktemp("small_reference") / "out.csv"
    assert main(batch(small_registry, out, "--workers", "1")) == 0
    return out.read_bytes()


def _workers_of(pid: int) -> list[int]:
    """The pool's worker processes of the run ``pid`` (its children started by spawn_main)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            command = (stat.parent / "cmdline").read_bytes()
        except (OSError, ValueError, IndexError):  # gone meanwhile
            continue
        if parent == pid and b"spawn_main" in command:
            found.append(int(stat.parent.name))
    return found


def _stopped_run(command: list[str], ready: Callable[[int], bool], stop: Callable[[int], None]) -> str:
    """Start the run, wait until ``ready(pid)``, ``stop(pid)`` it; its stderr once it has ended
    (60 s: only a guard against a run that never ends)."""
    process = subprocess.Popen(command, cwd=ROOT, start_new_session=True, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not ready(process.pid) and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        assert process.poll() is None, "the run ended before it could be stopped"
        stop(process.pid)
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert process.returncode is not None
    return err.strip() + f"\n{process.returncode}"


def _resumed(command: list[str], out: Path, reference: bytes) -> None:
    resumed = subprocess.run([*command, "--resume"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    assert out.read_bytes() == reference
    assert sorted(p.name for p in out.parent.iterdir()) == ["out.csv", "out.errors.csv"]


def test_a_worker_killed_mid_run_stops_the_run_resumably(small_registry, small_reference, tmp_path):
    """A worker SIGKILLed as the OOM killer would: the run ends at once (it used to wait forever for
    the worker's chunk) in one line, exit 1, and --resume finishes the same file."""
    out = tmp_path / "out.csv"
    command = _command(small_registry, out, "--chunk", "50")
    checkpoint = Outputs(out, tmp_path / "out.errors.csv").checkpoint
    err = _stopped_run(
        command, lambda pid: checkpoint.exists(), lambda pid: os.kill(_workers_of(pid)[0], signal.SIGKILL)
    )
    message, code = err.splitlines()
    assert code == "1" and "一个工作进程意外结束" in message and "--resume" in message
    _resumed(command, out, small_reference)


def test_sigterm_stops_the_run_as_ctrl_c_does(small_registry, small_reference, tmp_path):
    """``timeout``, ``kill``: the run says it was interrupted, its workers end quietly, nothing is
    left but what --resume needs (no hand-over folder), and --resume finishes the same file."""
    out = tmp_path / "out.csv"
    command = _command(small_registry, out, "--chunk", "50")
    outputs = Outputs(out, tmp_path / "out.errors.csv")
    err = _stopped_run(
        command, lambda pid: outputs.checkpoint.exists(), lambda pid: os.kill(pid, signal.SIGTERM)
    )
    message, code = err.splitlines()
    assert code == "130" and "已中断" in message and "--resume" in message
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "out.csv.checkpoint",
        "out.csv.partial",
        "out.errors.csv.partial",
    ]
    _resumed(command, out, small_reference)


def test_ctrl_c_while_the_workers_start_leaves_nothing(small_registry, tmp_path):
    """Ctrl-C (to the whole process group, as a terminal sends it) before any chunk is done: one
    line, no worker's traceback, no advice to --resume (there is nothing to resume), no file."""
    command = _command(small_registry, tmp_path / "out.csv", "--chunk", "50")
    err = _stopped_run(command, lambda pid: bool(_workers_of(pid)), lambda pid: os.killpg(pid, signal.SIGINT))
    message, code = err.splitlines()
    assert code == "130" and "已中断" in message and "--resume" not in message
    assert list(tmp_path.iterdir()) == []


def test_a_run_stopped_while_writing_its_checkpoint_keeps_the_one_before(tmp_path, monkeypatch):
    """Ctrl-C or SIGTERM lands while the checkpoint is being written: the previous one stands and
    no half-written copy (OUT.checkpoint.tmp) is left beside it."""
    import engine.batch.checkpoint as checkpoint

    path = tmp_path / "out.csv.checkpoint"
    checkpoint.write_checkpoint(path, checkpoint.Checkpoint({}, 10, 2, 100, 20))
    before = path.read_bytes()

    def stopped(fd: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(checkpoint.os, "fsync", stopped)
    with pytest.raises(KeyboardInterrupt):
        checkpoint.write_checkpoint(path, checkpoint.Checkpoint({}, 99, 9, 999, 99))
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv.checkpoint"]
