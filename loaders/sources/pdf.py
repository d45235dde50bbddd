"""PDF files, read with PDFium (pypdfium2) or pdfplumber.

Each page gives its ruled tables (cells of merged regions come back as None: they
become ``SPAN``) and the text lines outside them, merged in reading order by their
position on the page. A table that goes on over a page break simply goes on: the
readers take rows in order within a section. A table row with a single filled cell
is prose (some reports set whole pages inside a frame table), and wrapped prose
lines are joined into paragraphs. Text extracted from a PDF without ruled tables
arrives as lines, which the readers split on spaces.

Two engines read a page, chosen by ``OGI_PDF_ENGINE``: ``pdfium`` (the default:
PDFium reads the characters, lines and images; ``loaders.sources.pdf_layout`` finds
the tables and text lines with pdfplumber's algorithms, about 9 times faster) and
``pdfplumber`` (pdfminer and pdfplumber throughout). Both give the same blocks; a page
PDFium cannot promise to read as pdfminer would (rotated, cropped, rotated text) is
read by pdfplumber in either. Everything after the page (limits, OCR, rows, prose)
is one path."""
from __future__ import annotations

import io
import logging
import os
import struct
import zlib
from itertools import islice

import pdfplumber
import pypdfium2
from pdfminer.pdfdocument import PDFDocument
from pdfminer.pdfpage import PDFPage
from pdfminer.pdfparser import PDFParser
from pdfminer.pdftypes import PDFStream, resolve1
from pdfminer.psexceptions import PSException
from pdfplumber.utils.exceptions import PdfminerException
from pypdfium2 import PdfiumError

from loaders.blocks import SPAN, Block, PageItem, Row, is_page_number, page_blocks
from loaders.errors import LoadError, first_line
from loaders.limits import Budget, Limits
from loaders.ocr import OcrPages, render_dpi, render_gray
from loaders.sources import pdf_layout, pdfium

# pdfminer warns of each damaged stream or operator it skips: the file's error or findings say what matters
logging.getLogger("pdfminer").setLevel(logging.ERROR)

# What pdfminer and pdfplumber raise on damaged files: syntax and xref errors, broken
# filters (zlib, ASCII85, LZW), objects of the wrong type where a page needs another,
# references that loop.
DAMAGE = (PdfminerException, PSException, ValueError, KeyError, TypeError, AttributeError, IndexError,
          ZeroDivisionError, ArithmeticError, AssertionError, RecursionError, zlib.error, struct.error, EOFError,
          PdfiumError)


ENGINES = ("pdfium", "pdfplumber")
DEFAULT_ENGINE = "pdfium"


def engine_name(name: str | None = None) -> str:
    """The engine asked for (argument, else ``OGI_PDF_ENGINE``, else the default)."""
    name = (name or os.environ.get("OGI_PDF_ENGINE") or DEFAULT_ENGINE).strip().lower()
    if name not in ENGINES:
        raise ValueError(f"OGI_PDF_ENGINE must be one of {', '.join(ENGINES)}, not {name!r}")
    return name


def _inside(obj: dict, bbox: tuple) -> bool:
    x0, top, x1, bottom = bbox
    mid_x, mid_y = (obj["x0"] + obj["x1"]) / 2, (obj["top"] + obj["bottom"]) / 2
    return x0 <= mid_x <= x1 and top <= mid_y <= bottom


def _cell(text: str | None) -> str:
    return SPAN if text is None else "".join(text.split("\n")).strip()


def _grid_positions(lines, rects) -> int:
    """Where the page's ruled lines (lines and rectangles' sides) cross: distinct
    heights of horizontal ones × distinct places of vertical ones, to the point.
    Lines and rectangles are (x0, top, x1, bottom, ...)."""
    across, down = set(), set()
    for x0, top, x1, bottom, *_ in lines:
        if abs(top - bottom) < 1:
            across.add(round(top))
        elif abs(x0 - x1) < 1:
            down.add(round(x0))
    for x0, top, x1, bottom, *_ in rects:
        across.update((round(top), round(bottom)))
        down.update((round(x0), round(x1)))
    return len(across) * len(down)


