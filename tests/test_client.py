"""The Python client (client/, installed as ``ogi_client``) against the API over real
HTTP: gunicorn serving the seeds from a new SQLite file (``ogi serve``), and, for what
the seeds cannot make the API do (503, 429, 410, a dropped connection), a real local
HTTP server that answers as scripted. The module imports the installed client: without
it, the module fails (it is installed by the README's first command)."""
from __future__ import annotations

import http.server
import io
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from email.utils import format_datetime

import httpx
import ogi_client
import pandas as pd
import pytest
from ogi_client import ApiError, Client, JobFailed, PagingRestart, Retry

from tests.conftest import FIXTURES
from tests.test_api_write import corrected_004
from tests.test_cli import ogi
from tests.test_serve import served

JINJIANG = "晋江市人民政府"  # the seed 004: 2020, layout 2019, report 5
PROCUREMENT = Decimal("249887966.42")  # its procurement amount (元), the one value with a fraction


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with served(tmp_path_factory.mktemp("client")) as running:
        yield running


@pytest.fixture
def api(server) -> Iterator[Client]:
    with Client(server.base) as client:
        yield client


def test_the_installed_client_is_the_one_of_this_repository():
    assert ogi_client.__file__.endswith("client/ogi_client/__init__.py"), ogi_client.__file__
    assert ogi_client.__version__ == "0.1.0"


# -- every call, real values ---------------------------------------------------------------

def test_root_documents_and_codebook(api, server):
    root = api.root()
    assert root["resources"]["cells"] == f"{server.base}/v1/cells"
    assert Client(server.base + "/v1/").root() == root  # a base URL ending in /v1 is the same server
    document = api.openapi()
    assert document["openapi"].startswith("3.1") and "/v1/cells" in document["paths"]
    codebook = api.codebook()
    assert codebook["layouts"] == ["2019", "2021"]
    assert {"disclosure", "requests", "review_litigation"} <= set(codebook["tables"])
    catalog = api.catalog()
    assert catalog["@type"] == "dcat:Catalog"
    assert api.data_json()["conformsTo"].startswith("https://project-open-data")


def test_agencies_and_an_agency(api):
    agencies = api.agencies(year=2020)
    assert [a["name"] for a in agencies] == [JINJIANG]
    assert agencies.total == 1
    every = api.agencies(page_size=2).all()
    assert len(every) == 5 and len({a["id"] for a in every}) == 5
    agency_id = agencies.first_page().data[0]["id"]
    detail = api.agency(agency_id)
    assert detail["name"] == JINJIANG and detail["years"] == [2020]
    year = detail["reports"][0]
    assert (year["year"], year["layout"], year["revision"]) == (2020, "2019", 1)
    assert year["headline"]["reconsideration_total"] == 2


def test_reports_a_report_its_files_and_history(api):
    reports = api.reports(agency=JINJIANG)
    (report,) = list(reports)
    assert (report["year"], report["layout"], report["is_current"], report["source_name"]) == \
        (2020, "2019", True, "004_0ec7f487509b9c4f.txt")
    assert [r["id"] for r in api.reports(year=[2022, 2023], sort="id")] == [1, 2, 3, 4]
    assert [r["year"] for r in api.reports(year_from=2022, year_to=2022)] == [2022]

    detail = api.report(report["id"])
    review = next(t for t in detail["tables"] if t["key"] == "review_litigation")
    assert review["rows"][0]["key"] == "review" and review["rows"][0]["cells"]["total"]["value"] == 2
    disclosure = next(t for t in detail["tables"] if t["key"] == "disclosure")
    amount = next(r for r in disclosure["rows"] if r["key"] == "procurement")["cells"]["procurement_amount"]
    assert amount["value"] == PROCUREMENT and isinstance(amount["value"], Decimal) and amount["raw"] == "249887966.42"
    assert [s["number"] for s in detail["sections"]][:1] == [1]

    source = FIXTURES / "seeds" / report["source_name"]
    assert api.report_source(report["id"]) == source.read_bytes()  # byte for byte
    assert api.report_tables_xlsx(report["id"])[:2] == b"PK"  # a zip: the workbook
    history = api.report_history(report["id"]).all()
    assert [(e["action"], e["actor"], e["via"]) for e in history] == [("created", "operator", "cli")]
    with pytest.raises(ApiError) as page:  # a text report has no page images
        api.report_page_png(report["id"], 1)
    assert page.value.status == 404


