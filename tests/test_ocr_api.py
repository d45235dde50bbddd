"""Cells read by OCR, through the store and the API: confidence and box stored and served
exactly everywhere a cell is, the ocr and illegible statuses as filters, the bulk files,
the migration from version 7, the page images (GET /v1/reports/{id}/pages/{n}.png),
and the explorer marking a cell's box on its page (read as HTML, and in headless Chromium).

The report is real: the corpus PDF of 淮安市洪泽区人民政府 with page 3 (table 二 and the
top of table 三) replaced by a scan of it (``benchmarks.scan``), parsed once for the
session (OCR reads that one page, ~20 s). The confidence threshold is raised to 0.998
for that parse (``OGI_OCR_MIN_CONFIDENCE``), so that some of the page's cells are
``illegible`` and the rest ``ocr``; which ones is read from the parse, not assumed."""
from __future__ import annotations

import csv
import io
import json
import os
import shutil
import threading
from decimal import Decimal
from pathlib import Path

import lxml.html
import openpyxl
import pyarrow.parquet as pq
import pytest
from PIL import Image
from playhouse.migrate import SchemaMigrator, migrate

from api import bulk
from api.pages import MAX_PIXELS, TooLarge, render_png
from api.schemas import CELL_LABELS
from loaders.document import box_document, parse_bytes
from loaders.load import load_paths
from loaders.records import ILLEGIBLE, OCR
from loaders.store import store_report
from models import Cell, Meta, Report, database, open_database
from models.decimals import plain
from models.schema import SCHEMA_VERSION
from tests.conftest import FIXTURES, SEEDS

SOURCE = FIXTURES / "corpus" / "014_huaian_hongze_qzf_2024.pdf"
SCANNED_PAGE, DPI = 3, 200
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
ARTIFACTS = Path(os.environ.get("OGI_TEST_ARTIFACTS", Path(__file__).parent.parent / "test-artifacts"))


def scanned(pdf: bytes, page: int, dpi: int) -> bytes:
    """``pdf`` with page ``page`` replaced by a scan of it (an image-only page)."""
    import pypdfium2

    from benchmarks.scan import degrade, to_pdf

    document = pypdfium2.PdfDocument(pdf)
    image = document[page - 1].render(scale=dpi / 72, grayscale=True).to_pil()
    scan = pypdfium2.PdfDocument(to_pdf([degrade(image, 0.5, seed=page)], dpi))
    document.del_page(page - 1)
    document.import_pages(scan, [0], index=page - 1)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


@pytest.fixture(scope="session")
def parsed():
    before = os.environ.get("OGI_OCR_MIN_CONFIDENCE")
    os.environ["OGI_OCR_MIN_CONFIDENCE"] = "0.998"
    try:
        report = parse_bytes(scanned(SOURCE.read_bytes(), SCANNED_PAGE, DPI), "hongze-scanned-page-3.pdf")
    finally:
        if before is None:
            del os.environ["OGI_OCR_MIN_CONFIDENCE"]
        else:
            os.environ["OGI_OCR_MIN_CONFIDENCE"] = before
    statuses = {c.status for c in report.cells if c.box}
    assert {OCR, ILLEGIBLE} <= statuses, statuses  # the threshold splits the page's cells
    return report


@pytest.fixture
def app(db, db_url, tmp_path, parsed):
    """The seeds (read from text) and the report with its scanned page."""
    from api import create_app

    assert load_paths(SEEDS).failed == 0
    store_report(parsed)
    return create_app({"DATABASE_URL": db_url, "TESTING": True, "RATELIMIT_ENABLED": False,
                       "EXPORT_DIR": str(tmp_path / "exports")})


@pytest.fixture
def report_id(app, parsed) -> int:
    return Report.get(Report.source == parsed.sha256).id


def read_cells(parsed) -> dict:
    """The cells read by OCR, by key."""
    return {c.key: c for c in parsed.cells if c.box}


def exact_json(response) -> dict:
    """A JSON body with its numbers as Decimals (as written: no float on the way)."""
    return json.loads(response.get_data(as_text=True), parse_float=Decimal)


# --- stored and served ---------------------------------------------------------------

