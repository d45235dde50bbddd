"""format=jsonstat: JSON-stat 2.0 datasets, read back with a JSON-stat reader (pyjstat)
and checked against the JSON pages they stand for."""
import math
import time
from email.utils import parsedate_to_datetime

import pytest
from pyjstat import pyjstat

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:pyjstat")  # pyjstat's own calls


def read(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.json
    body = response.json
    # the structure JSON-stat 2.0 requires of a dataset
    assert (body["version"], body["class"]) == ("2.0", "dataset")
    assert len(body["id"]) == len(body["size"]) == len(body["dimension"])
    for name, size in zip(body["id"], body["size"], strict=True):
        index = body["dimension"][name]["category"]["index"]
        assert sorted(index.values()) == list(range(len(index))) and size == len(index)
    assert all(0 <= int(k) < math.prod(body["size"]) for k in body["value"])
    return body, pyjstat.Dataset.read(response.get_data(as_text=True)).write("dataframe")


def json_page(client, url):
    return client.get(url.replace("format=jsonstat", "format=json")).json


def test_cells_read_back_with_their_labels_and_statuses(client):
    url = "/v1/cells?agency=晋江市人民政府&table=requests&row=granted,carried_forward&format=jsonstat"
    body, frame = read(client, url)
    page = json_page(client, url)
    assert body["extension"]["meta"] == page["meta"]
    assert len(frame) == len(page["data"]) == 14
    got = {(r["Row"], r["Column"]): r["value"] for r in frame.to_dict("records")}
    assert got[("Disclosed", "Total")] == 142
    assert math.isnan(got[("Carried forward to next year", "Total")])  # printed a value short: null
    statuses = {cell["status"] for cell in page["data"] if cell["value"] is None}
    assert set(body["status"].values()) == statuses == {"ambiguous"}


def test_a_sparse_page_keeps_each_value_in_its_place(client):
    # two reports and two rows of different tables: the cube is mostly empty
    url = "/v1/cells?agency=晋江市人民政府,晋江市城市管理局&row=new_received,review&column=total&format=jsonstat"
    body, frame = read(client, url)
    page = json_page(client, url)
    assert len(body["value"]) == len(page["data"]) == 4 < math.prod(body["size"])
    expected = {(f"{c['agency_name']} {c['year']}", c["row"], c["value"]) for c in page["data"]
                if c["value"] is not None}
    labels = body["dimension"]["row"]["category"]["label"]
    keys = {label: key for key, label in labels.items()}
    got = {(r["Report"], keys[r["Row"]], r["value"]) for r in frame.to_dict("records") if not math.isnan(r["value"])}
    assert got == expected


@pytest.mark.parametrize("query", ["group_by=year,row&row=granted,partially_granted&column=total",
                                   "group_by=agency&table=requests&row=new_received&column=total&metric=max"])
def test_aggregates_read_back(client, query):
    body, frame = read(client, f"/v1/aggregates?{query}&format=jsonstat")
    page = json_page(client, f"/v1/aggregates?{query}")
    assert sorted(frame["value"].tolist()) == sorted(d["value"] for d in page["data"])
    assert body["id"][-1] == "metric"


def test_indicators_read_back_with_definitions(client):
    body, frame = read(client, "/v1/indicators?group_by=year&indicator=disclosure_rate&format=jsonstat")
    assert body["role"] == {"time": ["year"], "metric": ["indicator"]}
    assert body["extension"]["definitions"]["disclosure_rate"]["min_denominator"] == 10
    assert frame["value"].tolist()[0] == 0.705628


def test_jsonstat_is_refused_where_it_is_not_offered(client):
    response = client.get("/v1/reports?format=jsonstat")
    assert response.status_code == 400
    assert response.json["invalid_params"][0]["name"] == "format"


def test_an_empty_result_is_a_valid_dataset(client):
    """No categories: every size is 0 (the number of categories), and there is no value."""
    body = client.get("/v1/cells?year=1999&format=jsonstat").json
    assert body["size"] == [0] * len(body["id"]) and body["value"] == {}
    assert all(body["dimension"][d]["category"]["index"] == {} for d in body["id"])


def test_each_value_carries_its_unit(client):
    cells = client.get("/v1/cells?column=total,fee_amount&row=granted,fees&year=2023&format=jsonstat").json
    units = cells["dimension"]["column"]["category"]["unit"]
    assert units == {"total": {"label": "count"}, "fee_amount": {"label": "万元"}}
    assert "column" in cells["role"]["metric"]
    summed = client.get("/v1/aggregates?column=fee_amount&group_by=year&format=jsonstat").json
    assert summed["dimension"]["metric"]["category"]["unit"] == {"sum": {"label": "万元"}}
    by_column = client.get("/v1/aggregates?table=disclosure&group_by=column&format=jsonstat").json
    assert by_column["dimension"]["column"]["category"]["unit"]["fee_amount"] == {"label": "万元"}
    assert set(by_column["role"]["metric"]) == {"column", "metric"}


def test_the_same_data_is_the_same_dataset(client):
    first = client.get("/v1/cells?limit=5&format=jsonstat", headers={"Accept-Encoding": "identity"})
    time.sleep(1.1)  # a clock in the body would now differ
    second = client.get("/v1/cells?limit=5&format=jsonstat", headers={"Accept-Encoding": "identity"})
    assert first.data == second.data and first.headers["ETag"] == second.headers["ETag"]
    changed = parsedate_to_datetime(first.headers["Last-Modified"])
    assert first.json["updated"] == changed.strftime("%Y-%m-%dT%H:%M:%SZ")  # when the data last changed
