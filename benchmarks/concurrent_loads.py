"""Two ``ogi load``s at once on one fresh database: nothing fails for the race,
nothing is lost.

    python benchmarks/concurrent_loads.py --db URL [--runs 10] [--agencies 12]

URL is a PostgreSQL server's database (each run creates a new database beside it,
fresh: no schema, and drops it after) or ``sqlite`` (a new file per run). Each run
starts two ``ogi load`` processes at the same instant on overlapping files made by
``generate.py``: the same agencies, every year 2019–2025 (so cross-year pairs span
the two loads), files both loads are given, and second and third versions of
reports (revisions). Then it checks, and prints per run:

- both exit 0, no file failed;
- every distinct file stored once (no report twice, none missing);
- each agency and year has revisions 1..n, no gap or duplicate, one current;
- the ``cross_year.carry`` findings equal those ``ogi check-cross-year`` makes again;
- ``cell_rollup`` equals what ``ogi rebuild-rollups`` makes again.

With ``--threads`` the two loads are two threads of one process, each committing a
report at a time (many more interleavings of the two writers).

``tests/test_concurrency.py`` runs both, a few times; this script ten."""
from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.generate import generate  # noqa: E402

OGI = str(Path(sys.executable).with_name("ogi"))
YEARS = 7  # generate.py: one agency's reports are seven files in a row, 2019–2025
FORMATS = ["text", "markdown", "html", "docx"]  # quick to parse: the race is in the store


def corpus(out: Path, agencies: int) -> tuple[list[Path], list[Path]]:
    """The files of the two loads: every first version split between them with a
    quarter given to both, second versions split, third versions of a few agencies
    split."""
    first = generate(agencies * YEARS, out / "first", seed=1, formats=FORMATS)
    second = generate(agencies * YEARS, out / "second", seed=2, formats=FORMATS)
    third = generate(min(agencies, 3) * YEARS, out / "third", seed=3, formats=FORMATS)
    a = first[0::2] + first[1::4] + second[0::2] + third[1::2]
    b = first[1::2] + first[0::4] + second[1::2] + third[0::2]
    return a, b


