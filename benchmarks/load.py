"""Parse-and-store throughput on seed-sized reports into SQLite, on one core.

    python benchmarks/load.py [--reports 1000] [--runs 5]

Each report is one of the five seeds with its agency name made unique, so every file
is new (no "unchanged" shortcut) and lands as its own agency and report. "parse
only" runs ``parse_bytes`` on the bytes; "parse + store" is ``ogi load --jobs 1`` on
the files (``load_paths``: read, parse, store a hundred reports a commit with the
rollup), into a fresh SQLite file per run (WAL, synchronous=normal). Prints the
median of the runs, in reports per second."""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

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


def run(reports, store: bool) -> float:
    with tempfile.TemporaryDirectory() as folder:
        files = []
        for name, data in reports:
            (Path(folder) / name).write_bytes(data)
            files.append(Path(folder) / name)
        db = open_database(f"sqlite:///{folder}/bench.sqlite3")
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
    args = ap.parse_args()
    reports = make_reports(args.reports)
    for label, store in (("parse only", False), ("parse + store", True)):
        rates = [run(reports, store) for _ in range(args.runs)]
        print(f"{label:<14} {statistics.median(rates):8.1f} reports/s  (median of {args.runs} runs of "
              f"{args.reports}; min {min(rates):.1f}, max {max(rates):.1f})")


if __name__ == "__main__":
    main()