class PlumberPage:
    """A page as pdfplumber reads it."""

    def __init__(self, page):
        self.page = page
        self.width, self.height = float(page.width), float(page.height)

    def grid_positions(self) -> int:
        box = ("x0", "top", "x1", "bottom")
        return _grid_positions([[o[k] for k in box] for o in self.page.lines],
                               [[o[k] for k in box] for o in self.page.rects])

    def tables(self) -> list[tuple[tuple, list[tuple[tuple, list[str | None]]]]]:
        """Each ruled table: its box, and its rows (each row's box and cell texts, None where merged)."""
        return [(t.bbox, [(row.bbox, texts) for row, texts in zip(t.rows, t.extract(), strict=True)])
                for t in self.page.find_tables()]

    def text_lines(self, outside: list[tuple]) -> list[tuple[float, float, float, float, str]]:
        page = self.page.filter(lambda o: o.get("object_type") != "char" or not any(_inside(o, b) for b in outside))
        return [(line["x0"], line["top"], line["x1"], line["bottom"], line["text"])
                for line in page.extract_text_lines()]

    @property
    def images(self) -> list[tuple]:
        return [(i["x0"], i["top"], i["x1"], i["bottom"], i.get("srcsize")) for i in self.page.images]

    @property
    def has_chars(self) -> bool:
        return bool(self.page.chars)

    def close(self) -> None:
        self.page.close()  # drop the page's objects and layout: memory stays flat over the pages


class PdfiumPage:
    """A page as PDFium reads it, laid out by ``pdf_layout``."""

    def __init__(self, content):
        self.content = content
        self.width, self.height = content.width, content.height
        self._chars_index = None

    def grid_positions(self) -> int:
        return _grid_positions(self.content.lines, self.content.rects)

    def tables(self) -> list[tuple[tuple, list[tuple[tuple, list[str | None]]]]]:
        c = self.content
        edges = [pdf_layout.line_edge(*line) for line in c.lines]
        for rect in c.rects:
            edges.extend(pdf_layout.rect_edges(*rect))
        for points in c.curves:
            edges.extend(pdf_layout.curve_edges(points))
        found = pdf_layout.find_tables(edges)
        if not found:
            return []
        index = self._index()
        return [(t.bbox, [(box, texts) for (box, _), texts in zip(t.rows, t.extract(c.chars, index), strict=True)])
                for t in found]

    def _index(self) -> pdf_layout.CharIndex:
        if self._chars_index is None:
            self._chars_index = pdf_layout.CharIndex(self.content.chars)
        return self._chars_index

    def text_lines(self, outside: list[tuple]) -> list[tuple[float, float, float, float, str]]:
        """The text lines of the characters not centred in any of the boxes ``outside`` (edges included)."""
        chars = self.content.chars
        if outside and chars:
            index = self._index()
            inside = {i for box in outside for i in index.inside(box)}
            if inside:
                chars = [c for i, c in enumerate(chars) if i not in inside]
        return pdf_layout.text_lines(chars)

    @property
    def images(self) -> list[tuple]:
        return self.content.images

    @property
    def has_chars(self) -> bool:
        return bool(self.content.chars)

    def close(self) -> None:
        self.content = None


def _page_items(page, number: int, tables) -> list[PageItem]:
    """Each table row and text line of a page with text."""
    items = []
    for t, (_, rows) in enumerate(tables, start=1):
        for r, (box, texts) in enumerate(rows, start=1):
            cells = [_cell(x) for x in texts]
            filled = [c for c in cells if c and c != SPAN]
            if filled:
                where = f"page {number}, table {t}, row {r}"
                items.append(PageItem(box[1], box[2] - box[0], where, filled[0] if len(filled) == 1 else tuple(cells)))
    for k, (x0, top, x1, _, text) in enumerate(page.text_lines([bbox for bbox, _ in tables]), start=1):
        text = text.strip()
        if text and not is_page_number(text):
            items.append(PageItem(top, x1 - x0, f"page {number}, line {k}", text))
    return items