def test_cells_aggregates_findings_indicators(api):
    cells = api.cells(agency=JINJIANG, column="procurement_amount")
    (cell,) = list(cells)
    assert (cell["table"], cell["row"], cell["value"], cell["status"]) == \
        ("disclosure", "procurement", PROCUREMENT, "reported")
    assert type(cell["value"]) is Decimal and type(cell["report_id"]) is int
    # a Decimal filter goes out in plain notation, exact
    assert [c["value"] for c in api.cells(column="procurement_amount", value_gte=PROCUREMENT)] == [PROCUREMENT]
    assert list(api.cells(column="procurement_amount", value_gte=PROCUREMENT + Decimal("0.01"))) == []
    with pytest.raises(TypeError, match="float is not exact"):
        api.cells(value_gte=0.1)
    denied = api.cells(year=2020, row="denied.*", column="total")
    assert {c["row"] for c in denied} == {r for r in api.codebook()["row_groups"]["denied"]}

    sums = api.aggregates(group_by="column", column=["fee_amount", "procurement_amount"]).all()
    assert [(a["column"], a["value"], a["unit"]) for a in sums] == \
        [("fee_amount", 0, "万元"), ("procurement_amount", PROCUREMENT, "元")]
    (counted,) = api.aggregates(metric="count", table="requests", year=2020)
    assert counted["value"] == counted["values"] and counted["cells"] >= counted["values"] > 0

    findings = api.findings().all()
    assert len(findings) == 11 and all(f["rule"] in api.codebook()["rules"] for f in findings)
    assert {f["rule"] for f in api.findings(rule=findings[0]["rule"])} == {findings[0]["rule"]}

    (rate,) = api.indicators(indicator="disclosure_rate", group_by="year", year=2020)
    assert (rate["value"], rate["numerator"], rate["denominator"]) == (Decimal("0.705628"), 163, 231)
    definitions = api.indicator_definitions()
    assert "disclosure_rate" in {d["key"] for d in definitions}


def test_csv_jsonstat_and_bulk_files(api, tmp_path):
    text = api.csv("/v1/cells", column="procurement_amount", agency=JINJIANG)
    assert text.splitlines()[1].split(",")[9] == "249887966.42"
    dataset = api.jsonstat("/v1/cells", agency=JINJIANG, column="procurement_amount")
    assert dataset["class"] == "dataset" and list(dataset["value"].values()) == [PROCUREMENT]

    cells_csv = api.bulk_csv("cells")
    assert cells_csv.startswith(b"report_id,") and cells_csv.count(b"\n") == 996 + 1
    written = api.bulk_csv("agencies", tmp_path / "agencies.csv")
    assert written == tmp_path / "agencies.csv" and written.read_text(encoding="utf-8").count("\n") == 5 + 1
    buffer = io.BytesIO()
    api.bulk_csv("reports", buffer)
    assert buffer.getvalue().count(b"\n") == 5 + 1
    assert api.bulk_parquet()[:4] == b"PAR1"
    package = api.datapackage()
    assert {r["name"] for r in package["resources"]} >= {"agencies", "reports", "cells", "findings"}


# -- paging ----------------------------------------------------------------------------------