@contextmanager
def fresh_database(url: str, folder: Path):
    """A new, empty database: a new file for ``sqlite``, else a new database on the
    server of the PostgreSQL ``url`` (dropped afterwards)."""
    if not url.startswith("postgres"):
        yield f"sqlite:///{folder / f'{uuid.uuid4().hex}.sqlite3'}"
        return
    import psycopg2

    name = f"ogi_concurrent_{uuid.uuid4().hex[:12]}"
    admin = psycopg2.connect(url)
    admin.autocommit = True
    try:
        admin.cursor().execute(f'CREATE DATABASE "{name}"')
        yield urlparse(url)._replace(path=f"/{name}").geturl()
    finally:
        admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def ogi(*args: str, db_url: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": db_url}
    return subprocess.run([OGI, *args], capture_output=True, text=True, env=env, timeout=600)


@dataclass
class Outcome:
    seconds: float
    exit_codes: tuple[int, int]
    failed_lines: list[str] = field(default_factory=list)
    files: int = 0  # distinct files given (by content)
    reports: int = 0
    duplicates: int = 0  # files stored more than once
    missing: int = 0  # files given but not stored
    revision_errors: list[str] = field(default_factory=list)
    cross_year: int = 0  # cross_year.carry findings of current reports after the loads
    cross_year_equal: bool = False
    rollup_equal: bool = False

    @property
    def race_failures(self) -> int:
        return (len(self.failed_lines) + sum(c != 0 for c in self.exit_codes) + self.duplicates + self.missing
                + len(self.revision_errors) + (not self.cross_year_equal) + (not self.rollup_equal))

    def line(self) -> str:
        return (f"{self.seconds:5.1f} s  exit {self.exit_codes}  failed files {len(self.failed_lines)}  "
                f"reports {self.reports}/{self.files}  duplicates {self.duplicates}  missing {self.missing}  "
                f"revision errors {len(self.revision_errors)}  cross-year {self.cross_year} "
                f"({'equal' if self.cross_year_equal else 'DIFFERENT'})  "
                f"rollup {'equal' if self.rollup_equal else 'DIFFERENT'}")


def _state(db_url: str) -> tuple[list, list]:
    """The cross-year findings of current reports and the rollup, as sorted tuples."""
    from loaders.cross_year import RULE
    from models import Finding, Report, open_database
    from models.rollup import CellRollup

    db = open_database(db_url)
    try:
        findings = sorted(Finding.select(Finding.report, Finding.column_key, Finding.expected, Finding.printed)
                          .join(Report).where(Finding.rule == RULE, Report.is_current == True)  # noqa: E712
                          .tuples())
        rollup = sorted(CellRollup.select(CellRollup.year, CellRollup.layout, CellRollup.table_key,
                                          CellRollup.row_key, CellRollup.column_key, CellRollup.cells,
                                          CellRollup.values, CellRollup.total)
                        .where(CellRollup.cells != 0).tuples())
    finally:
        db.close()
    return findings, rollup


def check(db_url: str, given: list[Path], outcome: Outcome) -> Outcome:
    from models import Report, open_database

    shas = {hashlib.sha256(p.read_bytes()).hexdigest() for p in given}
    outcome.files = len(shas)
    db = open_database(db_url)
    try:
        stored = Counter(sha for (sha,) in Report.select(Report.source).tuples())
        outcome.reports = sum(stored.values())
        outcome.duplicates = sum(n - 1 for n in stored.values() if n > 1)
        outcome.missing = len(shas - set(stored))
        revisions = defaultdict(list)
        for agency, year, revision, current in Report.select(Report.agency, Report.year, Report.revision,
                                                             Report.is_current).tuples():
            revisions[agency, year].append((revision, current))
        for (agency, year), held in sorted(revisions.items()):
            numbers = sorted(r for r, _ in held)
            if numbers != list(range(1, len(held) + 1)) or sum(c for _, c in held) != 1:
                outcome.revision_errors.append(f"agency {agency} {year}: revisions {numbers}, "
                                               f"{sum(c for _, c in held)} current")
    finally:
        db.close()
    findings, rollup = _state(db_url)
    outcome.cross_year = len(findings)
    for command in ("check-cross-year", "rebuild-rollups"):
        run = ogi(command, db_url=db_url)
        assert run.returncode == 0, run.stderr
    again_findings, again_rollup = _state(db_url)
    outcome.cross_year_equal = findings == again_findings
    outcome.rollup_equal = rollup == again_rollup
    return outcome


def run_once(server_url: str, files_a: list[Path], files_b: list[Path], folder: Path) -> Outcome:
    """Two ``ogi load``s started together on a fresh database, then checked."""
    with fresh_database(server_url, folder) as db_url:
        env = {**os.environ, "DATABASE_URL": db_url}
        start = time.perf_counter()
        loads = [subprocess.Popen([OGI, "load", "--quiet", *map(str, files)], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True, env=env) for files in (files_a, files_b)]
        outputs = [load.communicate(timeout=600) for load in loads]
        outcome = Outcome(time.perf_counter() - start, tuple(load.returncode for load in loads))
        outcome.failed_lines = [line for _, err in outputs for line in err.splitlines() if line.strip()]
        return check(db_url, files_a + files_b, outcome)


def run_threads(server_url: str, files_a: list[Path], files_b: list[Path], folder: Path, batch: int = 1) -> Outcome:
    """The same, with the two loads as two threads of this process (a connection each)
    committing ``batch`` reports at a time: many more interleavings than two
    hundred-report batches."""
    import threading

    from loaders.load import load_paths
    from models import database, open_database

    with fresh_database(server_url, folder) as db_url:
        open_database(db_url).close()
        summaries = []

        def load(files):
            try:
                summaries.append(load_paths(files, batch=batch))
            finally:
                database.close()  # this thread's connection

        start = time.perf_counter()
        threads = [threading.Thread(target=load, args=(files,)) for files in (files_a, files_b)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        outcome = Outcome(time.perf_counter() - start, tuple(int(s.failed > 0) for s in summaries))
        outcome.failed_lines = [o.error for s in summaries for o in s.outcomes if o.error]
        return check(db_url, files_a + files_b, outcome)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", required=True, help="a PostgreSQL URL (runs get new databases beside it) or sqlite")
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--agencies", type=int, default=12, help="agencies (seven years each) in the corpus")
    ap.add_argument("--threads", action="store_true", help="two threads of this process instead of two ogi "
                    "loads, committing a report at a time")
    args = ap.parse_args()
    run = run_threads if args.threads else run_once
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        files_a, files_b = corpus(folder / "corpus", args.agencies)
        print(f"{len(files_a)} + {len(files_b)} files given, "
              f"{len({p.read_bytes() for p in files_a + files_b})} distinct")
        outcomes = []
        for i in range(args.runs):
            outcome = run(args.db, files_a, files_b, folder)
            outcomes.append(outcome)
            print(f"run {i + 1:2d}: {outcome.line()}", flush=True)
            for line in outcome.failed_lines[:5] + outcome.revision_errors[:5]:
                print(f"        {line}")
    bad = sum(o.race_failures for o in outcomes)
    print(f"{len(outcomes)} runs: {bad} failures from races; cross-year equal in "
          f"{sum(o.cross_year_equal for o in outcomes)}, rollup equal in {sum(o.rollup_equal for o in outcomes)}")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
