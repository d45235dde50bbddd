"""Parsing on a local Dask cluster: load time of a mixed set of reports, and the answers.

    python benchmarks/cluster.py [--reports 2000] [--workers 1,2] [--local-jobs 1,2]

Generates the reports (benchmarks/generate.py: text, Markdown, spaced and run-together
text, HTML, Word; and copies of the corpus PDF, each made a file of its own by a
trailing comment, so they are stored as revisions of one report), then loads them
into a fresh SQLite file with a plain local ``ogi load`` (``--jobs`` bounded
processes), and through a cluster of 1 and of 2 workers started here (a ``dask
scheduler`` and ``dask worker --nworkers 1 --nthreads 1`` processes on 127.0.0.1;
their start is not timed, the parsers' first start inside them is). Prints each
load's time and reports a second, and whether every database holds the same answers
as the first (reports, cells, findings, sections, rollups: ``answers``).

``start_cluster`` is what tests/test_cluster.py starts too."""
from __future__ import annotations

import argparse
import hashlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PDF = ROOT / "tests" / "fixtures" / "corpus" / "014_huaian_hongze_qzf_2024.pdf"
# generated formats in turn (each for an agency's seven years): text 4 of 8, HTML 2, Word 2
FORMATS = ["text", "html", "docx", "markdown", "spaced", "html", "docx", "runtogether"]
PDF_EVERY = 10  # one file in ten is a PDF


@dataclass
class LocalCluster:
    """A scheduler and its workers, each a process group of its own (``kill`` loses one whole)."""

    address: str
    scheduler: subprocess.Popen
    workers: list[subprocess.Popen] = field(default_factory=list)
    folder: Path | None = None

    def kill(self, index: int) -> None:
        """Lose worker ``index`` at once: its nanny, its worker process and its parses (SIGKILL)."""
        os.killpg(self.workers[index].pid, signal.SIGKILL)
        self.workers[index].wait()


