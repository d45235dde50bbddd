"""/v1/cells: the tidy long form, every filter, paging and CSV."""
import csv
import io
from decimal import Decimal

import pytest


def cells(client, query):
    response = client.get(f"/v1/cells?{query}")
    assert response.status_code == 200, response.json
    return response.json


def test_the_2020_report_of_jinjiang_grants_142(client):
    body = cells(client, "agency=晋江市人民政府&year=2020&table=requests&row=granted&column=total")
    assert body["meta"] == {"total": 1, "limit": 100, "offset": 0, "next": None}
    [cell] = body["data"]
    assert cell == {"report_id": cell["report_id"], "agency_id": cell["agency_id"], "agency_name": "晋江市人民政府",
                    "region": "晋江市", "year": 2020, "layout": "2019", "table": "requests", "row": "granted",
                    "column": "total", "value": 142, "status": "reported", "raw": "142", "note": None,
                    "location": "line 97", "confidence": None, "box": None, "unit": "count"}


def test_cells_carry_their_unit_and_on_request_their_labels(client):
    money = cells(client, "column=fee_amount&limit=1")["data"][0]
    assert money["unit"] == "万元"
    procurement = cells(client, "column=procurement_amount&limit=1")["data"][0]
    assert procurement["unit"] == "元"
    body = cells(client, "agency=晋江市人民政府&year=2020&table=requests&row=granted&column=total&labels=zh,en")
    [cell] = body["data"]
    assert (cell["table_zh"], cell["row_zh"], cell["column_zh"]) == ("收到和处理政府信息公开申请情况",
                                                                    "（一）予以公开", "总计")
    assert (cell["row_en"], cell["column_en"]) == ("Disclosed", "Total")
    assert "row_zh" not in cells(client, "limit=1")["data"][0]
    text = client.get("/v1/cells?row=granted&column=total&year=2020&labels=en&format=csv").get_data(as_text=True)
    header, first = list(csv.reader(io.StringIO(text)))[:2]
    assert header[-4:] == ["unit", "table_en", "row_en", "column_en"]  # unit, then the labels asked for
    assert first[-4:] == ["count", "Requests received and handled", "Disclosed", "Total"]


def test_every_seed_cell_is_served(client):
    assert cells(client, "limit=1")["meta"]["total"] == 200 + 200 + 200 + 198 + 198


@pytest.mark.parametrize("query, total", [
    ("year=2023", 200 + 200 + 198),
    ("year=2020,2022", 398),
    ("year_from=2022&year_to=2022", 200),
    ("layout=2019", 396),
    ("table=review_litigation", 75),
    ("table=disclosure,review_litigation", 75 + 10 + 10 + 10 + 22 + 22),
    ("row=denied&column=total", 5 * 8),
    ("row=denied.*&column=total", 5 * 8),
    ("row=other&column=total", 3 + 3 + 3 + 1 + 1),  # 2021: other.*; 2019: other
    ("row=other.*&column=total", 3 * 3),
    ("row=granted,partially_granted&column=total", 10),
    ("column=natural_person&value_gte=100", 3),  # 004: 215, 128, 215
    ("status=blank", 10),  # seeds 000 and 002: the review row
    ("status=ambiguous", 7),  # seed 004: carried_forward
    ("q=西园", 200),
    ("region=晋江市", 996),
    ("region=晋江市安海镇", 198),
    ("agency=晋江市城市管理局,晋江市人民政府", 398),
])
def test_filters(client, query, total):
    assert cells(client, query + "&limit=1")["meta"]["total"] == total


def test_value_range_returns_only_values_in_range(client):
    body = cells(client, "value_gte=2&value_lte=6&limit=1000")
    assert body["data"] and all(2 <= c["value"] <= 6 for c in body["data"])


def test_agency_by_id(client):
    agency_id = cells(client, "agency=晋江市人民政府&limit=1")["data"][0]["agency_id"]
    assert cells(client, f"agency={agency_id}&limit=1")["meta"]["total"] == 198


def test_report_filter_and_status_of_blanks(client):
    report = cells(client, "agency=晋江市城市管理局&limit=1")["data"][0]["report_id"]
    body = cells(client, f"report={report}&row=review")
    assert [(c["column"], c["value"], c["status"]) for c in body["data"]] == [
        ("upheld", None, "blank"), ("corrected", None, "blank"), ("other", None, "blank"),
        ("pending", None, "blank"), ("total", None, "blank")]


def walked(client, query: str) -> tuple[list, list[int]]:
    """Every record of a walk from its first page, and each page's meta.total."""
    records, totals, url = [], [], f"/v1/cells?{query}"
    while url:
        body = client.get(url).json
        records += body["data"]
        totals.append(body["meta"]["total"])
        url = body["meta"]["next"]
    return records, totals