def test_confidence_and_box_are_stored_exactly(app, parsed, report_id):
    stored = {f"{c.table_key}/{c.row_key}/{c.column_key}": c for c in Cell.select().where(Cell.report == report_id)}
    read = read_cells(parsed)
    assert len(read) == 94 and all(c.box.startswith(f"{SCANNED_PAGE} ") for c in read.values())
    for key, cell in read.items():
        assert (stored[key].confidence, stored[key].box, stored[key].status) == (cell.confidence, cell.box,
                                                                                cell.status)
        assert isinstance(stored[key].confidence, Decimal)
    others = [c for key, c in stored.items() if key not in read]
    assert others and all(c.confidence is None and c.box is None for c in others)  # read from text
    assert not Cell.select().where(Cell.report != report_id, Cell.box.is_null(False)).exists()


def test_every_cell_record_serves_confidence_and_box(client, parsed, report_id):
    read = read_cells(parsed)
    listed = exact_json(client.get(f"/v1/cells?report={report_id}&limit=1000"))["data"]
    assert len(listed) == len(parsed.cells)
    detail = exact_json(client.get(f"/v1/reports/{report_id}"))
    in_tables = {f"{t['key']}/{r['key']}/{column}": cell for t in detail["tables"] for r in t["rows"]
                 for column, cell in r["cells"].items()}
    for record in listed:
        key = f"{record['table']}/{record['row']}/{record['column']}"
        cell = read.get(key)
        expected = (cell.confidence, box_document(cell.box)) if cell else (None, None)
        assert (record["confidence"], record["box"]) == expected, key
        assert (in_tables[key]["confidence"], in_tables[key]["box"]) == expected, key
    some = next(c for c in read.values() if c.confidence != c.confidence.to_integral_value())
    x0, y0 = some.box.split()[1:3]
    one = client.get(f"/v1/cells?report={report_id}&table={some.table}&row={some.row}&column={some.column}")
    text = one.get_data(as_text=True)  # the confidence as an exact JSON number, the box an object in pixels
    assert f'"confidence":{plain(some.confidence)}' in text
    assert f'"box":{{"page":{SCANNED_PAGE},"x0":{x0},"y0":{y0},' in text and '"unit":"px"}' in text
    spec = client.get("/v1/openapi.json").json["components"]["schemas"]
    for schema in ("Cell", "CellValue"):
        served = set(spec[schema]["properties"]) - set(CELL_LABELS)  # labels only with labels=
        assert {"confidence", "box"} <= served <= set(spec[schema]["required"])
    assert set(spec["PageBox"]["properties"]) == {"page", "x0", "y0", "x1", "y1", "width", "height", "unit"}


def test_status_filters_select_the_cells_read_by_ocr(client, parsed, report_id):
    by_status = {s: [c for c in parsed.cells if c.status == s] for s in (OCR, ILLEGIBLE)}
    for status, cells in by_status.items():
        body = client.get(f"/v1/cells?status={status}&limit=1000").json
        assert body["meta"]["total"] == len(cells)
        assert {(r["table"], r["row"], r["column"]) for r in body["data"]} == {(c.table, c.row, c.column)
                                                                               for c in cells}
        assert all(r["report_id"] == report_id and r["box"] for r in body["data"])
    illegible = client.get(f"/v1/cells?status={ILLEGIBLE}&limit=1000").json["data"]
    assert all(r["value"] is None and r["raw"] for r in illegible)  # null; what OCR read kept
    assert all(r["value"] is not None for r in client.get(f"/v1/cells?status={OCR}&limit=1000").json["data"])
    named = {(f["table"], f["row"], f["column"]) for f in client.get("/v1/findings?rule=ocr.low_confidence").json[
        "data"]}
    assert named == {(r["table"], r["row"], r["column"]) for r in illegible}
    both = client.get("/v1/cells?status=ocr,illegible&limit=1").json["meta"]["total"]
    assert both == sum(map(len, by_status.values()))
    counted = client.get("/v1/aggregates?status=ocr&metric=count&group_by=table").json["data"]
    assert sum(g["cells"] for g in counted) == len(by_status[OCR])
    assert client.get("/v1/codebook").json["statuses"][-2:] == [OCR, ILLEGIBLE]
    refused = client.get("/v1/cells?status=scanned")
    assert refused.status_code == 400 and refused.json["invalid_params"][0]["name"] == "status"


