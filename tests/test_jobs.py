"""Uploads as jobs: POST /v1/reports of a file that takes long (one that holds images,
or one over OGI_UPLOAD_SYNC_MAX_BYTES) answers 202 with a job, which a worker parses
and stores (GET /v1/jobs/{id}); small text files still answer 201 at once. Jobs are
kept in the database: they survive a restart, and each runs once however many
workers race for it. Real database, real HTTP through the Flask test client, real
parser (and OCR for the scan)."""
from __future__ import annotations

import io
import threading
import time
from datetime import timedelta

import pytest
from PIL import Image

from api import create_app
from loaders import uploads
from models import ApiKey, Job, Meta, Report, WriteEvent, database, open_database
from models.agency import utcnow
from models.apikey import Scope
from models.job import DONE, FAILED, QUEUED, RUNNING
from models.schema import SCHEMA_VERSION
from tests.conftest import FIXTURES, SEEDS
from tests.test_api_write import auth, corrected_004
from tests.test_cli import ogi
from tests.test_write_scopes import JINJIANG, nanan_004

SCAN_SOURCE = FIXTURES / "corpus" / "014_huaian_hongze_qzf_2024.pdf"
MiB = 1024 * 1024


@pytest.fixture(autouse=True)
def no_worker_left():
    """Each test ends with this process's worker thread stopped (another test's app
    would otherwise share it)."""
    yield
    uploads.stop_in_process()


@pytest.fixture
def key(app):
    return ApiKey.issue("portal", Scope(admin=True))[1]


def large(body: bytes, size: int = MiB + 1) -> bytes:
    """A text report padded with spaces past ``size`` bytes: over the default threshold."""
    body += b"\n"
    return body + b" " * (size - len(body))


def blank_png() -> bytes:
    out = io.BytesIO()
    Image.new("L", (400, 300), 255).save(out, "PNG")
    return out.getvalue()


