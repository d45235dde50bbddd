"""The intermediate form every source produces: prose lines and table rows.

A ``Row`` is the cells of one printed table row as strings, in order, with where it
was read. ``exact`` says the source knows each cell's true grid position (HTML, Word,
PDF tables): an empty cell there is a blank cell. In text extracted from PDFs cells
shift and an empty string may be an artefact of extraction, so readers place values
by count before position (``loaders.tables.place``). Grid positions covered by a
merged cell (rowspan, colspan, a PDF's merged region) hold ``SPAN``, which is
neither a blank nor a value."""
from __future__ import annotations

import re
from dataclasses import dataclass

SPAN = "\x1f"  # a grid position covered by a merged cell


@dataclass(frozen=True)
class Prose:
    text: str
    line: int  # order in the file (the line number of a text file)
    where: str | None = None  # e.g. "page 3, line 12"; default "line N"

    @property
    def location(self) -> str:
        return self.where or f"line {self.line}"


@dataclass(frozen=True)
class Row:
    cells: tuple[str, ...]
    line: int
    where: str | None = None
    exact: bool = False

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
