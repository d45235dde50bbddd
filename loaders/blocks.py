"""The intermediate form every source produces: prose lines and table rows.

A ``Row`` is the cells of one printed table row as strings, in order, with where it
was read. ``exact`` says the source knows each cell's true grid position (HTML, Word,
PDF tables): an empty cell there is a blank cell. In text extracted from PDFs cells
shift and an empty string may be an artefact of extraction, so readers place values
by count before position (``loaders.tables.place``). Grid positions covered by a
merged cell (rowspan, colspan, a PDF's merged region) hold ``SPAN``, which is
neither a blank nor a value. A row read from an image (``loaders.ocr``) keeps, per
cell, what OCR read there (``OcrRead``); a cell it could not read holds ``UNREAD``."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace

SPAN = "\x1f"  # a grid position covered by a merged cell


UNREAD = "\x1e"  # an image's cell with ink that OCR could not read with confidence (``loaders.ocr``)


@dataclass(frozen=True)
class PageBox:
    """Where on a page image something was read: pixels of the page as it was OCR'd
    (``width`` × ``height``: a PDF page as rendered, an image's frame or band)."""

    page: int
    x0: int
    y0: int
    x1: int
    y1: int
    width: int
    height: int

    def __str__(self) -> str:
        return f"{self.page} {self.x0} {self.y0} {self.x1} {self.y1} {self.width} {self.height}"

    @classmethod
    def parse(cls, text: str) -> PageBox:
        return cls(*(int(n) for n in text.split()))


@dataclass(frozen=True)
class OcrRead:
    """What OCR read in one cell of an image: the text (empty: no ink), the engine's
    confidence (None where there was nothing to read) and the cell's box."""

    text: str
    confidence: float | None
    box: PageBox
    why: str | None = None  # why the cell is UNREAD


@dataclass(frozen=True)
class Prose:
    text: str
    line: int  # order in the file (the line number of a text file)
    where: str | None = None  # e.g. "page 3, line 12"; default "line N"
    ocr: OcrRead | None = None  # a line of an image: its least confidence and its box (``loaders.ocr``)

    @property
    def location(self) -> str:
        return self.where or f"line {self.line}"


@dataclass(frozen=True)
class Row:
    cells: tuple[str, ...]
    line: int
    where: str | None = None
    exact: bool = False
    ocr: tuple[OcrRead | None, ...] | None = None  # per cell, for a row read from an image

    @property
    def location(self) -> str:
        return self.where or f"line {self.line}"

    @property
    def printed(self) -> str:
        """The row as printed, cells tab-separated, merged positions left out."""
        return "\t".join(c for c in self.cells if c != SPAN).strip()


Block = Prose | Row


def text_of(block: Block) -> str:
    return block.text if isinstance(block, Prose) else " ".join(c for c in block.cells if c and c != SPAN)


_PAGE_NUMBER = re.compile(r"^\s*[-—–－]+\s*\d{1,4}\s*[-—–－]+\s*$|^\s*第\s*\d+\s*页(?:\s*[,，/]?\s*共\s*\d+\s*页)?\s*$")


def is_page_number(text: str) -> bool:
    """A printed page number (``— 5 —``, ``- 3 -``, ``第 2 页 共 9 页``) on a line of its own."""
    return bool(_PAGE_NUMBER.match(text))


@dataclass(frozen=True)
class PageItem:
    """A table row (its cells) or a text line of a laid-out page (PDF, image), where it
    is printed; a row read from an image keeps what OCR read per cell."""

    top: float
    width: float
    where: str
    content: str | tuple[str, ...]
    ocr: tuple[OcrRead | None, ...] | OcrRead | None = None  # per cell of a row; for a line, the line's


_SENTENCE_END = "。！？：；:;!?"
_SENTENCE_ENDS = tuple(_SENTENCE_END)
_STARTS_ITEM = re.compile(r"^\s*(?:[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十\d]+[)）]|\d+[.、．])")


def _width(text: str) -> int:
    """Printed width in half-width units: a Chinese character counts two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def paragraphs(items: list[PageItem]) -> list[PageItem]:
    """Join a page's wrapped prose lines: a line nearly as wide as the page's widest
    text, not ending a sentence, runs on into the next one unless that starts an item."""
    widths = [_width(i.content) if isinstance(i.content, str) else None for i in items]
    widest = max((w for w in widths if w is not None), default=0)
    out: list[PageItem] = []
    running = False
    for item, width in zip(items, widths, strict=True):
        content = item.content
        if width is not None and running and not _STARTS_ITEM.match(content):
            out[-1] = replace(out[-1], content=out[-1].content + content, ocr=_joined(out[-1].ocr, item.ocr))
        else:
            out.append(item)
        running = width is not None and width >= 0.85 * widest and not content.endswith(_SENTENCE_ENDS)
    return out


def _joined(a: OcrRead | None, b: OcrRead | None) -> OcrRead | None:
    """What OCR read of two lines joined: the lesser confidence, the first line's box."""
    if a is None or b is None:
        return a or b
    low = min((c for c in (a.confidence, b.confidence) if c is not None), default=None)
    return replace(a, text=a.text + b.text, confidence=low)


def page_blocks(items: list[PageItem], first_line: int) -> list[Block]:
    """A page's items, top to bottom, as blocks (wrapped prose lines joined), numbered from ``first_line``."""
    out: list[Block] = []
    for item in paragraphs(sorted(items, key=lambda i: i.top)):
        line = first_line + len(out)
        if isinstance(item.content, tuple):
            out.append(Row(item.content, line, item.where, exact=True, ocr=item.ocr))
        else:
            out.append(Prose(item.content, line, item.where, item.ocr))
    return out
