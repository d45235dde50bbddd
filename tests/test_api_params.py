"""A parameter given more than once is never silently dropped: a list parameter takes
every value (``year=2021&year=2022``, as ``requests`` and most clients send a list), a
single-value parameter is a 400 problem that names it. And the small HTTP promises:
the API root, weak ETags."""
from urllib.parse import urlsplit


def test_a_repeated_list_parameter_takes_every_value(client):
    both = client.get("/v1/reports?year=2020&year=2023")
    assert both.status_code == 200
    comma = client.get("/v1/reports?year=2020,2023")
    assert both.json["data"] == comma.json["data"]
    assert {r["year"] for r in both.json["data"]} == {2020, 2023}
    cells = client.get("/v1/cells?year=2020&year=2023&table=requests&row=granted&column=total").json
    assert {c["year"] for c in cells["data"]} == {2020, 2023}


def test_a_repeated_single_parameter_is_a_problem_that_names_it(client):
    response = client.get("/v1/cells?limit=5&limit=10")
    assert response.status_code == 400
    assert response.content_type.startswith("application/problem+json")
    assert "limit" in str(response.json) and "given 2 times" in str(response.json)


def test_repeated_values_count_against_the_list_limit(client):
    query = "&".join(f"year={2000 + k % 30}" for k in range(101))
    response = client.get(f"/v1/reports?{query}")
    assert response.status_code == 400


def test_the_api_root_lists_what_there_is(client):
    for path in ("/v1", "/v1/"):
        response = client.get(path, follow_redirects=True)
        assert response.status_code == 200
        body = response.json
        assert body["version"] and body["openapi"].endswith("/v1/openapi.json")
        assert set(body["resources"]) >= {"reports", "cells", "aggregates", "findings", "agencies"}
        assert client.get(urlsplit(body["resources"]["cells"]).path).status_code == 200


def test_a_weak_etag_matches(client):
    first = client.get("/v1/reports")
    etag = first.headers["ETag"].strip('"')
    assert client.get("/v1/reports", headers={"If-None-Match": f'W/"{etag}"'}).status_code == 304
    assert client.get("/v1/reports", headers={"If-None-Match": f'"{etag}"'}).status_code == 304
    assert client.get("/v1/reports", headers={"If-None-Match": '"other"'}).status_code == 200


def test_last_modified_is_when_the_data_changed(client):
    from email.utils import parsedate_to_datetime

    first = client.get("/v1/reports")
    modified = first.headers["Last-Modified"]
    assert parsedate_to_datetime(modified).year >= 2026
    assert client.get("/v1/reports", headers={"If-Modified-Since": modified}).status_code == 304
    assert client.get("/v1/reports", headers={"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"}).status_code == 200
    # If-None-Match wins over If-Modified-Since
    assert client.get("/v1/reports", headers={"If-Modified-Since": modified,
                                              "If-None-Match": '"other"'}).status_code == 200
