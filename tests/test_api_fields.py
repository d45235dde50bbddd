"""fields=: the record fields to return, in that order, in JSON and CSV, on every list
and on a report and an agency; an unknown name is a 400 that names it."""
import csv
import io

import pytest

LISTS = ["/v1/reports", "/v1/cells", "/v1/findings", "/v1/agencies", "/v1/aggregates?group_by=year&metric=count",
         "/v1/indicators?group_by=year", "/v1/reports/1/history"]


def glue(path: str) -> str:
    return "&" if "?" in path else "?"


def test_fields_pick_and_order_the_cells_fields(client):
    body = client.get("/v1/cells?year=2020&row=granted&column=total&fields=value,agency_name,box.page").json
    assert body["data"] == [{"value": 142, "agency_name": "晋江市人民政府", "box": {"page": None}}]
    assert body["meta"]["total"] == 1


def test_fields_make_the_csv_columns(client):
    text = client.get("/v1/cells?year=2020&row=granted&fields=column,value&format=csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["column", "value"]
    assert ["total", "142"] in rows[1:] and all(len(r) == 2 for r in rows)


@pytest.mark.parametrize("path", LISTS)
def test_every_list_takes_fields_and_names_an_unknown_one(client, path):
    first = client.get(f"{path}{glue(path)}limit=2").json["data"][0]
    name = next(iter(first))
    body = client.get(f"{path}{glue(path)}limit=2&fields={name}").json
    assert body["data"] and all(list(r) == [name] for r in body["data"])
    assert [r[name] for r in body["data"]] == [r[name] for r in client.get(f"{path}{glue(path)}limit=2").json["data"]]
    response = client.get(f"{path}{glue(path)}fields={name},nope")
    assert response.status_code == 400
    assert response.content_type.startswith("application/problem+json")
    assert "unknown field 'nope'" in str(response.json) and "fields" in str(response.json["invalid_params"])


def test_a_report_and_an_agency_take_fields(client):
    report = client.get("/v1/reports/1?fields=year,agency_name,contact.phone").json
    full = client.get("/v1/reports/1").json
    assert report == {"year": full["year"], "agency_name": full["agency_name"],
                      "contact": {"phone": full["contact"]["phone"]}}
    agency = client.get("/v1/agencies/1?fields=name,years").json
    assert list(agency) == ["name", "years"]
    assert client.get("/v1/reports/1?fields=tables.rows").status_code == 400  # a list of objects: whole only
    assert client.get("/v1/agencies/1?fields=").status_code == 400


def test_fields_do_not_go_with_jsonstat(client):
    response = client.get("/v1/cells?fields=value&format=jsonstat")
    assert response.status_code == 400 and "jsonstat" in response.json["detail"]