def _start(args: list[str], log: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    with log.open("wb") as out:
        return subprocess.Popen([sys.executable, "-m", "dask", *args], cwd=ROOT, env=env, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)


@contextmanager
def start_cluster(workers: int, timeout: float = 90) -> Iterator[LocalCluster]:
    """A Dask scheduler and ``workers`` workers of one process and one thread each, on
    127.0.0.1 at ports the system picks; stopped (every process group) afterwards."""
    from distributed import Client

    with tempfile.TemporaryDirectory(prefix="ogi-cluster-") as folder:
        folder = Path(folder)
        file = folder / "scheduler.json"
        local = "127.0.0.1"
        cluster = LocalCluster("", _start(["scheduler", "--host", local, "--port", "0", "--dashboard-address",
                                           f"{local}:0", "--scheduler-file", str(file)], folder / "scheduler.log"),
                               folder=folder)
        try:
            cluster.workers = [
                _start(["worker", "--scheduler-file", str(file), "--nworkers", "1", "--nthreads", "1", "--host", local,
                        "--dashboard-address", f"{local}:0", "--name", f"w{k}", "--death-timeout", "60",
                        "--preload", "loaders.cluster"],
                       folder / f"worker{k}.log")
                for k in range(workers)]
            with Client(scheduler_file=str(file), timeout=timeout) as client:
                client.wait_for_workers(workers, timeout=timeout)
                cluster.address = client.scheduler_info()["address"]
            yield cluster
        finally:
            for proc in [*cluster.workers, cluster.scheduler]:
                if proc.poll() is None:
                    os.killpg(proc.pid, signal.SIGTERM)
            for proc in [*cluster.workers, cluster.scheduler]:
                try:
                    proc.wait(15)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()


# ---- the answers a database gives ---------------------------------------------------------------

def answers() -> dict[str, list[tuple]]:
    """What the bound database holds, without its ids and times: each report (by its
    file's sha256 and revision) with its cells, findings and sections, and the rollups."""
    from models import Agency, Cell, Finding, Report, Section, SourceFile
    from models.rollup import CellRollup

    def rows(query) -> list[tuple]:
        return sorted(tuple(str(v) for v in row) for row in query.tuples())

    return {
        "reports": rows(Report.select(Report.source, Report.revision, Report.is_current, Agency.name, Report.year,
                                      Report.layout, Report.title, Report.source_name, Report.source_format,
                                      Report.source_encoding, Report.published_on, Report.document_number)
                        .join(Agency)),
        "sources": rows(SourceFile.select(SourceFile.sha256, SourceFile.size)),
        "cells": rows(Cell.select(Report.source, Cell.table_key, Cell.row_key, Cell.column_key, Cell.value, Cell.raw,
                                  Cell.status, Cell.note, Cell.location, Cell.confidence, Cell.box).join(Report)),
        "findings": rows(Finding.select(Report.source, Finding.rule, Finding.table_key, Finding.row_key,
                                        Finding.column_key, Finding.cells, Finding.expected, Finding.printed,
                                        Finding.message, Finding.location).join(Report)),
        "sections": rows(Section.select(Report.source, Section.number, Section.title, Section.text).join(Report)),
        "rollups": rows(CellRollup.select(CellRollup.year, CellRollup.layout, CellRollup.table_key,
                                          CellRollup.row_key, CellRollup.column_key, CellRollup.cells,
                                          CellRollup.values, CellRollup.total)),
    }


def digest(found: dict[str, list[tuple]]) -> str:
    return hashlib.sha256(repr(sorted(found.items())).encode()).hexdigest()[:16]


# ---- the files -----------------------------------------------------------------------------------

def pdf_copy(k: int) -> bytes:
    """The corpus PDF as a file of its own: a comment after its end (readers skip it)."""
    return PDF.read_bytes() + f"\n% ogi benchmark copy {k}\n".encode()


def make_files(n: int, folder: Path) -> list[Path]:
    """``n`` report files in ``folder``, one in ``PDF_EVERY`` a PDF, the rest generated in ``FORMATS`` turns."""
    from benchmarks.generate import generate

    pdfs = n // PDF_EVERY
    generated = iter(generate(n - pdfs, folder / "generated", seed=14, formats=FORMATS))
    out = []
    for i in range(n):
        if i % PDF_EVERY == PDF_EVERY - 1:
            path = folder / f"pdf_{i:06d}.pdf"
            path.write_bytes(pdf_copy(i))
            out.append(path)
        else:
            out.append(next(generated))
    return out


def shares(files: list[Path]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for f in files:
        kind = "pdf" if f.suffix == ".pdf" else f.stem.split("_", 2)[-1]
        counts[kind] = counts.get(kind, 0) + 1
    return counts


def timed_load(files: list[Path], url: str, **how) -> tuple[float, object, str, dict]:
    """Load ``files`` into a fresh database at ``url``: seconds, the summary, the answers' digest and the answers."""
    from loaders.load import load_paths
    from models import open_database

    db = open_database(url)
    start = time.perf_counter()
    summary = load_paths(None, files=files, keep=False, bounded=True, **how)
    seconds = time.perf_counter() - start
    found = answers()
    db.close()
    return seconds, summary, digest(found), found


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reports", type=int, default=2000)
    ap.add_argument("--workers", default="1,2", help="cluster sizes to time, comma-separated")
    ap.add_argument("--local-jobs", default="1", help="local ogi load --jobs to time, comma-separated")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="ogi-cluster-bench-") as folder:
        folder = Path(folder)
        files = make_files(args.reports, folder)
        print(f"{len(files)} files: " + ", ".join(f"{k} {v}" for k, v in sorted(shares(files).items())))
        first = None
        runs = [(f"local --jobs {j}", {"jobs": int(j)}, None) for j in args.local_jobs.split(",") if j]
        runs += [(f"cluster of {w}", {}, int(w)) for w in args.workers.split(",") if w]
        for label, how, workers in runs:
            url = f"sqlite:///{folder}/{label.replace(' ', '_')}.sqlite3"
            if workers:
                with start_cluster(workers) as cluster:
                    seconds, summary, key, found = timed_load(files, url, cluster=cluster.address)
            else:
                seconds, summary, key, found = timed_load(files, url, **how)
            first = first or found
            same = "identical" if found == first else "DIFFERENT"
            print(f"{label:<16} {seconds:8.1f} s  {len(files) / seconds:6.1f} reports/s  {summary.line()}; "
                  f"{len(found['cells'])} cells, {len(found['findings'])} findings, {len(found['rollups'])} rollups; "
                  f"answers {key} {same}", flush=True)


if __name__ == "__main__":
    main()
