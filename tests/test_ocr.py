"""Scans and pictures, read by OCR: the real corpus PDF rendered as a scan (pdftoppm,
``benchmarks.scan``) and generated scans, each scored cell by cell against its golden:
at least 99% right, and no cell that differs without a finding on it. The engine,
the renderer and the parser are the real ones.

Without poppler-utils (pdftoppm) these tests are skipped, except in CI (``CI`` set),
where .ci/run installs it."""
from __future__ import annotations

import io
import json
import os
import shutil
import struct
import zlib

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw

from benchmarks.scans import as_document, page_context, page_document, score
from loaders.blocks import UNREAD
from loaders.document import parse_bytes
from loaders.errors import LoadError
from loaders.limits import Limits
from loaders.ocr.grid import deskew, find_tables, rotation, skew_angle
from tests.conftest import FIXTURES

os.environ.setdefault("OGI_OCR_THREADS", "2")  # the machine's two cores for the engine; set before its first use

if not shutil.which("pdftoppm"):
    if os.environ.get("CI"):
        raise RuntimeError("CI needs pdftoppm (.ci/run installs poppler-utils)")
    pytest.skip("poppler-utils (pdftoppm) is not installed", allow_module_level=True)

from benchmarks.scan import scan_pdf, scan_png  # noqa: E402

PDF = FIXTURES / "corpus" / "014_huaian_hongze_qzf_2024.pdf"
GOLDEN = json.loads((FIXTURES / "corpus" / "golden" / "014_huaian_hongze_qzf_2024.json").read_text(encoding="utf-8"))


def _cells(document: dict) -> dict[str, dict]:
    return {f"{c['table']}/{c['row']}/{c['column']}": c for c in document["cells"]}


@pytest.fixture(scope="module")
def scanned_report():
    """The corpus PDF as the issue renders it: greyscale, 200 dpi, 0.5° skew, JPEG 70, image-only PDF."""
    return parse_bytes(scan_pdf(PDF.read_bytes(), dpi=200, skew=0.5, quality=70), "scan.pdf")


@pytest.fixture(scope="module")
def scanned(scanned_report) -> dict:
    return as_document(scanned_report)


def test_scanned_pdf_is_read_exactly(scanned):
    result = score(scanned, GOLDEN)
    total = sum(result[k] for k in ("right", "null_with_finding", "wrong_with_finding", "silent"))
    assert result["silent"] == 0, result["silent_cells"]
    assert result["right"] >= 0.99 * total, result
    assert total == len(GOLDEN["cells"]) == 186


def test_ocr_cells_say_so(scanned):
    cells = _cells(scanned)
    fee = cells["disclosure/fees/fee_amount"]
    assert fee["value"] == 7545 and fee["raw"] == "7545" and fee["status"] == "ocr"
    assert 0.9 <= fee["confidence"] <= 1
    box = fee["box"]
    assert box["unit"] == "px" and box["width"] == 1654 and box["height"] == 2339  # A4 at 200 dpi
    assert 0 <= box["x0"] < box["x1"] <= box["width"] and 0 <= box["y0"] < box["y1"] <= box["height"]
    assert "(OCR)" in fee["location"]
    # every cell of the scanned tables has a box; every number read is status ocr
    assert all(c["box"] for c in scanned["cells"] if c["status"] != "missing")
    assert {c["status"] for c in scanned["cells"] if c["value"] is not None} == {"ocr"}
    assert scanned["source"]["format"] == "pdf"


def test_explain_shows_what_ocr_read(scanned_report):
    from loaders.explain import explain

    text = explain(scanned_report)
    line = next(x for x in text.splitlines() if x.strip().startswith("disclosure/fees/fee_amount"))
    assert " ocr " in line and "confidence " in line and "box 3 " in line and "(OCR)" in line