def wait_for(client, location: str, seconds: float = 120) -> dict:
    """Poll a job until it ends (as a client would, a little faster than Retry-After)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        response = client.get(location)
        assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
        assert "ETag" not in response.headers
        if response.json["status"] in (DONE, FAILED):
            return response.json
        assert response.headers["Retry-After"] == "5"
        time.sleep(0.1)
    raise AssertionError(f"{location} did not end in {seconds} s")


def queued(response) -> str:
    assert response.status_code == 202, response.get_data(as_text=True)
    body = response.json
    assert response.headers["Location"] == f"/v1/jobs/{body['id']}"
    assert response.headers["Retry-After"] == "5"
    assert len(body["id"]) == 32 and int(body["id"], 16) >= 0
    assert body["status"] in (QUEUED, RUNNING) and body["report"] is None and body["error"] is None
    return response.headers["Location"]


# --- what becomes a job ------------------------------------------------------------------

def test_a_small_text_upload_still_answers_201_at_once(client, key):
    response = client.post("/v1/reports?filename=c.txt", data=corrected_004(), headers=auth(key))
    assert response.status_code == 201 and response.json["revision"] == 2
    assert Job.select().count() == 0
    assert uploads.takes_long(blank_png()) and not uploads.takes_long(SCAN_SOURCE.read_bytes())  # a text PDF
    assert not uploads.takes_long(large(corrected_004(), MiB)) and uploads.takes_long(large(corrected_004()))


def test_a_large_text_upload_is_a_job_stored_as_a_direct_upload_is(client, key):
    response = client.post("/v1/reports?filename=big.txt", data=large(corrected_004()), headers=auth(key))
    location = queued(response)
    job = wait_for(client, location)
    assert (job["status"], job["outcome"], job["error"], job["source_name"]) == (
        DONE, "revised", None, "upload:big.txt")
    assert job["created_at"] <= job["started_at"] <= job["finished_at"]
    report = client.get(job["report"])
    assert report.status_code == 200 and (report.json["agency_name"], report.json["revision"]) == (JINJIANG, 2)
    assert report.json["source_name"] == "upload:big.txt"
    review = next(t for t in report.json["tables"] if t["key"] == "review_litigation")
    assert review["rows"][0]["cells"]["total"]["value"] == 3
    event = WriteEvent.get(WriteEvent.report == report.json["id"])  # the key's write, as a direct upload's
    assert (event.action, event.actor, event.via, event.api_key_id) == ("revised", "portal", "api", 1)
    assert Job.get_by_id(job["id"]).content is None  # the report keeps the file; the job does not

    again = wait_for(client, queued(client.post("/v1/reports?filename=big.txt", data=large(corrected_004()),
                                                headers=auth(key))))
    assert (again["status"], again["outcome"], again["report"]) == (DONE, "unchanged", job["report"])


def test_a_file_that_is_not_a_report_is_a_failed_job_with_the_one_line_reason(client, key):
    job = wait_for(client, queued(client.post("/v1/reports?filename=blank.png", data=blank_png(), headers=auth(key))))
    assert job["status"] == FAILED and job["report"] is None and job["outcome"] is None
    assert job["error"].startswith("upload:blank.png: ") and "\n" not in job["error"]
    assert Report.select().count() == len(SEEDS)


def test_out_of_scope_is_403_at_once_for_a_key_that_may_write_nothing_else_a_failed_job(client, key):
    nothing = ApiKey.create(name="old", prefix="ogi_x", digest=ApiKey.digest_of("ogi_old-key-from-before"))
    refused = client.post("/v1/reports", data=large(corrected_004()), headers=auth("ogi_old-key-from-before"))
    assert refused.status_code == 403 and refused.content_type == "application/problem+json"
    assert Job.select().count() == 0 and nothing.id

    jinjiang = ApiKey.issue("jinjiang", Scope.make(agencies=[JINJIANG]))[1]
    job = wait_for(client, queued(client.post("/v1/reports", data=large(nanan_004()), headers=auth(jinjiang))))
    assert job["status"] == FAILED and job["error"].endswith("this report is of 南安市人民政府 (region 南安市)")
    event = WriteEvent.get(WriteEvent.action == "refused", WriteEvent.actor == "jinjiang")
    assert (event.agency_name, event.year, event.detail) == ("南安市人民政府", 2020, job["error"])
    assert not client.get("/v1/reports?agency=南安市人民政府").json["data"]


def test_an_unknown_job_is_404_problem(client):
    for path in ("/v1/jobs/" + "0" * 32, "/v1/jobs/nope"):
        response = client.get(path)
        assert response.status_code == 404 and response.content_type == "application/problem+json"


def test_a_scan_is_a_job_read_by_ocr_and_served(db_url, client, key):
    """The whole 5-page corpus PDF as an image-only scan: OCR under the full limits."""
    from benchmarks.scan import scan_pdf

    scan = scan_pdf(SCAN_SOURCE.read_bytes(), dpi=150)
    started = time.monotonic()
    job = wait_for(client, queued(client.post("/v1/reports?filename=scan.pdf", data=scan, headers=auth(key))), 280)
    took = time.monotonic() - started
    assert job["status"] == DONE, job["error"]
    report = client.get(job["report"]).json
    assert (report["agency_name"], report["year"], report["source_format"]) == ("淮安市洪泽区人民政府", 2024, "pdf")
    statuses = {cell["status"] for t in report["tables"] for r in t["rows"] for cell in r["cells"].values()}
    assert "ocr" in statuses
    print(f"scan of {len(scan):,} bytes: 202 to done in {took:.1f} s ({db_url.split(':')[0]})")


def test_a_job_cut_short_by_its_process_ending_is_queued_again_not_failed(db, client, key):
    """A web worker recycled (OGI_MAX_REQUESTS) or stopped while its thread parses a job
    (gunicorn's worker_exit, and atexit, call uploads.leaving): the job goes back to the
    queue, the claim not counted; the cut-short parse stores nothing; the job then runs
    to its end once, as if the process had not ended: here the page's own outcome (one
    page of a report is not a report), not the end of the process."""
    from benchmarks.scan import scan_png

    page = scan_png(SCAN_SOURCE.read_bytes(), 1, dpi=150)
    location = queued(client.post("/v1/reports?filename=page.png", data=page, headers=auth(key)))
    job_id = location.rsplit("/", 1)[1]
    deadline = time.monotonic() + 60
    while Job.get_by_id(job_id).status != RUNNING:
        assert time.monotonic() < deadline, "the job never started"
        time.sleep(0.05)
    assert uploads.leaving() == 1
    again = Job.get_by_id(job_id)
    assert (again.status, again.worker, again.attempts) == (QUEUED, None, 0)
    job = wait_for(client, location, 240)
    assert (job["status"], job["error"]) == (FAILED, "upload:page.png: tables: no report tables found (sections 二, "
                                             "三 and 四 hold no table rows): this does not look like a government "
                                             "information disclosure annual report")
    assert Job.get_by_id(job_id).attempts == 1


# --- kept in the database ------------------------------------------------------------------

def test_jobs_survive_a_restart_and_a_worker_that_is_gone(db, db_url, tmp_path):
    """A job queued by an app that stopped, and one left running by a worker that is
    gone (its heartbeat an hour old): a new app's worker runs both."""
    from loaders.load import load_paths

    assert load_paths(SEEDS).failed == 0
    key = ApiKey.issue("portal", Scope(admin=True))[0]
    waiting = uploads.enqueue(large(corrected_004()), "waiting.txt", key)
    stale = uploads.enqueue(large(nanan_004()), "stale.txt", key)
    hour_ago = utcnow() - timedelta(hours=1)
    Job.update(status=RUNNING, worker="gone:1:1", started_at=hour_ago, heartbeat_at=hour_ago, attempts=1).where(
        Job.id == stale.id).execute()

    client = create_app({"DATABASE_URL": db_url, "TESTING": True, "RATELIMIT_ENABLED": False}).test_client()
    first, second = wait_for(client, f"/v1/jobs/{waiting.id}"), wait_for(client, f"/v1/jobs/{stale.id}")
    assert (first["status"], first["outcome"], second["status"], second["outcome"]) == (DONE, "revised", DONE, "loaded")
    assert Job.get_by_id(stale.id).attempts == 2 and Job.get_by_id(stale.id).worker != "gone:1:1"


