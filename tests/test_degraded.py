"""Degraded, not dead: a read-only database still serves reads and ``/readyz`` tells
it apart; a full disk is named as such and leaves nothing partial; stored file names
are never paths of the server."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from loaders.load import load_paths
from models import Report, database, open_database
from models.rollup import CellRollup
from models.rollup_ops import rebuild_rollups
from tests.conftest import POSTGRES_URL, SEEDS
from tests.test_cli import ogi

READS = ["/v1/reports", "/v1/agencies", "/v1/cells?limit=5", "/v1/bulk/reports.csv", "/v1/reports/1"]


def loaded_sqlite(folder: Path) -> Path:
    path = folder / "ogi.sqlite3"
    open_database(f"sqlite:///{path}")
    assert load_paths(SEEDS).failed == 0
    database.close()
    return path


def admin_key() -> str:
    from models.apikey import ApiKey, Scope

    return ApiKey.issue("degraded", Scope(admin=True))[1]


def assert_refuses_writes(client, key: str):
    response = client.delete("/v1/reports/1", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 503 and response.mimetype == "application/problem+json"
    assert "takes no writes" in response.json["detail"]


def api(url: str, tmp_path):
    from api import create_app
    from tests.conftest import ClosingClient

    app = create_app({"DATABASE_URL": url, "TESTING": True, "RATELIMIT_ENABLED": False,
                      "EXPORT_DIR": str(tmp_path / "exports")})
    app.test_client_class = ClosingClient
    return app.test_client()


def assert_serves_reads_read_only(client, why: str):
    for path in READS:
        response = client.get(path)
        assert response.status_code == 200, (path, response.get_data(as_text=True))
    assert len(client.get("/v1/reports").json["data"]) == 5
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.mimetype == "application/problem+json"
    assert ready.json["readiness"] == "read-only" and why in ready.json["detail"]
    reads = client.get("/readyz?reads")
    assert reads.status_code == 200 and reads.json["status"] == "read-only" and why in reads.json["detail"]
    assert client.get("/healthz").status_code == 200


def test_a_sqlite_database_opened_read_only_serves_reads(tmp_path):
    path = loaded_sqlite(tmp_path)
    open_database(f"sqlite:///{path}")
    key = admin_key()
    database.close()
    client = api(f"sqlite:///{path}?mode=ro", tmp_path)
    assert_serves_reads_read_only(client, "read-only")
    assert_refuses_writes(client, key)
    before = path.read_bytes()
    load = ogi("load", SEEDS[0].parent / "../corpus", db_url=f"sqlite:///{path}?mode=ro")
    assert load.returncode == 1
    assert "readonly database" in load.stderr and "Traceback" not in load.stderr
    assert path.read_bytes() == before


@pytest.fixture
def read_only_folder(tmp_path):
    """A folder holding a loaded database, mounted read-only elsewhere (a read-only
    volume: SQLite cannot make its -shm file there). Needs root and mount."""
    source, mounted = tmp_path / "rw", tmp_path / "ro"
    source.mkdir()
    mounted.mkdir()
    loaded_sqlite(source)
    for extra in source.glob("*.sqlite3-*"):
        extra.unlink()  # closed cleanly: all is in the main file
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("needs root to mount a read-only folder")
    if subprocess.run(["mount", "--bind", "-o", "ro", str(source), str(mounted)], capture_output=True).returncode:
        pytest.skip("mount --bind -o ro is not allowed here")
    try:
        yield mounted / "ogi.sqlite3"
    finally:
        database.close()  # the app's connection holds the file open
        subprocess.run(["umount", "--lazy", str(mounted)], check=True)


def test_a_sqlite_database_in_a_read_only_folder_serves_reads(read_only_folder, tmp_path):
    client = api(f"sqlite:///{read_only_folder}", tmp_path)  # no ?mode=ro: found out
    assert_serves_reads_read_only(client, "read-only")


def test_a_read_only_postgresql_database_serves_reads(db_url, db, tmp_path):
    if db_url != POSTGRES_URL:
        pytest.skip("PostgreSQL's default_transaction_read_only")
    assert load_paths(SEEDS).failed == 0
    key = admin_key()
    database.close()
    read_only = POSTGRES_URL + ("&" if "?" in POSTGRES_URL else "?") + "options=-c%20default_transaction_read_only%3Don"
    client = api(read_only, tmp_path)
    assert_serves_reads_read_only(client, "transaction_read_only is on")
    assert_refuses_writes(client, key)
    load = ogi("load", SEEDS[0].parent / "../corpus", db_url=read_only)
    assert load.returncode == 1 and "read-only transaction" in load.stderr


def test_readyz_says_ready_when_writes_work(app, client):
    assert client.get("/readyz").json == {"status": "ready"}


# ---- a full disk --------------------------------------------------------------------------------

def fill_up(extra_pages: int) -> None:
    pages = database.execute_sql("PRAGMA page_count").fetchone()[0]
    database.execute_sql(f"PRAGMA max_page_count = {pages + extra_pages}")


def state():
    return (Report.select().count(),
            sorted(CellRollup.select(CellRollup.year, CellRollup.table_key, CellRollup.row_key,
                                     CellRollup.column_key, CellRollup.cells, CellRollup.total)
                   .where(CellRollup.cells != 0).tuples()))


@pytest.mark.parametrize("batch", [1, 3, 100])
def test_a_full_disk_fails_the_load_saying_so_and_stores_nothing_partial(tmp_path, batch):
    open_database(f"sqlite:///{tmp_path / 'full.sqlite3'}").connect(reuse_if_open=True)
    assert load_paths(SEEDS[:1]).failed == 0
    before = state()
    fill_up(2)  # SQLITE_FULL, as a full disk gives it: any report needs more
    summary = load_paths(SEEDS[1:], batch=batch)
    assert summary.failed == len(SEEDS) - 1
    for outcome in summary.outcomes:
        assert "database or disk is full" in outcome.error, outcome.error
        assert "cannot rollback" not in outcome.error and "no such savepoint" not in outcome.error
    assert state() == before  # nothing partial: no report, no cell in the rollup
    rebuild_rollups()
    assert state() == before
    fill_up(10_000)  # room again: the same files load whole
    assert load_paths(SEEDS[1:], batch=batch).failed == 0
    assert state()[0] == len(SEEDS)


def test_a_full_disk_fails_one_store_saying_so(tmp_path):
    """One report stored alone (as an upload is) on a full disk: the error is the disk's."""
    from peewee import OperationalError

    from loaders.document import parse_file
    from loaders.store import store_report

    open_database(f"sqlite:///{tmp_path / 'full.sqlite3'}").connect(reuse_if_open=True)
    assert load_paths(SEEDS[:1]).failed == 0
    before = state()
    fill_up(2)
    with pytest.raises(OperationalError, match="database or disk is full"):
        store_report(parse_file(SEEDS[1]))
    assert state() == before
    assert not database.in_transaction()


