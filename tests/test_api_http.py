"""HTTP behaviour: ETags and 304s, Cache-Control, CORS, the docs, the OpenAPI document, and compression."""
import gzip
import json
from pathlib import Path

import pytest
import yaml

from loaders.load import load_paths

ROOT = Path(__file__).resolve().parents[1]


def test_etag_and_304(client):
    first = client.get("/v1/cells?year=2020&limit=5")
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "public, max-age=60"
    assert "Accept" in first.headers["Vary"]
    again = client.get("/v1/cells?year=2020&limit=5", headers={"If-None-Match": etag})
    assert (again.status_code, again.get_data(), again.headers["ETag"]) == (304, b"", etag)
    other = client.get("/v1/cells?year=2020&limit=6", headers={"If-None-Match": etag})
    assert other.status_code == 200 and other.headers["ETag"] != etag


def test_etag_changes_when_the_data_changes(client, tmp_path):
    etag = client.get("/v1/agencies").headers["ETag"]
    changed = tmp_path / "new.txt"
    changed.write_text((ROOT / "tests/fixtures/seeds/001_0eae8362f754cbc0.txt").read_text(encoding="utf-8")
                       .replace("晋江市行政服务中心管理委员会 2022", "晋江市数据管理局 2022"), encoding="utf-8")
    assert load_paths([changed]).counts == {"loaded": 1}
    response = client.get("/v1/agencies", headers={"If-None-Match": etag})
    assert response.status_code == 200 and response.headers["ETag"] != etag
    assert response.json["meta"]["total"] == 6


def _answer(response) -> tuple:
    """Status, headers (but the request's id) and body (gzip's: unpacked, its header holds a time)."""
    body = response.get_data()
    if response.headers.get("Content-Encoding") == "gzip":
        body = gzip.decompress(body)
    return response.status_code, [(k, v) for k, v in response.headers.items() if k != "X-Request-ID"], body


@pytest.mark.parametrize("encoding", ["", "gzip"])
def test_a_kept_answer_is_the_answer_and_changes_after_a_write(app, client, tmp_path, encoding):
    """An answer is kept per data version (api.caching.ResponseCache): the same request
    gets the same status, headers and body (its own X-Request-ID), and after a load or a
    retraction, on either backend, the new data: never an answer of before the write."""
    from loaders.store import retract_report
    from models import Report

    urls = ["/v1/cells?year=2022&table=requests&row=new_received&column=total&limit=100",
            "/v1/aggregates?group_by=year,row&column=total&limit=1000",
            "/v1/aggregates?table=requests&row=new_received&column=total&group_by=year", "/v1/agencies"]
    headers = {"Accept-Encoding": encoding} if encoding else {}
    first = {url: _answer(client.get(url, headers=headers)) for url in urls}
    kept = app.extensions["ogi_responses"]
    assert len([key for key in kept.entries if key[0] != "wsgi"]) == len(urls)
    again = client.get(urls[0], headers={**headers, "X-Request-ID": "mine"})
    assert _answer(again) == first[urls[0]] and again.headers["X-Request-ID"] == "mine"
    assert {url: _answer(client.get(url, headers=headers)) for url in urls} == first

    changed = tmp_path / "new.txt"  # a new agency's 2022 report: more cells, other sums
    changed.write_text((ROOT / "tests/fixtures/seeds/001_0eae8362f754cbc0.txt").read_text(encoding="utf-8")
                       .replace("晋江市行政服务中心管理委员会 2022", "晋江市数据管理局 2022"), encoding="utf-8")
    assert load_paths([changed]).counts == {"loaded": 1}
    loaded = {url: _answer(client.get(url, headers=headers)) for url in urls}
    for url in urls:
        assert loaded[url][2] != first[url][2], url
    assert client.get(urls[3]).get_json()["meta"]["total"] == 6

    retract_report(Report.select().order_by(Report.id.desc()).get())  # the report just loaded
    retracted = {url: _answer(client.get(url, headers=headers)) for url in urls}
    for url in urls[:3]:
        assert retracted[url][2] != loaded[url][2], url
        assert retracted[url][2] == first[url][2], url  # the data is back to what it was; the ETag is new
        assert dict(retracted[url][1])["ETag"] != dict(first[url][1])["ETag"]


