"""Time the portal and explorer requests (indicators, JSON-stat, catalogs, pages) on a
database, in process (Flask's test client: the app's own time, no HTTP), and the bulk
export.

    python benchmarks/generate.py 20000 --out /tmp/gen20k --formats text,markdown
    ogi load -q --jobs 2 --db sqlite:////tmp/bench20k.sqlite3 /tmp/gen20k
    python benchmarks/portal.py --db sqlite:////tmp/bench20k.sqlite3 [--runs 7] [--export DIR]

Each request runs ``--runs`` times (no If-None-Match, so each is computed); prints the
median as a Markdown table row. With ``--export``, also times ``ogi export DIR``."""
from __future__ import annotations

import argparse
import logging
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", required=True)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--export", help="also time the bulk export into this folder")
    args = ap.parse_args()
    logging.disable(logging.INFO)

    from api import create_app

    client = create_app({"DATABASE_URL": args.db, "RATELIMIT_ENABLED": False}).test_client()
    first = client.get("/v1/reports?limit=1").json["data"][0]
    requests = [
        "/v1/indicators", "/v1/indicators?group_by=year",
        "/v1/indicators?group_by=region&indicator=disclosure_rate&limit=10",
        f"/v1/indicators?region={first['region']}&group_by=year",
        "/v1/cells?year=2021&row=granted&column=total&limit=100&format=jsonstat",
        "/v1/aggregates?group_by=year,row&table=requests&column=total&format=jsonstat",
        "/v1/catalog", "/data.json", "/", f"/agencies/{first['agency_id']}", f"/reports/{first['id']}",
        f"/v1/reports/{first['id']}/tables.xlsx",
    ]
    print("| request | median ms |\n| --- | --- |")
    for url in requests:
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        print(f"| `{url}` | {statistics.median(times):.1f} |")
    if args.export:
        from api.bulk import export
        from models import open_database

        open_database(args.db)
        start = time.perf_counter()
        written = export(Path(args.export))
        print(f"export: {time.perf_counter() - start:.1f} s; " + ", ".join(
            f"{p.name} {p.stat().st_size / 1e6:.1f} MB" for p in written))


if __name__ == "__main__":
    main()
