"""Streamed answers: CSV and NDJSON lists and the bulk files are written as their rows
are read (the first piece before the rest is read), hold the records of the JSON page
exactly, read one snapshot, are not cut off by the query time limit once started, and
cost nothing on HEAD; pandas reads them straight from a running gunicorn."""
import csv
import http.client
import io
import json
import threading
import time
from decimal import Decimal
from urllib.parse import urlsplit

import pandas as pd
import pytest

from api import bulk, streaming
from api.lists import STREAM_MAX_LIMIT
from loaders.load import load_paths
from models import database
from models.db import is_sqlite
from models.decimals import plain
from tests.conftest import CORPUS
from tests.test_serve import served

SEED_CELLS = 996
LISTS = ["/v1/cells?sort=-value,report_id,table,row,column", "/v1/reports", "/v1/agencies", "/v1/findings",
         "/v1/aggregates?table=requests&column=total&group_by=year,row", "/v1/indicators?group_by=year",
         "/v1/reports/1/history"]


def text(value) -> str:
    return "" if value is None else plain(Decimal(value))


def lines(response) -> list[dict]:
    assert response.status_code == 200, response.data[:300]
    assert response.content_type == "application/x-ndjson"
    text = response.get_data(as_text=True)
    assert text.endswith("\n") or text == ""
    return [json.loads(line, parse_float=Decimal) for line in text.splitlines()]


def csv_records(client, url: str) -> list[dict]:
    response = client.get(url, buffered=True)
    assert response.status_code == 200 and response.content_type == "text/csv; charset=utf-8"
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def page(client, url: str) -> dict:
    response = client.get(url, buffered=True)
    assert response.status_code == 200, response.data[:300]
    return json.loads(response.data, parse_float=Decimal)


def join(url: str, extra: str) -> str:
    return url + ("&" if "?" in url else "?") + extra


@pytest.mark.parametrize("url", LISTS)
def test_ndjson_lines_are_the_records_of_the_json_page(client, url):
    whole = page(client, join(url, "limit=10000"))
    assert whole["data"], url
    assert lines(client.get(join(url, "format=ndjson&limit=10000"), buffered=True)) == whole["data"]
    by_accept = client.get(join(url, "limit=10000"), headers={"Accept": "application/x-ndjson"}, buffered=True)
    assert lines(by_accept) == whole["data"]
    paged = client.get(join(url, "format=ndjson&limit=2&offset=1"), buffered=True)
    assert lines(paged) == whole["data"][1:3]
    assert paged.headers["X-Total-Count"] == str(whole["meta"]["total"])
    assert 'rel="prev"' in paged.headers["Link"]
    assert ('rel="next"' in paged.headers["Link"]) == (whole["meta"]["total"] > 3)


def test_numbers_are_exact_in_ndjson_and_csv(client):
    url = "/v1/cells?column=procurement_amount&year=2020"
    body = client.get(join(url, "format=ndjson"), buffered=True).get_data(as_text=True)
    assert '"value":249887966.42,' in body and '"raw":"249887966.42"' in body  # the digits printed, no float
    assert [r["value"] for r in csv_records(client, join(url, "format=csv"))] == ["249887966.42"]
    everything = page(client, "/v1/cells?limit=10000")["data"]
    streamed = csv_records(client, "/v1/cells?format=csv&limit=10000")
    assert len(streamed) == len(everything) == SEED_CELLS
    assert [r["value"] for r in streamed] == [text(c["value"]) for c in everything]
    assert [Decimal(c["value"]) for c in lines(client.get("/v1/cells?format=ndjson&limit=10000", buffered=True))
            if c["value"] is not None] == [c["value"] for c in everything if c["value"] is not None]


def test_streamed_forms_take_a_larger_limit_than_a_json_page(client):
    assert len(lines(client.get("/v1/cells?format=ndjson&limit=500000", buffered=True))) == SEED_CELLS
    assert len(csv_records(client, "/v1/cells?format=csv&limit=500000")) == SEED_CELLS
    meta = client.get("/v1/cells?limit=500000", buffered=True).json["meta"]
    assert meta["limit"] == 10_000 and meta["total"] == SEED_CELLS  # a JSON page holds at most 10,000
    too_many = client.get(f"/v1/cells?format=ndjson&limit={STREAM_MAX_LIMIT + 1}", buffered=True)
    assert too_many.status_code == 400 and too_many.content_type == "application/problem+json"