def test_a_page_as_png():
    pdf = PDF.read_bytes()
    context, keys = page_context(pdf, 3)
    document = page_document(scan_png(pdf, 3, dpi=200, skew=0.5, quality=70), context)
    result = score(document, GOLDEN, keys)
    assert len(keys) == 94
    assert result["silent"] == 0, result["silent_cells"]
    assert result["right"] >= 0.99 * len(keys), result
    assert document["source"]["format"] == "image"


@pytest.mark.parametrize("dpi, blur", [(100, 0.0), (200, 1.2)], ids=["100dpi", "blurred"])
def test_worse_scans_are_never_silently_wrong(dpi, blur):
    document = as_document(parse_bytes(scan_pdf(PDF.read_bytes(), dpi=dpi, skew=0.5, quality=70, blur=blur), "s.pdf"))
    result = score(document, GOLDEN)
    assert result["silent"] == 0, result["silent_cells"]
    assert result["right"] >= 0.9 * len(GOLDEN["cells"]), result
    # what could not be read is null, with an ocr.low_confidence finding that gives what was read
    for c in document["cells"]:
        if c["status"] == "illegible":
            assert c["value"] is None
            assert any(f["rule"] == "ocr.low_confidence" and f["row"] == c["row"] and f["column"] == c["column"]
                       for f in document["findings"])


def test_a_smudged_cell_is_null_with_a_finding_and_moves_nothing():
    """Ink over one cell's number: that cell is null with a finding (or, if read, read
    right); its neighbours keep their own values (cells are placed by the grid)."""
    pdf = PDF.read_bytes()
    context, keys = page_context(pdf, 3)
    image = Image.open(io.BytesIO(scan_png(pdf, 3, dpi=200, skew=0.0, quality=90)))
    plain = page_document(scan_png(pdf, 3, dpi=200, skew=0.0, quality=90), context)
    box = _cells(plain)["requests/new_received/natural_person"]["box"]
    draw = ImageDraw.Draw(image)
    x0, y0, x1, y1 = box["x0"], box["y0"], box["x1"], box["y1"]
    for k in range(0, x1 - x0, 6):  # scribble over the number
        draw.line([(x0 + k, y0 + 8), (x0 + k + 20, y1 - 8)], fill=40, width=3)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    document = page_document(buffer.getvalue(), context)
    cell = _cells(document)["requests/new_received/natural_person"]
    assert cell["value"] in (None, 95)
    if cell["value"] is None:
        assert any(f["row"] == "new_received" and (f["column"] in ("natural_person", None))
                   for f in document["findings"])
    result = score(document, GOLDEN, keys)
    assert result["silent"] == 0, result["silent_cells"]
    others = {k for k in keys if not k.startswith("requests/new_received/")}  # the rows the scribble is not in
    assert score(document, GOLDEN, others)["right"] == len(others)


@pytest.mark.parametrize("fmt", ["scan", "scanpng"])
def test_generated_scans(tmp_path, fmt):
    from benchmarks.generate import generate

    path = generate(1, tmp_path, seed=0, formats=[fmt])[0]  # a report that breaks two identities on purpose
    golden = json.loads((tmp_path / "golden" / f"{path.stem}.json").read_text(encoding="utf-8"))
    document = as_document(parse_bytes(path.read_bytes(), path.name))
    result = score(document, golden)
    assert result["silent"] == 0, result["silent_cells"]
    # a long picture is drawn at 150 dpi with the table in 9–12 pt: its smallest 0s are 12 px tall
    assert result["right"] >= (0.99 if fmt == "scan" else 0.9) * len(golden["cells"]), result
    # the identities it breaks are found, and their findings name the cells OCR read
    assert golden["findings_at_least"] == ["requests.balance", "requests.row_total"]
    broken = [f for f in document["findings"] if f["rule"] in golden["findings_at_least"]]
    assert {f["rule"] for f in broken} == set(golden["findings_at_least"])
    assert all("read by OCR (confidence): requests/" in f["message"] for f in broken)