def test_paging_follows_next_across_small_pages_every_record_once(api):
    whole = api.cells(page_size=10_000).first_page()
    assert whole.meta["total"] == 996 and whole.next is None

    pager = api.cells(page_size=37)
    pages = list(pager.pages())
    assert len(pages) == -(-996 // 37)
    for page, following in zip(pages, pages[1:], strict=False):
        assert httpx.URL(following.url) == httpx.URL(page.next)  # the link as the API gave it, nothing computed
    records = [cell for page in pages for cell in page.data]
    key = lambda c: (c["report_id"], c["table"], c["row"], c["column"])  # noqa: E731
    assert len(records) == 996 and len({key(c) for c in records}) == 996  # no duplicates
    assert sorted(records, key=key) == sorted(whole.data, key=key)  # and none left out
    assert list(pager) == records  # iterating again starts over
    assert [r["id"] for r in api.reports(page_size=1, sort="-id")] == [5, 4, 3, 2, 1]


def test_the_dataframe_of_cells_equals_the_csv(api):
    filters = dict(table="disclosure", revisions="current")
    frame = api.cells_frame(**filters, page_size=40)  # several pages
    csv = pd.read_csv(api.url("/v1/cells", **filters, format="csv", limit=10_000), dtype=str,
                      keep_default_na=False)
    assert len(frame) == len(csv) == api.cells(**filters).total > 40
    assert list(frame.columns) == list(csv.columns)

    # value: Decimal objects (never float), equal to the CSV's text read as Decimal
    assert frame["value"].dtype == object
    assert all(v is None or type(v) is Decimal for v in frame["value"])
    assert list(frame["value"]) == [Decimal(s) if s else None for s in csv["value"]]
    assert PROCUREMENT in set(frame["value"])
    assert frame["value"].dropna().sum() == sum(Decimal(s) for s in csv["value"] if s)  # exact sum

    # every column as text: the same table
    def text(value) -> str:
        return "" if value is None or value is pd.NA or (isinstance(value, float) and value != value) else str(value)

    pd.testing.assert_frame_equal(frame.map(text).astype(object), csv.astype(object))
    assert frame["report_id"].dtype == "int64" and frame["year"].dtype == "int64"


def test_a_pager_is_a_dataframe_too(api):
    frame = api.aggregates(group_by="column", column=["fee_amount", "procurement_amount"]).to_dataframe()
    assert list(frame["value"]) == [Decimal(0), PROCUREMENT] and frame["value"].dtype == object
    assert frame["value"].sum() == PROCUREMENT
    reports = api.reports().to_dataframe()
    assert list(reports["id"]) == [1, 2, 3, 4, 5] and reports["is_current"].dtype == bool
    indicators = api.indicators(group_by="year", indicator="litigation_correction_rate").to_dataframe()
    assert indicators["value"].dtype == object and indicators["value"].isna().all()  # below the minimum: null


# -- errors --------------------------------------------------------------------------------------

def test_problems_are_api_errors_with_their_fields(api):
    with pytest.raises(ApiError) as missing:
        api.report(999_999)
    error = missing.value
    assert (error.status, error.type, error.title, error.detail, error.instance) == \
        (404, "about:blank", "Not Found", "no report 999999", "/v1/reports/999999")
    assert error.invalid_params == [] and "404 Not Found: no report 999999" in str(error)

    with pytest.raises(ApiError) as bad:
        list(api.cells(row="nope", page_size=0))
    assert bad.value.status == 400 and bad.value.title == "Bad Request"
    assert {p["name"] for p in bad.value.invalid_params} == {"row", "limit"}
    assert bad.value.problem["invalid_params"] == bad.value.invalid_params
    assert "row: unknown row 'nope'" in str(bad.value)

    with pytest.raises(ApiError) as unauthorized:  # a write without a key
        api.upload(b"x", "x.txt")
    assert unauthorized.value.status == 401 and unauthorized.value.title == "Unauthorized"


# -- a scripted server: 503, 429, 410, a dropped connection -----------------------------------

@dataclass
class Scripted:
    """A real HTTP server on loopback that answers each request with the next answer of
    its script (status, headers, body), or drops the connection for ``None``."""
    answers: list
    requests: list = field(default_factory=list)
    base: str = ""


@contextmanager
def scripted(*answers) -> Iterator[Scripted]:
    state = Scripted(list(answers))

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def answer(self):
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            state.requests.append((self.command, self.path, time.time(), self.headers.get("Authorization")))
            script = state.answers.pop(0) if len(state.answers) > 1 else state.answers[0]
            if script is None:  # hang up without an answer
                self.close_connection = True
                return
            status, headers, body = script
            body = (json.dumps(body, ensure_ascii=False) if isinstance(body, dict) else body).encode()
            self.send_response(status)
            for name, value in {"Content-Type": "application/json", **headers}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_DELETE = answer

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def problem(status: int, title: str, detail: str) -> tuple:
    return status, {"Content-Type": "application/problem+json"}, \
        {"type": "about:blank", "title": title, "status": status, "detail": detail}


OK = (200, {}, '{"ok": 1.10}')  # an exact number the way a float would lose it


def test_503_then_200_waits_the_seconds_of_retry_after():
    busy = problem(503, "Service Unavailable", "busy")
    with scripted((*busy[:1], {**busy[1], "Retry-After": "1"}, busy[2]), OK) as server, Client(server.base) as api:
        assert api.get_json("/v1/codebook") == {"ok": Decimal("1.10")}
    first, second = (at for _, _, at, _ in server.requests)
    assert 1.0 <= second - first < 10


def test_429_with_an_http_date_then_200():
    date = (datetime.now(UTC) + timedelta(seconds=2)).replace(microsecond=0)  # an HTTP date has whole seconds
    limited = (429, {"Retry-After": format_datetime(date, usegmt=True), "Content-Type": "application/problem+json"},
               {"title": "Too Many Requests", "status": 429})
    with scripted(limited, OK) as server, Client(server.base) as api:
        assert api.get_json("/v1/cells") == {"ok": Decimal("1.10")}
    first, second = (at for _, _, at, _ in server.requests)
    assert date.timestamp() - 0.05 <= second < first + 10  # asked again at the date, not before


def test_retries_are_bounded():
    busy = (503, {"Retry-After": "0"}, {"title": "Service Unavailable", "status": 503})
    with scripted(busy) as server, Client(server.base, retry=Retry(attempts=3)) as api:
        with pytest.raises(ApiError) as error:
            api.get_json("/v1/cells")
    assert error.value.status == 503 and len(server.requests) == 3

    later = (429, {"Retry-After": "3600"}, {"title": "Too Many Requests", "status": 429})
    with scripted(later, OK) as server, Client(server.base, retry=Retry(max_wait=30)) as api:
        started = time.monotonic()
        with pytest.raises(ApiError) as error:
            api.get_json("/v1/cells")
    assert time.monotonic() - started < 10 and len(server.requests) == 1  # not waited for an hour
    assert (error.value.status, error.value.retry_after) == (429, 3600)

    with scripted(problem(500, "Internal Server Error", "boom"), OK) as server, Client(server.base) as api:
        with pytest.raises(ApiError):
            api.get_json("/v1/cells")
    assert len(server.requests) == 1  # only 429 and 503 are retried


def test_a_dropped_connection_is_retried_for_a_get_not_for_an_upload():
    with scripted(None, OK) as server, Client(server.base, "k", retry=Retry(backoff=0.05)) as api:
        assert api.get_json("/v1/agencies") == {"ok": Decimal("1.10")}
    assert [(r[0], r[3]) for r in server.requests] == [("GET", None), ("GET", None)]  # the key only to write

    with scripted(None, (201, {}, {"id": 1})) as server, Client(server.base, api_key="k") as api:
        with pytest.raises(httpx.TransportError):
            api.upload(b"report", "r.txt")
    assert [(r[0], r[1], r[3]) for r in server.requests] == [("POST", "/v1/reports?filename=r.txt", "Bearer k")]


def test_a_next_link_gone_is_a_paging_restart(tmp_path):
    with scripted() as server:
        first = (200, {}, {"data": [{"id": 1}, {"id": 2}],
                           "meta": {"total": 4, "limit": 2, "offset": 0, "next": f"{server.base}/v1/reports?cursor=x"}})
        gone = problem(410, "Gone", "the data changed since the first page: start again")
        server.answers[:] = [first, gone, first, gone]
        with Client(server.base) as api:
            pager = api.reports(page_size=2)
            seen = []
            with pytest.raises(PagingRestart) as restart:
                for report in pager:
                    seen.append(report["id"])
            assert seen == [1, 2]
            assert isinstance(restart.value, ApiError) and restart.value.status == 410
            assert restart.value.detail == "the data changed since the first page: start again"
            with pytest.raises(PagingRestart):  # iterating again starts from the first page
                list(pager)
    assert [path for _, path, _, _ in server.requests] == \
        ["/v1/reports?limit=2", "/v1/reports?cursor=x", "/v1/reports?limit=2", "/v1/reports?cursor=x"]

    with scripted(gone) as server, Client(server.base) as api:  # a first page that is gone: a plain error
        with pytest.raises(ApiError) as error:
            list(api.reports())
    assert type(error.value) is ApiError


# -- writes: upload, wait for a job, retract ----------------------------------------------------

def test_upload_wait_and_retract_with_an_api_key(tmp_path):
    with served(tmp_path) as running:
        made = ogi("keys", "create", "client-tests", "--admin", db_url=running.db_url)
        key = made.stdout.strip().split(": ")[1]
        with Client(running.base, api_key=key) as api:
            stored = api.upload(corrected_004(), "004-corrected.txt")
            assert stored.status == 201 and stored.job is None
            report = api.wait(stored)  # stored at once: no job to wait for
            assert (report["agency_name"], report["year"], report["revision"]) == (JINJIANG, 2020, 2)
            assert report["source_name"] == "upload:004-corrected.txt"
            assert stored.location.endswith(f"/v1/reports/{report['id']}")
            again = api.upload(corrected_004(), "again.txt")
            assert (again.status, again.report["id"]) == (200, report["id"])  # stored already

            path = tmp_path / "large.txt"  # over 1 MiB: a job
            path.write_bytes(corrected_004() + b"\n" + b" " * (1024 * 1024))
            queued = api.upload(path)
            assert queued.status == 202 and queued.job["status"] in ("queued", "running")
            assert queued.location == f"/v1/jobs/{queued.job['id']}" and queued.retry_after == 5
            assert api.job(queued.job["id"])["source_name"] == "upload:large.txt"
            revised = api.wait(queued, interval=0.2, timeout=120)
            assert (revised["revision"], revised["is_current"], revised["source_name"]) == \
                (3, True, "upload:large.txt")
            assert api.job(queued.job["id"])["outcome"] == "revised"

            bad = api.upload(b"\x00\x01binary" + b" " * (1024 * 1024), "bad.bin")
            with pytest.raises(JobFailed) as failed:
                api.wait(bad.job, interval=0.2, timeout=120)
            assert "binary content" in failed.value.job["error"]

            api.retract(revised["id"])
            assert api.report(revised["id"])["is_current"] is False
            assert api.report(report["id"])["is_current"] is True
            actions = [e["action"] for e in api.report_history(report["id"])]
            assert actions == ["created", "revised", "unchanged", "revised", "retracted"]
        with Client(running.base, api_key="ogi_not_a_key") as stranger:
            with pytest.raises(ApiError) as refused:
                stranger.retract(report["id"])
        assert refused.value.status == 401
