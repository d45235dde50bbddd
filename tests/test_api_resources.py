"""/v1/agencies, /v1/reports (with tables and source), /v1/findings and /v1/codebook."""
import csv
import io

from loaders.load import load_paths
from tests.conftest import seed


def get(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)
    return response.json


def agency_id(client, name):
    [agency] = get(client, f"/v1/agencies?agency={name}")["data"]
    return agency["id"]


def report_id(client, name, year):
    [report] = get(client, f"/v1/reports?agency={name}&year={year}")["data"]
    return report["id"]


# agencies

def test_list_agencies(client):
    body = get(client, "/v1/agencies?sort=name")
    assert body["meta"]["total"] == 5
    assert [a["name"] for a in body["data"]] == sorted(a["name"] for a in body["data"])
    anhai = next(a for a in body["data"] if a["name"] == "晋江市安海镇人民政府")
    assert (anhai["region"], anhai["years"]) == ("晋江市安海镇", [2023])


def test_agency_filters(client):
    assert [a["name"] for a in get(client, "/v1/agencies?q=行政服务")["data"]] == ["晋江市行政服务中心管理委员会"]
    assert get(client, "/v1/agencies?year=2020")["data"][0]["name"] == "晋江市人民政府"
    assert get(client, "/v1/agencies?region=晋江市西园街道")["meta"]["total"] == 1
    assert get(client, "/v1/agencies?region=晋江市")["meta"]["total"] == 5
    first = get(client, "/v1/agencies?sort=-id&limit=1")["data"][0]
    assert get(client, f"/v1/agencies?agency={first['id']}")["data"] == [first]


def test_agency_detail_with_headline_numbers(client):
    body = get(client, f"/v1/agencies/{agency_id(client, '晋江市人民政府')}")
    assert body["years"] == [2020]
    [year] = body["reports"]
    assert (year["year"], year["layout"], year["revision"]) == (2020, "2019", 1)
    assert year["headline"] == {"requests_received": 231, "requests_handled": 231, "requests_withheld": 6,
                                "reconsideration_total": 2, "litigation_total": 10}


def test_headline_is_null_when_a_part_is_blank(client):
    body = get(client, f"/v1/agencies/{agency_id(client, '晋江市城市管理局')}")
    assert body["reports"][0]["headline"]["reconsideration_total"] is None  # printed blank
    assert body["reports"][0]["headline"]["litigation_total"] == 0


def test_unknown_agency_is_404_problem(client):
    response = client.get("/v1/agencies/999999")
    assert response.status_code == 404
    assert response.content_type == "application/problem+json"
    assert response.json["detail"] == "no agency 999999"


# reports

def test_list_reports(client):
    body = get(client, "/v1/reports?sort=year,agency_name")
    assert body["meta"]["total"] == 5
    assert [(r["year"], r["layout"]) for r in body["data"]][0] == (2020, "2019")
    assert get(client, "/v1/reports?year_from=2023")["meta"]["total"] == 3
    assert get(client, "/v1/reports?year_to=2022")["meta"]["total"] == 2
    assert get(client, "/v1/reports?layout=2019")["meta"]["total"] == 2
    most = get(client, "/v1/reports?sort=-findings&limit=1")["data"][0]
    assert (most["agency_name"], most["findings"]) == ("晋江市西园街道", 5)


def test_report_detail(client):
    body = get(client, f"/v1/reports/{report_id(client, '晋江市城市管理局', 2023)}")
    assert (body["document_number"], body["layout"], body["revision"]) == ("晋城管〔2024〕9号", "2021", 1)
    assert body["contact"] == {"phone": "0595-85697500", "address": "晋江市世纪大道电信大楼三楼",
                               "email": "jjsxzzfj@126com", "postcode": "362200"}
    assert [t["key"] for t in body["tables"]] == ["disclosure", "requests", "review_litigation"]
    requests = body["tables"][1]
    assert requests["zh"] == "收到和处理政府信息公开申请情况"
    assert [c["key"] for c in requests["columns"]] == [
        "natural_person", "commercial_enterprise", "research_institution", "social_organization",
        "legal_service_agency", "other_organization", "total"]
    assert requests["rows"][0]["key"] == "new_received"
    assert requests["rows"][0]["en"] == "New requests received this year"
    assert requests["rows"][0]["cells"]["total"] == {"value": 5, "raw": "5", "status": "reported", "note": None,
                                                     "location": "line 56", "confidence": None, "box": None}
    assert len(requests["rows"]) == 25
    disclosure = body["tables"][0]
    fees = next(r for r in disclosure["rows"] if r["key"] == "fees")
    assert list(fees["cells"]) == ["fee_amount"]
    assert next(c for c in disclosure["columns"] if c["key"] == "fee_amount")["unit"] == "万元"
    assert [s["numeral"] for s in body["sections"]] == list("一二三四五六")
    assert body["findings"] == []
    assert body["revisions"] == [{"id": body["id"], "revision": 1, "is_current": True,
                                  "loaded_at": body["loaded_at"]}]


