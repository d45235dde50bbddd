"""ogi-api beside Datasette, serving the same SQLite file, driven by the same wrk run.

    python -m venv /tmp/datasette && /tmp/datasette/bin/pip install datasette   # once
    python benchmarks/datasette_compare.py DB.sqlite3 --datasette /tmp/datasette/bin/datasette

Two equivalent requests on each server (wrk, one thread, 8 connections, 3 runs of
10 s by default; medians):

  filter   the cells of one year, table, row and column, first page of 100 with the
           total count: ``/v1/cells?year=…&table=…&row=…&column=…`` against
           Datasette's table view of a view of current cells with the same filters
           (which counts too)
  group    a sum by year of one table, row and column: ``/v1/aggregates?…&group_by=year``
           against the same GROUP BY in Datasette's SQL endpoint

The view ``current_cells`` (cells joined to their report, current revisions only) is
created in the file if missing: Datasette's table view filters one table or view.
Datasette runs as it ships (one process, ``--immutable``, a 60 s SQL time limit so
that a slow answer is measured rather than refused); ogi-api under ``ogi serve``."""
from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.api import LUA, free_port, wait_until_up, wrk  # noqa: E402

VIEW = """CREATE VIEW IF NOT EXISTS current_cells AS
SELECT c.id, c.report_id, r.agency_id, r.year, r.layout, c.table_key, c.row_key, c.column_key, c.value, c.status
FROM cell c JOIN report r ON r.id = c.report_id WHERE r.is_current = 1"""
YEAR, TABLE, ROW, COLUMN = 2023, "requests", "granted", "total"


def requests_for(database: str) -> dict[str, dict[str, str]]:
    group_sql = (f"select r.year, sum(c.value) as value from cell c join report r on r.id = c.report_id "
                 f"where r.is_current = 1 and c.table_key = '{TABLE}' and c.row_key = 'new_received' "
                 f"and c.column_key = '{COLUMN}' group by r.year order by r.year")
    return {
        "filter": {
            "ogi": f"/v1/cells?year={YEAR}&table={TABLE}&row={ROW}&column={COLUMN}&limit=100",
            "datasette": f"/{database}/current_cells.json?year={YEAR}&table_key={TABLE}&row_key={ROW}"
                         f"&column_key={COLUMN}&_size=100",
        },
        "group": {
            "ogi": f"/v1/aggregates?table={TABLE}&row=new_received&column={COLUMN}&group_by=year",
            "datasette": f"/{database}.json?sql={quote(group_sql)}&_shape=array",
        },
    }


def serve(command: list[str], port: int, ready_path: str) -> subprocess.Popen:
    env = {**os.environ, "OGI_RATE_LIMIT": "off"}  # one client, many requests: measured, not limited
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    wait_until_up(f"http://127.0.0.1:{port}", path=ready_path)
    return server


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("db", type=Path)
    ap.add_argument("--datasette", required=True, help="the datasette command")
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--connections", type=int, default=8)
    args = ap.parse_args()
    connection = sqlite3.connect(args.db)
    connection.execute(VIEW)
    connection.commit()
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # Datasette's immutable mode reads no WAL
    connection.close()
    script = Path(tempfile.mkdtemp()) / "bench.lua"
    script.write_text(LUA)
    ogi_port, ds_port = free_port(), free_port()
    servers = []
    try:
        servers.append(serve([str(Path(sys.executable).with_name("ogi")), "serve", "--port", str(ogi_port),
                              "--db", f"sqlite:///{args.db.resolve()}"], ogi_port, "/v1/codebook"))
        servers.append(serve([args.datasette, "serve", "-i", str(args.db), "--port", str(ds_port), "--setting",
                              "sql_time_limit_ms", "60000", "--setting", "default_page_size", "100"],
                             ds_port, "/-/versions.json"))
        print(f"{'request':<8} {'server':<10} {'req/s':>8} {'p50 ms':>9} {'p95 ms':>9}  errors")
        for name, pair in requests_for(args.db.stem).items():
            rates = {}
            for server, port in (("ogi", ogi_port), ("datasette", ds_port)):
                base = f"http://127.0.0.1:{port}"
                wrk(base, pair[server], 0, 2, args.connections, script)  # warm up
                runs = [wrk(base, pair[server], 0, args.seconds, args.connections, script) for _ in range(args.runs)]
                rates[server] = statistics.median(r["rps"] for r in runs)
                errors = sum(r["errors"] + r["non2xx"] for r in runs)
                p50, p95 = (statistics.median(r[k] for r in runs) for k in ("p50_ms", "p95_ms"))
                print(f"{name:<8} {server:<10} {rates[server]:8.1f} {p50:9.2f} {p95:9.2f}  {errors}")
            print(f"{name:<8} ratio ogi/datasette: {rates['ogi'] / rates['datasette']:.2f}")
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
