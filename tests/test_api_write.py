"""The write API: POST /v1/reports and DELETE /v1/reports/{id}, with API keys."""
import io

import pytest

from api import create_app
from models import ApiKey, Report
from models.agency import utcnow
from models.apikey import Scope
from tests.conftest import seed
from tests.test_cli import ogi


@pytest.fixture
def key(app):
    """An admin key (scopes: tests/test_write_scopes.py)."""
    return ApiKey.issue("tests", Scope(admin=True))[1]


def auth(key):
    return {"Authorization": f"Bearer {key}"}


def corrected_004() -> bytes:
    return seed("004").read_text(encoding="utf-8").replace(
        "| 2    | 0    | 0    | 0    | 2  |", "| 3    | 0    | 0    | 0    | 3  |").encode()


def test_upload_raw_body_then_again_then_a_revision(client, key):
    response = client.post("/v1/reports?filename=004-corrected.txt", data=corrected_004(), headers=auth(key),
                           content_type="text/plain")
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.json
    assert (body["agency_name"], body["year"], body["revision"]) == ("晋江市人民政府", 2020, 2)
    assert body["is_current"] is True
    assert body["source_name"] == "upload:004-corrected.txt"
    assert response.headers["Location"].endswith(f"/v1/reports/{body['id']}")
    review = next(t for t in body["tables"] if t["key"] == "review_litigation")
    assert review["rows"][0]["cells"]["total"]["value"] == 3

    again = client.post("/v1/reports?filename=again.txt", data=corrected_004(), headers=auth(key))
    assert (again.status_code, again.json["id"]) == (200, body["id"])  # stored already


def test_upload_multipart(client, key):
    data = {"file": (io.BytesIO(corrected_004()), "hongze.txt")}
    response = client.post("/v1/reports", data=data, headers=auth(key), content_type="multipart/form-data")
    assert response.status_code == 201 and response.json["source_name"] == "upload:hongze.txt"
    missing = client.post("/v1/reports", data={"other": (io.BytesIO(b"x"), "x.txt")}, headers=auth(key),
                          content_type="multipart/form-data")
    assert missing.status_code == 400 and missing.json["invalid_params"][0]["name"] == "file"


@pytest.mark.parametrize("data, why", [
    (b"", "content: the file is empty"),
    (b"\x00\x01binary", "content: binary content"),
    ("关于开展安全检查的通知\n各科室：\n".encode(), "tables: no report tables found"),
])
def test_a_file_that_is_not_a_report_is_422_with_the_reason(client, key, data, why):
    response = client.post("/v1/reports?filename=bad.txt", data=data, headers=auth(key))
    assert response.status_code == 422 and response.content_type == "application/problem+json"
    assert response.json["detail"].startswith(f"upload:bad.txt: {why}")
    assert Report.select().count() == 5  # nothing stored


def test_keys_missing_wrong_and_revoked_are_401(client, key):
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic abc"}, {"Authorization": "Bearer "}):
        response = client.post("/v1/reports", data=corrected_004(), headers=headers)
        assert response.status_code == 401 and response.content_type == "application/problem+json"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    ApiKey.update(revoked_at=utcnow()).execute()
    assert client.post("/v1/reports", data=corrected_004(), headers=auth(key)).status_code == 401
    assert client.delete("/v1/reports/1", headers=auth(key)).status_code == 401
    assert Report.select().count() == 5


def test_an_upload_over_the_limit_is_413(db_url, key):
    client = create_app({"DATABASE_URL": db_url, "MAX_CONTENT_LENGTH": 1000}).test_client()
    response = client.post("/v1/reports", data=b"x" * 5000, headers=auth(key))
    assert response.status_code == 413 and response.content_type == "application/problem+json"


def test_retract_restores_the_previous_revision(client, key):
    first = client.get("/v1/reports?year=2020").json["data"][0]["id"]
    second = client.post("/v1/reports?filename=c.txt", data=corrected_004(), headers=auth(key)).json["id"]
    total = "/v1/aggregates?row=review&column=total&year=2020"
    assert client.get(total).json["data"][0]["value"] == 3

    response = client.delete(f"/v1/reports/{second}", headers=auth(key))
    assert response.status_code == 204
    retracted = client.get(f"/v1/reports/{second}").json
    assert retracted["is_current"] is False and retracted["retracted_at"]
    assert client.get(f"/v1/reports/{first}").json["is_current"] is True
    assert client.get(total).json["data"][0]["value"] == 2  # the rollup follows
    assert [r["revision"] for r in client.get("/v1/reports?year=2020&revisions=all&sort=revision").json["data"]] \
        == [1, 2]  # the history stays
    assert client.delete(f"/v1/reports/{second}", headers=auth(key)).status_code == 204  # again: no change
    assert client.delete("/v1/reports/999999", headers=auth(key)).status_code == 404
    assert client.delete(f"/v1/reports/{first}").status_code == 401


def test_keys_cli(db, db_url):
    made = ogi("keys", "create", "portal", "--admin", db_url=db_url)
    assert made.returncode == 0
    key = made.stdout.strip().split(": ")[1]
    assert key.startswith("ogi_") and ApiKey.find(key) is not None
    assert ApiKey.get().digest != key  # only a hash is stored
    listed = ogi("keys", "list", db_url=db_url).stdout
    assert "portal" in listed and key[:12] in listed and key not in listed and "live" in listed
    assert ogi("keys", "revoke", "1", db_url=db_url).stdout == "key 1 revoked\n"
    assert ApiKey.find(key) is None
    assert ogi("keys", "revoke", "1", db_url=db_url).returncode == 1
