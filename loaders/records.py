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
INVALID = "invalid"          # printed as a number too long to be a count or amount
SPLIT = "split"              # cut from digits printed run together (loaders.runtogether); the note says how
OCR = "ocr"                  # a number read by OCR from an image, at or above the confidence threshold
ILLEGIBLE = "illegible"      # printed in an image, but OCR could not read it with confidence: null
STATUSES = (REPORTED, BLANK, PLACEHOLDER, AMBIGUOUS, MISSING, INVALID, SPLIT, OCR, ILLEGIBLE)


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
    confidence: Decimal | None = None  # OCR's confidence in what it read (0–1, three places)
    box: str | None = None  # where on the page image it was read (``loaders.blocks.PageBox``)

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


# Every finding rule the loader reports, with what it means.
RULES = {
    "requests.balance": "per column: new_received + carried_over = total_processed + carried_forward",
    "requests.outcomes_sum": "per column: total_processed = the outcome rows (granted … other) summed",
    "requests.row_total": "per row: total = the six applicant columns summed",
    "review_litigation.row_total": "per row: total = upheld + corrected + other + pending",
    "cross_year.carry": "per column: carried_over of year N = carried_forward of year N-1 of the same agency "
                        "(soft: found in the database once both years are loaded)",
    "parse.ambiguous": "printed values that cannot be placed; the row's cells are null (or, for text printed "
                       "where a number belongs, that cell)",
    "parse.number_too_long": "a number printed with more than 15 digits before the point or 10 after it cannot be "
                             "a count or amount; the cell is null with status invalid",
    "parse.unplaced_value": "a number printed before the row's label, which no cell holds; not stored",
    "parse.unrecognised_row": "a row with values whose label matches no row of the table; not stored",
    "parse.unexpected_row": "a known row that the report's layout does not have; not stored",
    "parse.layout_inferred": "neither table 二 nor 三 shows the layout; it is taken from the year",
    "ocr.low_confidence": "a cell of an image that OCR read with a confidence under the threshold, or whose ink "
                          "it read as nothing; the cell is null with status illegible, and the finding gives "
                          "what was read",
    "completeness.missing_table": "a table is not in the file; its cells are missing",
    "completeness.missing_row": "a row is not in the file; its cells are missing",
    "completeness.missing_column": "table 二's header lacks a column of the row; the cell is missing",
}
