"""Full-text search latency on a generated database, SQLite and PostgreSQL.

    python benchmarks/generate.py 2000 --out /tmp/reports
    python -m benchmarks.search /tmp/reports [--sqlite FILE] [--postgres URL] [--runs 20]

Loads the reports (``load_paths``, as ``ogi load``) into a fresh SQLite file (or
``--sqlite FILE``) and, with ``--postgres``, into that (emptied) PostgreSQL database,
unless the database holds as many reports already (a second run); times the index made
afresh (``models.search.rebuild``, what the version 10 migration does); then times
each query through the app in process (Flask's test client: routing, arguments,
query, passages, JSON; no HTTP server), the median and the slowest of ``--runs``,
with ``If-None-Match`` never sent.

Figures (2026-11-30, the shared 2-core VM under other people's load, 2,000 generated
reports: 12,000 sections, 14,000 documents; median of 10, in ms; PostgreSQL 15 through
``postgresql+pool://``):

| request | found | SQLite | PostgreSQL |
| --- | --- | --- | --- |
| /v1/sections (no q) | 12000 | 19.5 | 12.9 |
| /v1/sections?q=复议 | 2000 | 29.1 | 138.8 |
| /v1/sections?q=行政复议 | 2000 | 32.6 | 82.3 |
| /v1/sections?q=公开 | 10000 | 80.9 | 250.5 |
| /v1/sections?q=复议&year=2023 | 286 | 26.4 | 91.3 |
| /v1/sections?q=蓝鲸 | 0 | 3.7 | 13.1 |
| /v1/reports (no q) | 2000 | 54.3 | 23.2 |
| /v1/reports?q=复议 | 2000 | 60.4 | 167.7 |
| /v1/reports?q=蓝鲸 | 0 | 8.0 | 24.5 |

Index made afresh: 2.9 ms a report on SQLite, 7.0 ms on PostgreSQL. A term in most
sections costs PostgreSQL most: every match is ranked (ts_rank reads each tsvector)
and the count reads them again; a rare term is answered from the GIN index."""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

from playhouse.db_url import connect as connect_url

QUERIES = [
    ("/v1/sections", None, ""), ("/v1/reports", None, ""),  # no search: what any list costs
    ("/v1/sections", "复议", ""), ("/v1/sections", "行政复议", ""), ("/v1/sections", "公开", ""),
    ("/v1/sections", "税", ""), ("/v1/sections", "复议", "&year=2023"), ("/v1/sections", "蓝鲸", ""),
    ("/v1/reports", "复议", ""), ("/v1/reports", "公安", ""), ("/v1/reports", "蓝鲸", ""),
]


def bench(url: str, files: list[Path], runs: int) -> None:
    from api import create_app
    from loaders.load import load_paths
    from models import MODELS, Report, SearchDoc, Section, database, open_database
    from models import search as search_index

    db = open_database(url)
    with db.connection_context():
        kept = Report.select().count() == len(files)
    if url.startswith("postgresql") and not kept:
        with connect_url(url) as raw:
            database.initialize(raw)
            database.drop_tables(MODELS, cascade=True)
        db = open_database(url)
    with db.connection_context():
        started = time.perf_counter()
        summary = load_paths([] if kept else files)
        loaded = time.perf_counter() - started
        sections = Section.select().count()
        started = time.perf_counter()
        with database.atomic():
            docs = search_index.rebuild()
        rebuilt = time.perf_counter() - started
        assert docs == SearchDoc.select().count()
    print(f"{url.split('://')[0]}: {summary.counts}, {sections} sections, {docs} documents; "
          f"load {loaded:.1f} s; index rebuilt in {rebuilt:.2f} s ({rebuilt / len(files) * 1000:.2f} ms a report)")
    served = url.replace("postgresql://", "postgresql+pool://")  # as the README advises for the API
    client = create_app({"DATABASE_URL": served, "RATELIMIT_ENABLED": False}).test_client()
    for path, q, extra in QUERIES:
        request = f"{path}?q={quote(q)}{extra}" if q else path
        times, total = [], None
        for _ in range(runs):
            started = time.perf_counter()
            response = client.get(request)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.get_data(as_text=True)
            total = response.json["meta"]["total"]
        print(f"  {path}{f'?q={q}' if q else ''}{extra}: {total} found; median {statistics.median(times):.1f} ms, "
              f"max {max(times):.1f} ms")


def main() -> None:
    import logging

    parser = argparse.ArgumentParser()
    parser.add_argument("reports", type=Path)
    parser.add_argument("--sqlite", type=Path)
    parser.add_argument("--postgres")
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    logging.getLogger("ogi.access").disabled = True
    files = sorted(p for p in args.reports.iterdir() if p.is_file())
    sqlite = args.sqlite or Path(tempfile.mkdtemp(prefix="ogi-search-")) / "search.sqlite3"
    bench(f"sqlite:///{sqlite}", files, args.runs)
    if args.postgres:
        bench(args.postgres, files, args.runs)


if __name__ == "__main__":
    main()
