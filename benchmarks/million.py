"""Load a million generated reports (or N) into one database, in parts, and say what it cost.

    python benchmarks/million.py --db sqlite:////big/m.sqlite3 [--reports 1000000] [--part 50000]
                                 [--jobs 2] [--cluster tcp://…] [--scratch /big/parts] [--min-free-gb 8]

The corpus is made in parts (``benchmarks/generate.py --start``, formats text,
markdown, html and spaced, seed 1: the corpus of the 100,000-report figures, carried
on), so the files of a part exist only while it loads: part k+1 is generated while
part k loads, and each part's files are removed once it is stored. Each part is one
``ogi load -q --jobs J`` (or ``--cluster``), timed by GNU time for its peak resident
memory. Before each part the free space of the database's disk is checked: under
``--min-free-gb`` the run stops there, says so, and keeps what it stored (the
figures are then those of the reports loaded).

Prints a line a part (reports stored, seconds, reports/s, peak MB, database size) and
a total; appends the same lines as JSON to ``--log`` (default ``million.jsonl`` beside
the scratch folder) so a long run can be followed and resumed (``--resume`` skips the
parts the log has)."""
from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FORMATS = "text,markdown,html,spaced"


def generate(start: int, n: int, folder: Path) -> subprocess.Popen:
    shutil.rmtree(folder, ignore_errors=True)
    return subprocess.Popen([sys.executable, str(ROOT / "benchmarks" / "generate.py"), str(n), "--out", str(folder),
                             "--formats", FORMATS, "--seed", "1", "--start", str(start)],
                            stdout=subprocess.DEVNULL)


def load(folder: Path, db: str, jobs: int, cluster: str | None) -> tuple[float, int, str]:
    """One ``ogi load`` of a folder: seconds, peak resident kB (GNU time), its summary."""
    ogi = Path(sys.executable).with_name("ogi")
    command = ["/usr/bin/time", "-f", "PEAK_KB %M", str(ogi), "load", "-q", "--db", db]
    command += ["--cluster", cluster] if cluster else ["--jobs", str(jobs)]
    started = time.perf_counter()
    done = subprocess.run([*command, str(folder)], capture_output=True, text=True)
    seconds = time.perf_counter() - started
    peak = int(re.search(r"PEAK_KB (\d+)", done.stderr).group(1))
    summary = (done.stdout.strip().splitlines() or [""])[-1]
    if done.returncode not in (0, 1):  # 1: some files failed (said in the summary)
        raise SystemExit(f"ogi load failed ({done.returncode}): {done.stderr[-2000:]}")
    return seconds, peak, summary


def db_bytes(db: str) -> int:
    if db.startswith("sqlite:///"):
        path = Path(db[len("sqlite:///"):])
        return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
    import psycopg2

    with psycopg2.connect(db) as conn, conn.cursor() as cur:
        cur.execute("select pg_database_size(current_database())")
        return cur.fetchone()[0]


def db_disk(db: str, scratch: Path) -> Path:
    return Path(db[len("sqlite:///"):]).parent if db.startswith("sqlite:///") else scratch


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", required=True)
    ap.add_argument("--reports", type=int, default=1_000_000)
    ap.add_argument("--part", type=int, default=50_000)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--cluster")
    ap.add_argument("--scratch", type=Path, default=Path("/tmp/ogi-million-parts"))
    ap.add_argument("--min-free-gb", type=float, default=8.0)
    ap.add_argument("--log", type=Path)
    ap.add_argument("--resume", action="store_true")
    args = ap.parse_args()
    log = args.log or args.scratch.with_name(args.scratch.name + ".jsonl")
    done_parts = set()
    if args.resume and log.exists():
        done_parts = {json.loads(line)["start"] for line in log.read_text().splitlines() if line.strip()}
    starts = [s for s in range(0, args.reports, args.part) if s not in done_parts]
    folders = [args.scratch / "a", args.scratch / "b"]
    total_seconds, peak, loaded = 0.0, 0, 0
    maker = generate(starts[0], min(args.part, args.reports - starts[0]), folders[0]) if starts else None
    for k, start in enumerate(starts):
        n = min(args.part, args.reports - start)
        folder = folders[k % 2]
        maker.wait()
        free = shutil.disk_usage(db_disk(args.db, args.scratch)).free / 2**30
        if free < args.min_free_gb:
            print(f"stopped before reports {start}–: {free:.1f} GB free, under --min-free-gb {args.min_free_gb}")
            break
        if k + 1 < len(starts):  # the next part is made while this one loads
            nxt = starts[k + 1]
            maker = generate(nxt, min(args.part, args.reports - nxt), folders[(k + 1) % 2])
        seconds, peak_kb, summary = load(folder, args.db, args.jobs, args.cluster)
        shutil.rmtree(folder, ignore_errors=True)
        size = db_bytes(args.db)
        total_seconds += seconds
        peak = max(peak, peak_kb)
        loaded += n
        line = {"start": start, "reports": n, "seconds": round(seconds, 1), "per_s": round(n / seconds, 1),
                "peak_mb": round(peak_kb / 1024), "db_gb": round(size / 2**30, 2), "free_gb": round(free, 1),
                "summary": summary}
        with log.open("a") as f:
            f.write(json.dumps(line, ensure_ascii=False) + "\n")
        print(f"{start + n:>9,} reports  part {seconds:7.1f} s  {n / seconds:6.1f}/s  peak {peak_kb / 1024:6.0f} MB  "
              f"db {size / 2**30:6.2f} GB  free {free:5.1f} GB  {summary}", flush=True)
    if maker is not None and maker.poll() is None:
        maker.kill()
    if loaded:
        print(f"this run: {loaded:,} reports in {total_seconds / 60:.1f} min ({loaded / total_seconds:.1f}/s), "
              f"peak {peak / 1024:.0f} MB")


if __name__ == "__main__":
    main()
