"""A parameter given more than once is never silently dropped: a list parameter takes
every value (``year=2021&year=2022``, as ``requests`` and most clients send a list), a
single-value parameter is a 400 problem that names it. And the small HTTP promises:
the API root, weak ETags."""
from urllib.parse import urlsplit

import pytest


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


def test_updated_since_selects_the_revisions_loaded_since_and_what_retractions_touched(client, tmp_path):
    import time
    from datetime import UTC, datetime, timedelta

    from loaders.load import load_paths
    from loaders.store import retract_report
    from models import Report
    from tests.conftest import seed

    everything = client.get("/v1/reports?updated_since=2001-01-01").json["data"]
    assert len(everything) == 5
    later = (datetime.now(UTC) + timedelta(seconds=1)).isoformat(timespec="seconds").replace("+00:00", "Z")
    assert client.get(f"/v1/reports?updated_since={later}").json["data"] == []
    loaded = Report.select().order_by(Report.loaded_at.desc()).first().loaded_at
    since = loaded.replace(microsecond=0) + timedelta(seconds=1)
    while datetime.now(UTC).replace(tzinfo=None) < since:  # the next load is strictly after ``since``
        time.sleep(0.05)
    stamp = since.isoformat() + "Z"
    changed = tmp_path / "004_corrected.txt"
    changed.write_text(seed("004").read_text(encoding="utf-8").replace("| 2    | 0    | 0    | 0    | 2  |",
                                                                      "| 3    | 0    | 0    | 0    | 3  |"),
                       encoding="utf-8")
    assert load_paths([changed]).counts == {"revised": 1}
    new = Report.get(Report.source_name.contains("004_corrected"))
    assert [r["id"] for r in client.get(f"/v1/reports?updated_since={stamp}").json["data"]] == [new.id]
    cells = client.get(f"/v1/cells?updated_since={stamp}&limit=10000").json
    assert {c["report_id"] for c in cells["data"]} == {new.id} and cells["meta"]["total"] == 198
    # an offset in the zone: the same moment
    local = (since + timedelta(hours=8)).isoformat() + "%2B08:00"
    assert client.get(f"/v1/reports?updated_since={local}").json["data"] == client.get(
        f"/v1/reports?updated_since={stamp}").json["data"]
    # a retraction since: the agency-year's revision current again, and with revisions=all the retracted one
    retract_report(new)
    current = client.get(f"/v1/reports?updated_since={stamp}").json["data"]
    assert [(r["revision"], r["is_current"]) for r in current] == [(1, True)]
    history = client.get(f"/v1/reports?updated_since={stamp}&revisions=all").json["data"]
    assert [(r["revision"], r["retracted_at"] is not None) for r in history] == [(1, False), (2, True)]
    total = client.get(f"/v1/aggregates?updated_since={stamp}&row=review&column=total").json["data"]
    assert total == [{"value": 2, "cells": 1, "values": 1, "cells_count": 1, "values_count": 1, "unit": "count"}]


@pytest.mark.parametrize("value", ["yesterday", "2026-13-01", "2026-11-30T25:00:00Z",
                                   "2026-11-30T08:00:00+0800"])
def test_a_bad_updated_since_is_a_400_that_names_it(client, value):
    response = client.get(f"/v1/reports?updated_since={value}".replace("+", "%2B"))
    assert response.status_code == 400
    assert response.json["invalid_params"][0]["name"] == "updated_since"