def test_the_engine_needs_nothing_downloaded():
    """The models are files inside the installed wheel: nothing is fetched at first use."""
    from pathlib import Path

    import rapidocr_onnxruntime

    models = Path(rapidocr_onnxruntime.__file__).parent / "models"
    assert {p.name for p in models.glob("*.onnx")} >= {"ch_PP-OCRv4_det_infer.onnx", "ch_PP-OCRv4_rec_infer.onnx"}


def test_only_pages_without_text_are_read_by_ocr(tmp_path):
    """A text PDF whose table pages were scanned: the text pages are read as text, the
    scanned ones by OCR, and together they give the whole report."""
    import pypdfium2

    text = pypdfium2.PdfDocument(PDF.read_bytes())
    scan = pypdfium2.PdfDocument(scan_pdf(PDF.read_bytes(), dpi=200, skew=0.3, quality=75))
    mixed = pypdfium2.PdfDocument.new()
    mixed.import_pages(text, [0, 1])
    mixed.import_pages(scan, [2, 3])
    mixed.import_pages(text, [4])
    out = tmp_path / "mixed.pdf"
    mixed.save(str(out))
    document = as_document(parse_bytes(out.read_bytes(), "mixed.pdf"))
    result = score(document, GOLDEN)
    assert result["silent"] == 0 and result["right"] >= 0.99 * len(GOLDEN["cells"]), result
    cells = _cells(document)
    assert cells["disclosure/rules/issued"]["status"] == "reported"  # page 2: text
    assert cells["disclosure/rules/issued"].get("box") is None
    assert cells["requests/new_received/total"]["status"] == "ocr"  # page 3: a scan
    assert document["agency"]["name"]  # the title page is text


# ---- the geometry alone ------------------------------------------------------------------------

def _drawn_table() -> np.ndarray:
    """A white page with a ruled 4 × 3 table whose first row is one merged cell."""
    page = np.full((800, 1000), 255, np.uint8)
    ys, xs = [100, 160, 220, 280, 340], [100, 400, 650, 900]
    for y in ys:
        cv2.line(page, (xs[0], y), (xs[-1], y), 0, 2)
    cv2.line(page, (xs[0], ys[0]), (xs[0], ys[-1]), 0, 2)
    cv2.line(page, (xs[-1], ys[0]), (xs[-1], ys[-1]), 0, 2)
    for x in xs[1:-1]:
        cv2.line(page, (x, ys[1]), (x, ys[-1]), 0, 2)  # not through the first row: it is merged
    cv2.putText(page, "1", (520, 200), cv2.FONT_HERSHEY_SIMPLEX, 1.2, 0, 3)  # a digit's stroke is no rule
    return page


@pytest.mark.parametrize("angle", [0.5, -0.8, 2.0])
def test_skew_is_measured_and_undone(angle):
    page = _drawn_table()
    turned = cv2.warpAffine(page, rotation(page.shape, angle), (1000, 800), borderValue=255)
    assert abs(skew_angle(turned) + angle) < 0.1
    level, _ = deskew(turned)
    tables = find_tables(level)
    assert len(tables) == 1 and len(tables[0].cells) == 10


def test_the_grid_comes_from_the_rules():
    (table,) = find_tables(_drawn_table())
    assert len(table.ys) == 5 and len(table.xs) == 4
    merged = [c for c in table.cells if c.columns > 1]
    assert [(c.row, c.column, c.rows, c.columns) for c in merged] == [(0, 0, 1, 3)]


# ---- bad input: one line naming the file and the reason, nothing else ------------------------

def _png_header(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 100)) + \
        chunk(b"IEND", b"")


def _white_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("L", (800, 600), 255).save(buffer, format="PNG")
    return buffer.getvalue()


def _noise_png() -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (600, 800), dtype=np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


