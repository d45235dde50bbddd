"""The explorer in a real browser: Debian's headless Chromium driven by Selenium
(ChromeDriver), against the app served over HTTP by pytest-flask's live server, with
JavaScript switched off (the pages must not need it). Screenshots are saved in
``test-artifacts/`` (or ``$OGI_TEST_ARTIFACTS``).

Without Chromium these tests are skipped, except in CI (``CI`` set), where .ci/run
installs it and a skip would hide a failure."""
from pathlib import Path

import pytest

from loaders.load import load_paths
from tests.browser import ARTIFACTS, require_browser, start_chromium
from tests.conftest import CORPUS, SEEDS
from tests.test_cross_year import ZEROS, report

require_browser()

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    """SQLite with the seeds, the corpus' HTML report, and 晋江市人民政府 again for 2021
    and 2022 (seed 004 with its years changed; 2021 carries over 5 requests that 2020
    did not carry forward). One for the module: the live server serves it from a fork."""
    from api import create_app
    from models import open_database

    tmp_path = tmp_path_factory.mktemp("explorer")
    url = f"sqlite:///{tmp_path / 'explorer.sqlite3'}"
    open_database(url)
    years = [report(tmp_path, 2020, ZEROS), report(tmp_path, 2021, ["5", "0", "0", "0", "0", "0", "5"]),
             report(tmp_path, 2022, ZEROS)]
    html_source = next(p for p in CORPUS if p.suffix == ".html")
    assert load_paths([*SEEDS, *years, html_source]).failed == 0
    return create_app({"DATABASE_URL": url, "TESTING": True, "RATELIMIT_ENABLED": False,
                       "EXPORT_DIR": str(tmp_path / "exports")})


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    driver = start_chromium(tmp_path_factory.mktemp('chromium'), 1500, javascript=False)
    yield driver
    driver.quit()


def open_page(browser, url: str) -> None:
    """Go to ``url`` and wait until the page is there: its heading shown."""
    browser.get(url)
    WebDriverWait(browser, 15).until(expected_conditions.visibility_of_element_located((By.TAG_NAME, "h1")),
                                     message=f"no page at {url}")


