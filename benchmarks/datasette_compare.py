"""ogi-api beside Datasette compared fairly: Datasette on the file a Datasette publisher
would build from the same data, both servers with the same number of processes, driven
by the same wrk run.

    python -m venv /tmp/datasette && /tmp/datasette/bin/pip install datasette   # once
    python benchmarks/datasette_compare.py DB.sqlite3 --datasette /tmp/datasette/bin/datasette
    python benchmarks/datasette_compare.py DB.sqlite3 --datasette … --workers 1 --workers 5

The fair file (``DB_fair.sqlite3`` beside DB, built once; ``--rebuild`` to build it
again) holds what a publisher makes with sqlite-utils from our database:

  cells    the cells of current reports, denormalised (report id, agency name, region,
           year, layout, table, row and column keys, value as a number, status, raw),
           with an index on each filter column and one on (table, row, column, year)
  summary  the cells summed by year, layout, table, row and column (as ogi's rollup)

then ``ANALYZE``, and Datasette serves it ``--immutable`` (counts and plans cached: its
fastest mode) with its table counts precomputed (``datasette inspect``).

Four equivalent requests (wrk, one thread, 8 connections, 3 runs of 10 s by default,
each server's runs taken in turn with the other's; medians; each server warmed up 2 s
first):

  filter    the cells of one year, table, row and column, first page of 100 with the
            count: ``/v1/cells?year=…&table=…&row=…&column=…&limit=100`` against
            Datasette's table view of ``cells`` with the same filters (which counts too)
  group     a sum by year of one table, row and column: ``/v1/aggregates?…&group_by=year``
            against a SQL query on ``summary``
  report    one report's cells, a random report each request (wrk's Lua):
            ``/v1/cells?report=ID&limit=1000`` against the table view filtered by
            ``report_id`` (both count and page; a report holds about 200 cells)
  national  the national year × row aggregate: ``/v1/aggregates?group_by=year,row&
            column=total&limit=1000`` against the same GROUP BY on ``summary``

Processes: ogi-api under ``ogi serve --workers W`` (gunicorn, W sync workers);
Datasette as W uvicorn worker processes sharing one socket (``uvicorn --workers W``
with a factory that builds the same ``Datasette`` object ``datasette serve`` does; at
W=1 that is what ``datasette serve`` runs). ``--workers`` may be given more than once;
default: 1 and ogi's default (2 × cores + 1, at most 9)."""
from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.api import LUA_DONE, free_port, wait_until_up  # noqa: E402

YEAR, TABLE, ROW, COLUMN = 2023, "requests", "granted", "total"
FILTER_COLUMNS = ("report_id", "agency_name", "region", "year", "layout", "table_key", "row_key", "column_key",
                  "status")
FAIR = """
CREATE TABLE cells (id INTEGER PRIMARY KEY, report_id INTEGER NOT NULL, agency_id INTEGER NOT NULL,
  agency_name TEXT NOT NULL, region TEXT, year INTEGER NOT NULL, layout TEXT NOT NULL, table_key TEXT NOT NULL,
  row_key TEXT NOT NULL, column_key TEXT NOT NULL, value NUMERIC, status TEXT NOT NULL, raw TEXT);
INSERT INTO cells SELECT c.id, r.id, a.id, a.name, a.region, r.year, r.layout, c.table_key, c.row_key,
  c.column_key, CAST(c.value AS NUMERIC), c.status, c.raw
  FROM ogi.cell c JOIN ogi.report r ON r.id = c.report_id JOIN ogi.agency a ON a.id = r.agency_id
  WHERE r.is_current = 1 ORDER BY c.id;
CREATE TABLE summary (year INTEGER NOT NULL, layout TEXT NOT NULL, table_key TEXT NOT NULL, row_key TEXT NOT NULL,
  column_key TEXT NOT NULL, value NUMERIC, cells INTEGER NOT NULL, "values" INTEGER NOT NULL,
  PRIMARY KEY (year, layout, table_key, row_key, column_key));
INSERT INTO summary SELECT year, layout, table_key, row_key, column_key, SUM(value), COUNT(*), COUNT(value)
  FROM cells GROUP BY year, layout, table_key, row_key, column_key;
CREATE INDEX summary_table_row_column ON summary (table_key, row_key, column_key, year);
CREATE INDEX cells_table_row_column_year ON cells (table_key, row_key, column_key, year);
""" + "".join(f"CREATE INDEX cells_{name} ON cells ({name});\n" for name in FILTER_COLUMNS)
FACTORY = """import json, os
from datasette.app import Datasette

def app():
    inspect = json.loads(open(os.environ["DS_INSPECT"]).read())
    ds = Datasette(immutables=[os.environ["DS_FILE"]], inspect_data=inspect, cache_headers=True,
                   settings={"sql_time_limit_ms": 60000, "default_page_size": 100, "num_sql_threads": 3,
                             "suggest_facets": False})
    return ds.app()
"""
# a random report each request where the path holds {id}; the ids to pick from are wrk's arguments' file
LUA = """
local ids = {}
local template = nil
init = function(args)
  for line in io.lines(args[1]) do ids[#ids + 1] = line end
  template = wrk.path
end
request = function()
  return wrk.format("GET", (template:gsub("{id}", ids[math.random(1, #ids)])))
end
""" + LUA_DONE


