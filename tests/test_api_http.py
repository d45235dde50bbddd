"""HTTP behaviour: ETags and 304s, Cache-Control, CORS, the docs, and the OpenAPI document."""
from pathlib import Path

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


def test_swagger_ui_is_served_from_the_package(client):
    page = client.get("/docs").get_data(as_text=True)
    assert '<script src="/docs/static/swagger-ui-bundle.js"></script>' in page
    assert "url: \"/v1/openapi.json\"" in page
    assert "http://" not in page and "https://" not in page  # nothing from a CDN
    bundle = client.get("/docs/static/swagger-ui-bundle.js")
    assert bundle.status_code == 200 and len(bundle.get_data()) > 100_000


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
        ("/v1/reports/{report_id}/pages/{page}.png", "get"), ("/v1/", "get"), ("/v1/jobs/{job_id}", "get")}
    for (path, method), op in operations.items():
        if method != "get":
            assert op["security"] == [{"bearerAuth": []}] and "401" in op["responses"], (path, method)
            continue
        never_cached = path == "/v1/jobs/{job_id}"  # a job changes without a write: no ETag, no 304
        assert "200" in op["responses"] and ("304" in op["responses"]) != never_cached, path
        if "{" in path:
            assert "404" in op["responses"], path
        if op.get("parameters"):
            assert "400" in op["responses"], path
            assert all(p.get("description") for p in op["parameters"] if p["in"] == "query"), path
    cells = {p["name"] for p in operations[("/v1/cells", "get")]["parameters"]}
    assert cells == {"agency", "q", "region", "year", "year_from", "year_to", "layout", "report", "table", "row",
                     "column", "value_gte", "value_lte", "status", "revisions", "limit", "offset", "sort", "format",
                     "bom"}
    assert {"text/csv", "application/x-ndjson"} <= set(operations[("/v1/cells", "get")]["responses"]["200"]["content"])
    problem = spec["components"]["responses"]["BAD_REQUEST"]["content"]
    assert list(problem) == ["application/problem+json"]