def test_a_kept_answer_gets_its_own_id_log_line_and_count(app, client, caplog):
    """A kept answer (sent before Flask on SQLite: api.caching.KeptAnswers) is counted
    and logged as any answer, under its request's own id; HEAD gets its headers alone."""
    from api.metrics import REQUESTS

    url = "/v1/cells?year=2022&table=requests&row=new_received&column=total&limit=100"
    first = client.get(url, headers={"X-Request-ID": "first"})
    counted = REQUESTS.labels("GET", "cells.list_cells", "200")._value.get()
    with caplog.at_level("INFO", logger="ogi.access"):
        second = client.get(url, headers={"X-Request-ID": "second"})
        head = client.head(url)
    assert _answer(second) == _answer(first) and second.headers["X-Request-ID"] == "second"
    assert REQUESTS.labels("GET", "cells.list_cells", "200")._value.get() == counted + 1
    lines = [r.fields for r in caplog.records if getattr(r, "fields", {}).get("path") == "/v1/cells"
             and r.fields["request_id"] != "first"]
    assert [{k: v for k, v in line.items() if k != "duration_ms"} for line in lines[:1]] == [
        {"request_id": "second", "method": "GET", "path": "/v1/cells", "query": url.partition("?")[2],
         "status": 200, "remote": "127.0.0.1", "bytes": len(first.get_data())}]
    assert lines[1]["method"] == "HEAD" and lines[1]["request_id"] == head.headers["X-Request-ID"] != "second"
    assert head.get_data() == b"" and [(k, v) for k, v in head.headers.items() if k != "X-Request-ID"] == \
        [(k, v) for k, v in first.headers.items() if k != "X-Request-ID"]


def test_csv_and_json_of_one_url_have_different_etags(client):
    assert (client.get("/v1/findings").headers["ETag"]
            != client.get("/v1/findings", headers={"Accept": "text/csv"}).headers["ETag"])


def test_cors_is_open_for_get(client):
    response = client.get("/v1/codebook", headers={"Origin": "https://example.org"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "ETag" in response.headers["Access-Control-Expose-Headers"]
    preflight = client.options("/v1/cells", headers={"Origin": "https://example.org",
                                                     "Access-Control-Request-Method": "GET",
                                                     "Access-Control-Request-Headers": "If-None-Match"})
    assert preflight.status_code == 200
    assert "GET" in preflight.headers["Access-Control-Allow-Methods"]


def test_swagger_ui_5_is_served_from_the_package(client):
    page = client.get("/docs").get_data(as_text=True)
    assert '<script src="/docs/static/swagger-ui-bundle.js"></script>' in page
    assert 'url: "/v1/openapi.json"' in page
    assert '"validatorUrl":null' in page.replace(" ", "")  # no badge fetched from the validator's site
    assert "http://" not in page and "https://" not in page  # nothing from a CDN
    bundle = client.get("/docs/static/swagger-ui-bundle.js")
    assert bundle.status_code == 200 and len(bundle.get_data()) > 1_000_000
    version = client.get("/docs/static/VERSION").get_data(as_text=True).strip()
    assert int(version.lstrip("v").split(".")[0]) >= 5, version  # 4.x cannot read OpenAPI 3.1
    assert client.get("/docs/static/swagger-ui.css").status_code == 200
    assert client.get("/docs/static/swagger-ui-standalone-preset.js").status_code == 200


def test_openapi_yaml_is_the_served_document(client):
    served = client.get("/v1/openapi.json").json
    on_disk = yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))
    assert on_disk == served, "openapi.yaml is stale: run `ogi openapi -o openapi.yaml`"