def test_a_reports_cells_alone_answer_as_the_built_query(client):
    """report= with no other filter is read by SQL made once (api.v1.cells.by_report):
    the same records and totals as the query built each request (here made to be built
    by a filter that selects every layout), on every page of a walk, with fields and
    labels too."""
    reports = sorted({c["report_id"] for c in cells(client, "revisions=all&limit=1000")["data"]})
    assert len(reports) == 5
    queries = [f"report={reports[0]}&limit=1000", f"report={reports[1]}&limit=37",
               f"report={reports[2]},{reports[4]}&limit=150",
               f"report={reports[3]}&labels=zh,en&fields=value,row_en&limit=100",
               f"report={reports[0]},{reports[1]},{reports[2]},{reports[3]},{reports[4]}&revisions=all&limit=333"]
    for query in queries:
        fast, fast_totals = walked(client, query)
        built, built_totals = walked(client, query + "&layout=2019,2021")
        assert fast == built and fast_totals == built_totals, query
        assert [list(record) for record in fast] == [list(record) for record in built]  # keys in the same order
        assert len(fast) == fast_totals[0] and len(fast_totals) == -(-len(fast) // int(query.split("limit=")[1]))
    assert walked(client, "report=999999")[0] == []


def test_a_cell_record_is_made_of_its_columns_in_order():
    import orjson

    from api.v1.cells import CELL_COLUMNS, FIELDS, RECORD_KEYS, REPORT_COLUMNS, cell_record

    head = tuple(f"h{i}" for i in range(6))
    row = ("r", "c1", "c2", "c3", None, "c5", "c6", "c7", "c8", None, "c10", "c11")  # value and confidence null
    record = cell_record(head, row)
    assert tuple(record) == RECORD_KEYS
    columns = dict(zip(RECORD_KEYS, (*REPORT_COLUMNS, *CELL_COLUMNS[1:]), strict=True))
    assert all(columns[name] is FIELDS[name] for name in FIELDS)
    assert list(record.values()) == [*head, *row[1:]]
    numbers = cell_record(head, (*row[:4], "3.50", *row[5:9], Decimal("0.9980"), *row[10:]))  # as SQLite, PostgreSQL
    assert b'"value":3.5,' in orjson.dumps(numbers) and b'"confidence":0.998,' in orjson.dumps(numbers)


def test_sorting_ascending_and_descending(client):
    body = cells(client, "table=requests&column=total&sort=-value,row&limit=3")
    assert [c["value"] for c in body["data"]] == [231, 231, 142]
    assert [c["row"] for c in body["data"][:2]] == ["new_received", "total_processed"]
    body = cells(client, "table=requests&column=total&status=reported&sort=value&limit=1")
    assert body["data"][0]["value"] == 0


def test_paging_meta_and_link_headers(client):
    response = client.get("/v1/cells?year=2020&limit=50&offset=100")
    body = response.json
    assert body["meta"]["total"] == 198
    assert body["meta"]["next"] == "http://localhost/v1/cells?year=2020&limit=50&offset=150"
    assert len(body["data"]) == 50
    links = response.headers["Link"]
    assert '<http://localhost/v1/cells?year=2020&limit=50&offset=0>; rel="first"' in links
    assert '<http://localhost/v1/cells?year=2020&limit=50&offset=50>; rel="prev"' in links
    assert '<http://localhost/v1/cells?year=2020&limit=50&offset=150>; rel="next"' in links
    assert response.headers["X-Total-Count"] == "198"
    last = cells(client, "year=2020&limit=50&offset=150")
    assert (len(last["data"]), last["meta"]["next"]) == (48, None)


def test_default_limit_is_100(client):
    body = cells(client, "")
    assert (len(body["data"]), body["meta"]["limit"]) == (100, 100)


@pytest.mark.parametrize("how", ["format=csv", "accept"])
def test_csv(client, how):
    query = "/v1/cells?agency=晋江市人民政府&row=granted&table=requests"
    if how == "accept":
        response = client.get(query, headers={"Accept": "text/csv"})
    else:
        response = client.get(query + "&format=csv")
    assert response.status_code == 200
    assert response.content_type == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [r["column"] for r in rows] == ["natural_person", "commercial_enterprise", "research_institution",
                                           "social_organization", "legal_service_agency", "other_organization",
                                           "total"]
    assert rows[-1]["value"] == "142" and rows[-1]["agency_name"] == "晋江市人民政府"
    assert not response.get_data(as_text=True).startswith("\ufeff")


def test_csv_with_bom_for_excel(client):
    response = client.get("/v1/cells?format=csv&bom=1&limit=1")
    data = response.get_data()
    assert data.startswith("\ufeff".encode())
    assert data.decode("utf-8-sig").splitlines()[0].startswith("report_id,agency_id,agency_name")


def test_accept_with_media_type_parameters_still_chooses_the_form(client):
    for accept in ("text/csv;header=present", "text/csv; charset=utf-8", "application/x-ndjson; q=0.9"):
        response = client.get("/v1/cells?limit=2", headers={"Accept": accept})
        assert response.status_code == 200 and response.get_data()  # a streamed body, read to its end
        assert response.mimetype == accept.split(";")[0], accept


def test_the_bulk_cells_carry_their_unit(client):
    rows = list(csv.DictReader(io.StringIO(client.get("/v1/bulk/cells.csv").get_data(as_text=True).lstrip("\ufeff"))))
    units = {(r["column"], r["unit"]) for r in rows}
    assert ("fee_amount", "万元") in units and ("procurement_amount", "元") in units and ("total", "count") in units
    assert all(r["unit"] for r in rows)
