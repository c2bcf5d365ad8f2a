"""The secret key: created once, whole and private, even by several workers starting together on a
fresh instance folder; a short key from the environment stops the start."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from web import create_app
from web.settings import MIN_SECRET_KEY, instance_secret

WORKERS = 4
TRIALS = 12


def _start(instance: str, barrier: multiprocessing.synchronize.Barrier, out: multiprocessing.Queue) -> None:
    barrier.wait()
    try:
        out.put(instance_secret(Path(instance)))
    except Exception as err:  # reported to the test, which fails on it
        out.put(f"error: {type(err).__name__}: {err}")


def test_workers_starting_together_share_one_whole_key(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("fork")
    for trial in range(TRIALS):
        instance = tmp_path / f"i{trial}"
        barrier, out = ctx.Barrier(WORKERS), ctx.Queue()
        procs = [ctx.Process(target=_start, args=(str(instance), barrier, out)) for _ in range(WORKERS)]
        for proc in procs:
            proc.start()
        keys = [out.get(timeout=30) for _ in procs]
        for proc in procs:
            proc.join(timeout=30)
        assert all(len(key) >= MIN_SECRET_KEY and not key.startswith("error") for key in keys), keys
        assert len(set(keys)) == 1, f"trial {trial}: workers got different keys"
        assert (instance / "secret_key").read_text(encoding="ascii") == keys[0]
        assert [p.name for p in instance.iterdir()] == ["secret_key"]  # no temporary file left
        assert instance.stat().st_mode & 0o777 == 0o700
        assert (instance / "secret_key").stat().st_mode & 0o777 == 0o600


def test_an_empty_key_file_is_refused_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("web.settings.SECRET_WAIT_SECONDS", 0.1)
    (tmp_path / "secret_key").write_text("")
    with pytest.raises(ValueError, match="密钥为空或过短"):
        instance_secret(tmp_path)


@pytest.mark.parametrize("key", ["x", "k" * (MIN_SECRET_KEY - 1)])
def test_a_short_secret_key_from_the_environment_stops_the_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, key: str
) -> None:
    monkeypatch.setenv("SUBSIDY_SECRET_KEY", key)
    with pytest.raises(ValueError, match="SUBSIDY_SECRET_KEY 过短"):
        create_app({"INSTANCE_PATH": str(tmp_path)})
    monkeypatch.setenv("SUBSIDY_SECRET_KEY", "k" * MIN_SECRET_KEY)
    assert create_app({"INSTANCE_PATH": str(tmp_path)}).config["SECRET_KEY"] == "k" * MIN_SECRET_KEY
