"""Reads under load while a scan is uploaded: does an upload job move the readers' p99?

    python benchmarks/upload_under_load.py [--reports 1000] [--runs 3] [--connections 8]

Builds a SQLite database of seed-sized reports (as ``benchmarks/api.py`` does), makes
an admin key, and serves it with ``ogi serve`` as it ships (the embedded default: the
upload job runs in a web process's worker thread, its parse in a child process).
A scanned PDF is made from ``tests/fixtures/corpus/014_huaian_hongze_qzf_2024.pdf``
(``benchmarks.scan``: 200 dpi, greyscale, skewed, JPEG; 5 pages, read by OCR).

Each run, wrk (one thread, N connections, no ``If-None-Match``) reads the filtered
``/v1/cells`` page twice, for the same length of time:

  upload   the scan is POSTed one second into the window (202, a job), the job is
           polled until it ends, and wrk is stopped one second after that;
  quiet    no upload, the same length as the upload window.

The two alternate (upload first, then quiet) and the script prints each window's
latencies and the medians; the job must end ``done`` every time. ``--jobs-process``:
the job is parsed by ``ogi jobs work`` beside the server, as docker-compose runs it.
``--rate R``: reads paced at about R a second (a server with headroom, as one is run)
instead of as many as the server answers (saturated: every CPU cycle the job takes is
one the reads lose)."""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.api import LUA, SCENARIOS, build_database, free_port, wait_until_up  # noqa: E402
from benchmarks.scan import scan_pdf  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PDF = ROOT / "tests" / "fixtures" / "corpus" / "014_huaian_hongze_qzf_2024.pdf"


def start_wrk(base: str, path: str, connections: int, script: Path) -> subprocess.Popen:
    args = ["wrk", "-t1", f"-c{connections}", "-d3600s", "--timeout", "10s", "-s", str(script), base + path]
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)


def stop_wrk(proc: subprocess.Popen) -> dict:
    proc.send_signal(signal.SIGINT)  # wrk stops, prints its summary and runs done()
    out, _ = proc.communicate(timeout=30)
    result = json.loads(out.strip().splitlines()[-1])
    result["rps"] = result["requests"] / result["seconds"]
    return result


def upload(base: str, key: str, data: bytes, name: str) -> dict:
    boundary = "ogi-bench-boundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
            f"Content-Type: application/pdf\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    request = urllib.request.Request(base + "/v1/reports", data=body, method="POST", headers={
        "Authorization": f"Bearer {key}", "Content-Type": f"multipart/form-data; boundary={boundary}"})
    with urllib.request.urlopen(request, timeout=60) as response:
        if response.status != 202:
            raise SystemExit(f"the upload was not a job: {response.status}")
        return json.load(response)


def wait_job(base: str, job_id: str, timeout: float = 900) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with urllib.request.urlopen(f"{base}/v1/jobs/{job_id}", timeout=30) as response:
            job = json.load(response)
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.5)
    raise SystemExit(f"job {job_id} did not end in {timeout} s")


def window(base: str, path: str, connections: int, script: Path, seconds: float | None = None,
           key: str | None = None, scan: bytes | None = None) -> tuple[dict, float, dict | None]:
    """One wrk window: with the upload (``scan``: until its job ends, plus a second) or
    quiet for ``seconds``. Returns wrk's figures, the window's length and the job."""
    proc = start_wrk(base, path, connections, script)
    started = time.monotonic()
    job = None
    try:
        if scan is None:
            time.sleep(seconds)
        else:
            time.sleep(1.0)
            job = wait_job(base, upload(base, key, scan, "scan_014.pdf")["id"])
            time.sleep(1.0)
    finally:
        result = stop_wrk(proc)
    return result, time.monotonic() - started, job


def make_key(url: str) -> str:
    ogi = Path(sys.executable).with_name("ogi")
    out = subprocess.run([str(ogi), "keys", "create", "bench", "--admin", "--db", url], capture_output=True,
                         text=True, check=True).stdout
    return next(word for line in out.splitlines() for word in line.split() if word.startswith("ogi_"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reports", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--workers", type=int, default=None, help="gunicorn workers (default: ogi serve's)")
    ap.add_argument("--rate", type=float, default=None,
                    help="paced reads: about this many requests a second in all (each connection waits "
                         "connections/rate seconds before its next request, wrk's delay()), instead of "
                         "as many as the server answers")
    ap.add_argument("--jobs-process", action="store_true",
                    help="jobs parsed by `ogi jobs work` beside the server (OGI_JOBS_IN_PROCESS=0), as "
                         "docker-compose runs them, instead of a web worker's thread")
    args = ap.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")
    scan = scan_pdf(PDF.read_bytes())
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        url = build_database(folder, args.reports)
        key = make_key(url)
        script = folder / "bench.lua"
        script.write_text(LUA if not args.rate else
                          LUA + f"delay = function() return {args.connections * 1000 / args.rate:.3f} end\n")
        port = free_port()
        command = [str(Path(sys.executable).with_name("ogi")), "serve", "--port", str(port), "--db", url]
        if args.workers:
            command += ["--workers", str(args.workers)]
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "OGI_RATE_LIMIT": "off"}
        if args.jobs_process:
            env["OGI_JOBS_IN_PROCESS"] = "0"
        server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        jobs = subprocess.Popen([str(Path(sys.executable).with_name("ogi")), "jobs", "work", "--db", url],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env) \
            if args.jobs_process else None
        base, path = f"http://127.0.0.1:{port}", SCENARIOS["cells"]
        rows = {"upload": [], "quiet": []}
        try:
            wait_until_up(base)
            window(base, path, args.connections, script, seconds=3)  # warm up
            print(f"{'window':<8} {'s':>6} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}  errors  job")
            for _ in range(args.runs):
                result, took, job = window(base, path, args.connections, script, key=key, scan=scan)
                if job["status"] != "done":
                    raise SystemExit(f"the job failed: {job.get('error')}")
                rows["upload"].append(result)
                note = f"{job['status']} {job['outcome']} in {_seconds(job):.1f} s"
                print(f"{'upload':<8} {took:6.1f} {result['rps']:8.1f} {result['p50_ms']:8.2f} "
                      f"{result['p95_ms']:8.2f} {result['p99_ms']:8.2f}  {result['errors'] + result['non2xx']}  {note}")
                result, took, _ = window(base, path, args.connections, script, seconds=took)
                rows["quiet"].append(result)
                print(f"{'quiet':<8} {took:6.1f} {result['rps']:8.1f} {result['p50_ms']:8.2f} "
                      f"{result['p95_ms']:8.2f} {result['p99_ms']:8.2f}  {result['errors'] + result['non2xx']}")
            med = {k: {m: statistics.median(r[m] for r in v) for m in ("rps", "p50_ms", "p95_ms", "p99_ms")}
                   for k, v in rows.items()}
            for k, m in med.items():
                print(f"median {k:<7} req/s {m['rps']:.1f}  p50 {m['p50_ms']:.2f}  p95 {m['p95_ms']:.2f}  "
                      f"p99 {m['p99_ms']:.2f} ms")
            print(f"p99 with the upload / quiet: {med['upload']['p99_ms'] / med['quiet']['p99_ms']:.3f}")
        finally:
            for proc in filter(None, (server, jobs)):
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=120)


def _seconds(job: dict) -> float:
    from datetime import datetime

    started, finished = (datetime.fromisoformat(job[k].replace("Z", "+00:00")) for k in ("started_at", "finished_at"))
    return (finished - started).total_seconds()


if __name__ == "__main__":
    main()
