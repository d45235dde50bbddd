"""The two PDF engines (``OGI_PDF_ENGINE=pdfium``, the default, and ``pdfplumber``)
read every PDF of the suite into the same blocks: the corpus report, text PDFs of
generated reports (ruled tables with merged cells over page breaks, prose, page
numbers; they also match their goldens), the limit tests' typed pages, scanned pages
(both send them to OCR at the same resolution) and a page that is a picture under a
typed heading. PDFium reads every page of these itself (no page falls back to
pdfplumber). Damaged PDFs give one-line errors or a report under either engine. Both
engines are real; nothing is mocked."""
from __future__ import annotations

import io
import json
import random

import pytest

from loaders.document import dumps, parse_bytes
from loaders.errors import LoadError
from loaders.limits import Limits
from loaders.sources import pdf
from loaders.sources.pdf import DEFAULT_ENGINE, _needs_ocr, _Pages, engine_name, read_pdf
from tests.conftest import FIXTURES, check_golden
from tests.test_limits import many_page_pdf, ruled_grid_pdf

CORPUS = FIXTURES / "corpus" / "014_huaian_hongze_qzf_2024.pdf"


def _generated(i: int, seed: int) -> bytes:
    from benchmarks.pdf_engines import FONT, text_pdf

    if not FONT.exists():
        pytest.skip(f"the generated PDFs are set in {FONT} (fonts-wqy-microhei)")
    return text_pdf(i, seed)[0]


def _same(data: bytes) -> list:
    fell_back: list[int] = []
    plumber = read_pdf(data, engine="pdfplumber")
    pdfium = read_pdf(data, engine="pdfium", by_plumber=fell_back)
    assert pdfium == plumber  # every block: text, cells, where it is printed
    assert fell_back == []  # and PDFium read every page itself
    return pdfium


def test_the_default_engine_is_pdfium_and_the_variable_chooses(monkeypatch):
    monkeypatch.delenv("OGI_PDF_ENGINE", raising=False)
    assert engine_name() == DEFAULT_ENGINE == "pdfium"
    monkeypatch.setenv("OGI_PDF_ENGINE", "pdfplumber")
    assert engine_name() == "pdfplumber"
    monkeypatch.setenv("OGI_PDF_ENGINE", "pdfminer")
    with pytest.raises(LoadError, match="report.pdf: pdf: OGI_PDF_ENGINE must be one of pdfium, pdfplumber, not "):
        parse_bytes(CORPUS.read_bytes(), "report.pdf")


def test_the_corpus_report_reads_the_same():
    blocks = _same(CORPUS.read_bytes())
    assert len(blocks) == 64
    rows = [b for b in blocks if hasattr(b, "cells")]
    # the tall merged cell whose label is set in a vertical-writing font (page 3)
    merged = rows[[b.where for b in rows].index("page 3, table 2, row 6")]
    assert merged.cells[:2] == ("三、本年度办理结果", "（一）予以公开")