def test_a_database_at_its_size_limit_is_not_ready_for_writes(tmp_path):
    from models.db import writes_refused

    open_database(f"sqlite:///{tmp_path / 'full.sqlite3'}").connect(reuse_if_open=True)
    assert writes_refused() is None
    fill_up(0)
    assert "the database is full" in writes_refused()


# ---- file names -----------------------------------------------------------------------------------

def test_stored_names_are_relative_to_what_was_named_never_server_paths(db, tmp_path, app, client):
    folder = tmp_path / "reports" / "2023"
    folder.mkdir(parents=True)
    (folder / "a.txt").write_text(SEEDS[0].read_text(encoding="utf-8").replace("晋江市", "南安市"), encoding="utf-8")
    other = tmp_path / "elsewhere" / "b.txt"
    other.parent.mkdir()
    other.write_text(SEEDS[1].read_text(encoding="utf-8").replace("晋江市", "石狮市"), encoding="utf-8")
    assert load_paths([tmp_path / "reports", other.resolve()]).failed == 0
    names = {r.source_name for r in Report.select().where(Report.source_name.in_(["2023/a.txt", "b.txt"]))}
    assert names == {"2023/a.txt", "b.txt"}
    # the seeds were loaded by absolute path (the app fixture): their names are file names
    served = client.get("/v1/reports?limit=100").json["data"]
    assert all(not r["source_name"].startswith("/") and str(tmp_path) not in r["source_name"] for r in served)
    # a report stored before, under a server path, is still served, and downloads under its file name
    old = Report.get(Report.source_name == "2023/a.txt")
    Report.update(source_name=str(folder / "a.txt")).where(Report.id == old.id).execute()
    database.close()
    response = client.get(f"/v1/reports/{old.id}/source")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].endswith("''a.txt")
