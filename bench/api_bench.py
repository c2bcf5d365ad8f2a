"""Load on POST /api/v1/evaluate through the production server setup, on loopback only.

Starts waitress (``waitress-serve web.wsgi:app``, 8 threads) or gunicorn (2 workers) on a free
127.0.0.1 port with a temporary SQLite database and one API token, sends the sample cases from
N concurrent keep-alive clients, and prints p50/p95/p99 latency, requests/s and errors. Bounded:
at most --requests requests and --seconds seconds. Also times one evaluation in-process (no HTTP).

    python bench/api_bench.py                       # waitress, 8 clients, 2000 requests
    python bench/api_bench.py --server gunicorn     # needs: pip install -e '.[gunicorn]'
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"  # loopback only, always


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def subsidy(*args: str, env: dict[str, str], stdin: str | None = None) -> str:
    out = subprocess.run(
        [str(BIN / "subsidy"), *args], input=stdin, env=env, capture_output=True, text=True, check=True
    )
    return out.stdout.strip()


def start_server(kind: str, port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    if kind == "gunicorn":
        command = [str(BIN / "gunicorn"), "-w", "2", "-b", f"{HOST}:{port}", "web.wsgi:app"]
    else:
        command = [str(BIN / "waitress-serve"), f"--listen={HOST}:{port}", "--threads=8", "web.wsgi:app"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://{HOST}:{port}/healthz", timeout=2):
                return process
        except OSError:
            if process.poll() is not None:
                raise SystemExit(f"{kind} exited with {process.returncode}") from None
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"{kind} did not start in 60 s")


def in_process(samples: list[bytes], n: int = 500) -> list[float]:
    """One evaluation, no HTTP: parse + evaluate, as the API does."""
    from engine.evaluate import evaluate
    from engine.models import parse_case

    cases = [parse_case(json.loads(s)) for s in samples]
    as_of = date(2020, 9, 15)
    for case in cases:
        evaluate(case, as_of)  # compile and warm
    times = []
    for i in range(n):
        start = time.perf_counter()
        evaluate(cases[i % len(cases)], as_of).model_dump_json()
        times.append((time.perf_counter() - start) * 1000)
    return times


def run_clients(
    port: int, token: str, samples: list[bytes], clients: int, total: int, seconds: float
) -> tuple[list[float], int, float]:
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    remaining = [total]
    stop_at = time.monotonic() + seconds
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def worker(index: int) -> None:
        nonlocal errors
        conn = http.client.HTTPConnection(HOST, port, timeout=30)
        i = index
        while time.monotonic() < stop_at:
            with lock:
                if remaining[0] <= 0:
                    break
                remaining[0] -= 1
            body = samples[i % len(samples)]
            i += 1
            start = time.perf_counter()
            try:
                conn.request("POST", "/api/v1/evaluate?as_of=2020-09-15", body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                ok = response.status == 200
            except OSError:
                ok = False
                conn.close()
                conn = http.client.HTTPConnection(HOST, port, timeout=30)
            elapsed = (time.perf_counter() - start) * 1000
            with lock:
                if ok:
                    latencies.append(elapsed)
                else:
                    errors += 1
        conn.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, errors, time.perf_counter() - began


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", choices=["waitress", "gunicorn"], default="waitress")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    samples = [p.read_bytes() for p in sorted((ROOT / "samples").glob("*.json"))]

    single = in_process(samples)
    print(
        f"in-process evaluate (1 case): p50 {percentile(single, 0.5):.2f} ms, "
        f"p95 {percentile(single, 0.95):.2f} ms, p99 {percentile(single, 0.99):.2f} ms"
    )

    with tempfile.TemporaryDirectory() as instance:
        env = {**os.environ, "SUBSIDY_INSTANCE_PATH": instance}
        env.pop("SUBSIDY_DATABASE_URL", None)
        subsidy("create-user", "bench", "--password-stdin", env=env, stdin="plum kettle orbit 7\n")
        token = subsidy("create-token", "bench", env=env)
        port = free_port()
        process = start_server(args.server, port, env)
        try:
            run_clients(port, token, samples, min(args.clients, 4), 40, 30)  # warm every worker
            latencies, errors, wall = run_clients(
                port, token, samples, args.clients, args.requests, args.seconds
            )
        finally:
            process.terminate()
            process.wait(timeout=20)
    done = len(latencies)
    print(
        f"{args.server}, {args.clients} clients, {done} requests in {wall:.1f} s: "
        f"{done / wall:.0f} req/s, p50 {statistics.median(latencies):.1f} ms, "
        f"p95 {percentile(latencies, 0.95):.1f} ms, p99 {percentile(latencies, 0.99):.1f} ms, errors {errors}"
    )
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
