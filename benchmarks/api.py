"""Requests per second and latency of the API under gunicorn, measured with wrk.

    python benchmarks/api.py [--reports 1000] [--seconds 10] [--runs 3] [--connections 8]
    python benchmarks/api.py --db sqlite:///big.sqlite3 …   # an existing database instead

Builds a SQLite database of seed-sized reports (the five seeds, each copy under its
own agency name, as benchmarks/load.py does), or takes ``--db``, serves it with
``ogi serve`` on loopback, and drives four requests with wrk (Debian's package
``wrk``), one thread:

  cells      a filtered /v1/cells query (one year, one row, one column; 100 records)
  aggregate  /v1/aggregates of requests/new_received/total grouped by year
  national   /v1/aggregates grouped by year and row, over every cell of the country
  report     /v1/reports/{id} for a random report each request

No If-None-Match is sent, so every answer is computed. Prints the median of the runs."""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.load import make_reports  # noqa: E402
from loaders.document import parse_bytes  # noqa: E402
from loaders.store import store_report  # noqa: E402
from models import open_database  # noqa: E402

LUA_DONE = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{"requests": %d, "seconds": %f, "errors": %d, "non2xx": %d, '
    .. '"p50_ms": %f, "p95_ms": %f, "p99_ms": %f}\\n', summary.requests, summary.duration / 1e6,
    e.connect + e.read + e.write + e.timeout, e.status, latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
"""  # wrk prints its figures as one JSON line
LUA = """
local ids = 0
init = function(args) ids = tonumber(args[1]) or 0 end
request = function()
  if ids > 0 then return wrk.format("GET", "/v1/reports/" .. math.random(1, ids)) end
  return wrk.format("GET", wrk.path)
end
""" + LUA_DONE
SCENARIOS = {
    "cells": "/v1/cells?year=2023&table=requests&row=granted&column=total&limit=100",
    "aggregate": "/v1/aggregates?table=requests&row=new_received&column=total&group_by=year",
    "national": "/v1/aggregates?group_by=year,row&column=total&limit=1000",  # one unit: a sum means something
    "report": None,  # random ids, see LUA
}


def build_database(folder: Path, n: int) -> str:
    url = f"sqlite:///{folder / 'bench.sqlite3'}"
    db = open_database(url)
    for name, data in make_reports(n):
        store_report(parse_bytes(data, name))
    db.close()
    return url


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(base: str, path: str = "/v1/codebook") -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(base + path, timeout=5).read()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the server did not start")


def wrk(base: str, path: str | None, reports: int, seconds: int, connections: int, script: Path) -> dict:
    args = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", str(script),
            base + (path or "/v1/reports/1")]
    if path is None:
        args += ["--", str(reports)]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    result = json.loads(out.strip().splitlines()[-1])
    result["rps"] = result["requests"] / result["seconds"]
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reports", type=int, default=1000)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--workers", type=int, default=None, help="gunicorn workers (default: ogi serve's)")
    ap.add_argument("--db", help="serve this database (its reports are numbered 1..N) instead of building one")
    ap.add_argument("--only", choices=list(SCENARIOS), action="append", help="run only these requests")
    args = ap.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if args.db:
            url = args.db
            db = open_database(url)
            from models import Report

            args.reports = Report.select().count()
            db.close()
            print(f"database: {url} with {args.reports} reports")
        else:
            started = time.perf_counter()
            url = build_database(folder, args.reports)
            print(f"database: {args.reports} reports in {time.perf_counter() - started:.1f} s")
        script = folder / "bench.lua"
        script.write_text(LUA)
        port = free_port()
        ogi = Path(sys.executable).with_name("ogi")
        command = [str(ogi), "serve", "--port", str(port), "--db", url]
        if args.workers:
            command += ["--workers", str(args.workers)]
        server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                  env={**os.environ, "PYTHONUNBUFFERED": "1", "OGI_RATE_LIMIT": "off"})
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until_up(base)
            print(f"{'request':<10} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}  errors  "
                  f"(median of {args.runs} runs of {args.seconds} s, {args.connections} connections)")
            for name, path in SCENARIOS.items():
                if args.only and name not in args.only:
                    continue
                wrk(base, path, args.reports, 2, args.connections, script)  # warm up
                runs = [wrk(base, path, args.reports, args.seconds, args.connections, script)
                        for _ in range(args.runs)]
                med = {k: statistics.median(r[k] for r in runs) for k in ("rps", "p50_ms", "p95_ms", "p99_ms")}
                errors = sum(r["errors"] + r["non2xx"] for r in runs)
                print(f"{name:<10} {med['rps']:8.1f} {med['p50_ms']:8.2f} {med['p95_ms']:8.2f} "
                      f"{med['p99_ms']:8.2f}  {errors}")
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