def screenshot(browser, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    browser.save_screenshot(str(path))
    assert path.stat().st_size > 10_000  # a rendered page, not a blank one
    return path


def test_javascript_is_off_and_the_pages_carry_no_script(browser, live_server):
    browser.get("data:text/html,<title>off</title><script>document.title='on'</script>")
    assert browser.title == "off"  # this browser runs no page script: what the tests see needs none
    for url in ("/", "/agencies/1", "/reports/1"):
        open_page(browser, live_server.url(url))
        scripts = browser.find_elements(By.TAG_NAME, "script")
        assert [s.get_attribute("type") for s in scripts] == ["application/ld+json"]  # data, not code


def test_search_finds_an_agency_and_opens_its_page(browser, live_server):
    open_page(browser, live_server.url("/"))
    assert browser.title.startswith("ogi-api")
    assert len(browser.find_elements(By.CSS_SELECTOR, "#agencies tbody tr")) == 6
    screenshot(browser, "home")
    browser.find_element(By.NAME, "q").send_keys("人民政府")
    browser.find_element(By.CSS_SELECTOR, "form.search button").click()
    WebDriverWait(browser, 10).until(expected_conditions.url_contains("q="))  # the results page, not the last
    names = [a.text for a in browser.find_elements(By.CSS_SELECTOR, "#agencies tbody a")]
    assert names == ["晋江市人民政府", "晋江市安海镇人民政府"]
    screenshot(browser, "search")
    browser.find_element(By.LINK_TEXT, "晋江市人民政府").click()
    WebDriverWait(browser, 10).until(expected_conditions.url_contains("/agencies/"))
    assert browser.find_element(By.TAG_NAME, "h1").text == "晋江市人民政府"


def test_agency_page_shows_its_years_and_trend_charts(browser, live_server):
    open_page(browser, live_server.url("/?q=晋江市人民政府"))
    browser.find_element(By.LINK_TEXT, "晋江市人民政府").click()
    WebDriverWait(browser, 10).until(expected_conditions.url_contains("/agencies/"))
    years = [row.find_element(By.TAG_NAME, "td").text for row in browser.find_elements(By.CSS_SELECTOR,
                                                                                       "#years tbody tr")]
    assert years == ["2020", "2021", "2022"]
    charts = browser.find_elements(By.CSS_SELECTOR, "svg.chart")
    assert len(charts) == 2 and all(chart.size["width"] >= 500 for chart in charts)
    assert len(charts[0].find_elements(By.CSS_SELECTOR, "polyline")) == 2  # received and handled, 3 years each
    screenshot(browser, "agency")


def test_report_page_shows_the_tables_and_highlights_the_findings(browser, live_server, client):
    report_id = client.get("/v1/reports?agency=晋江市西园街道").json["data"][0]["id"]
    document = client.get(f"/v1/reports/{report_id}").json
    open_page(browser, live_server.url(f"/reports/{report_id}"))
    tables = browser.find_elements(By.CSS_SELECTOR, "table.printed")
    assert {t.get_attribute("data-table") for t in tables} == {"disclosure", "requests", "review_litigation"}
    assert all(t.is_displayed() for t in tables)
    flagged = browser.find_elements(By.CSS_SELECTOR, "td.finding")
    assert {td.get_attribute("data-cell") for td in flagged} == {k for f in document["findings"] for k in f["cells"]}
    # highlighted as the stylesheet says, and the finding's message on the cell
    assert flagged[0].value_of_css_property("background-color") == "rgba(255, 224, 138, 1)"
    assert "requests.balance" in flagged[0].get_attribute("title")
    assert browser.find_element(By.CSS_SELECTOR, "aside.source pre.source-text").is_displayed()
    screenshot(browser, "report")
    # a footnote leads to its finding; a number to the line of the source it was read from
    flagged[0].find_element(By.CSS_SELECTOR, "sup a").click()
    WebDriverWait(browser, 10).until(expected_conditions.url_contains("#finding-1"))
    browser.find_element(By.CSS_SELECTOR, 'td[data-cell="requests/granted/total"] a').click()
    WebDriverWait(browser, 10).until(expected_conditions.url_contains("#L"))
    line = browser.current_url.rsplit("#", 1)[1]
    assert browser.find_element(By.ID, line).value_of_css_property("background-color") == "rgba(255, 224, 138, 1)"
    screenshot(browser, "report-source-line")


def test_cross_year_finding_is_highlighted_on_the_later_report(browser, live_server, client):
    later = client.get("/v1/reports?agency=晋江市人民政府&year=2021").json["data"][0]["id"]
    open_page(browser, live_server.url(f"/reports/{later}"))
    flagged = browser.find_elements(By.CSS_SELECTOR, "td.finding[data-cell^='requests/carried_over/']")
    assert {td.get_attribute("data-cell") for td in flagged} >= {"requests/carried_over/natural_person",
                                                                 "requests/carried_over/total"}
    rules = [li.get_attribute("data-rule") for li in browser.find_elements(By.CSS_SELECTOR, "ol.findings li")]
    assert rules.count("cross_year.carry") == 2
    screenshot(browser, "report-cross-year")


def test_an_html_source_shows_in_a_frame(browser, live_server, client):
    report_id = client.get("/v1/reports?q=平潭").json["data"][0]["id"]
    open_page(browser, live_server.url(f"/reports/{report_id}"))
    frame = browser.find_element(By.CSS_SELECTOR, "iframe.source-frame")
    assert frame.is_displayed() and frame.size["height"] > 300
    assert len(browser.find_elements(By.CSS_SELECTOR, "table.printed")) >= 3
    screenshot(browser, "report-html-source")
