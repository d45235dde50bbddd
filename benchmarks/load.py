"""Parse-and-store throughput on seed-sized reports into SQLite or PostgreSQL, on one core.

    python benchmarks/load.py [--reports 1000] [--runs 5] [--db sqlite|postgresql://…/any_db]

Each report is one of the five seeds with its agency name made unique, so every file
is new (no "unchanged" shortcut) and lands as its own agency and report. "parse
only" runs ``parse_bytes`` on the bytes; "parse + store" is ``ogi load --jobs 1`` on
the files (``load_paths``: read, parse, store a hundred reports a commit with the
rollup), into a fresh SQLite file per run (WAL, synchronous=normal), or with ``--db`` a
PostgreSQL URL into a fresh database ``ogi_bench_load`` on that server per run (made
and dropped through the URL's database). Prints the median of the runs, in reports
per second."""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg2

from loaders.document import parse_bytes
from loaders.load import load_paths
from models import open_database

SEEDS = sorted((Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "seeds").glob("*.txt"))
TITLES = {
    "000": "晋江市城市管理局", "001": "晋江市行政服务中心管理委员会", "002": "晋江市西园街道",
    "003": "晋江市安海镇人民政府", "004": "晋江市人民政府",
}


def make_reports(n: int) -> list[tuple[str, bytes]]:
    texts = [(p.name[:3], p.read_text(encoding="utf-8")) for p in SEEDS]
    out = []
    for i in range(n):
        prefix, text = texts[i % len(texts)]
        agency = TITLES[prefix]
        out.append((f"{i:06d}.txt", text.replace(agency, f"{agency}第{i}分局").encode("utf-8")))
    return out


BENCH_DB = "ogi_bench_load"


@contextmanager
def fresh_database(db: str, folder: str):
    """The URL of an empty database: a SQLite file in ``folder``, or ``BENCH_DB`` made
    anew on the PostgreSQL server of the URL ``db`` (dropped after)."""
    if not db.startswith("postgres"):
        yield f"sqlite:///{folder}/bench.sqlite3"
        return

    def admin(sql: str) -> None:
        conn = psycopg2.connect(db)
        conn.autocommit = True
        try:
            conn.cursor().execute(sql)
        finally:
            conn.close()

    admin(f"DROP DATABASE IF EXISTS {BENCH_DB}")
    admin(f"CREATE DATABASE {BENCH_DB}")
    try:
        yield urlunsplit(urlsplit(db)._replace(path=f"/{BENCH_DB}"))
    finally:
        from models import database

        database.obj.close()
        admin(f"DROP DATABASE IF EXISTS {BENCH_DB}")


def run(reports, store: bool, db_url: str = "sqlite") -> float:
    with tempfile.TemporaryDirectory() as folder, fresh_database(db_url, folder) as url:
        files = []
        for name, data in reports:
            (Path(folder) / name).write_bytes(data)
            files.append(Path(folder) / name)
        db = open_database(url)
        start = time.perf_counter()
        if store:
            summary = load_paths(None, files=files, jobs=1, keep=False)
            assert summary.counts["loaded"] == len(files), summary.line()
        else:
            for name, data in reports:
                parse_bytes(data, name)
        elapsed = time.perf_counter() - start
        db.close()
    return len(reports) / elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reports", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--db", default="sqlite", help="sqlite (a new file a run), or a PostgreSQL URL whose server "
                    f"gets a new database {BENCH_DB} a run")
    ap.add_argument("--store-only", action="store_true", help="skip the parse-only runs")
    args = ap.parse_args()
    reports = make_reports(args.reports)
    backend = "PostgreSQL" if args.db.startswith("postgres") else "SQLite"
    for label, store in (("parse only", False), (f"parse + store ({backend})", True)):
        if args.store_only and not store:
            continue
        rates = [run(reports, store, args.db) for _ in range(args.runs)]
        print(f"{label:<28} {statistics.median(rates):8.1f} reports/s  (median of {args.runs} runs of "
              f"{args.reports}; min {min(rates):.1f}, max {max(rates):.1f})")


if __name__ == "__main__":
    main()