def test_a_csv_page_gives_the_box_as_text(client, parsed):
    cell = next(c for c in parsed.cells if c.status == ILLEGIBLE)
    response = client.get(f"/v1/cells?status=illegible&row={cell.row}&column={cell.column}&format=csv")
    [record] = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert (record["value"], record["raw"], record["confidence"], record["box"]) == (
        "", cell.raw, plain(cell.confidence), cell.box)


# --- bulk files --------------------------------------------------------------------------

def test_bulk_files_carry_confidence_and_box(client, app, parsed, tmp_path):
    from tests.test_bulk import validate

    read = read_cells(parsed)
    rows = list(csv.DictReader(io.StringIO(client.get("/v1/bulk/cells.csv").get_data(as_text=True))))
    ocr_rows = {f"{r['table']}/{r['row']}/{r['column']}": r for r in rows if r["box"]}
    assert {k: (r["confidence"], r["box"], r["status"]) for k, r in ocr_rows.items()} == {
        k: (plain(c.confidence), c.box, c.status) for k, c in read.items()}
    assert all(r["confidence"] == "" for r in rows if not r["box"])
    fields = {f["name"]: f for r in client.get("/v1/bulk/datapackage.json").json["resources"] if r["name"] == "cells"
              for f in r["schema"]["fields"]}
    assert (fields["confidence"]["type"], fields["box"]["type"]) == ("number", "string")
    assert {OCR, ILLEGIBLE} <= set(fields["status"]["constraints"]["enum"])
    parquet = pq.read_table(io.BytesIO(client.get("/v1/bulk/cells.parquet").data)).to_pylist()
    def confidence(value) -> Decimal | None:  # float64 in Parquet, exact at three places
        return None if value is None else Decimal(repr(value))

    assert {f"{r['table']}/{r['row']}/{r['column']}": (confidence(r["confidence"]), r["box"])
            for r in parquet if r["box"]} == {
        k: (c.confidence, c.box) for k, c in read.items()}
    with app.app_context():
        bulk.export(tmp_path / "export")
    report = validate(tmp_path / "export")
    assert report["valid"], report


def test_the_workbook_lists_the_cells_read_by_ocr(client, parsed, report_id):
    book = openpyxl.load_workbook(io.BytesIO(client.get(f"/v1/reports/{report_id}/tables.xlsx").data))
    assert book.sheetnames[-1] == "ocr"
    header, *rows = list(book["ocr"].values)
    assert header[:7] == ("table", "row", "column", "status", "value", "raw", "confidence")
    assert {f"{r[0]}/{r[1]}/{r[2]}": (r[3], " ".join(map(str, r[7:]))) for r in rows} == {
        k: (c.status, c.box) for k, c in read_cells(parsed).items()}
    illegible = next(c for c in parsed.cells if c.status == ILLEGIBLE)
    sheet = book[illegible.table]  # the unread cell is marked with its finding
    commented = [c.comment.text for row in sheet.iter_rows() for c in row if c.comment]
    assert any(illegible.key in text for text in commented)


# --- migration ---------------------------------------------------------------------------

def test_a_version_7_database_gets_the_ocr_columns(db, db_url, parsed):
    assert load_paths(SEEDS).failed == 0
    values = {c.id: (c.value, c.status) for c in Cell.select()}
    migrator = SchemaMigrator.from_database(database)
    migrate(migrator.drop_column("cell", "confidence"), migrator.drop_column("cell", "box"))
    Meta.update(value="7").where(Meta.key == "schema_version").execute()

    open_database(db_url)
    assert Meta.get(Meta.key == "schema_version").value == str(SCHEMA_VERSION)
    assert {"confidence", "box"} <= {c.name for c in database.get_columns("cell")}
    assert {c.id: (c.value, c.status) for c in Cell.select()} == values
    assert not Cell.select().where(Cell.confidence.is_null(False) | Cell.box.is_null(False)).exists()
    stored = store_report(parsed)  # and a report read by OCR is stored whole
    kept = {f"{c.table_key}/{c.row_key}/{c.column_key}": (c.confidence, c.box)
            for c in Cell.select().where(Cell.report == stored.report_id, Cell.box.is_null(False))}
    assert kept == {k: (c.confidence, c.box) for k, c in read_cells(parsed).items()}


# --- page images -------------------------------------------------------------------------

