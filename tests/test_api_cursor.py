"""Cursor paging: a walk returns the rows there were when it began, each once, in order,
while loads add revisions between its pages (and while a writer thread loads); a
retraction under it is a 410 that says to start again; a cursor is checked."""
from __future__ import annotations

import threading
import time
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest

from api.paging import Cursor, decode, encode
from benchmarks.generate import generate
from loaders.load import load_paths
from loaders.store import retract_report
from models import Agency, Cell, Report, database
from tests.conftest import SEEDS

GENERATED = 6  # agency-years of the generated reports: seed=2 makes a second version of each seed=1 one


@pytest.fixture
def revisions(app, tmp_path):
    """The seeds and six generated reports stored; the second versions of those six
    (the same agencies and years, other numbers) and six new agency-years, to load."""
    first = generate(GENERATED, tmp_path / "first", seed=1)
    assert load_paths(first).failed == 0
    second = generate(GENERATED, tmp_path / "second", seed=2)
    return second


def current_cells() -> list[tuple]:
    """The current cells as a walk serves them: (report, table, row, column), in order."""
    query = (Cell.select(Cell.report, Cell.table_key, Cell.row_key, Cell.column_key).join(Report)
             .where(Report.is_current == True).order_by(Cell.report, Cell.id).tuples())  # noqa: E712
    return list(query)


def keys(page: list[dict]) -> list[tuple]:
    return [(c["report_id"], c["table"], c["row"], c["column"]) for c in page]


def walk(client, url: str, between=lambda n: None, method="GET", body=None) -> tuple[list[tuple], int]:
    """Every page of a walk from ``url`` (calling ``between`` after each page); the rows
    and the number of pages."""
    rows, pages, offset = [], 0, None
    while url:
        response = client.post(url, json=body) if method == "POST" else client.get(url)
        assert response.status_code == 200, response.get_data(as_text=True)
        rows += keys(response.json["data"])
        offset = response.json["meta"]["offset"] if offset is None else offset  # the records before this page
        assert response.json["meta"]["offset"] == offset + len(rows) - len(response.json["data"])
        url = response.json["meta"]["next"]
        pages += 1
        between(pages)
    return rows, pages


def test_a_walk_while_revisions_are_stored_between_its_pages_returns_the_start_exactly(client, revisions):
    before = current_cells()
    stored = []

    def store(page: int):  # a second version of a generated report after each of the first pages
        if page <= len(revisions):
            outcome = load_paths([revisions[page - 1]])
            assert outcome.counts == {"revised": 1}
            stored.append(page)

    rows, pages = walk(client, "/v1/cells?limit=97", store)
    assert len(stored) == GENERATED and pages > GENERATED  # every revision landed while the walk went on
    assert rows == before  # every row current at the start, once, in order; nothing of a later revision
    after = current_cells()
    assert len(set(after) - set(before)) > 1000  # the load did change what is current
    # a new walk sees the revisions
    assert walk(client, "/v1/cells?limit=500")[0] == after