ZERO_PAGE_PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
                 b"trailer<</Root 1 0 R>>\n%%EOF\n")


@pytest.mark.parametrize("data, why", [
    (_png_header(50_000, 50_000), "a page image of 50000 × 50000 pixels (limit 60000000, OGI_MAX_IMAGE_PIXELS)"),
    (_png_header(800, 600)[:60], "not a readable image"),
    (b"\xff\xd8\xff\xe0" + b"\x00" * 200, "not a readable image"),
    (_white_png(), "the image holds no text that OCR could read"),
    (ZERO_PAGE_PDF, "the PDF holds no text, and no page image that OCR could read"),
], ids=["50000x50000", "truncated-png", "corrupt-jpeg", "blank-image", "zero-page-pdf"])
def test_bad_images_are_refused_in_one_line(data, why):
    with pytest.raises(LoadError) as e:
        parse_bytes(data, "bad.file")
    assert why in str(e.value) and str(e.value).startswith("bad.file: ") and "\n" not in str(e.value)


def test_a_picture_that_is_not_a_report():
    with pytest.raises(LoadError) as e:
        parse_bytes(_noise_png(), "noise.png")
    assert str(e.value).startswith("noise.png: ") and "\n" not in str(e.value)


def test_the_page_limit_refuses_a_long_scan():
    scan = scan_pdf(PDF.read_bytes(), dpi=150, skew=0.0, quality=70)
    with pytest.raises(LoadError) as e:
        parse_bytes(scan, "long.pdf", Limits().with_values({"ocr_pages": 1}))
    assert "page 2: too many pages to read by OCR (limit 1, OGI_MAX_OCR_PAGES)" in str(e.value)


def test_unread_is_never_blank():
    from loaders.values import ILLEGIBLE, read_value

    assert read_value(UNREAD).kind == ILLEGIBLE and not read_value(UNREAD).is_blank


def test_ogi_load_stores_the_scan_and_goes_on_past_bad_files(tmp_path):
    """``ogi load`` on a folder of a scan, bad images and a text seed: the bad ones fail in
    one line each, the others are stored; the scan's cells are status ocr with boxes."""
    from click.testing import CliRunner

    from loaders.cli import main as cli
    from models import Cell, open_database

    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "scan.pdf").write_bytes(scan_pdf(PDF.read_bytes(), dpi=150, skew=0.5, quality=70))
    (folder / "huge.png").write_bytes(_png_header(50_000, 50_000))
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 200)
    shutil.copy(next((FIXTURES / "seeds").glob("000_*.txt")), folder / "seed.txt")
    url = f"sqlite:///{tmp_path / 'o.sqlite3'}"
    result = CliRunner().invoke(cli, ["load", "--db", url, "--jobs", "2", str(folder)])
    lines = result.output.splitlines()
    assert any("huge.png: image: a page image of 50000 × 50000 pixels" in line for line in lines), result.output
    assert any("broken.jpg: image: not a readable image" in line for line in lines), result.output
    assert "Traceback" not in result.output
    db = open_database(url)
    with db.connection_context():
        ocr = Cell.select().where(Cell.status == "ocr").count()
        assert ocr >= 180
        assert Cell.select().where(Cell.status == "ocr", Cell.box.is_null()).count() == 0


# ---- pictures inside documents ------------------------------------------------------------

def _prose_of_pages(pdf: bytes, pages: set[int]) -> list[str]:
    """The text lines a text PDF prints on some pages (its title page, its last page)."""
    from loaders.blocks import Prose
    from loaders.sources import read_source

    return [b.text for b in read_source(pdf).blocks
            if isinstance(b, Prose) and int(b.location.split(",")[0].split()[1]) in pages]


