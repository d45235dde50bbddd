"""PDF files, read with pdfplumber.

Each page gives its ruled tables (cells of merged regions come back as None: they
become ``SPAN``) and the text lines outside them, merged in reading order by their
position on the page. A table that goes on over a page break simply goes on: the
readers take rows in order within a section. A table row with a single filled cell
is prose (some reports set whole pages inside a frame table), and wrapped prose
lines are joined into paragraphs. Text extracted from a PDF without ruled tables
arrives as lines, which the readers split on spaces."""
from __future__ import annotations

import io
import logging
import struct
import zlib
from itertools import islice

import pdfplumber
from pdfminer.pdfpage import PDFPage
from pdfminer.pdftypes import resolve1
from pdfminer.psexceptions import PSException
from pdfplumber.utils.exceptions import PdfminerException
from pypdfium2 import PdfiumError

from loaders.blocks import SPAN, Block, PageItem, Row, is_page_number, page_blocks
from loaders.errors import LoadError, first_line
from loaders.limits import Budget, Limits
from loaders.ocr import OcrPages, render_dpi, render_gray

# pdfminer warns of each damaged stream or operator it skips: the file's error or findings say what matters
logging.getLogger("pdfminer").setLevel(logging.ERROR)

# What pdfminer and pdfplumber raise on damaged files: syntax and xref errors, broken
# filters (zlib, ASCII85, LZW), objects of the wrong type where a page needs another,
# references that loop.
DAMAGE = (PdfminerException, PSException, ValueError, KeyError, TypeError, AttributeError, IndexError,
          ZeroDivisionError, ArithmeticError, AssertionError, RecursionError, zlib.error, struct.error, EOFError,
          PdfiumError)


def _inside(obj: dict, bbox: tuple) -> bool:
    x0, top, x1, bottom = bbox
    mid_x, mid_y = (obj["x0"] + obj["x1"]) / 2, (obj["top"] + obj["bottom"]) / 2
    return x0 <= mid_x <= x1 and top <= mid_y <= bottom


def _cell(text: str | None) -> str:
    return SPAN if text is None else "".join(text.split("\n")).strip()


def _grid_positions(page) -> int:
    """Where the page's ruled lines (lines and rectangles' sides) cross: distinct
    heights of horizontal ones × distinct places of vertical ones, to the point."""
    across, down = set(), set()
    for line in page.lines:
        if abs(line["top"] - line["bottom"]) < 1:
            across.add(round(line["top"]))
        elif abs(line["x0"] - line["x1"]) < 1:
            down.add(round(line["x0"]))
    for rect in page.rects:
        across.update((round(rect["top"]), round(rect["bottom"])))
        down.update((round(rect["x0"]), round(rect["x1"])))
    return len(across) * len(down)


def _page_items(page, number: int, tables) -> list[PageItem]:
    """Each table row and text line of a page with text."""
    items = []
    for t, table in enumerate(tables, start=1):
        for r, (row, texts) in enumerate(zip(table.rows, table.extract(), strict=True), start=1):
            cells = [_cell(x) for x in texts]
            filled = [c for c in cells if c and c != SPAN]
            if filled:
                where = f"page {number}, table {t}, row {r}"
                width = row.bbox[2] - row.bbox[0]
                items.append(PageItem(row.bbox[1], width, where, filled[0] if len(filled) == 1 else tuple(cells)))
    bboxes = [t.bbox for t in tables]
    outside = page.filter(lambda obj: obj.get("object_type") != "char" or not any(_inside(obj, b) for b in bboxes))
    for k, line in enumerate(outside.extract_text_lines(), start=1):
        text = line["text"].strip()
        if text and not is_page_number(text):
            items.append(PageItem(line["top"], line["x1"] - line["x0"], f"page {number}, line {k}", text))
    return items


PICTURE = 0.25  # share of a page an image must cover for the page to be a picture of its content


def _needs_ocr(page, tables) -> bool:
    """A page that is an image: no text at all, or a large picture and no ruled table of
    text (a typed heading over a pasted picture of the table)."""
    if not page.images:
        return False
    if not page.chars:
        return True
    area = float(page.width * page.height) or 1.0
    pictured = max((abs((i["x1"] - i["x0"]) * (i["bottom"] - i["top"])) for i in page.images), default=0)
    return not tables and pictured / area >= PICTURE


def _native_dpi(page) -> float | None:
    """The resolution of the page's largest image as placed on the page."""
    best = max(page.images, key=lambda i: abs((i["x1"] - i["x0"]) * (i["bottom"] - i["top"])), default=None)
    if best is None or not best.get("srcsize") or not best["x1"] - best["x0"]:
        return None
    return best["srcsize"][0] / (abs(best["x1"] - best["x0"]) / 72)


def _ocr_page(data: bytes, rendered: dict, page, number: int, ocr: OcrPages) -> list[PageItem]:
    """A page read by OCR: rendered (pypdfium2) at its scan's resolution, then read."""
    import pypdfium2

    dpi = render_dpi(_native_dpi(page))
    scale = dpi / 72
    ocr.check(round(float(page.width) * scale), round(float(page.height) * scale), f"page {number}")
    if "document" not in rendered:
        rendered["document"] = pypdfium2.PdfDocument(data)
    return ocr.read(render_gray(rendered["document"][number - 1], scale), number)


def read_pdf(data: bytes, limits: Limits | None = None) -> list[Block]:
    limits = limits or Limits()
    budget = Budget(limits)
    blocks: list[Block] = []
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            # the pages counted from the page tree, before any is laid out
            if sum(1 for _ in islice(PDFPage.create_pages(pdf.doc), limits.pages + 1)) > limits.pages:
                raise limits.refuse("pages", "too many pages", "pdf")
            ocr, rendered = OcrPages(limits), {}
            for number, page in enumerate(pdf.pages, start=1):
                where = f"page {number}"
                size = sum(len(resolve1(s).get_data()) for s in page.page_obj.contents if s is not None)
                limits.check("page_content", size, "the page's drawing instructions are {amount}", where)
                budget.grid(_grid_positions(page), where)
                tables = page.find_tables()
                items = (_ocr_page(data, rendered, page, number, ocr) if _needs_ocr(page, tables)
                         else _page_items(page, number, tables))
                for block in page_blocks(items, len(blocks) + 1):
                    if isinstance(block, Row):
                        budget.row(len(block.cells), block.location)
                    blocks.append(block)
                page.close()  # drop the page's objects and layout: memory stays flat over the pages
            if "document" in rendered:
                rendered["document"].close()
    except DAMAGE as e:
        raise LoadError(f"not a readable PDF: {type(e).__name__}: {first_line(e)}", "pdf") from None
    if not blocks:
        raise LoadError("the PDF holds no text, and no page image that OCR could read", "pdf")
    return blocks
