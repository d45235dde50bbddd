"""Content negotiation (api/negotiation.py): an Accept nothing offered satisfies is a 406
problem naming what is offered; what each endpoint negotiates keeps working."""
import pytest
from flask import Response

from api.base import Blueprint
from api.negotiation import offers

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"


def test_an_accept_that_cannot_be_served_is_406_naming_what_is_offered(client):
    for method in (client.get, client.head):
        response = method("/v1/cells?year=2020", headers={"Accept": "application/xml"})
        assert (response.status_code, response.mimetype) == (406, "application/problem+json")
    problem = client.get("/v1/cells", headers={"Accept": "application/xml"}).json
    assert problem["status"] == 406 and problem["title"] == "Not Acceptable"
    assert "application/xml" in problem["detail"]
    assert problem["detail"].endswith(
        "offered as application/json, text/csv, application/x-ndjson, application/problem+json")
    assert client.get("/v1/cells", headers={"Accept": "application/json;q=0"}).status_code == 406
    assert client.get("/v1/codebook", headers={"Accept": "text/csv"}).status_code == 406  # not a list
    assert client.get("/v1/catalog", headers={"Accept": "image/png"}).status_code == 406
    assert client.get("/", headers={"Accept": "application/xml"}).status_code == 406  # the explorer is HTML


@pytest.mark.parametrize("accept", [None, "", "*/*", BROWSER, "application/json", "application/problem+json",
                                    "application/json; charset=utf-8", "application/*", "not a media type"])
def test_json_is_served_to_what_browsers_and_clients_send(client, accept):
    headers = {} if accept is None else {"Accept": accept}
    response = client.get("/v1/cells?year=2020&limit=2", headers=headers)
    assert (response.status_code, response.mimetype) == (200, "application/json")
    assert len(response.json["data"]) == 2


def test_each_endpoint_keeps_what_it_negotiates(client):
    csv = client.get("/v1/cells?year=2020&limit=2", headers={"Accept": "text/csv"})
    assert (csv.status_code, csv.mimetype) == (200, "text/csv") and csv.get_data(as_text=True).count("\n") == 3
    findings = client.get("/v1/findings", headers={"Accept": "text/csv;header=present"})  # parameters aside: CSV
    assert (findings.status_code, findings.mimetype) == (200, "text/csv") and findings.get_data()
    named = client.get("/v1/cells?year=2020&limit=2&format=csv", headers={"Accept": "application/xml"})
    assert (named.status_code, named.mimetype) == (200, "text/csv") and named.get_data()  # format= has chosen
    stat = client.get("/v1/cells?year=2020&limit=2&format=jsonstat", headers={"Accept": "application/json"})
    assert stat.status_code == 200 and stat.json["class"] == "dataset"
    catalog = client.get("/v1/catalog", headers={"Accept": "application/ld+json"})
    assert (catalog.status_code, catalog.mimetype) == (200, "application/ld+json")
    assert client.get("/v1/catalog", headers={"Accept": "application/json"}).status_code == 200
    assert client.get("/data.json", headers={"Accept": "application/json"}).status_code == 200
    for accept in ("application/json", "application/vnd.oai.openapi+json", "*/*"):
        assert client.get("/v1/openapi.json", headers={"Accept": accept}).status_code == 200, accept
    assert client.get("/docs", headers={"Accept": BROWSER}).status_code == 200
    home = client.get("/", headers={"Accept": "text/html"})
    assert (home.status_code, home.mimetype) == (200, "text/html")
    assert client.get("/static/explorer.css", headers={"Accept": "text/css,*/*;q=0.1"}).status_code == 200
    report_id = client.get("/v1/reports?limit=1").json["data"][0]["id"]
    for accept in ("image/png", "image/*"):  # a report with no page image: 404, not 406
        assert client.get(f"/v1/reports/{report_id}/pages/1.png", headers={"Accept": accept}).status_code == 404
    assert client.get(f"/v1/reports/{report_id}/pages/1.png", headers={"Accept": "text/csv"}).status_code == 406
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert client.get(f"/v1/reports/{report_id}/tables.xlsx", headers={"Accept": xlsx}).status_code == 200
    assert client.get("/healthz", headers={"Accept": "text/plain"}).status_code == 200  # not negotiated


def test_a_media_type_is_offered_by_one_line(db_url, db, tmp_path):
    """Documented on the operation (what the OpenAPI document says), or declared with
    ``offers`` for a view outside the document: either way one line."""
    from api import create_app

    app = create_app({"DATABASE_URL": db_url, "TESTING": True, "RATELIMIT_ENABLED": False,
                      "EXPORT_DIR": str(tmp_path / "exports")})
    blp = Blueprint("lines", __name__, url_prefix="/v1/lines")

    @blp.route("/documented")
    @blp.doc(responses={"200": {"content": {"application/x-ndjson": {"schema": {"type": "string"}}}}})
    def documented():
        return Response(b'{"a":1}\n', mimetype="application/x-ndjson")

    @blp.route("/declared")
    @offers("text/turtle")
    def declared():
        return Response(b"<a> <b> <c> .\n", mimetype="text/turtle")

    app.extensions["ogi_api"].register_blueprint(blp)
    client = app.test_client()
    assert client.get("/v1/lines/documented", headers={"Accept": "application/x-ndjson"}).status_code == 200
    assert client.get("/v1/lines/declared", headers={"Accept": "text/turtle"}).status_code == 200
    refused = client.get("/v1/lines/declared", headers={"Accept": "application/rdf+xml"})
    assert refused.status_code == 406 and "text/turtle" in refused.json["detail"]
