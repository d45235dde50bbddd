"""Time to first byte and peak worker memory of large streamed answers under gunicorn.

    python benchmarks/streaming.py --db /tmp/gen20k.sqlite3 [--runs 3] [--code DIR --python PY] [--path PATH …]

Serves the SQLite file ``--db`` with gunicorn (one sync worker, the code at ``--code``,
default this repository, run by ``--python``, default this interpreter; rate limits off,
no in-process job worker, nothing written beside the code) and, for each path, starts a
fresh server, warms its worker with one small request, then sends the request once over
plain HTTP/1.1 and measures:

  first byte  seconds from sending the request to the first byte of the body
  total       seconds to the last byte
  bytes       body bytes (chunked encoding removed)
  peak RSS    the worker's VmHWM (peak resident set) after the request, and its growth
              over the resident set before it (VmRSS after the warm-up)

and the time of a HEAD of the same path. Prints the median of ``--runs`` runs as a
Markdown table. To measure other code against the same file (the "before" figures in
benchmarks/README.md), point ``--code`` at its checkout and ``--python`` at its venv;
the code is only read (no bytecode written, exports into a temporary folder).

Default paths: ``/v1/bulk/cells.csv`` and ``/v1/cells?format=ndjson&limit=100000``.
A database: ``python benchmarks/generate.py 20000 --out /tmp/gen20k --formats
text,markdown,html,spaced --seed 1`` then ``ogi load -q --jobs 2 --db
sqlite:////tmp/gen20k.sqlite3 /tmp/gen20k``."""
from __future__ import annotations

import argparse
import http.client
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PATHS = ["/v1/bulk/cells.csv", "/v1/cells?format=ndjson&limit=100000"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def status_of(pid: int, key: str) -> int:
    """A VmRSS/VmHWM line of /proc/PID/status, in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) * 1024
    raise KeyError(key)


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found += [int(t) for t in text]
    return found


class Server:
    def __init__(self, code: Path, python: str, db: Path, scratch: Path):
        self.port = free_port()
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}", "OGI_DATA_DIR": str(scratch),
               "OGI_EXPORT_DIR": str(scratch / "exports"), "OGI_RATE_LIMIT": "off", "OGI_JOBS_IN_PROCESS": "0",
               "PROMETHEUS_MULTIPROC_DIR": str(scratch / "metrics"), "PYTHONDONTWRITEBYTECODE": "1",
               "OGI_TIMEOUT": "600", "OGI_WORKERS": "1"}
        env.pop("PYTHONPATH", None)
        self.process = subprocess.Popen(
            [python, "-m", "gunicorn", "-c", "python:api.gunicorn_conf", "--bind", f"127.0.0.1:{self.port}",
             "--workers", "1", "api:create_app()"], cwd=code, env=env,
            stdout=open(scratch / "server.log", "ab"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=5).read()
                break
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise SystemExit(f"the server did not start: see {scratch / 'server.log'}") from None
                time.sleep(0.2)
        (self.worker,) = children(self.process.pid)

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=60)


def fetch(port: int, path: str, method: str = "GET") -> dict:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    start = time.perf_counter()
    connection.request(method, path, headers={"Accept-Encoding": "identity"})
    response = connection.getresponse()
    headers_at = time.perf_counter()
    first = response.read1(65536) if method == "GET" else b""
    first_at = time.perf_counter()
    size = len(first)
    while piece := response.read1(1 << 20):
        size += len(piece)
    end = time.perf_counter()
    connection.close()
    return {"status": response.status, "headers": headers_at - start,
            "first_byte": (first_at if size else headers_at) - start, "total": end - start, "bytes": size}


def measure(code: Path, python: str, db: Path, path: str) -> dict:
    with tempfile.TemporaryDirectory(prefix="ogi-stream-bench-") as scratch:
        server = Server(code, python, db, Path(scratch))
        try:
            fetch(server.port, "/v1/cells?limit=1")  # imports done, the database open
            before = status_of(server.worker, "VmRSS")
            result = fetch(server.port, path)
            result["peak_rss"] = status_of(server.worker, "VmHWM")
            result["growth"] = result["peak_rss"] - before
            result["head"] = fetch(server.port, path, "HEAD")["total"]
            return result
        finally:
            server.stop()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", type=Path, required=True, help="a SQLite file (read only)")
    ap.add_argument("--code", type=Path, default=ROOT, help="the checkout to serve (default: this one)")
    ap.add_argument("--python", default=sys.executable, help="its interpreter (a venv's python)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--path", action="append", help="a path to request (repeatable; default: " + ", ".join(PATHS) + ")")
    args = ap.parse_args()
    print(f"code {args.code}, database {args.db}, median of {args.runs} runs\n")
    print("| request | status | first byte s | total s | MB | peak worker RSS MB | growth MB | HEAD s |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for path in args.path or PATHS:
        runs = [measure(args.code.resolve(), args.python, args.db.resolve(), path) for _ in range(args.runs)]
        median = {key: statistics.median(r[key] for r in runs) for key in runs[0] if key != "status"}
        statuses = "/".join(sorted({str(r["status"]) for r in runs}))
        print(f"| `{path}` | {statuses} | {median['first_byte']:.3f} | {median['total']:.2f} | "
              f"{median['bytes'] / 1e6:.1f} | {median['peak_rss'] / 2**20:.0f} | {median['growth'] / 2**20:.0f} | "
              f"{median['head']:.3f} |", flush=True)


if __name__ == "__main__":
    main()