def test_openapi_documents_every_parameter_response_and_error(client):
    spec = client.get("/v1/openapi.json").json
    operations = {(path, method): op for path, item in spec["paths"].items() for method, op in item.items()
                  if method != "parameters"}
    assert set(operations) == {
        ("/v1/agencies", "get"), ("/v1/agencies/{agency_id}", "get"), ("/v1/reports", "get"),
        ("/v1/reports/{report_id}", "get"), ("/v1/reports/{report_id}/source", "get"), ("/v1/cells", "get"),
        ("/v1/aggregates", "get"), ("/v1/findings", "get"), ("/v1/codebook", "get"), ("/v1/reports", "post"),
        ("/v1/reports/{report_id}", "delete"), ("/v1/indicators", "get"), ("/v1/indicators/definitions", "get"),
        ("/v1/reports/{report_id}/tables.xlsx", "get"), ("/v1/bulk/{name}.csv", "get"),
        ("/v1/bulk/{name}.ndjson", "get"), ("/v1/bulk/cells.parquet", "get"), ("/v1/bulk/datapackage.json", "get"),
        ("/v1/catalog", "get"),
        ("/data.json", "get"), ("/v1/reports/{report_id}/history", "get"),
        ("/v1/reports/{report_id}/pages/{page}.png", "get"), ("/v1/", "get"), ("/v1/jobs/{job_id}", "get"),
        ("/v1/sections", "get"), ("/v1/cells/query", "post")}
    for (path, method), op in operations.items():
        if (path, method) == ("/v1/cells/query", "post"):  # a read with its arguments in the body: no key
            assert "security" not in op and {"200", "400", "410"} <= set(op["responses"])
            continue
        if method != "get":
            assert op["security"] == [{"bearerAuth": []}] and "401" in op["responses"], (path, method)
            continue
        never_cached = path == "/v1/jobs/{job_id}"  # a job changes without a write: no ETag, no 304
        assert "200" in op["responses"] and ("304" in op["responses"]) != never_cached, path
        if "{" in path:
            assert "404" in op["responses"], path
        assert "406" in op["responses"], (path, method)  # an Accept it cannot serve
        if "cursor" in {p["name"] for p in op.get("parameters", [])}:
            assert "410" in op["responses"], path
        if op.get("parameters"):
            assert "400" in op["responses"], path
            assert all(p.get("description") for p in op["parameters"] if p["in"] == "query"), path
    cells = {p["name"] for p in operations[("/v1/cells", "get")]["parameters"]}
    assert cells == {"agency", "q", "region", "year", "year_from", "year_to", "layout", "report", "table", "row",
                     "column", "value_gte", "value_lte", "status", "revisions", "limit", "offset", "sort", "format",
                     "bom", "labels", "cursor", "fields", "updated_since"}
    assert {"text/csv", "application/x-ndjson"} <= set(operations[("/v1/cells", "get")]["responses"]["200"]["content"])
    problem = spec["components"]["responses"]["BAD_REQUEST"]["content"]
    assert list(problem) == ["application/problem+json"]


def decompress(data: bytes, encoding: str) -> bytes:
    import gzip

    import brotli

    try:
        from compression import zstd  # Python 3.14
    except ImportError:
        from backports import zstd  # what flask-compress compresses with before 3.14
    return {"gzip": gzip.decompress, "br": brotli.decompress, "zstd": zstd.decompress}[encoding](data)


def same(one: bytes, other: bytes) -> bool:
    """The same body; JSON-stat's ``updated`` is the time it was made (api/jsonstat.py), so not compared."""
    if one.startswith(b'{"version":"2.0","class":"dataset"'):
        one, other = (json.loads(body) | {"updated": None} for body in (one, other))
    return one == other


def test_json_csv_problems_and_the_openapi_document_are_compressed(client):
    for path in ("/v1/cells?limit=500", "/v1/openapi.json", "/v1/cells?limit=500&format=jsonstat",
                 "/v1/cells?limit=500&format=csv", "/v1/bulk/cells.csv", "/v1/catalog", "/v1/reports?limit=200"):
        plain = client.get(path, headers={"Accept-Encoding": "identity"})
        assert "Content-Encoding" not in plain.headers and "Accept-Encoding" in plain.headers["Vary"], path
        body = plain.get_data()  # read before the next request (the client closes a response then)
        for encoding in ("gzip", "br", "zstd"):
            packed = client.get(path, headers={"Accept-Encoding": encoding})
            assert packed.headers["Content-Encoding"] == encoding, path
            assert same(decompress(packed.get_data(), encoding), body), (path, encoding)
            assert len(packed.get_data()) < len(body) / 2, (path, encoding)
            assert {"Accept", "Accept-Encoding"} <= {v.strip() for v in packed.headers["Vary"].split(",")}
    streamed = client.get("/v1/cells?limit=500&format=csv", headers={"Accept-Encoding": "gzip, br"})
    assert "Content-Length" not in streamed.headers  # compressed as it streams, not gathered first
    assert streamed.headers["Content-Encoding"] == "gzip" and streamed.get_data()  # br holds back more of a stream
    # the client's preference, then the server's order (br, zstd, gzip) among equals
    assert client.get("/v1/openapi.json", headers={"Accept-Encoding": "gzip, deflate, br, zstd"}) \
        .headers["Content-Encoding"] == "br"
    assert client.get("/v1/openapi.json", headers={"Accept-Encoding": "gzip, br;q=0.5"}) \
        .headers["Content-Encoding"] == "gzip"
    assert "Content-Encoding" not in client.get("/v1/openapi.json").headers  # nothing asked, nothing done
    # a problem is compressed too when it is large enough; a small one is not worth it
    unknown = "&".join(f"unknown_parameter_{n}=1" for n in range(40))
    plain = client.get(f"/v1/cells?{unknown}", headers={"Accept-Encoding": "identity"})
    plain.get_data()
    problem = client.get(f"/v1/cells?{unknown}", headers={"Accept-Encoding": "gzip"})
    assert (problem.status_code, problem.mimetype, problem.headers["Content-Encoding"]) == \
        (400, "application/problem+json", "gzip")
    assert decompress(problem.get_data(), "gzip") == plain.get_data() and len(plain.get_data()) > 500
    small = client.get("/v1/cells?year=abc", headers={"Accept-Encoding": "gzip"})
    assert small.status_code == 400 and "Content-Encoding" not in small.headers
    # what is not text is sent as it is
    parquet = client.get("/v1/bulk/cells.parquet", headers={"Accept-Encoding": "gzip"})
    assert parquet.status_code == 200 and "Content-Encoding" not in parquet.headers and parquet.get_data()


