"""Every bad parameter is a 400 problem+json that names it; never a 500."""
import pytest

ENDPOINTS = ["/v1/cells", "/v1/aggregates", "/v1/reports", "/v1/findings", "/v1/agencies"]


def assert_problem(response, status, param=None):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.content_type == "application/problem+json"
    body = response.json
    assert body["status"] == status and body["title"] and body["type"] == "about:blank"
    if param:
        assert param in [p["name"] for p in body["invalid_params"]], body
        assert param in body["detail"]
    return body


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_unknown_parameter(client, endpoint):
    body = assert_problem(client.get(f"{endpoint}?colour=red"), 400, "colour")
    assert body["invalid_params"] == [{"name": "colour", "reason": "Unknown field."}]


@pytest.mark.parametrize("query, param", [
    ("year=twenty", "year"),
    ("year=1800", "year"),
    ("year_from=x", "year_from"),
    ("layout=2020", "layout"),
    ("table=nope", "table"),
    ("row=nope", "row"),
    ("row=granted.*", "row"),
    ("column=nope", "column"),
    ("status=fine", "status"),
    ("value_gte=abc", "value_gte"),
    ("value_lte=NaN", "value_lte"),
    ("report=0", "report"),
    ("report=-1", "report"),
    ("limit=0", "limit"),
    ("limit=1000001", "limit"),  # past what even a streamed form (CSV, NDJSON) takes
    ("offset=-1", "offset"),
    ("sort=colour", "sort"),
    ("format=xml", "format"),
    ("bom=maybe", "bom"),
    ("revisions=some", "revisions"),
    ("q=", "q"),
    ("agency=", "agency"),
    ("year=" + ",".join(["2020"] * 101), "year"),
])
def test_bad_values_on_cells(client, query, param):
    assert_problem(client.get(f"/v1/cells?{query}"), 400, param)


@pytest.mark.parametrize("query, param", [
    ("group_by=colour", "group_by"),
    ("metric=median", "metric"),
    ("group_by=year&sort=row", "sort"),
])
def test_bad_values_on_aggregates(client, query, param):
    assert_problem(client.get(f"/v1/aggregates?{query}"), 400, param)


def test_bad_rule_on_findings(client):
    assert_problem(client.get("/v1/findings?rule=nope"), 400, "rule")


@pytest.mark.parametrize("path", ["/v1/nothing", "/v1/reports/abc", "/v1/reports/1/../../etc/passwd",
                                  "/v1/agencies/99999999999999999999"])
def test_unknown_paths_are_404_problems(client, path):
    assert_problem(client.get(path), 404)


def test_wrong_method_is_405_problem(client):
    assert_problem(client.post("/v1/cells"), 405)


HOSTILE = ["' OR 1=1 --", "\"; DROP TABLE cell; --", "1; DELETE FROM report", "%", "_", "\\", "\x00", "晋" * 300,
           "9" * 400, "-1e308", "NaN", "../../etc/passwd", "<script>alert(1)</script>", ",,,", "a" * 20000]


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_hostile_values_in_every_parameter_are_400_or_empty_never_500(client, endpoint):
    spec = client.get("/v1/openapi.json").json
    params = [p["name"] for p in spec["paths"][endpoint]["get"]["parameters"]]
    for param in params:
        for value in HOSTILE:
            response = client.get(endpoint, query_string={param: value})
            assert response.status_code in (200, 400), (param, value[:40], response.status_code)
            if response.status_code == 400:
                assert response.content_type == "application/problem+json"
            elif param in ("q", "agency", "region"):
                assert response.json["meta"]["total"] == 0, (param, value[:40])  # matched nothing
    assert client.get("/v1/cells?limit=1").json["meta"]["total"] == 996  # nothing was dropped


@pytest.mark.parametrize("value", ["99999999999999999999", "³", "0", "٣"])
def test_agency_values_that_are_no_id_match_nothing(client, value):
    response = client.get("/v1/cells", query_string={"agency": value})
    assert response.status_code == 200 and response.json["meta"]["total"] == 0