def test_a_page_read_by_ocr_is_served_at_the_size_of_its_boxes(client, parsed, report_id):
    width, height = (int(n) for n in next(iter(read_cells(parsed).values())).box.split()[5:])
    url = f"/v1/reports/{report_id}/pages/{SCANNED_PAGE}.png"
    response = client.get(url)
    assert response.status_code == 200 and response.content_type == "image/png"
    image = Image.open(io.BytesIO(response.data))
    assert (image.format, image.size) == ("PNG", (width, height)) == ("PNG", (1654, 2339))
    assert response.headers["ETag"] and response.headers["Cache-Control"].startswith("public, max-age=")
    assert client.get(url, headers={"If-None-Match": response.headers["ETag"]}).status_code == 304
    # the page as it was read: a cell's box holds ink (the printed number), its margin paper
    cell = next(c for c in read_cells(parsed).values() if c.status == OCR)
    _, x0, y0, x1, y1, _, _ = (int(n) for n in cell.box.split())
    inside = image.crop((x0 + 8, y0 + 8, x1 - 8, y1 - 8))
    darkest, lightest = inside.getextrema()
    assert darkest < 100 < lightest


@pytest.mark.parametrize("page", [1, 2, 4, 5, 6, 99999])
def test_a_page_without_cells_read_by_ocr_is_404(client, report_id, page):
    response = client.get(f"/v1/reports/{report_id}/pages/{page}.png")
    assert response.status_code == 404 and response.content_type == "application/problem+json"
    assert f"page {page}" in response.json["detail"]


def test_pages_of_reports_read_from_text_and_of_no_report_are_404(client, report_id):
    text_report = Report.select().where(Report.source_format == "text").first().id
    for url in (f"/v1/reports/{text_report}/pages/1.png", "/v1/reports/999999/pages/3.png",
                f"/v1/reports/{report_id}/pages/0.png"):
        assert client.get(url).status_code == 404, url


def test_a_box_of_a_page_the_file_lacks_is_404_and_one_too_large_is_refused(client, report_id):
    cell = Cell.select().where(Cell.report == report_id, Cell.box.is_null(False)).first()
    Cell.update(box="9 1 1 2 2 1654 2339").where(Cell.id == cell.id).execute()  # the PDF has 5 pages
    missing = client.get(f"/v1/reports/{report_id}/pages/9.png")
    assert missing.status_code == 404 and "no page 9" in missing.json["detail"]
    Cell.update(box="7 1 1 2 2 10000 6001").where(Cell.id == cell.id).execute()  # 60,010,000 pixels
    refused = client.get(f"/v1/reports/{report_id}/pages/7.png")
    assert refused.status_code == 422 and refused.content_type == "application/problem+json"
    assert "60,000,000" in refused.json["detail"]


def test_an_image_file_gives_its_frames_turned_as_its_exif_says():
    """The image source's pages: each frame of a TIFF, upright as the loader read it."""
    first, second = Image.new("L", (300, 200), 255), Image.new("L", (120, 80), 0)
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: shown turned 90° clockwise
    out = io.BytesIO()
    first.save(out, "TIFF", save_all=True, append_images=[second], exif=exif)
    data = out.getvalue()
    upright = Image.open(io.BytesIO(render_png(data, "image", 1, 200, 300)))
    assert upright.size == (200, 300) and upright.getpixel((0, 0)) == 255
    assert Image.open(io.BytesIO(render_png(data, "image", 2, 120, 80))).getpixel((5, 5)) == 0
    assert render_png(data, "image", 3, 120, 80) is None
    with pytest.raises(TooLarge):
        render_png(data, "image", 1, MAX_PIXELS, 2)


# --- the explorer ------------------------------------------------------------------------