def build_fair(db: Path, fair: Path) -> None:
    """The file a Datasette publisher would serve: see the module's doc."""
    started = time.perf_counter()
    partial = fair.with_name(fair.name + ".partial")
    partial.unlink(missing_ok=True)
    connection = sqlite3.connect(partial)
    connection.execute("PRAGMA journal_mode = off")
    connection.execute("PRAGMA cache_size = -262144")
    connection.execute("ATTACH ? AS ogi", (f"file:{quote(str(db.resolve()))}?mode=ro",))
    connection.executescript(FAIR)
    connection.execute("ANALYZE main")
    connection.commit()
    connection.close()
    partial.rename(fair)
    print(f"built {fair} in {time.perf_counter() - started:.0f} s")


def requests_for(fair: Path) -> dict[str, dict[str, str]]:
    name = fair.stem
    group_sql = (f"select year, sum(value) as value from summary where table_key = '{TABLE}' "
                 f"and row_key = 'new_received' and column_key = '{COLUMN}' group by year order by year")
    national_sql = (f"select year, row_key, sum(value) as value, sum(cells) as cells, sum(\"values\") as "
                    f"\"values\" from summary where column_key = '{COLUMN}' group by year, row_key "
                    f"having sum(cells) > 0 order by year, row_key limit 1000")
    return {
        "filter": {
            "ogi": f"/v1/cells?year={YEAR}&table={TABLE}&row={ROW}&column={COLUMN}&limit=100",
            "datasette": f"/{name}/cells.json?year={YEAR}&table_key={TABLE}&row_key={ROW}&column_key={COLUMN}"
                         f"&_size=100",
        },
        "group": {
            "ogi": f"/v1/aggregates?table={TABLE}&row=new_received&column={COLUMN}&group_by=year",
            "datasette": f"/{name}.json?sql={quote(group_sql)}&_shape=array",
        },
        "report": {
            "ogi": "/v1/cells?report={id}&limit=1000",
            "datasette": f"/{name}/cells.json?report_id={{id}}&_size=1000",
        },
        "national": {
            "ogi": f"/v1/aggregates?group_by=year,row&column={COLUMN}&limit=1000",
            "datasette": f"/{name}.json?sql={quote(national_sql)}&_shape=array",
        },
    }


def serve(command: list[str], port: int, ready_path: str, env: dict | None = None,
          cwd: Path | None = None) -> subprocess.Popen:
    env = {**os.environ, "OGI_RATE_LIMIT": "off", **(env or {})}  # one client, many requests: not limited
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=cwd)
    wait_until_up(f"http://127.0.0.1:{port}", path=ready_path)
    return server


def start_datasette(datasette: str, fair: Path, inspect: Path, workers: int, port: int, folder: Path):
    (folder / "ds_factory.py").write_text(FACTORY)
    uvicorn = str(Path(datasette).with_name("uvicorn"))
    return serve([uvicorn, "--factory", "ds_factory:app", "--app-dir", str(folder), "--host", "127.0.0.1",
                  "--port", str(port), "--workers", str(workers), "--log-level", "warning", "--no-access-log"],
                 port, "/-/versions.json", {"DS_FILE": str(fair), "DS_INSPECT": str(inspect)})


def stop(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def run_pair(name: str, pair: dict, ports: dict, args, script: Path, ids: Path) -> dict[str, float]:
    """Each server warmed up, then its runs taken in turn with the others' (run 1 of each,
    run 2 of each …), so that a change in the machine's load weighs on all alike."""
    paths = {server: (f"http://127.0.0.1:{port}", pair["ogi" if server == "ogi-before" else server])
             for server, port in ports.items()}
    for base, path in paths.values():
        run_wrk(base, path, 2, args.connections, script, ids)  # warm up
    runs = {server: [] for server in ports}
    for _ in range(args.runs):
        for server, (base, path) in paths.items():
            runs[server].append(run_wrk(base, path, args.seconds, args.connections, script, ids))
    rates = {}
    for server, taken in runs.items():
        rates[server] = statistics.median(r["rps"] for r in taken)
        errors = sum(r["errors"] + r["non2xx"] for r in taken)
        p50, p95 = (statistics.median(r[k] for r in taken) for k in ("p50_ms", "p95_ms"))
        print(f"{name:<9} {server:<10} {rates[server]:8.1f} {p50:9.2f} {p95:9.2f}  {errors}", flush=True)
    ratios = {server: rates[server] / rates["datasette"] for server in rates if server != "datasette"}
    print(f"{name:<9} ratio to datasette: " + ", ".join(f"{server} {r:.2f}" for server, r in ratios.items()),
          flush=True)
    return ratios


def run_wrk(base: str, path: str, seconds: int, connections: int, script: Path, ids: Path) -> dict:
    done = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s",
                           str(script), base + path, "--", str(ids)], capture_output=True, text=True)
    lines = done.stdout.strip().splitlines()
    if done.returncode or not lines or not lines[-1].startswith("{"):  # e.g. no port left to connect from
        print(f"wrk failed on {path}: {done.stderr.strip() or done.stdout.strip()}", file=sys.stderr, flush=True)
        return {"requests": 0, "seconds": seconds, "errors": 1, "non2xx": 0, "p50_ms": 0.0, "p95_ms": 0.0,
                "p99_ms": 0.0, "rps": 0.0}
    result = json.loads(lines[-1])
    result["rps"] = result["requests"] / result["seconds"]
    return result


