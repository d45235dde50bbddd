"""What the loader produces: cells and findings, as plain data."""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

# Cell statuses. Every cell of a report's layout is present in its document.
REPORTED = "reported"        # a number was printed
BLANK = "blank"              # the cell was printed empty
PLACEHOLDER = "placeholder"  # "/", "-", "—" or "无" was printed
AMBIGUOUS = "ambiguous"      # printed, but which value belongs here cannot be told
MISSING = "missing"          # the row or table is not in the file
STATUSES = (REPORTED, BLANK, PLACEHOLDER, AMBIGUOUS, MISSING)


@dataclass
class CellRecord:
    table: str
    row: str
    column: str
    value: Decimal | None
    raw: str | None
    status: str
    note: str | None = None
    location: str | None = None

    @property
    def key(self) -> str:
        return f"{self.table}/{self.row}/{self.column}"


@dataclass
class FindingRecord:
    rule: str
    message: str
    table: str | None = None
    row: str | None = None
    column: str | None = None
    cells: list[str] = field(default_factory=list)
    expected: Decimal | None = None
    printed: Decimal | None = None
    location: str | None = None
