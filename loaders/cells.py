"""Tell the layout from what the tables print, and build every cell of that layout.

The layout is told from table 二's column headers (they differ between the 2019 and
2021 formats), then from table 三's （六） rows; only when neither table says is it
taken from the year, with a ``parse.layout_inferred`` finding."""
from __future__ import annotations

from decimal import Decimal
from functools import cache

from loaders.records import (
    AMBIGUOUS,
    BLANK,
    ILLEGIBLE,
    INVALID,
    MISSING,
    OCR,
    PLACEHOLDER,
    REPORTED,
    SPLIT,
    CellRecord,
    FindingRecord,
)
from loaders.tables import TableReading
from loaders.values import ILLEGIBLE as ILLEGIBLE_VALUE
from loaders.values import INVALID as INVALID_VALUE
from loaders.values import NUMBER, TEXT, Value, too_long
from loaders.values import PLACEHOLDER as PLACEHOLDER_VALUE
from models.codebook import LAYOUTS, codebook

# A placed value's kind → its cell's status. Text placed in a column (printed where a
# number belongs) is ambiguous: its reader gave the finding.
STATUS_OF = {NUMBER: REPORTED, PLACEHOLDER_VALUE: PLACEHOLDER, "blank": BLANK, INVALID_VALUE: INVALID,
             TEXT: AMBIGUOUS, SPLIT: SPLIT, ILLEGIBLE_VALUE: ILLEGIBLE}


def _cell(table: str, row: str, column: str, v: Value, location: str) -> tuple[CellRecord, FindingRecord | None]:
    """A placed value's cell, and the finding it needs (a number too long; an image's
    cell that OCR could not read). A number read by OCR has status ``ocr`` and keeps its
    confidence; every cell of an image keeps its box."""
    if v.ocr is None and v.kind != INVALID_VALUE and v.kind != ILLEGIBLE_VALUE:  # the usual cell: no finding
        return CellRecord(table, row, column, v.number, v.raw or None, STATUS_OF[v.kind], v.note, location), None
    status = OCR if v.ocr is not None and v.kind == NUMBER else STATUS_OF[v.kind]
    confidence = None if v.ocr is None or v.ocr.confidence is None else Decimal(f"{v.ocr.confidence:.3f}")
    box = None if v.ocr is None else str(v.ocr.box)
    raw = v.ocr.text if v.kind == ILLEGIBLE_VALUE and v.ocr is not None else v.raw
    record = CellRecord(table, row, column, v.number, raw or None, status, v.note, location, confidence, box)
    key = f"{table}/{row}/{column}"
    if v.kind == INVALID_VALUE:
        return record, FindingRecord("parse.number_too_long", f"{key} ({location}): {too_long(v)}; "
                                     "the cell is left null", table, row, column, location=location)
    if v.kind == ILLEGIBLE_VALUE:
        why = v.ocr.why if v.ocr is not None and v.ocr.why else "OCR could not read it"
        at = f" at {v.ocr.box.x0},{v.ocr.box.y0}–{v.ocr.box.x1},{v.ocr.box.y1} px" if v.ocr is not None else ""
        return record, FindingRecord("ocr.low_confidence", f"{key} ({location}{at}): {why}; the cell is left null",
                                     table, row, column, [key], location=location)
    return record, None


def _only_in(layout: str, keys: dict) -> set[str]:
    return {k for k, item in keys.items() if item.layouts == (layout,)}


def detect_layout(readings: dict[str, TableReading], year: int | None) -> tuple[str, list[FindingRecord]]:
    disclosure = codebook().tables["disclosure"]
    requests = codebook().tables["requests"]
    votes = set()
    if "disclosure" in readings:
        seen = readings["disclosure"].columns_seen | set(readings["disclosure"].rows)
        for layout in LAYOUTS:
            if seen & (_only_in(layout, disclosure.columns) | _only_in(layout, disclosure.rows)):
                votes.add(layout)
    if not votes and "requests" in readings:
        if set(readings["requests"].rows) & _only_in("2021", requests.rows):
            votes.add("2021")
    if len(votes) == 1:
        return votes.pop(), []
    if year is None:
        raise ValueError("cannot tell the layout: tables 二 and 三 do not show it and the year is unknown")
    layout = "2019" if year <= 2020 else "2021"
    why = "table 二 prints columns of both layouts" if votes else "neither table 二 nor table 三 shows it"
    return layout, [FindingRecord(
        "parse.layout_inferred", f"layout {layout} taken from the year {year}: {why}")]