def check_answers(pairs: dict, ports: dict, ids: list[str]) -> None:
    """Each request answers 200 on both servers (an error page would be measured fast)."""
    import urllib.error
    import urllib.request

    for name, pair in pairs.items():
        for server, port in ports.items():
            url = f"http://127.0.0.1:{port}" + pair["ogi" if server == "ogi-before" else server].replace("{id}", ids[0])
            try:
                urllib.request.urlopen(url, timeout=120).close()
            except urllib.error.HTTPError as e:
                raise SystemExit(f"{name} on {server}: {e.code} for {url}") from e


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("db", type=Path)
    ap.add_argument("--datasette", required=True, help="the datasette command (its venv's uvicorn runs it)")
    ap.add_argument("--fair", type=Path, help="the fair Datasette file (default: DB_fair.sqlite3 beside DB)")
    ap.add_argument("--rebuild", action="store_true", help="build the fair file again")
    ap.add_argument("--workers", type=int, action="append",
                    help="processes of each server (repeatable; default: 1 and ogi's default)")
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--only", action="append", choices=["filter", "group", "report", "national"])
    ap.add_argument("--ogi-before", type=Path, metavar="FOLDER", help=(
        "also serve ogi-api's code in FOLDER (e.g. `git archive REV | tar -x -C FOLDER`) in the same run, "
        "as ogi-before: before and after against the same Datasette figures"))
    args = ap.parse_args()
    fair = args.fair or args.db.with_name(args.db.stem + "_fair.sqlite3")  # no dot in its name: Datasette's URLs
    if args.rebuild or not fair.exists():
        build_fair(args.db, fair)
    inspect = fair.with_name(fair.name + ".inspect.json")
    if not inspect.exists() or inspect.stat().st_mtime < fair.stat().st_mtime:
        subprocess.run([args.datasette, "inspect", str(fair), "--inspect-file", str(inspect)], check=True)
    connection = sqlite3.connect(f"file:{quote(str(fair.resolve()))}?mode=ro", uri=True)
    report_ids = [str(i) for (i,) in connection.execute("SELECT DISTINCT report_id FROM cells ORDER BY 1")]
    connection.close()
    folder = Path(tempfile.mkdtemp())
    script, ids = folder / "bench.lua", folder / "ids.txt"
    script.write_text(LUA)
    ids.write_text("\n".join(report_ids) + "\n")
    from api.gunicorn_conf import workers as default_workers

    pairs = requests_for(fair)
    if args.only:
        pairs = {name: pair for name, pair in pairs.items() if name in args.only}
    summary = {}
    for workers in args.workers or [1, default_workers]:
        ports = {"ogi": free_port(), **({"ogi-before": free_port()} if args.ogi_before else {}),
                 "datasette": free_port()}
        servers = []
        try:
            for server in ("ogi", "ogi-before") if args.ogi_before else ("ogi",):
                # gunicorn (python -m) imports the app from its working folder first: the code served
                code = args.ogi_before.resolve() if server == "ogi-before" else ROOT
                servers.append(serve([str(Path(sys.executable).with_name("ogi")), "serve", "--port",
                                      str(ports[server]), "--workers", str(workers), "--db",
                                      f"sqlite:///{args.db.resolve()}"], ports[server], "/v1/codebook",
                                     {"PYTHONPATH": str(code)}, cwd=code))
            servers.append(start_datasette(args.datasette, fair, inspect, workers, ports["datasette"], folder))
            check_answers(pairs, ports, report_ids)
            print(f"\nW={workers} ({len(report_ids)} reports; wrk 1 thread, {args.connections} connections, "
                  f"median of {args.runs} runs of {args.seconds} s)")
            print(f"{'request':<9} {'server':<10} {'req/s':>8} {'p50 ms':>9} {'p95 ms':>9}  errors")
            for name, pair in pairs.items():
                summary[(workers, name)] = run_pair(name, pair, ports, args, script, ids)
        finally:
            for server in servers:
                stop(server)
    print("\nratios to datasette: " + "; ".join(f"W={w} {n} " + ", ".join(f"{s} {r:.2f}" for s, r in ratios.items())
                                             for (w, n), ratios in summary.items()))


if __name__ == "__main__":
    main()