def test_a_web_page_whose_tables_are_pictures(tmp_path):
    """Pictures as ``data:`` addresses and as files beside the page are read where they
    stand; a remote picture not supplied is named by a finding."""
    import base64
    from html import escape

    from loaders.document import parse_file

    pdf = PDF.read_bytes()
    pngs = {n: scan_png(pdf, n, dpi=150, skew=0.3, quality=80) for n in (2, 3, 4)}
    (tmp_path / "img").mkdir()
    (tmp_path / "img" / "p3.png").write_bytes(pngs[3])
    (tmp_path / "p4 表.png").write_bytes(pngs[4])
    first = "".join(f"<p>{escape(t)}</p>" for t in _prose_of_pages(pdf, {1}))
    last = "".join(f"<p>{escape(t)}</p>" for t in _prose_of_pages(pdf, {5}))
    page = (f"<html><body><div class='nav'>首页</div><div class='article'>{first}"
            f"<p><img src='data:image/png;base64,{base64.b64encode(pngs[2]).decode()}'></p>"
            f"<p><img src='img/p3.png'></p><p><img src='p4%20%E8%A1%A8.png'></p>"
            f"<p><img src='https://www.example.gov.cn/upload/seal.png'></p>{last}</div></body></html>")
    (tmp_path / "report.html").write_text(page, encoding="utf-8")
    document = as_document(parse_file(tmp_path / "report.html"))
    result = score(document, GOLDEN)
    assert result["silent"] == 0 and result["right"] >= 0.99 * len(GOLDEN["cells"]), result
    missing = [f for f in document["findings"] if f["rule"] == "source.image_missing"]
    assert len(missing) == 1 and "https://www.example.gov.cn/upload/seal.png" in missing[0]["message"]
    assert _cells(document)["requests/new_received/total"]["location"].startswith("picture 2, ")  # img/p3.png
    # loading the folder reads the pictures with their page, not as reports of their own
    from loaders.load import find_files

    assert [p.name for p in find_files([tmp_path])] == ["report.html"]


def test_a_word_file_whose_tables_are_pictures(tmp_path):
    import docx

    pdf = PDF.read_bytes()
    document = docx.Document()
    for text in _prose_of_pages(pdf, {1}):
        document.add_paragraph(text)
    for n in (2, 3, 4):
        path = tmp_path / f"p{n}.png"
        path.write_bytes(scan_png(pdf, n, dpi=150, skew=0.3, quality=80))
        document.add_picture(str(path))
    for text in _prose_of_pages(pdf, {5}):
        document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    parsed = as_document(parse_bytes(buffer.getvalue(), "pictures.docx"))
    result = score(parsed, GOLDEN)
    assert result["silent"] == 0 and result["right"] >= 0.99 * len(GOLDEN["cells"]), result
    assert parsed["source"]["format"] == "docx"
    assert _cells(parsed)["requests/new_received/total"]["box"]["page"] == 2  # the second picture


@pytest.mark.parametrize("first, second, taken", [
    ([("7545", 0.99)], [], "7545"),  # sure: taken as read
    ([("0", 0.6)], [("0", 0.99), ("0", 0.97)], "0"),  # unsure, and every other read agrees surely
    ([("。", 0.95)], [("0", 0.99), ("。", 0.9)], "0"),  # a lone ring: the reads that give a value decide
    ([("0", 0.5)], [("8", 0.99)], None),  # the same ink read as two numbers: never a guess
    ([("。", 0.95)], [(".", 0.9), ("", 0.0)], None),  # a ring no read makes a value of
    ([("8件", 0.41)], [], None),  # a value with its unit under the threshold
    ([("", 0.0)], [], None),  # ink read as nothing
    ([("行政许可", 0.41)], [], "行政许可"),  # a label: matched against the codebook, not a value
])
def test_what_a_cell_is_taken_as(first, second, taken):
    from loaders.ocr.page import _cell_text

    text, read, _, why = _cell_text(first, second, 0.9)
    assert (text if text != UNREAD else None) == taken
    assert (why is None) == (taken is not None) and read == (taken if taken is not None else first[0][0])