def test_report_findings_in_detail(client):
    body = get(client, f"/v1/reports/{report_id(client, '晋江市人民政府', 2020)}")
    assert [f["rule"] for f in body["findings"]] == ["parse.ambiguous", "requests.row_total"]
    assert body["findings"][1]["expected"] == 222 and body["findings"][1]["printed"] == 231


def test_source_is_the_file_as_loaded(client):
    response = client.get(f"/v1/reports/{report_id(client, '晋江市人民政府', 2020)}/source")
    assert response.status_code == 200
    assert response.get_data() == seed("004").read_bytes()
    assert response.content_type == "text/markdown; charset=utf-8"
    assert response.headers["Content-Disposition"] == "attachment; filename*=UTF-8''004_0ec7f487509b9c4f.txt"


def test_unknown_report_and_source_are_404(client):
    assert get(client, "/v1/reports/999999", 404)["status"] == 404
    assert get(client, "/v1/reports/999999/source", 404)["detail"] == "no report 999999"


def test_revisions(client, tmp_path):
    changed = tmp_path / "004-corrected.txt"
    changed.write_text(seed("004").read_text(encoding="utf-8").replace("| 2    | 0    | 0    | 0    | 2  |",
                                                                      "| 3    | 0    | 0    | 0    | 3  |"),
                       encoding="utf-8")
    assert load_paths([changed]).counts == {"revised": 1}
    current = get(client, "/v1/reports?year=2020")["data"]
    assert [(r["revision"], r["is_current"]) for r in current] == [(2, True)]
    every = get(client, "/v1/reports?year=2020&revisions=all&sort=revision")["data"]
    assert [(r["revision"], r["is_current"]) for r in every] == [(1, False), (2, True)]
    detail = get(client, f"/v1/reports/{every[0]['id']}")
    assert [v["revision"] for v in detail["revisions"]] == [1, 2]
    review = "row=review&column=total&year=2020"
    assert [c["value"] for c in get(client, f"/v1/cells?{review}")["data"]] == [3]
    assert [c["value"] for c in get(client, f"/v1/cells?{review}&revisions=all&sort=report_id")["data"]] == [2, 3]
    first = get(client, f"/v1/cells?row=review&column=total&report={every[0]['id']}")["data"]
    assert [c["value"] for c in first] == [2]


def test_reports_csv(client):
    response = client.get("/v1/reports?format=csv&sort=year")
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [r["year"] for r in rows] == ["2020", "2022", "2023", "2023", "2023"]
    assert rows[0]["is_current"] == "true"


# findings

def test_findings_by_rule_agency_and_year(client):
    assert get(client, "/v1/findings?limit=1")["meta"]["total"] == 11
    body = get(client, "/v1/findings?rule=requests.balance&sort=agency_name,column")
    assert [(f["agency_name"], f["column"], f["expected"], f["printed"]) for f in body["data"]] == [
        ("晋江市安海镇人民政府", "natural_person", 1, 0), ("晋江市安海镇人民政府", "total", 1, 0),
        ("晋江市西园街道", "natural_person", 0, 6)]
    assert get(client, "/v1/findings?year=2020")["meta"]["total"] == 2
    assert get(client, "/v1/findings?agency=晋江市西园街道&rule=requests.row_total")["meta"]["total"] == 4
    ambiguous = get(client, "/v1/findings?rule=parse.ambiguous")["data"][0]
    assert (ambiguous["row"], ambiguous["location"], ambiguous["cells"]) == ("carried_forward", "line 121", [])


# codebook

def test_codebook(client):
    body = get(client, "/v1/codebook")
    assert body["layouts"] == ["2019", "2021"]
    assert body["tables"]["requests"]["rows"]["denied.state_secret"]["zh"] == "1.属于国家秘密"
    assert body["tables"]["disclosure"]["columns"]["fee_amount"]["unit"] == "万元"
    assert body["row_groups"]["other"] == ["other", "other.no_correction", "other.fee_unpaid", "other.other"]
    assert "requests.balance" in body["identities"] and "parse.ambiguous" in body["rules"]
    assert body["statuses"] == ["reported", "blank", "placeholder", "ambiguous", "missing", "invalid", "split", "ocr",
                                "illegible"]
