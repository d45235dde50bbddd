"""Data safety: a load killed with SIGKILL leaves only whole reports, and loading
again completes it; reads while a load runs all succeed. On SQLite and PostgreSQL."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from peewee import fn

from api import create_app
from models import Cell, Report, Section, SourceFile
from tests.test_cli import OGI

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.generate import generate  # noqa: E402

COUNT = 400


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    generate(COUNT, out, seed=11, formats=["text", "markdown", "spaced"])
    return out


def start_load(folder: Path, db_url: str) -> subprocess.Popen:
    return subprocess.Popen([OGI, "load", "-q", "--jobs", "2", "--db", db_url, str(folder)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)


def wait_until(condition, seconds=60):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_kill_9_leaves_only_whole_reports_and_loading_again_completes(db, db_url, reports):
    loader = start_load(reports, db_url)
    wait_until(lambda: Report.select().count() >= 150)
    os.killpg(loader.pid, signal.SIGKILL)  # the loader and its parsing processes, mid-load
    loader.wait()
    stored = Report.select().count()
    assert 150 <= stored < COUNT

    expected = {}
    for path in (reports / "golden").iterdir():
        golden = json.loads(path.read_text(encoding="utf-8"))
        expected[golden["source"]] = len(golden["cells"])
    cells = dict(Cell.select(Cell.report, fn.COUNT(Cell.id)).group_by(Cell.report).tuples())
    sections = dict(Section.select(Section.report, fn.COUNT(Section.id)).group_by(Section.report).tuples())
    for report in Report.select():
        assert cells[report.id] == expected[Path(report.source_name).name], report.source_name  # whole
        assert sections[report.id] == 6
    assert SourceFile.select().count() == stored  # no file without its report

    again = subprocess.run([OGI, "load", "-q", "--db", db_url, str(reports)], capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith(f"{COUNT} files: {COUNT - stored} loaded, {stored} unchanged, 0 revised, 0 failed")
    assert Report.select().count() == COUNT


def test_reads_while_a_load_runs_all_succeed(db, db_url, reports):
    # one client asking as fast as kept answers come back: past the rate limit, which is not what is tested
    client = create_app({"DATABASE_URL": db_url, "RATELIMIT_ENABLED": False}).test_client()
    loader = start_load(reports, db_url)
    statuses, totals = [], []
    try:
        while loader.poll() is None:
            for path in ("/v1/cells?row=granted&column=total&limit=5", "/v1/aggregates?group_by=year&table=requests",
                         "/v1/reports?limit=3&sort=-id"):
                response = client.get(path)
                statuses.append(response.status_code)
                if path.startswith("/v1/cells"):
                    totals.append(response.json["meta"]["total"])
    finally:
        loader.wait(timeout=300)
    assert loader.returncode == 0
    assert len(statuses) > 30 and set(statuses) == {200}
    assert totals == sorted(totals) and totals[-1] > totals[0]  # the reads saw the load grow
