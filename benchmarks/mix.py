"""The real mix: CPU seconds a report by format, and what a national year costs.

    python benchmarks/mix.py [--runs 5] [--shares pdf=0.55,scan=0.15,html=0.20,docx=0.05,text=0.05]
                             [--reports-per-year 150000] [--cores 2]

Parse cost, CPU time of one process (``time.process_time``: all its threads, so OCR is
counted whole), median of the runs, each format parsing its sample: text (seed 000),
HTML (the Pingtan page), PDF (the Hongze report, 5 pages, text layer), Word (seed 001
written with python-docx), scan (the Hongze report rendered as a 200-dpi scan by
``benchmarks.scan``: 5 image pages read by OCR, one OCR thread). Store cost: the
seed-sized reports stored into a fresh SQLite file (``load_paths``, as ``ogi load``
does, minus their parse), per report.

The shares are an assumption stated with the figures (no national census of formats
exists): a report's mixed cost is the shares' weighted sum of the parse costs plus
the store, from which follow reports a second a core and the CPU hours, and machines
of ``--cores`` cores, of a national year. Rows for other shares of scans follow, the
other formats keeping their proportions."""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.load import make_reports, run  # noqa: E402
from benchmarks.parse import inputs  # noqa: E402
from benchmarks.scan import scan_pdf  # noqa: E402
from loaders.document import parse_bytes  # noqa: E402

DEFAULT_SHARES = "pdf=0.55,scan=0.15,html=0.20,docx=0.05,text=0.05"
NAMES = {"text": "sample.txt", "html": "sample.html", "pdf": "sample.pdf", "docx": "sample.docx", "scan": "scan.pdf"}


def samples() -> dict[str, bytes]:
    given = inputs()
    return {"text": given["text"], "html": given["html"], "pdf": given["pdf"], "docx": given["docx"],
            "scan": scan_pdf(given["pdf"], dpi=200)}


def cpu_seconds(data: bytes, name: str, at_least: float) -> float:
    """CPU seconds of one parse: parses repeated for at least ``at_least`` seconds."""
    n, started = 0, time.process_time()
    while True:
        parse_bytes(data, name)
        n += 1
        spent = time.process_time() - started
        if spent >= at_least:
            return spent / n


def parse_shares(text: str) -> dict[str, float]:
    shares = {k: float(v) for k, v in (item.split("=") for item in text.split(","))}
    if abs(sum(shares.values()) - 1) > 1e-6:
        raise SystemExit(f"the shares add up to {sum(shares.values())}, not 1")
    return shares


def national(cost: float, reports: int, cores: int) -> str:
    hours = cost * reports / 3600
    return f"{1 / cost:7.1f} reports/s a core; a year of {reports:,}: {hours:6.1f} CPU-hours, " \
           f"{hours / cores:5.1f} h on one {cores}-core machine, {hours / cores / 8:4.1f} h on 8"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=2.0, help="CPU seconds of parsing a run, at least")
    ap.add_argument("--shares", default=DEFAULT_SHARES)
    ap.add_argument("--store-reports", type=int, default=1000)
    ap.add_argument("--reports-per-year", type=int, default=150_000)
    ap.add_argument("--cores", type=int, default=2)
    args = ap.parse_args()
    shares = parse_shares(args.shares)
    data = samples()
    parse = {}
    for fmt in shares:
        runs = [cpu_seconds(data[fmt], NAMES[fmt], args.seconds)
                for _ in range(args.runs)]
        parse[fmt] = statistics.median(runs)
        print(f"parse {fmt:<5} {parse[fmt] * 1000:9.1f} ms CPU a report  ({1 / parse[fmt]:7.1f}/s a core)", flush=True)
    reports = make_reports(args.store_reports)
    both = statistics.median(run(reports, store=True) for _ in range(args.runs))
    alone = statistics.median(run(reports, store=False) for _ in range(args.runs))
    store = 1 / both - 1 / alone
    print(f"store {store * 1000:9.2f} ms a report (seed-sized: parse+store {both:.1f}/s, parse {alone:.1f}/s)")
    cost = sum(share * parse[fmt] for fmt, share in shares.items()) + store
    print(f"\nmix {args.shares}: {cost * 1000:.1f} ms CPU a report")
    print("  " + national(cost, args.reports_per_year, args.cores))
    if "scan" in shares:
        rest = {k: v for k, v in shares.items() if k != "scan"}
        for scan_share in (0.0, 0.05, 0.15, 0.30, 0.50):
            scale = (1 - scan_share) / sum(rest.values())
            mixed = scan_share * parse["scan"] + sum(v * scale * parse[k] for k, v in rest.items()) + store
            print(f"  scans {scan_share:4.0%}: {mixed * 1000:7.1f} ms  " + national(mixed, args.reports_per_year,
                                                                                 args.cores))


if __name__ == "__main__":
    main()