def test_first_piece_is_written_before_the_rest_is_read(client, monkeypatch):
    monkeypatch.setattr(streaming, "CHUNK_ROWS", 40)
    for form in ("ndjson", "csv"):
        response = client.get(f"/v1/cells?format={form}&limit=1000", buffered=False)
        pieces = iter(response.response)
        first = next(pieces)
        assert 0 < first.count(b"\n") <= 41  # a chunk (and the CSV header), not the page
        rest = b"".join(pieces)
        response.close()
        assert (first + rest).count(b"\n") == SEED_CELLS + (form == "csv")

    monkeypatch.setattr(bulk, "FIRST_CHUNK", 10)
    monkeypatch.setattr(bulk, "CHUNK", 100)
    statements = []
    response = client.get("/v1/bulk/cells.csv", buffered=False)
    database.connection().set_trace_callback(statements.append) if is_sqlite() else None
    pieces = iter(response.response)
    first = next(pieces)
    assert first.count(b"\r\n") == 11  # the header and the first chunk, read in the view
    read_by_then = len([s for s in statements if 'FROM "cell"' in s])
    rest = b"".join(pieces)
    response.close()
    assert (first + rest).count(b"\r\n") == SEED_CELLS + 1
    if is_sqlite():  # the other chunks were read as the body was taken, one query each
        assert read_by_then == 0
        assert len([s for s in statements if 'FROM "cell"' in s]) == (SEED_CELLS - 10) // 100 + 1


def test_head_makes_no_body(client):
    for url in ("/v1/bulk/cells.csv", "/v1/bulk/cells.ndjson", "/v1/cells?format=ndjson&limit=100000",
                "/v1/cells?format=csv&limit=100000"):
        start = time.perf_counter()
        head = client.head(url, buffered=True)
        assert time.perf_counter() - start < 1
        get = client.get(url, buffered=True)
        assert head.status_code == 200 and head.data == b""
        assert "Content-Length" not in head.headers and "Accept-Ranges" not in head.headers
        assert "Accept-Ranges" not in get.headers
        for name in ("Content-Type", "ETag", "X-Total-Count", "Link", "Content-Disposition"):
            assert head.headers.get(name) == get.headers.get(name), name


def test_head_reads_no_rows(client):
    if not is_sqlite():
        pytest.skip("statements traced on SQLite")
    client.get("/v1/codebook", buffered=True)
    statements = []
    database.connection().set_trace_callback(statements.append)
    for url in ("/v1/bulk/cells.csv", "/v1/bulk/cells.ndjson", "/v1/cells?format=ndjson&limit=100000"):
        assert client.head(url, buffered=True).data == b""
    database.connection().set_trace_callback(None)
    assert not [s for s in statements if 'FROM "cell"' in s and "COUNT" not in s.upper()]


def test_a_stream_is_not_cut_off_by_the_query_time_limit_once_started(app, monkeypatch):
    app.config["QUERY_TIMEOUT_MS"] = 300
    from api import create_app

    slow = create_app({**app.config, "QUERY_TIMEOUT_MS": 300})
    client = slow.test_client()
    monkeypatch.setattr(bulk, "FIRST_CHUNK", 10)
    monkeypatch.setattr(bulk, "CHUNK", 50)
    response = client.get("/v1/bulk/cells.ndjson", buffered=False)
    pieces = iter(response.response)
    body = [next(pieces)]
    time.sleep(0.5)  # past the limit: the rest is still read
    body += list(pieces)
    response.close()
    assert b"".join(body).count(b"\n") == SEED_CELLS
    assert client.get("/v1/cells?limit=1", buffered=True).status_code == 200  # the next request has its limit again


def test_a_streamed_body_reads_one_snapshot_while_a_load_commits(client, monkeypatch):
    monkeypatch.setattr(bulk, "FIRST_CHUNK", 10)
    monkeypatch.setattr(bulk, "CHUNK", 100)
    response = client.get("/v1/bulk/cells.csv", buffered=False)
    etag = response.headers["ETag"]
    pieces = iter(response.response)
    first = next(pieces)
    loaded = []
    writer = threading.Thread(target=lambda: loaded.append(load_paths([p for p in CORPUS if p.suffix == ".txt"])))
    writer.start()
    writer.join()
    assert loaded[0].counts["loaded"] == 2  # committed while the body is half sent
    rest = b"".join(pieces)
    response.close()
    assert (first + rest).count(b"\r\n") == SEED_CELLS + 1  # what the ETag names: the data before the load
    after = client.get("/v1/bulk/cells.csv", buffered=True)
    assert after.headers["ETag"] != etag and after.get_data().count(b"\r\n") > SEED_CELLS + 1


def test_access_log_counts_a_streamed_body_without_making_it_first(client, caplog):
    with caplog.at_level("INFO", logger="ogi.access"):
        body = client.get("/v1/bulk/cells.csv", buffered=True).get_data()
    entry = next(r.fields for r in caplog.records if getattr(r, "fields", {}).get("path") == "/v1/bulk/cells.csv")
    assert entry["streamed"] and entry["bytes"] == len(body) and entry["first_byte_ms"] <= entry["duration_ms"]


# over HTTP, from a real gunicorn


def get(base: str, path: str, method: str = "GET", headers: dict | None = None):
    parts = urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    connection.request(method, path, headers=headers or {})
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response, body