PICTURE = 0.25  # share of a page an image must cover for the page to be a picture of its content


def _area(image: tuple) -> float:
    return abs((image[2] - image[0]) * (image[3] - image[1]))


def _needs_ocr(page, tables) -> bool:
    """A page that is an image: no text at all, or a large picture and no ruled table of
    text (a typed heading over a pasted picture of the table)."""
    if not page.images:
        return False
    if not page.has_chars:
        return True
    area = float(page.width * page.height) or 1.0
    pictured = max((_area(i) for i in page.images), default=0)
    return not tables and pictured / area >= PICTURE


def _native_dpi(page) -> float | None:
    """The resolution of the page's largest image as placed on the page."""
    best = max(page.images, key=_area, default=None)
    if best is None or not best[4] or not best[2] - best[0]:
        return None
    return best[4][0] / (abs(best[2] - best[0]) / 72)


def _ocr_page(data: bytes, rendered: dict, page, number: int, ocr: OcrPages) -> list[PageItem]:
    """A page read by OCR: rendered (pypdfium2) at its scan's resolution, then read."""
    dpi = render_dpi(_native_dpi(page))
    scale = dpi / 72
    ocr.check(round(float(page.width) * scale), round(float(page.height) * scale), f"page {number}")
    if "document" not in rendered:
        rendered["document"] = pypdfium2.PdfDocument(data)
    return ocr.read(render_gray(rendered["document"][number - 1], scale), number)


class _Unlike(Exception):
    """A page whose fonts PDFium does not box as pdfminer does."""


def _vertical_metrics(resources, found: set | None = None, depth: int = 0) -> set:
    """The vertical metrics (``DW2``: origin height, advance) of the page's vertical-writing
    fonts (an ``-V`` CMap, or WMode 1), its forms' too. Raises ``_Unlike`` for a font
    PDFium boxes unlike pdfminer: a Type3 font, a vertical font with per-glyph metrics (W2)."""
    found = set() if found is None else found
    resources = resolve1(resources)
    if not isinstance(resources, dict):
        return found
    fonts = resolve1(resources.get("Font"))
    for spec in (fonts.values() if isinstance(fonts, dict) else ()):
        spec = resolve1(spec)
        if not isinstance(spec, dict):
            continue
        if _name(spec.get("Subtype")) == "Type3":
            raise _Unlike
        encoding = resolve1(spec.get("Encoding"))
        if _name(encoding).endswith("-V") or (isinstance(encoding, PDFStream) and resolve1(encoding.get("WMode")) == 1):
            descendants = resolve1(spec.get("DescendantFonts"))
            cid = resolve1(descendants[0]) if isinstance(descendants, list) and descendants else {}
            if not isinstance(cid, dict) or "W2" in cid:
                raise _Unlike
            dw2 = resolve1(cid.get("DW2", [880, -1000]))
            if not (isinstance(dw2, list) and len(dw2) == 2 and all(isinstance(v, (int, float)) for v in dw2)):
                raise _Unlike
            found.add((float(dw2[0]), float(dw2[1])))
    xobjects = resolve1(resources.get("XObject"))
    for x in (xobjects.values() if isinstance(xobjects, dict) else ()):
        x = resolve1(x)
        if isinstance(x, PDFStream) and _name(x.get("Subtype")) == "Form" and "Resources" in x:
            if depth >= 4:
                raise _Unlike
            _vertical_metrics(x["Resources"], found, depth + 1)
    return found


def _name(value) -> str:
    value = resolve1(value)
    name = getattr(value, "name", "")
    return name.decode("latin-1") if isinstance(name, bytes) else str(name)