def test_a_job_whose_worker_died_too_often_fails(db):
    key = ApiKey.issue("portal", Scope(admin=True))[0]
    job = uploads.enqueue(corrected_004(), "c.txt", key)
    hour_ago = utcnow() - timedelta(hours=1)
    Job.update(status=RUNNING, heartbeat_at=hour_ago, attempts=uploads.MAX_ATTEMPTS).where(Job.id == job.id).execute()
    assert uploads.requeue_stale(60) == 0
    job = Job.get_by_id(job.id)
    assert job.status == FAILED and job.error.startswith("the worker stopped 3 times") and job.content is None


def test_two_workers_racing_claim_each_job_once(db):
    key = ApiKey.issue("portal", Scope(admin=True))[0]
    for round_ in range(20):
        job = uploads.enqueue(f"round {round_}".encode(), "x.txt", key)
        barrier, claimed = threading.Barrier(2), []

        def claim(name, barrier=barrier, claimed=claimed):
            barrier.wait()
            claimed.append(uploads.claim(name))
            database.close()

        threads = [threading.Thread(target=claim, args=(f"worker-{n}",)) for n in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        won = [c for c in claimed if c is not None]
        assert len(won) == 1 and won[0].id == job.id and won[0].attempts == 1, claimed
        assert Job.get_by_id(job.id).worker == won[0].worker
        Job.update(status=DONE).where(Job.id == job.id).execute()


def test_two_workers_run_a_queue_each_job_once(db):
    from loaders.load import load_paths

    assert load_paths(SEEDS).failed == 0
    key = ApiKey.issue("portal", Scope(admin=True))[0]
    files = [corrected_004(), nanan_004(), nanan_004().replace("南安市".encode(), "石狮市".encode()), b"not a report"]
    jobs = [uploads.enqueue(data, f"{n}.txt", key) for n, data in enumerate(files)]

    def work():
        uploads.Worker(poll=0.05).work(threading.Event(), until_idle=True)
        database.close()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    ended = [Job.get_by_id(j.id) for j in jobs]
    assert [(j.status, j.outcome, j.attempts) for j in ended] == [
        (DONE, "revised", 1), (DONE, "loaded", 1), (DONE, "loaded", 1), (FAILED, None, 1)]
    assert len({j.worker for j in ended}) == 2  # both worked
    stored = WriteEvent.select().where(WriteEvent.api_key == key.id)
    assert sorted(e.action for e in stored) == ["created", "created", "revised"]  # each stored once


def test_ogi_jobs_work_runs_the_queue_in_its_own_process(db, db_url):
    key = ApiKey.issue("portal", Scope(admin=True))[0]
    job = uploads.enqueue(corrected_004(), "cli.txt", key)
    run = ogi("jobs", "work", "--until-idle", db_url=db_url)
    assert run.returncode == 0, run.stderr
    job = Job.get_by_id(job.id)
    assert (job.status, job.outcome, job.report.agency.name) == (DONE, "loaded", JINJIANG)


def test_a_version_8_database_gets_the_job_table(db, db_url):
    db.drop_tables([Job])
    Meta.update(value="8").where(Meta.key == "schema_version").execute()
    db.close()
    open_database(db_url).connect(reuse_if_open=True)
    assert Meta.get(Meta.key == "schema_version").value == str(SCHEMA_VERSION)
    assert Job.select().count() == 0


def test_a_gunicorn_worker_running_a_job_is_not_recycled_until_it_ends(tmp_path):
    """Real ``ogi serve`` (one worker, recycled after every 4 requests): while its thread
    parses an upload job, the worker serves on and is not recycled, so the job is
    claimed once and runs to its end (here the page's own outcome) under steady reads."""
    import json
    import os
    import signal
    import subprocess
    import urllib.request

    from benchmarks.scan import scan_png
    from tests.test_cli import OGI
    from tests.test_serve import free_port
    from tests.test_serve import wait_for as wait_until_up

    url = f"sqlite:///{tmp_path / 'ogi.sqlite3'}"
    assert ogi("load", "--quiet", *SEEDS, db_url=url).returncode == 0
    made = ogi("keys", "create", "portal", "--admin", db_url=url)
    key = next(word for word in made.stdout.split() if word.startswith("ogi_"))
    port = free_port()
    env = {**os.environ, "OGI_MAX_REQUESTS": "4", "OGI_RATE_LIMIT": "off"}
    server = subprocess.Popen([OGI, "serve", "--port", str(port), "--workers", "1", "--db", url], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base + "/healthz")
        page = scan_png(SCAN_SOURCE.read_bytes(), 1, dpi=150)
        request = urllib.request.Request(base + "/v1/reports?filename=page.png", data=page, method="POST",
                                         headers={"Authorization": f"Bearer {key}"})
        with urllib.request.urlopen(request, timeout=60) as response:
            assert response.status == 202
            location = response.headers["Location"]
        claims, job, reads = set(), {}, 0
        deadline = time.monotonic() + 240
        while job.get("status") not in (DONE, FAILED):
            assert time.monotonic() < deadline, f"the job did not end: {job}"
            with urllib.request.urlopen(base + location, timeout=30) as response:
                job = json.load(response)
            if job["started_at"]:
                claims.add(job["started_at"])
            for _ in range(3):  # steady reads: the worker would be recycled every 4 requests
                urllib.request.urlopen(base + "/v1/codebook", timeout=30).read()
                reads += 1
            time.sleep(0.1)
        assert reads > 8
        assert job["status"] == FAILED and "tables: no report tables found" in job["error"]
        assert len(claims) == 1  # claimed once: never cut short and queued again
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