def test_a_compressed_body_has_its_own_etag_and_either_gets_its_304(client):
    plain = client.get("/v1/cells?limit=300", headers={"Accept-Encoding": "identity"}).headers["ETag"]
    tags = {plain}
    for encoding in ("gzip", "br", "zstd"):
        etag = client.get("/v1/cells?limit=300", headers={"Accept-Encoding": encoding}).headers["ETag"]
        assert etag == f'{plain[:-1]}:{encoding}"'
        tags.add(etag)
        again = client.get("/v1/cells?limit=300", headers={"Accept-Encoding": encoding, "If-None-Match": etag})
        assert (again.status_code, again.headers["ETag"], again.get_data()) == (304, etag, b"")
        assert "Accept-Encoding" in again.headers["Vary"]
        weak = client.get("/v1/cells?limit=300", headers={"Accept-Encoding": encoding, "If-None-Match": f"W/{etag}"})
        assert weak.status_code == 304
    assert len(tags) == 4  # no strong ETag shared by two representations
    assert client.get("/v1/cells?limit=300", headers={"If-None-Match": plain}).status_code == 304
    other = client.get("/v1/cells?limit=301", headers={"Accept-Encoding": "gzip",
                                                       "If-None-Match": f'{plain[:-1]}:gzip"'})
    assert other.status_code == 200


def test_a_static_file_is_compressed_and_revalidated(client):
    first = client.get("/docs/static/swagger-ui-bundle.js", headers={"Accept-Encoding": "br"})
    assert first.headers["Content-Encoding"] == "br" and len(first.get_data()) < 600_000
    again = client.get("/docs/static/swagger-ui-bundle.js",
                       headers={"Accept-Encoding": "br", "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


@pytest.mark.parametrize("encoding", ["gzip", "br", "zstd"])
def test_a_streamed_body_is_compressed_as_it_streams(db_url, db, tmp_path, encoding):
    """The first compressed bytes reach the client while the generator is still producing:
    nothing gathers the whole body (not flask-compress, not the access log)."""
    import random

    from flask import Response, stream_with_context

    from api import create_app

    app = create_app({"DATABASE_URL": db_url, "TESTING": True, "RATELIMIT_ENABLED": False,
                      "EXPORT_DIR": str(tmp_path / "exports")})
    produced = []
    rng = random.Random(13)

    def rows():
        for n in range(64):
            produced.append(n)
            yield "".join(f"{n},{rng.randrange(10**9)},{rng.choice('甲乙丙丁')}\r\n" for _ in range(4000))

    app.add_url_rule("/stream-test", "stream_test",
                     lambda: Response(stream_with_context(rows()), mimetype="text/csv"))
    response = app.test_client().get("/stream-test", headers={"Accept-Encoding": encoding}, buffered=False)
    assert response.headers["Content-Encoding"] == encoding and "Content-Length" not in response.headers
    chunks = iter(response.response)
    first = next(chunk for chunk in chunks if chunk)
    assert first and len(produced) < 64, f"{len(produced)} of 64 chunks made before the first byte"
    body = first + b"".join(chunks)
    response.close()
    assert len(produced) == 64 and decompress(body, encoding).count(b"\r\n") == 64 * 4000