def test_pandas_reads_csv_ndjson_and_parquet_straight_from_gunicorn(tmp_path):
    with served(tmp_path, workers=1, ready="/v1/codebook") as running:
        base = running.base
        _, body = get(base, "/v1/cells?limit=10000")
        cells = json.loads(body, parse_float=Decimal)["data"]
        keys = ["report_id", "table", "row", "column"]

        table = pd.read_csv(f"{base}/v1/cells?format=csv&limit=100000", dtype=str, keep_default_na=False)
        assert len(table) == SEED_CELLS
        assert table[keys + ["value", "raw", "status"]].to_dict("records") == [
            {**{k: str(c[k]) for k in keys}, "value": text(c["value"]),
             "raw": c["raw"] or "", "status": c["status"]} for c in cells]

        frame = pd.read_json(f"{base}/v1/cells?format=ndjson&limit=100000", lines=True, precise_float=True,
                             dtype=False)
        assert frame[keys].to_dict("records") == [{k: c[k] for k in keys} for c in cells]
        assert [None if pd.isna(v) else Decimal(repr(float(v))) for v in frame["value"]] == [c["value"] for c in cells]

        start = time.perf_counter()
        head, body = get(base, "/v1/bulk/cells.csv", "HEAD")
        assert time.perf_counter() - start < 2 and body == b"" and head.status == 200
        assert head.getheader("Accept-Ranges") is None and head.getheader("Content-Length") is None

        parquet = pd.read_parquet(f"{base}/v1/bulk/cells.parquet")
        assert pd.api.types.is_float_dtype(parquet["value"]) and len(parquet) == SEED_CELLS
        printed = pd.read_csv(f"{base}/v1/bulk/cells.csv", dtype=str, keep_default_na=False)
        assert parquet["value_text"].fillna("").tolist() == printed["value"].tolist()
        for number, exact in zip(parquet["value"], parquet["value_text"], strict=True):
            if pd.isna(exact):  # no number printed
                assert pd.isna(number)
            else:  # the float is the printed number, digit for digit; the text is every digit
                assert Decimal(repr(number)) == Decimal(exact) and plain(Decimal(exact)) == exact
        money = parquet[(parquet["column"] == "procurement_amount") & (parquet["year"] == 2020)]
        assert money["value"].tolist() == [249887966.42] and money["value"].sum() == 249887966.42


def test_byte_ranges_of_the_parquet_file_and_none_of_a_stream(tmp_path):
    with served(tmp_path, workers=1, ready="/v1/codebook") as running:
        base = running.base
        whole_response, whole = get(base, "/v1/bulk/cells.parquet")
        size = len(whole)
        assert whole_response.status == 200 and whole_response.getheader("Accept-Ranges") == "bytes"
        assert int(whole_response.getheader("Content-Length")) == size
        etag = whole_response.getheader("ETag")

        part, body = get(base, "/v1/bulk/cells.parquet", headers={"Range": "bytes=100-1099"})
        assert part.status == 206 and part.getheader("Content-Range") == f"bytes 100-1099/{size}"
        assert body == whole[100:1100]
        tail, body = get(base, "/v1/bulk/cells.parquet", headers={"Range": "bytes=-8"})
        assert tail.status == 206 and body == whole[-8:] and body.endswith(b"PAR1")  # Parquet's footer magic
        same, body = get(base, "/v1/bulk/cells.parquet", headers={"Range": "bytes=0-3", "If-Range": etag})
        assert same.status == 206 and body == b"PAR1"
        stale, body = get(base, "/v1/bulk/cells.parquet", headers={"Range": "bytes=0-3", "If-Range": '"other"'})
        assert stale.status == 200 and body == whole  # the file changed: all of it
        past, _ = get(base, "/v1/bulk/cells.parquet", headers={"Range": f"bytes={size}-"})
        assert past.status == 416 and past.getheader("Content-Range") == f"bytes */{size}"

        for path in ("/v1/bulk/cells.csv", "/v1/bulk/cells.ndjson", "/v1/cells?format=ndjson"):
            streamed, body = get(base, path, headers={"Range": "bytes=0-9"})
            assert streamed.status == 200 and streamed.getheader("Accept-Ranges") is None and len(body) > 10


def test_a_streamed_page_links_its_next_page(client):
    """CSV and NDJSON default to 100 rows, as JSON does: the Link header says there is
    more (by offset), and the pages together are the list."""
    first = client.get("/v1/cells?format=ndjson&limit=400")
    assert first.status_code == 200 and first.get_data()
    links = first.headers["Link"]
    assert 'rel="next"' in links and "offset=400" in links and "cursor=" not in links
    rest = client.get("/v1/cells?format=ndjson&limit=1000&offset=400")
    lines = first.get_data(as_text=True).splitlines() + rest.get_data(as_text=True).splitlines()
    assert len(lines) == int(first.headers["X-Total-Count"]) == 996
    assert 'rel="next"' not in rest.headers["Link"]
