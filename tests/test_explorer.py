"""The explorer's pages, read as HTML (lxml): search, agency pages with SVG charts,
report pages with the tables as printed and the findings' cells highlighted."""
import json

import lxml.html
import pytest

from api.charts import line_chart


def page(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, response.data[:500]
    assert response.content_type == "text/html; charset=utf-8"
    return lxml.html.fromstring(response.get_data(as_text=True))


def agency_id(client, name):
    return client.get(f"/v1/agencies?agency={name}").json["data"][0]["id"]


def test_home_lists_agencies_and_search_narrows_them(client):
    home = page(client, "/")
    assert len(home.cssselect("#agencies tbody tr")) == 5
    found = page(client, "/?q=西园")
    assert [a.text for a in found.cssselect("#agencies tbody a")] == ["晋江市西园街道"]
    assert page(client, "/?q=安海镇").cssselect("#agencies tbody a")[0].text == "晋江市安海镇人民政府"
    assert page(client, "/?q=nowhere").cssselect("p.empty")
    assert not page(client, "/?page=99").cssselect("#agencies tbody tr")  # past the end: empty, not an error


def test_schema_org_dataset_markup(client):
    for url in ("/", f"/agencies/{agency_id(client, '晋江市人民政府')}", "/reports/1"):
        scripts = page(client, url).cssselect('script[type="application/ld+json"]')
        assert len(scripts) == 1
        markup = json.loads(scripts[0].text)
        assert (markup["@context"], markup["@type"]) == ("https://schema.org", "Dataset")
        assert markup["name"] and markup["description"] and markup["license"]
        assert markup["includedInDataCatalog"]["url"].endswith("/v1/catalog")


def test_agency_page_has_its_years_and_two_charts(client):
    html = page(client, f"/agencies/{agency_id(client, '晋江市人民政府')}")
    assert [td.text_content() for td in html.cssselect("#years tbody tr")[0].cssselect("td")][:4] == [
        "2020", "231", "231", "6"]
    charts = html.cssselect("svg.chart")
    assert len(charts) == 2
    points = charts[1].cssselect("circle.point")
    assert {(p.get("data-year"), round(float(p.get("data-value")), 6)) for p in points} == {
        ("2020", 0.705628), ("2020", 0.025974), ("2020", 0.242424)}  # /v1/indicators' values


def test_report_page_lays_out_the_tables_and_marks_each_finding(client):
    report = client.get("/v1/reports?agency=晋江市西园街道").json["data"][0]
    document = client.get(f"/v1/reports/{report['id']}").json
    html = page(client, f"/reports/{report['id']}")
    assert {t.get("data-table") for t in html.cssselect("table.printed")} == {
        "disclosure", "requests", "review_litigation"}
    cells = {td.get("data-cell"): td for td in html.cssselect("td[data-cell]")}
    served = {f"{t['key']}/{r['key']}/{c}": v for t in document["tables"] for r in t["rows"]
              for c, v in r["cells"].items()}
    assert set(cells) == set(served)
    for key, cell in served.items():  # each number as the API serves it
        text = cells[key].text_content().strip()
        if cell["value"] is not None:
            assert text.startswith(f"{cell['value']:,}"), key
    flagged = {td.get("data-cell") for td in html.cssselect("td.finding")}
    assert flagged == {k for f in document["findings"] for k in f["cells"]}
    balance = next(f for f in document["findings"] if f["rule"] == "requests.balance")
    assert balance["message"] in cells[balance["cells"][0]].get("title")
    assert len(html.cssselect("ol.findings li")) == len(document["findings"])
    for key in flagged:  # finding numbers bracketed apart from the number: 10 [1, 2], never 10¹²
        notes = cells[key].cssselect("sup.notes")[0].text_content()
        numbers = [str(i + 1) for i, f in enumerate(document["findings"]) if key in f["cells"]]
        assert notes == "[" + ",\u200a".join(numbers) + "]", key
    # the source beside: every line, and each cell links to the line it was read from
    assert html.cssselect("pre.source-text #L96")
    assert cells["requests/granted/total"].cssselect("a")[0].get("href") == "#L" + served[
        "requests/granted/total"]["location"].split()[1]


def test_table_four_is_one_wide_row_as_printed(client):
    html = page(client, "/reports/1")
    table = html.cssselect('table[data-table="review_litigation"]')[0]
    assert len(table.cssselect("tbody tr")) == 1
    assert len(table.cssselect("tbody td")) == 15


def test_source_frame_is_sandboxed(client):
    response = client.get("/reports/1/source")
    assert response.status_code == 200
    assert response.headers["Content-Security-Policy"].startswith("sandbox")


@pytest.mark.parametrize("url", ["/agencies/999", "/reports/999", "/reports/999/source"])
def test_missing_pages_are_html_404s(client, url):
    html = page(client, url, 404)
    assert html.cssselect("h1")[0].text == "404 Not Found"


def test_line_chart_breaks_where_a_year_has_no_value():
    svg = lxml.html.fromstring(str(line_chart("t", [("a", {2019: 1, 2020: None, 2021: 3, 2022: 4})])))
    assert len(svg.cssselect("circle")) == 3
    assert len(svg.cssselect("polyline")) == 1  # 2021–2022; 2019 stands alone
    empty = lxml.html.fromstring(str(line_chart("t", [("a", {2020: None})])))
    assert "no values" in empty.text_content()


def test_hostile_search_and_paging_values_are_harmless(client):
    for url in ("/?page=99999999999999999999999", "/?page=-3", "/?page=x", "/?q=%27%20OR%201%3D1--",
                "/?q=" + "长" * 5000, "/?q=%25", "/?q=_"):
        assert client.get(url).status_code == 200, url
    assert not page(client, "/?q=%25").cssselect("#agencies tbody tr")  # a plain substring, no LIKE wildcard