class _Pages:
    """A PDF's pages, each read by the engine asked for (PDFium falls back to pdfplumber
    page by page); the pages are counted and their drawing instructions measured from
    pdfminer's page tree in either, so the limits are the same."""

    def __init__(self, data: bytes, engine: str):
        self.data, self.engine = data, engine
        self.plumber = self.pdfium = None
        if engine == "pdfplumber":
            self.plumber = pdfplumber.open(io.BytesIO(data))
            self.tree = self.plumber.doc
        else:
            self.tree = PDFDocument(PDFParser(io.BytesIO(data)))
        self.objs: list = []
        self.by_plumber: list[int] = []  # the pages pdfplumber read

    def count(self, limit: int) -> int:
        """The pages in the page tree, counted up to one past ``limit``."""
        self.objs = list(islice(PDFPage.create_pages(self.tree), limit + 1))
        return len(self.objs)

    def content_size(self, index: int) -> int:
        return sum(len(resolve1(s).get_data()) for s in self.objs[index].contents if s is not None)

    def page(self, index: int):
        if self.engine == "pdfium":
            if self.pdfium is None:
                self.pdfium = pypdfium2.PdfDocument(self.data)
                if len(self.pdfium) != len(self.objs):  # a damaged page tree, read two ways: pdfplumber's
                    self.engine = "pdfplumber"
            try:
                vertical = _vertical_metrics(self.objs[index].resources)
            except _Unlike:
                vertical = None
            if self.engine == "pdfium" and vertical is not None and len(vertical) <= 1:
                pdfium_page = self.pdfium[index]
                try:
                    content = pdfium.read_page(pdfium_page, next(iter(vertical), None))
                finally:
                    pdfium_page.close()
                if content is not None:
                    return PdfiumPage(content)
        if self.plumber is None:
            self.plumber = pdfplumber.open(io.BytesIO(self.data))
        self.by_plumber.append(index + 1)
        return PlumberPage(self.plumber.pages[index])

    def close(self) -> None:
        if self.pdfium is not None:
            self.pdfium.close()
        if self.plumber is not None:
            self.plumber.close()


def read_pdf(data: bytes, limits: Limits | None = None, engine: str | None = None,
             by_plumber: list[int] | None = None) -> list[Block]:
    """The PDF's blocks, read by ``engine`` (default: ``OGI_PDF_ENGINE``, else pdfium);
    ``by_plumber``, when given, gets the numbers of the pages pdfplumber read."""
    limits = limits or Limits()
    budget = Budget(limits)
    blocks: list[Block] = []
    try:
        engine = engine_name(engine)
    except ValueError as e:
        raise LoadError(str(e), "pdf") from None
    pages = None
    try:
        pages = _Pages(data, engine)
        # the pages counted from the page tree, before any is laid out
        if pages.count(limits.pages) > limits.pages:
            raise limits.refuse("pages", "too many pages", "pdf")
        ocr, rendered = OcrPages(limits), {}
        for index in range(len(pages.objs)):
            number = index + 1
            where = f"page {number}"
            limits.check("page_content", pages.content_size(index), "the page's drawing instructions are {amount}",
                         where)
            page = pages.page(index)
            budget.grid(page.grid_positions(), where)
            tables = page.tables()
            items = (_ocr_page(data, rendered, page, number, ocr) if _needs_ocr(page, tables)
                     else _page_items(page, number, tables))
            for block in page_blocks(items, len(blocks) + 1):
                if isinstance(block, Row):
                    budget.row(len(block.cells), block.location)
                blocks.append(block)
            page.close()
        if "document" in rendered:
            rendered["document"].close()
    except DAMAGE as e:
        raise LoadError(f"not a readable PDF: {type(e).__name__}: {first_line(e)}", "pdf") from None
    finally:
        if pages is not None:
            pages.close()
            if by_plumber is not None:
                by_plumber.extend(pages.by_plumber)
    if not blocks:
        raise LoadError("the PDF holds no text, and no page image that OCR could read", "pdf")
    return blocks
