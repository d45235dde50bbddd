"""schemathesis with every check over the whole OpenAPI document, against a real `ogi serve`.

    python benchmarks/conformance.py                      # the seeds, in a new SQLite file
    python benchmarks/conformance.py --db sqlite:////tmp/g2k.sqlite3 --max-examples 100

Runs ``schemathesis run --checks all`` (the config ``benchmarks/schemathesis.toml`` and
the hooks ``benchmarks/schemathesis_hooks.py`` state what OpenAPI cannot) and prints its
summary; the exit status is schemathesis'. Rate limits are off for the run."""
from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", help="database URL (default: the seeds loaded into a new SQLite file)")
    ap.add_argument("--max-examples", type=int, default=50)
    # the coverage phase makes its cases without the hooks: it sends made-up cursors and
    # fields projections, which fail as the hooks' docstring says (and nothing else)
    ap.add_argument("--phases", default="examples,fuzzing,stateful")
    args = ap.parse_args()
    env = {**os.environ, "OGI_RATE_LIMIT": "off", "OGI_JOBS_IN_PROCESS": "0"}
    url = args.db
    if url is None:
        url = f"sqlite:///{tempfile.mkdtemp(prefix='ogi-conformance-')}/seeds.sqlite3"
        subprocess.run([BIN / "ogi", "load", "-q", "--db", url, ROOT / "tests/fixtures/seeds"], check=True, env=env)
    port = free_port()
    server = subprocess.Popen([BIN / "ogi", "serve", "--port", str(port), "--workers", "2", "--db", url], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=5).read()
                break
            except OSError:
                time.sleep(0.5)
        run = subprocess.run([BIN / "schemathesis", "--config-file", ROOT / "benchmarks/schemathesis.toml", "run",
                              f"{base}/v1/openapi.json", "--checks", "all", "--max-examples", str(args.max_examples),
                              "--seed", "1", "--phases", args.phases],
                             env={**env, "SCHEMATHESIS_HOOKS": "benchmarks.schemathesis_hooks",
                                  "PYTHONPATH": str(ROOT)}, cwd=ROOT)
        return run.returncode
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main())
