"""Concurrency: two ``ogi load``s at once on a fresh database (schema, agencies,
revisions, cross-year findings, rollup), and an ETag that names one body while a load
writes."""
from __future__ import annotations

import hashlib
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import POSTGRES_URL

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.concurrent_loads import corpus, run_once, run_threads  # noqa: E402
from benchmarks.generate import generate  # noqa: E402

RUNS = {"sqlite": 1, "postgresql": 2}


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    return corpus(tmp_path_factory.mktemp("concurrent"), agencies=3)


@pytest.mark.parametrize("backend", ["sqlite"] + (["postgresql"] if POSTGRES_URL else []))
def test_two_concurrent_loads_on_a_fresh_database_lose_and_fail_nothing(backend, files, tmp_path):
    files_a, files_b = files
    for run in range(RUNS[backend]):
        outcome = run_once(POSTGRES_URL if backend == "postgresql" else "sqlite", files_a, files_b, tmp_path)
        assert outcome.exit_codes == (0, 0), outcome.failed_lines
        assert outcome.failed_lines == []
        assert outcome.files == len({p.read_bytes() for p in files_a + files_b}) == 3 * 7 * 3
        assert (outcome.reports, outcome.duplicates, outcome.missing) == (outcome.files, 0, 0)
        assert outcome.revision_errors == []
        assert outcome.cross_year > 0  # the generated years disagree often enough
        assert outcome.cross_year_equal, f"run {run}: cross-year findings differ from ogi check-cross-year's"
        assert outcome.rollup_equal, f"run {run}: cell_rollup differs from ogi rebuild-rollups'"


@pytest.mark.parametrize("backend", ["sqlite"] + (["postgresql"] if POSTGRES_URL else []))
def test_two_loads_committing_a_report_at_a_time_interleave_safely(backend, files, tmp_path):
    files_a, files_b = files
    outcome = run_threads(POSTGRES_URL if backend == "postgresql" else "sqlite", files_a, files_b, tmp_path)
    assert outcome.failed_lines == [] and outcome.exit_codes == (0, 0)
    assert (outcome.reports, outcome.duplicates, outcome.missing) == (outcome.files, 0, 0)
    assert outcome.revision_errors == []
    assert outcome.cross_year > 0 and outcome.cross_year_equal and outcome.rollup_equal


# ---- one ETag, one body -----------------------------------------------------------------------

READS = ["/v1/reports?limit=10000", "/v1/agencies?limit=10000", "/v1/reports?limit=7&offset=14",
         "/v1/bulk/reports.csv", "/v1/findings?limit=10000&rule=cross_year.carry"]


def test_an_etag_names_one_body_while_a_load_writes(app, db_url, tmp_path):
    """A writer thread stores reports a few at a commit (each commit a new data
    version) while the API is read again and again: an ETag seen twice always came
    with the same body, and every list's meta.total agrees with its page."""
    from loaders.load import load_paths
    from models import database

    reports = generate(70, tmp_path / "reports", seed=7)
    client = app.test_client()
    done, stop = threading.Event(), threading.Event()
    failed = []

    def stop_when_asked(_outcome):  # called after each commit: the reader failed, the writer stops
        if stop.is_set():
            raise InterruptedError
        time.sleep(0.02)  # let the reads see many versions, however fast the machine

    def write():
        try:
            summary = load_paths(reports, batch=2, on_file=stop_when_asked)
            if summary.failed:
                failed.append(summary.line())
        except InterruptedError:
            pass
        finally:
            database.close()  # this thread's connection
            done.set()

    writer = threading.Thread(target=write)
    bodies: dict[tuple[str, str], str] = {}
    clashes, totals, reads, versions = [], [], 0, set()
    writer.start()
    try:
        while not done.is_set() or reads < len(READS):
            for path in READS:
                response = client.get(path)
                assert response.status_code == 200, response.get_data(as_text=True)
                reads += 1
                digest = hashlib.sha256(response.get_data()).hexdigest()
                versions.add(response.headers["ETag"])
                if bodies.setdefault((path, response.headers["ETag"]), digest) != digest:
                    clashes.append(path)
                if response.mimetype == "application/json":
                    meta, page = response.json["meta"], len(response.json["data"])
                    if page != max(0, min(meta["limit"], meta["total"] - meta["offset"])):
                        totals.append((path, meta["total"], page))
    finally:
        stop.set()
        writer.join()
    assert failed == []
    assert clashes == []  # no ETag labelled two bodies
    assert totals == []  # meta.total always agreed with its page
    assert len(versions) > len(READS) * 2  # the data did change under the reads, again and again
