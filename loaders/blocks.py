"""The intermediate form every source produces: prose lines and table rows.

A ``Row`` is the cells of one printed table row as strings, in order, with where it
was read. In text extracted from PDFs cells shift and an empty string may be an
artefact of extraction, so readers place values by count before position
(``loaders.tables.place``)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Prose:
    text: str
    line: int

    @property
    def location(self) -> str:
        return f"line {self.line}"


@dataclass(frozen=True)
class Row:
    cells: tuple[str, ...]
    line: int

    @property
    def location(self) -> str:
        return f"line {self.line}"


Block = Prose | Row
