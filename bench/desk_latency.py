"""Is the desk responsive while a batch runs? Page latency before and during a registry run.

Starts waitress (``web.wsgi:app``, 8 threads) on a free 127.0.0.1 port with a temporary instance,
signs a caseworker in, times GET /cases for --seconds with no run, then uploads a generated
registry of --rows rows and times the same page while the run goes (its status polled as the
progress page does), and prints p50/p95/max of both. A measurement to read, never a test.

    python bench/desk_latency.py                  # 20,000 rows, 15 s idle
    python bench/desk_latency.py --rows 100000
"""

from __future__ import annotations

import argparse
import csv
import http.cookiejar
import io
import json
import os
import re
import statistics
import tempfile
import time
import urllib.parse
import urllib.request
import uuid

from api_bench import HOST, free_port, percentile, start_server, subsidy

from engine.batch.run import BOM
from engine.batch.template import template_rows

PASSWORD = "plum kettle 42"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def registry(rows: int) -> bytes:
    header, example = template_rows("person")
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(header)
    for i in range(rows):
        writer.writerow([f"R{i}", *example[1:]])
    return BOM + text.getvalue().encode("utf-8")


def multipart(fields: dict[str, str], name: str, data: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()
    ]
    head = f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
    parts.append(head.encode() + b"Content-Type: text/csv\r\n\r\n" + data + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def timed_pages(opener: urllib.request.OpenerDirector, base: str, seconds: float, until=None) -> list[float]:
    """GET /cases again and again for ``seconds`` (or until ``until()`` is true); ms each."""
    latencies = []
    end = time.monotonic() + seconds
    while time.monotonic() < end and not (until and until()):
        start = time.perf_counter()
        with opener.open(base + "/cases", timeout=60) as response:
            response.read()
        latencies.append((time.perf_counter() - start) * 1000)
        time.sleep(0.05)  # a caseworker, not a load generator
    return latencies


def report(label: str, ms: list[float]) -> None:
    print(
        f"{label}: {len(ms)} pages, p50 {statistics.median(ms):.1f} ms, "
        f"p95 {percentile(ms, 0.95):.1f} ms, max {max(ms):.1f} ms"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--seconds", type=float, default=15.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as instance:
        env = {**os.environ, "SUBSIDY_INSTANCE_PATH": instance, "SUBSIDY_SECURE_COOKIES": "0"}
        env.pop("SUBSIDY_DATABASE_URL", None)
        subsidy("create-user", "bench", "--password-stdin", env=env, stdin=PASSWORD + "\n")
        port = free_port()
        base = f"http://{HOST}:{port}"
        process = start_server("waitress", port, env)
        try:
            opener = urllib.request.build_opener(
                urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
            )

            def csrf(path: str) -> str:
                with opener.open(base + path) as response:
                    return CSRF.search(response.read().decode()).group(1)  # type: ignore[union-attr]

            login = {"username": "bench", "password": PASSWORD, "csrf_token": csrf("/login")}
            opener.open(base + "/login", urllib.parse.urlencode(login).encode()).read()
            report("no run", timed_pages(opener, base, args.seconds))
            fields = {"csrf_token": csrf("/batches/new"), "kind": "person", "as_of": "2020-09-15"}
            body, kind = multipart(
                {**fields, "shape": "wide", "lang": "zh"}, "bench.csv", registry(args.rows)
            )
            upload = urllib.request.Request(base + "/batches/new", body, {"Content-Type": kind})
            with opener.open(upload) as response:
                run = response.geturl()

            def finished() -> bool:
                with opener.open(run + "/status") as response:
                    return json.load(response)["state"] != "running"

            started = time.monotonic()
            during = timed_pages(opener, base, 3600, until=finished)
            report(f"during a {args.rows}-row run ({time.monotonic() - started:.0f} s)", during)
        finally:
            process.terminate()
            process.wait(timeout=20)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
