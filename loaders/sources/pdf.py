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
import re
import struct
import unicodedata
import zlib
from itertools import islice

import pdfplumber
from pdfminer.pdfpage import PDFPage
from pdfminer.pdftypes import resolve1
from pdfminer.psexceptions import PSException
from pdfplumber.utils.exceptions import PdfminerException

from loaders.blocks import SPAN, Block, Prose, Row, is_page_number
from loaders.errors import LoadError, first_line
from loaders.limits import Budget, Limits

# pdfminer warns of each damaged stream or operator it skips: the file's error or findings say what matters
logging.getLogger("pdfminer").setLevel(logging.ERROR)

# What pdfminer and pdfplumber raise on damaged files: syntax and xref errors, broken
# filters (zlib, ASCII85, LZW), objects of the wrong type where a page needs another,
# references that loop.
DAMAGE = (PdfminerException, PSException, ValueError, KeyError, TypeError, AttributeError, IndexError,
          ZeroDivisionError, ArithmeticError, AssertionError, RecursionError, zlib.error, struct.error, EOFError)


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


def _page_blocks(page, number: int) -> list[tuple[float, float, str, object]]:
    """(top, width, where, text or cells) of each row and line of a page, top to bottom."""
    items = []
    tables = page.find_tables()
    for t, table in enumerate(tables, start=1):
        for r, (row, texts) in enumerate(zip(table.rows, table.extract(), strict=True), start=1):
            cells = [_cell(x) for x in texts]
            filled = [c for c in cells if c and c != SPAN]
            if filled:
                where = f"page {number}, table {t}, row {r}"
                width = row.bbox[2] - row.bbox[0]
                items.append((row.bbox[1], width, where, filled[0] if len(filled) == 1 else tuple(cells)))
    bboxes = [t.bbox for t in tables]
    outside = page.filter(lambda obj: obj.get("object_type") != "char" or not any(_inside(obj, b) for b in bboxes))
    for k, line in enumerate(outside.extract_text_lines(), start=1):
        text = line["text"].strip()
        if text and not is_page_number(text):
            items.append((line["top"], line["x1"] - line["x0"], f"page {number}, line {k}", text))
    return sorted(items, key=lambda item: item[0])


_SENTENCE_END = "。！？：；:;!?"
_STARTS_ITEM = re.compile(r"^\s*(?:[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十\d]+[)）]|\d+[.、．])")


def _width(text: str) -> int:
    """Printed width in half-width units: a Chinese character counts two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _paragraphs(items: list[tuple[float, float, str, object]]) -> list[tuple[str, object]]:
    """Join a page's wrapped prose lines: a line nearly as wide as the page's widest
    text, not ending a sentence, runs on into the next one unless that starts an item."""
    widest = max((_width(c) for _, _, _, c in items if isinstance(c, str)), default=0)
    out: list[tuple[str, object]] = []
    running = False
    for _, _, where, content in items:
        if isinstance(content, str) and running and not _STARTS_ITEM.match(content):
            first_where, text = out[-1]
            out[-1] = (first_where, text + content)
        else:
            out.append((where, content))
        running = (isinstance(content, str) and _width(content) >= 0.85 * widest
                   and not content.endswith(tuple(_SENTENCE_END)))
    return out


def read_pdf(data: bytes, limits: Limits | None = None) -> list[Block]:
    limits = limits or Limits()
    budget = Budget(limits)
    blocks: list[Block] = []
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            # the pages counted from the page tree, before any is laid out
            if sum(1 for _ in islice(PDFPage.create_pages(pdf.doc), limits.pages + 1)) > limits.pages:
                raise limits.refuse("pages", "too many pages", "pdf")
            for number, page in enumerate(pdf.pages, start=1):
                where = f"page {number}"
                size = sum(len(resolve1(s).get_data()) for s in page.page_obj.contents if s is not None)
                limits.check("page_content", size, "the page's drawing instructions are {amount}", where)
                budget.grid(_grid_positions(page), where)
                for where, content in _paragraphs(_page_blocks(page, number)):
                    line = len(blocks) + 1
                    if isinstance(content, tuple):
                        budget.row(len(content), where)
                        blocks.append(Row(content, line, where, exact=True))
                    else:
                        blocks.append(Prose(content, line, where))
                page.close()  # drop the page's objects and layout: memory stays flat over the pages
    except DAMAGE as e:
        raise LoadError(f"not a readable PDF: {type(e).__name__}: {first_line(e)}", "pdf") from None
    if not blocks:
        raise LoadError("the PDF holds no text (a scan needs OCR first)", "pdf")
    return blocks