@pytest.mark.parametrize("i, seed", [(0, 7), (1, 7), (2, 11)])
def test_generated_text_pdfs_read_the_same_and_match_their_goldens(i, seed, tmp_path, capsys):
    from benchmarks.pdf_engines import text_pdf

    _generated(i, seed)
    data, golden = text_pdf(i, seed)
    _same(data)
    (tmp_path / "golden.json").write_text(json.dumps(golden, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "parsed.json").write_text(dumps(parse_bytes(data, "report.pdf").document()), encoding="utf-8")
    assert check_golden.main(str(tmp_path / "golden.json"), str(tmp_path / "parsed.json")) == 0, capsys.readouterr().out


def test_typed_pages_of_a_standard_font_read_the_same():
    blocks = _same(many_page_pdf(3))
    assert blocks[0].text.startswith("1 2 3 4 5 6 7 8 9 101 2 3")  # forty wide lines, run together as prose


def test_the_limits_hold_under_both_engines():
    for engine in ("pdfium", "pdfplumber"):
        with pytest.raises(LoadError, match=r"page 1: the page's ruled lines cross at 18496 places"):
            read_pdf(ruled_grid_pdf(2), engine=engine)
        with pytest.raises(LoadError, match=r"too many pages \(limit 2, OGI_MAX_PAGES\)"):
            read_pdf(many_page_pdf(3), Limits().with_values({"pages": 2}), engine=engine)


def _pages(data: bytes, engine: str) -> list:
    pages = _Pages(data, engine)
    pages.count(10)
    out = [pages.page(i) for i in range(len(pages.objs))]
    assert pages.by_plumber == ([] if engine == "pdfium" else list(range(1, len(out) + 1)))
    return out


def _ocr_view(page) -> tuple:
    """What decides a page's OCR: its text, its images (boxes to the point, pixels), its tables."""
    tables = page.tables()
    return (page.has_chars, [(round(i[0]), round(i[1]), round(i[2]), round(i[3]), i[4]) for i in page.images],
            _needs_ocr(page, tables), pdf._native_dpi(page))


def _image_pdf(pages: list, dpi: int) -> bytes:
    out = io.BytesIO()
    pages[0].save(out, "PDF", save_all=True, append_images=pages[1:], resolution=float(dpi))
    return out.getvalue()


def test_scanned_pages_go_to_ocr_at_the_same_resolution():
    from PIL import Image, ImageDraw

    rng = random.Random(3)
    sheets = []
    for _ in range(2):
        sheet = Image.new("L", (1654, 2339), 255)  # A4 at 200 dpi
        draw = ImageDraw.Draw(sheet)
        for _ in range(30):
            x, y = rng.randrange(1500), rng.randrange(2200)
            draw.rectangle((x, y, x + 120, y + 30), fill=0)
        sheets.append(sheet)
    data = _image_pdf(sheets, 200)
    plumber, pdfium = [_ocr_view(p) for p in _pages(data, "pdfplumber")], [_ocr_view(p) for p in _pages(data, "pdfium")]
    assert pdfium == plumber
    assert [(v[0], v[2], round(v[3])) for v in pdfium] == [(False, True, 200)] * 2


def test_a_picture_under_a_typed_heading_goes_to_ocr_in_both():
    """A page with a line of text over a pasted picture of the table (a quarter of the page or more)."""
    import ctypes

    import pypdfium2 as pdfium
    import pypdfium2.raw as R
    from PIL import Image

    doc = pdfium.PdfDocument.new()
    page = doc.new_page(595, 842)
    font = R.FPDFText_LoadStandardFont(doc.raw, b"Helvetica")
    text = R.FPDFPageObj_CreateTextObj(doc.raw, font, 14.0)
    encoded = "Table 3 (scanned)\0".encode("utf-16-le")
    R.FPDFText_SetText(text, (ctypes.c_ushort * (len(encoded) // 2)).from_buffer_copy(encoded))
    R.FPDFPageObj_Transform(text, 1, 0, 0, 1, 72, 780)
    R.FPDFPage_InsertObject(page.raw, text)
    image = pdfium.PdfImage.new(doc)
    image.set_bitmap(pdfium.PdfBitmap.from_pil(Image.new("L", (900, 1200), 200)))
    image.set_matrix(pdfium.PdfMatrix().scale(450, 600).translate(72, 100))
    page.insert_obj(image)
    page.gen_content()
    page.close()
    out = io.BytesIO()
    doc.save(out)
    data = out.getvalue()
    plumber, pdfium_view = _ocr_view(_pages(data, "pdfplumber")[0]), _ocr_view(_pages(data, "pdfium")[0])
    assert pdfium_view == plumber
    assert plumber[0] is True and plumber[2] is True and round(plumber[3]) == 144  # 900 px over 6.25 in


def _damaged(data: bytes, k: int) -> bytes:
    rng = random.Random(k)
    if k % 3 == 0:
        return data[:rng.randrange(100, len(data))]
    out = bytearray(data)
    for _ in range(rng.randint(1, 30)):
        i = rng.randrange(len(out))
        out[i] ^= 1 << rng.randrange(8)
    return bytes(out)


@pytest.mark.parametrize("k", range(24))
def test_damaged_pdfs_are_one_line_errors_or_reports(k):
    """PDFium and pdfminer decode a damaged stream each their own way (a broken deflate
    stream: how much of it is read), so a damaged file may read differently; but never
    with a traceback."""
    data = _damaged(CORPUS.read_bytes(), k)
    for engine in ("pdfium", "pdfplumber"):
        try:
            blocks = read_pdf(data, engine=engine)
        except LoadError as e:
            assert "\n" not in str(e) and str(e).startswith("<input>: pdf: ")
        else:
            assert blocks


def _random_paths_pdf(seed: int, pages: int = 4) -> bytes:
    """Pages of random paths (lines, rectangles, curves, closings, several subpaths,
    unpainted ones, transformed), images (with and without pixels) and forms."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as R

    r = random.Random(seed)
    width, height = 595.0, 842.0

    def q(v):
        return round(v, r.choice([0, 1, 2, 3, 5])) if r.random() < 0.7 else v

    def path():
        x, y = q(r.uniform(-10, width)), q(r.uniform(-10, height))
        p = (R.FPDFPageObj_CreateNewPath(x, y) if r.random() < 0.8
             else R.FPDFPageObj_CreateNewRect(x, y, q(r.uniform(-50, 200)), q(r.uniform(-50, 200))))
        for _ in range(r.randint(0, 9)):
            k = r.random()
            if k < 0.45:
                R.FPDFPath_LineTo(p, q(r.uniform(-10, width)) if r.random() < .6 else x,
                                  q(r.uniform(-10, height)) if r.random() < .6 else y)
            elif k < 0.7:
                R.FPDFPath_BezierTo(p, *[q(r.uniform(-10, width)) for _ in range(6)])
            elif k < 0.85:
                R.FPDFPath_Close(p)
            else:
                x, y = q(r.uniform(-10, width)), q(r.uniform(-10, height))
                R.FPDFPath_MoveTo(p, x, y)
        if r.random() < 0.3:
            R.FPDFPath_Close(p)
        R.FPDFPath_SetDrawMode(p, r.choice([0, 0, 1, 2]), r.choice([0, 1, 1]))
        if r.random() < 0.4:
            R.FPDFPageObj_Transform(p, r.choice([1, -1, 0.5, 1.3333]), r.choice([0, 0, 0.1]), r.choice([0, 0, -0.2]),
                                    r.choice([1, -1, 0.75]), r.uniform(-20, 20), r.uniform(-20, 20))
        return p

    def image(doc):
        img = R.FPDFPageObj_NewImageObj(doc)
        if r.random() < 0.7:
            w, h = r.randint(1, 40), r.randint(1, 40)
            bitmap = R.FPDFBitmap_Create(w, h, 0)
            R.FPDFBitmap_FillRect(bitmap, 0, 0, w, h, 0xFF808080)
            R.FPDFImageObj_SetBitmap(None, 0, img, bitmap)
            R.FPDFBitmap_Destroy(bitmap)
        R.FPDFImageObj_SetMatrix(img, r.uniform(-100, 300), r.choice([0, 0, 0.3]), r.choice([0, 0, -0.1]),
                                 r.uniform(-100, 300), r.uniform(-50, 500), r.uniform(-50, 700))
        return img

    source = pdfium.PdfDocument.new()  # pages placed as forms
    for _ in range(3):
        page = source.new_page(width, height)
        for _ in range(r.randint(1, 8)):
            R.FPDFPage_InsertObject(page.raw, path())
        if r.random() < 0.5:
            R.FPDFPage_InsertObject(page.raw, image(source.raw))
        page.gen_content()
    doc = pdfium.PdfDocument.new()
    for _ in range(pages):
        page = doc.new_page(width, height)
        for _ in range(r.randint(5, 60)):
            k = r.random()
            if k < 0.85:
                R.FPDFPage_InsertObject(page.raw, path())
            elif k < 0.93:
                R.FPDFPage_InsertObject(page.raw, image(doc.raw))
            else:
                xobject = R.FPDF_NewXObjectFromPage(doc.raw, source.raw, r.randrange(3))
                form = R.FPDF_NewFormObjectFromXObject(xobject)
                R.FPDFPageObj_Transform(form, r.choice([1, 0.5, 2]), 0, 0, r.choice([1, 0.5, 1.5]), r.uniform(-30, 30),
                                        r.uniform(-30, 30))
                R.FPDFPage_InsertObject(page.raw, form)
                R.FPDF_CloseXObject(xobject)
        page.gen_content()
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _contents(data: bytes, native: bool, monkeypatch) -> list:
    """Every page's PageContent as read by the C loops or the Python loops (as repr:
    exact, signed zeros included), each page also read as if its fonts were vertical."""
    import pypdfium2

    from loaders.sources import pdfium

    monkeypatch.setattr(pdfium, "NATIVE", native)
    pages = _Pages(data, "pdfium")
    pages.count(1000)
    doc = pypdfium2.PdfDocument(data)
    out = []
    try:
        for i in range(len(doc)):
            try:
                found = pdf._vertical_metrics(pages.objs[i].resources)
            except pdf._Unlike:
                found = set()
            for vertical in {next(iter(found), None), None, (880.0, -1000.0)}:
                page = doc[i]
                c = pdfium.read_page(page, vertical)
                page.close()
                out.append(repr(None if c is None else (c.width, c.height, c.chars, c.lines, c.rects, c.curves,
                                                        c.images)))
    finally:
        doc.close()
        pages.close()
    return out


def test_the_c_loops_are_built():
    from loaders.sources import pdfium

    assert pdfium.NATIVE  # pip install built loaders.sources._pdfium_loops (setup.py, cffi_modules)


@pytest.mark.parametrize("source", ["corpus", "typed", "scan", "paths 0", "paths 1", "paths 2", "paths 3"])
def test_the_c_and_python_loops_read_the_same_page_content(source, monkeypatch):
    from PIL import Image

    if source == "corpus":
        data = CORPUS.read_bytes()
    elif source == "typed":
        data = many_page_pdf(3)
    elif source == "scan":
        data = _image_pdf([Image.new("L", (900, 1200), 255), Image.new("L", (300, 200), 0)], 144)
    else:
        data = _random_paths_pdf(int(source.split()[1]))
    python = _contents(data, False, monkeypatch)
    c = _contents(data, True, monkeypatch)
    assert c == python
    assert all(page != "None" for page in c)  # PDFium read every page


def test_the_c_loops_round_as_python():
    import math
    import struct

    from loaders.sources._pdfium_loops import lib

    r = random.Random(3)
    values = [0.0, -0.0, 0.03125, -0.03125, 0.00005, 2.675, 1e300, -1e-300, 5e-324, 2 ** 50 / 1e4, math.inf, -math.inf]
    for k in range(-20000, 20000):  # ties at four places, and their neighbours
        values += [k / 20000, math.nextafter(k / 20000, 1), math.nextafter(k / 20000, -1), k / 32]
    for _ in range(100_000):
        values += [r.uniform(-1000, 1000), round(r.uniform(-900, 900), r.randint(0, 6)) * r.choice([1, 1.0000001]),
                   struct.unpack("d", struct.pack("Q", r.getrandbits(64)))[0]]
    assert [repr(lib.ogi_round4(v)) for v in values] == [repr(round(v, 4)) for v in values]
    assert math.isnan(lib.ogi_round4(math.nan))
