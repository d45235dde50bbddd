"""Operations: health, readiness, request ids and log lines, and the database going
away and coming back."""
import json
import logging
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from api import create_app
from tests.conftest import POSTGRES_URL


def test_healthz_needs_no_database(client):
    response = client.get("/healthz")
    assert (response.status_code, response.json) == (200, {"status": "ok"})
    assert response.headers["Cache-Control"] == "no-store" and "ETag" not in response.headers


def test_readyz(client):
    assert client.get("/readyz").json == {"status": "ready"}


def test_request_ids_are_kept_or_made(client):
    assert client.get("/v1/codebook", headers={"X-Request-ID": "abc-123"}).headers["X-Request-ID"] == "abc-123"
    made = client.get("/v1/codebook", headers={"X-Request-ID": "bad id with spaces"}).headers["X-Request-ID"]
    assert len(made) == 32 and made.isalnum()


class Records(logging.Handler):
    def __init__(self):
        super().__init__()
        self.records = []

    def emit(self, record):
        self.records.append(record)


def test_one_json_log_line_per_request(client):
    from api.observability import JSONFormatter

    handler = Records()
    logging.getLogger("ogi.access").addHandler(handler)
    try:
        client.get("/v1/cells?year=2020&limit=1", headers={"X-Request-ID": "req-1"})
    finally:
        logging.getLogger("ogi.access").removeHandler(handler)
    [record] = handler.records
    line = json.loads(JSONFormatter().format(record))
    assert {k: line[k] for k in ("message", "request_id", "method", "path", "query", "status")} == {
        "message": "request", "request_id": "req-1", "method": "GET", "path": "/v1/cells",
        "query": "year=2020&limit=1", "status": 200}
    assert line["duration_ms"] >= 0 and line["time"].endswith("Z")


PG_BIN = Path("/usr/lib/postgresql/15/bin")


@pytest.mark.skipif(not POSTGRES_URL or not (PG_BIN / "pg_ctl").exists(), reason="needs PostgreSQL (CI)")
def test_database_down_then_back():
    """Its own throwaway server: stopped under a running app, then started again."""
    folder = Path(tempfile.mkdtemp(prefix="ogi-pg-down-"))
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if as_postgres:
        shutil.chown(folder, "postgres")

    def pg_ctl(*args):
        subprocess.run([*as_postgres, str(PG_BIN / "pg_ctl"), "-D", str(folder / "data"), "-w", *args],
                       check=True, capture_output=True)

    subprocess.run([*as_postgres, str(PG_BIN / "initdb"), "-D", str(folder / "data"), "-U", "postgres", "-A",
                    "trust", "--no-sync"], check=True, capture_output=True)
    options = f"-c listen_addresses='' -k {folder} -c fsync=off"
    pg_ctl("-o", options, "-l", str(folder / "log"), "start")
    try:
        app = create_app({"DATABASE_URL": f"postgresql://postgres@/postgres?host={folder}"})
        client = app.test_client()
        assert client.get("/v1/cells?limit=1").status_code == 200
        pg_ctl("-m", "fast", "stop")
        for path in ("/readyz", "/v1/cells?limit=1", "/v1/agencies/1"):
            response = client.get(path)
            assert response.status_code == 503, path
            assert response.content_type == "application/problem+json"
            assert response.headers["Retry-After"] == "5"
        assert client.get("/healthz").status_code == 200
        pg_ctl("-o", options, "-l", str(folder / "log"), "start")
        assert client.get("/readyz").status_code == 200  # back by itself
        assert client.get("/v1/cells?limit=1").json["meta"]["total"] == 0
    finally:
        subprocess.run([*as_postgres, str(PG_BIN / "pg_ctl"), "-D", str(folder / "data"), "-m", "immediate",
                        "stop"], capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


def test_app_starts_while_the_database_is_down(tmp_path):
    app = create_app({"DATABASE_URL": f"postgresql://postgres@/nothing?host={tmp_path}"})  # no server there
    client = app.test_client()
    assert client.get("/healthz").status_code == 200
    response = client.get("/v1/codebook")
    assert response.status_code == 503 and response.json["detail"].startswith("the database does not answer")


def test_prometheus_metrics(client):
    client.get("/v1/cells?limit=1")
    client.get("/v1/cells?colour=red")
    response = client.get("/metrics")
    assert response.status_code == 200 and response.content_type.startswith("text/plain")
    text = response.get_data(as_text=True)
    assert 'ogi_http_requests_total{endpoint="cells.list_cells",method="GET",status="200"}' in text
    assert 'ogi_http_requests_total{endpoint="cells.list_cells",method="GET",status="400"}' in text
    assert "ogi_http_request_duration_seconds_bucket" in text