def test_offset_paging_during_the_same_loads_goes_wrong(client, revisions):
    """Why cursors: the same loads under offset paging skip current rows or serve
    superseded ones (kept for compatibility, documented)."""
    before = current_cells()
    rows, offset = [], 0
    while True:
        body = client.get(f"/v1/cells?limit=97&offset={offset}").json
        rows += keys(body["data"])
        if not body["meta"]["next"]:
            break
        offset += 97
        if offset // 97 <= len(revisions):
            load_paths([revisions[offset // 97 - 1]])
    assert rows != before


def test_a_walk_while_a_writer_thread_loads_returns_the_start_exactly(client, revisions, tmp_path):
    """The same with a real concurrent load: a thread stores the second versions and new
    agency-years one report a commit while the walk reads."""
    new = generate(GENERATED, tmp_path / "new", seed=11)
    before = current_cells()
    started, done, failed = threading.Event(), threading.Event(), []

    def write():
        try:
            started.wait(10)
            summary = load_paths(revisions + new, batch=1, on_file=lambda _o: time.sleep(0.01))
            if summary.failed:
                failed.append(summary.line())
        finally:
            database.close()  # this thread's connection
            done.set()

    writer = threading.Thread(target=write)
    writer.start()
    try:
        rows, pages = walk(client, "/v1/cells?limit=41", lambda n: (started.set(), time.sleep(0.005)))
    finally:
        started.set()
        writer.join()
    assert failed == []
    assert rows == before
    assert walk(client, "/v1/cells?limit=1000")[0] == current_cells() != before


def test_a_retraction_under_a_walk_is_410_and_says_to_start_again(client, revisions):
    first = client.get("/v1/cells?limit=50").json
    report = Report.get_by_id(first["data"][0]["report_id"])
    retract_report(report)
    response = client.get(first["meta"]["next"])
    assert response.status_code == 410
    assert response.content_type.startswith("application/problem+json")
    assert "start again from the first page" in response.json["detail"]
    assert 'rel="first"' in response.headers["Link"]
    # the first page again: a walk that goes to the end
    assert walk(client, "/v1/cells?limit=400")[0] == current_cells()


def test_a_retraction_the_walk_does_not_select_does_not_stop_it(client, revisions):
    jinjiang = Agency.get(Agency.name == "晋江市人民政府")
    url = f"/v1/cells?agency={jinjiang.id}&limit=50"
    before = [row for row in current_cells() if Report.get_by_id(row[0]).agency_id == jinjiang.id]
    first = client.get(url).json
    other = Report.select().where(Report.agency != jinjiang, Report.is_current == True).first()  # noqa: E712
    retract_report(other)
    rows, _ = walk(client, first["meta"]["next"])
    assert keys(first["data"]) + rows == before


def test_a_walk_of_every_revision_goes_on_across_a_retraction(client, revisions):
    load_paths(revisions[:2])
    first = client.get("/v1/reports?revisions=all&limit=3").json
    everything = [r.id for r in Report.select().order_by(Report.id)]
    retract_report(Report.get_by_id(everything[-1]))
    load_paths(revisions[2:])  # later: not in the walk
    ids = [r["id"] for r in first["data"]]
    url = first["meta"]["next"]
    while url:
        body = client.get(url).json
        ids += [r["id"] for r in body["data"]]
        url = body["meta"]["next"]
    assert ids == everything


@pytest.mark.parametrize("path", ["/v1/reports", "/v1/findings", "/v1/agencies", "/v1/cells?table=requests",
                                  "/v1/reports?revisions=all", "/v1/aggregates?group_by=agency,year&metric=count",
                                  "/v1/indicators?group_by=agency"])
def test_a_walk_returns_what_offset_paging_returns_when_nothing_changes(client, path):
    glue = "&" if "?" in path else "?"
    whole = client.get(f"{path}{glue}limit=10000&offset=0").json["data"]
    pages, url = [], f"{path}{glue}limit=3"
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.json
        pages += response.json["data"]
        next_url = response.json["meta"]["next"]
        if next_url:
            assert "cursor=" in next_url and "offset=" not in next_url
            assert f'<{next_url}>; rel="next"' in response.headers["Link"]
        url = next_url
    assert pages == whole and whole


def test_a_findings_walk_during_loads_is_exact_or_told_to_restart(client, revisions):
    """Findings of the reports current at the start, once each; or, when a load remade
    cross-year findings of a report in the walk, a 410 that says so."""
    from models import Finding

    before = [f.id for f in Finding.select(Finding.id).join(Report).where(Report.is_current == True)  # noqa: E712
              .order_by(Finding.id)]
    ids, url, page = [], "/v1/findings?limit=3", 0
    while url:
        response = client.get(url)
        if response.status_code == 410:
            assert "made again" in response.json["detail"] and 'rel="first"' in response.headers["Link"]
            break
        ids += [f["id"] for f in response.json["data"]]
        url = response.json["meta"]["next"]
        if page < len(revisions):
            load_paths([revisions[page]])
        page += 1
    else:
        assert ids == before
    assert len(ids) == len(set(ids)) and set(ids) <= set(before)


def test_an_aggregate_walk_after_a_load_is_410(client, revisions):
    first = client.get("/v1/aggregates?group_by=agency&metric=count&limit=2").json
    assert client.get(first["meta"]["next"]).status_code == 200
    load_paths(revisions[:1])
    response = client.get(first["meta"]["next"])
    assert response.status_code == 410 and "start again" in response.json["detail"]


def test_a_history_walk_keeps_its_snapshot(client, revisions):
    report = Report.select().where(Report.agency == Report.get_by_id(
        Report.select(Report.id).order_by(Report.id.desc()).scalar()).agency).first()
    url = f"/v1/reports/{report.id}/history?limit=1"
    first = client.get(url).json
    assert first["meta"]["next"] is None or "cursor=" in first["meta"]["next"]


# ---- the cursor itself ------------------------------------------------------------------------

def cursor_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["cursor"][0]


def test_a_cursor_round_trips():
    cursor = Cursor("cells", (12, 3456), 100, {"r": 40, "x": 7}, "0123456789abcdef")
    text = encode(cursor)
    assert decode(text) == cursor
    assert text.isalnum() and text.lower() == text and "ogi_" not in text  # never mistaken for an API key


def test_a_tampered_or_malformed_cursor_is_400(client):
    url = client.get("/v1/cells?limit=5").json["meta"]["next"]
    cursor = cursor_of(url)
    tampered = cursor[:20] + ("a" if cursor[20] != "a" else "b") + cursor[21:]
    for bad in (tampered, cursor[:-4], "nope", "0189", "a" * 300):
        response = client.get(f"/v1/cells?limit=5&cursor={bad}")
        assert response.status_code == 400, bad
        assert response.content_type.startswith("application/problem+json")
        assert response.json["invalid_params"][0]["name"] == "cursor"
    assert client.get(f"/v1/cells?limit=5&cursor={cursor}").status_code == 200


def test_a_cursor_of_other_filters_or_another_list_is_400(client):
    url = client.get("/v1/cells?year=2020&limit=5").json["meta"]["next"]
    cursor = cursor_of(url)
    assert client.get(f"/v1/cells?year=2020&limit=7&cursor={cursor}").status_code == 200  # limit may change
    for other in ("year=2021", "year=2020&revisions=all", "year=2020&table=requests", ""):
        response = client.get(f"/v1/cells?{other}&limit=5&cursor={cursor}")
        assert response.status_code == 400, other
        assert "other filters" in response.json["detail"]
    response = client.get(f"/v1/findings?year=2020&limit=5&cursor={cursor}")
    assert response.status_code == 400 and "another list" in response.json["detail"]


def test_a_cursor_with_sort_or_offset_is_400_and_sort_pages_by_offset(client):
    cursor = cursor_of(client.get("/v1/cells?limit=5").json["meta"]["next"])
    for extra in ("sort=-value", "offset=5"):
        response = client.get(f"/v1/cells?limit=5&{extra}&cursor={cursor}")
        assert response.status_code == 400
        assert "default order" in response.json["detail"]
    sorted_page = client.get("/v1/cells?limit=5&sort=-value").json["meta"]
    assert sorted_page["next"].endswith("offset=5")


# ---- POST /v1/cells/query ---------------------------------------------------------------------

def test_a_query_body_answers_as_the_url_does(client):
    names = [a.name for a in Agency.select()]
    url = client.get("/v1/cells?agency=" + ",".join(names) + "&year=2020,2023&row=denied&limit=3").json
    body = {"agency": names + [f"不存在的机关{k}" for k in range(60)], "year": [2020, 2023.0], "row": ["denied"],
            "limit": 3}
    response = client.post("/v1/cells/query", json=body)
    assert response.status_code == 200 and "ETag" not in response.headers
    assert response.json["data"] == url["data"] and response.json["meta"]["total"] == url["meta"]["total"]
    # the next page: POST the same body to meta.next, or its cursor in the body
    following = client.post(response.json["meta"]["next"], json=body).json
    assert following["data"] == client.get(url["meta"]["next"]).json["data"]
    again = client.post("/v1/cells/query", json={**body, "cursor": cursor_of(response.json["meta"]["next"])}).json
    assert again["data"] == following["data"]
    rows, _ = walk(client, "/v1/cells/query", method="POST", body={**body, "limit": 50})
    assert rows == walk(client, "/v1/cells?agency=" + ",".join(names) + "&year=2020,2023&row=denied&limit=50")[0]


def test_a_query_body_takes_csv_fields_and_sort(client):
    body = {"year": [2020], "table": "requests", "row": ["granted"], "sort": "-value", "fields": "agency_name,value",
            "format": "csv"}
    response = client.post("/v1/cells/query", json=body)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.get_data(as_text=True) == client.get(
        "/v1/cells?year=2020&table=requests&row=granted&sort=-value&fields=agency_name,value&format=csv").get_data(
        as_text=True)


@pytest.mark.parametrize("body", [[1, 2], {"year": ["twenty"]}, {"nope": 1}, {"limit": 0}, {"row": ["nope"]},
                                  {"year": [[2020]]}, "year=2020"])
def test_a_bad_query_body_is_a_problem(client, body):
    response = client.post("/v1/cells/query", json=body)
    assert response.status_code in (400, 422)
    assert response.content_type.startswith("application/problem+json")


def test_a_query_body_that_is_not_json_is_a_problem(client):
    for data in (b"\x00", b"{", b"year=2020"):
        response = client.post("/v1/cells/query", data=data, content_type="application/json")
        assert response.status_code == 400, data
        assert response.content_type.startswith("application/problem+json")


def test_seeds_are_what_the_fixture_loads():
    assert len(SEEDS) == 5


def test_a_query_body_keeps_its_numbers_exact(client):
    """value_gte/value_lte in a JSON body are read as decimals, never through a float:
    100000000000000000.5 as a float is 1e17, and would let 1e17 itself in."""
    from api.base import Parser

    with client.application.test_request_context("/v1/cells/query", method="POST",
                                                 data=b'{"value_gte": 100000000000000000.5, "year": [2020.0]}',
                                                 content_type="application/json"):
        from flask import request

        body = Parser()._raw_load_json(request)
    assert body["value_gte"] == Decimal("100000000000000000.5") and str(body["value_gte"]) == "100000000000000000.5"
    response = client.post("/v1/cells/query", data=b'{"value_gte": 230.5, "value_lte": 231.5, "row": ["granted"]}',
                           content_type="application/json")
    assert response.status_code == 200
    assert {c["value"] for c in response.json["data"]} <= {231}
    preflight = client.options("/v1/cells/query", headers={"Origin": "https://portal.example",
                                                           "Access-Control-Request-Method": "POST",
                                                           "Access-Control-Request-Headers": "Content-Type"})
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert "content-type" in preflight.headers["Access-Control-Allow-Headers"].lower()