def collapsed_rows(readings: dict[str, TableReading], layout: str) -> frozenset[str]:
    """Parent rows printed instead of their children (a single （六）其他处理 row)."""
    out = set()
    for table, alternatives in _collapsible(layout):
        rows = readings[table].rows if table in readings else {}
        for parent, children in alternatives:
            if parent in rows and not any(c in rows for c in children):
                out.add(parent)
    return frozenset(out)


@cache
def _collapsible(layout: str) -> tuple[tuple[str, tuple[tuple[str, list[str]], ...]], ...]:
    """Each table's ``collapsed_rows`` of a layout (read once)."""
    return tuple((t.key, tuple(t.collapsed_rows(layout).items())) for t in codebook().tables.values())


@cache
def _cell_keys(layout: str, collapsed: frozenset[str]) -> tuple[tuple[tuple[str, str, tuple[str, ...]], ...],
                                                                frozenset[tuple[str, str]]]:
    """``Codebook.cell_keys`` grouped by (table, row), in order, and the (table, row) pairs they hold."""
    groups: dict[tuple[str, str], list[str]] = {}
    for table, row, column in codebook().cell_keys(layout, collapsed):
        groups.setdefault((table, row), []).append(column)
    return tuple((t, r, tuple(columns)) for (t, r), columns in groups.items()), frozenset(groups)


def build_cells(readings: dict[str, TableReading], layout: str) -> tuple[list[CellRecord], list[FindingRecord]]:
    """One cell for every (table, row, column) of the layout, and the completeness findings."""
    cells: list[CellRecord] = []
    findings: list[FindingRecord] = []
    reported_missing: set[tuple[str, ...]] = set()

    def missing(*scope: str, rule: str, message: str) -> None:
        if scope not in reported_missing:
            reported_missing.add(scope)
            findings.append(FindingRecord(rule, message, *scope))

    groups, in_layout = _cell_keys(layout, collapsed_rows(readings, layout))
    for table, row, columns in groups:
        reading = readings.get(table)
        row_reading = reading.rows.get(row) if reading else None
        if reading is None:
            for column in columns:
                missing(table, rule="completeness.missing_table",
                        message=f"table {table} ({codebook().tables[table].zh}) is not in the file")
                cells.append(CellRecord(table, row, column, None, None, MISSING))
            continue
        if row_reading is None:
            for column in columns:
                missing(table, row, rule="completeness.missing_row",
                        message=f"row {row} of table {table} is not in the file")
                cells.append(CellRecord(table, row, column, None, None, MISSING))
            continue
        values, location = row_reading.values, row_reading.location
        for column in columns:
            if values is None:
                cells.append(CellRecord(table, row, column, None, None, AMBIGUOUS, location=location))
            elif column not in values:
                missing(table, row, column, rule="completeness.missing_column",
                        message=f"column {column} of row {table}/{row} is not in the table's header "
                                f"({location})")
                cells.append(CellRecord(table, row, column, None, None, MISSING, location=location))
            else:
                record, finding = _cell(table, row, column, values[column], location)
                cells.append(record)
                if finding is not None:
                    findings.append(finding)

    for reading in readings.values():
        for row in reading.rows.values():
            if (reading.table, row.key) not in in_layout:
                findings.append(FindingRecord(
                    "parse.unexpected_row",
                    f"row {row.key} is printed ({row.location}) but is not part of table {reading.table} "
                    f"in the {layout} layout; its values are not stored",
                    reading.table, row.key, location=row.location))
    return cells, findings