def test_the_report_page_links_each_number_read_by_ocr_to_its_box(client, parsed, report_id):
    html = lxml.html.fromstring(client.get(f"/reports/{report_id}").get_data(as_text=True))
    [figure] = html.cssselect("figure.ocr-page")
    assert figure.get("id") == f"page-{SCANNED_PAGE}"
    img = figure.cssselect("img")[0]
    assert img.get("src") == f"/v1/reports/{report_id}/pages/{SCANNED_PAGE}.png"
    assert (img.get("width"), img.get("height")) == ("1654", "2339")
    boxes = {a.get("id"): a for a in figure.cssselect("a.box")}
    for key, cell in read_cells(parsed).items():
        td = html.cssselect(f'td[data-cell="{key}"]')[0]
        link = td.cssselect("a")[0].get("href")
        box = boxes[link[1:]]
        assert box.get("href") == f"#{td.get('id')}" and cell.status in box.get("class").split()
        _, x0, y0, x1, y1, w, h = (int(n) for n in cell.box.split())
        left = (Decimal(x0) * 100 / w).quantize(Decimal("0.001"))
        assert box.get("style").startswith(f"left:{left}%;top:{(Decimal(y0) * 100 / h).quantize(Decimal('0.001'))}%")
        label = box.getnext()
        assert "box-label" in label.get("class") and f"confidence {plain(cell.confidence)}" in label.text
        assert cell.status in td.get("class").split()
    illegible = next(c for c in parsed.cells if c.status == ILLEGIBLE)
    assert "finding" in html.cssselect(f'td[data-cell="{illegible.key}"]')[0].get("class")  # its finding marks it


def test_a_report_read_from_text_has_no_pages(client):
    html = lxml.html.fromstring(client.get("/reports/1").get_data(as_text=True))
    assert not html.cssselect("figure.ocr-page") and not html.cssselect("a.box")


def test_the_browser_shows_the_chosen_cells_box_on_its_page(app, parsed, report_id):
    """At 1280 and at 400 px wide: a number read by OCR, chosen, shows its page with its
    box marked where the number is printed, and its status and confidence; the page
    as a whole never scrolls sideways. No script runs."""
    if not (shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER)):
        if os.environ.get("CI"):
            raise RuntimeError("CI needs Chromium and ChromeDriver (.ci/run installs chromium and chromium-driver)")
        pytest.skip("Debian's chromium and chromium-driver are not installed")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--disable-background-networking", "--disable-component-update", "--no-first-run",
                     "--window-size=1300,1000"):
        options.add_argument(argument)
    options.add_experimental_option("prefs", {"profile.managed_default_content_settings.javascript": 2})
    os.environ.setdefault("SE_OFFLINE", "true")
    browser = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    cell = next(c for c in parsed.cells if c.status == ILLEGIBLE)
    _, x0, y0, x1, y1, width, height = (int(n) for n in cell.box.split())
    try:
        for viewport in (1280, 400):
            browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
                "width": viewport, "height": 900, "deviceScaleFactor": 1, "mobile": False})
            browser.get(f"http://127.0.0.1:{server.server_port}/reports/{report_id}")
            WebDriverWait(browser, 15).until(expected_conditions.visibility_of_element_located((By.TAG_NAME, "h1")))
            browser.find_element(By.CSS_SELECTOR, f'td[data-cell="{cell.key}"] a').click()
            WebDriverWait(browser, 10).until(expected_conditions.url_contains("#ocr-"))
            box = browser.find_element(By.ID, browser.current_url.rsplit("#", 1)[1])
            image = browser.find_element(By.CSS_SELECTOR, f"#page-{SCANNED_PAGE} img")
            WebDriverWait(browser, 15).until(lambda _, shown=image: shown.get_property("naturalWidth") == width)
            assert box.is_displayed() and box.value_of_css_property("outline-color") == "rgba(208, 52, 44, 1)"
            frame, marked = image.rect, box.rect  # the box where the cell is on the image as shown
            scale = Decimal(str(frame["width"])) / width
            assert frame["width"] <= viewport
            for shown, at in ((marked["x"] - frame["x"], x0), (marked["y"] - frame["y"], y0),
                              (marked["width"], x1 - x0), (marked["height"], y1 - y0)):
                assert abs(Decimal(str(shown)) - at * scale) <= 2, (shown, at, scale)
            label = browser.find_element(By.CSS_SELECTOR, f"#{box.get_attribute('id')} + .box-label")
            assert label.is_displayed() and f"illegible, read '{cell.raw}'" in label.text
            assert f"confidence {plain(cell.confidence)}" in label.text
            page = browser.execute_script("return [document.documentElement.scrollWidth, "
                                          "document.documentElement.clientWidth]")
            assert page[0] <= page[1], page  # nothing wider than the window
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            browser.save_screenshot(str(ARTIFACTS / f"report-ocr-box-{viewport}.png"))
    finally:
        browser.quit()
        server.shutdown()
