"""Read the rows of tables 二, 三 and 四 into values per (row, column).

Reading does not depend on the layout: labels are matched against every row and
column of the codebook, and the layout is told afterwards from what was found
(``loaders.cells``). A row's values are placed only when that can be told:

* as many values as the row has columns: they are its values, in order (blank cells
  around them are shifts left by text extraction);
* none at all: the row was printed blank;
* otherwise, when the row's cells line up with its header cell for cell (``aligned``:
  the label and the header start the row, and it has exactly as many cells as the
  header), by position; and else the row is ambiguous: its cells are null, with a
  ``parse.ambiguous`` finding. A value is never guessed."""
from __future__ import annotations

from dataclasses import dataclass, field

from loaders.blocks import Row
from loaders.labels import column_index, fold, norm, row_index
from loaders.records import FindingRecord
from loaders.values import BLANK, NUMBER, TEXT, Value, read_value
from models.codebook import codebook

REQUEST_COLUMNS = list(codebook().tables["requests"].columns)
REVIEW_ROWS = list(codebook().tables["review_litigation"].rows)
REVIEW_COLUMNS = list(codebook().tables["review_litigation"].columns)


@dataclass
class RowReading:
    key: str
    values: dict[str, Value] | None  # None: the values could not be placed
    location: str
    label: str = ""


@dataclass
class TableReading:
    table: str
    rows: dict[str, RowReading] = field(default_factory=dict)
    columns_seen: set[str] = field(default_factory=set)
    findings: list[FindingRecord] = field(default_factory=list)

    def add(self, reading: RowReading, printed: str) -> None:
        earlier = self.rows.get(reading.key)
        if earlier is None:
            self.rows[reading.key] = reading
        elif earlier.values != reading.values:
            earlier.values = None
            self.findings.append(FindingRecord(
                "parse.ambiguous",
                f"row {reading.key} is printed twice with different values "
                f"({earlier.location} and {reading.location}: {printed!r}); its cells are left null",
                table=self.table, row=reading.key, location=reading.location))

    def ambiguous(self, key: str, row: Row, why: str) -> None:
        self.add(RowReading(key, None, row.location), _printed(row))
        self.findings.append(FindingRecord(
            "parse.ambiguous", f"row {key} ({row.location}: {_printed(row)!r}): {why}; its cells are left null",
            table=self.table, row=key, location=row.location))

    def put(self, key: str, row: Row, placed: list[Value] | str, columns: list[str], how: str) -> None:
        """Store a row's placed values under ``columns``, or record why they could not be placed."""
        if isinstance(placed, str):
            self.ambiguous(key, row, placed)
        else:
            self.add(RowReading(key, dict(zip(columns, placed, strict=True)), row.location, how), _printed(row))

    def unrecognised(self, row: Row) -> None:
        self.findings.append(FindingRecord(
            "parse.unrecognised_row",
            f"{row.location}: a row with values whose label matches no row of table {self.table}: "
            f"{_printed(row)!r}; its values are not stored",
            table=self.table, location=row.location))


def _printed(row: Row) -> str:
    return "\t".join(row.cells).strip()


def place(values: list[Value], width: int, aligned: bool = False) -> list[Value] | str:
    """The ``width`` values of a row from the cells after its label, or why they cannot be told."""
    cells = list(values)
    while cells and cells[-1].is_blank:
        cells.pop()
    printed = [v for v in cells if not v.is_blank]
    if len(printed) == width:
        return printed
    if not printed:
        return [Value(BLANK)] * width
    if aligned and width in (len(values), len(cells)):
        return list(values[:width])
    return f"{len(printed)} values printed for {width} columns"


def _classify(row: Row) -> tuple[list[Value], list[int]]:
    values = [read_value(c) for c in row.cells]
    return values, [i for i, v in enumerate(values) if v.kind == TEXT]


def _has_numbers(values: list[Value]) -> bool:
    return any(v.kind == NUMBER for v in values)


def _is_column_header(row: Row, texts: list[int]) -> bool:
    """A header row prints a column label bare (``总计``, ``其他``); a data row numbers its
    label (``(七)总计``, ``3.其他``)."""
    bare = {fold(c.zh) for c in codebook().tables["requests"].columns.values()}
    return any(fold(row.cells[i]) in bare for i in texts)


def read_requests(rows: list[Row]) -> TableReading:
    """Table 三: each row is a label (after optional group labels) and seven values."""
    out = TableReading("requests")
    labels = row_index("requests")
    for row in rows:
        values, texts = _classify(row)
        if not texts:
            if _has_numbers(values):
                out.unrecognised(row)
            continue
        match = next(filter(None, (labels.match(row.cells[i]) for i in reversed(texts))), None)
        after = values[texts[-1] + 1:]
        if match is None:
            if _has_numbers(after):
                out.unrecognised(row)
            continue
        if not _has_numbers(after) and _is_column_header(row, texts):
            continue
        out.put(match.key, row, place(after, len(REQUEST_COLUMNS)), REQUEST_COLUMNS, match.how)
    return out


def read_review(rows: list[Row]) -> TableReading:
    """Table 四: usually one unlabelled row of 15 values (3 rows × 5 columns under a
    two-level header); a report may also label each row."""
    out = TableReading("review_litigation")
    labels = row_index("review_litigation")
    width = len(REVIEW_ROWS) * len(REVIEW_COLUMNS)
    unlabelled = []
    for row in rows:
        values, texts = _classify(row)
        if not texts:
            if _has_numbers(values):
                unlabelled.append((row, values))
            continue
        after = values[texts[-1] + 1:]
        if not _has_numbers(after):
            continue  # a header row
        match = labels.match(row.cells[texts[-1]])
        if match is None:
            out.unrecognised(row)
            continue
        out.put(match.key, row, place(after, len(REVIEW_COLUMNS), aligned=True), REVIEW_COLUMNS, match.how)
    if len(unlabelled) > 1:
        for row, _ in unlabelled:
            out.unrecognised(row)
    elif unlabelled:
        row, values = unlabelled[0]
        placed = place(values, width, aligned=True)
        n = len(REVIEW_COLUMNS)
        for i, key in enumerate(REVIEW_ROWS):
            chunk = placed if isinstance(placed, str) else placed[i * n:(i + 1) * n]
            out.put(key, row, chunk, REVIEW_COLUMNS, "position")
    return out


def read_disclosure(rows: list[Row]) -> TableReading:
    """Table 二: blocks of a header row (信息内容 and column labels) and labelled rows
    whose values sit under those columns."""
    out = TableReading("disclosure")
    table = codebook().tables["disclosure"]
    row_labels, column_labels = row_index("disclosure"), column_index("disclosure")
    header: list[str | None] | None = None
    for row in rows:
        values, texts = _classify(row)
        if not texts:
            if _has_numbers(values):
                out.unrecognised(row)
            continue
        first = texts[0]
        match = row_labels.match(row.cells[first])
        if match is None:
            columns = [column_labels.match(c) for c in row.cells[first + 1:]]
            if norm(row.cells[first]) == "信息内容" or any(columns):
                header = [m.key if m else None for m in columns]
                out.columns_seen.update(filter(None, header))
            elif _has_numbers(values):
                out.unrecognised(row)
            continue
        after = values[first + 1:]
        if header is None:
            out.ambiguous(match.key, row, "no header row above it names its columns")
            continue
        valid = [(i, key) for i, key in enumerate(header)
                 if key and (table.columns[key].rows is None or match.key in table.columns[key].rows)]
        placed = place(after, len(valid))
        if isinstance(placed, str):
            aligned = place(after, len(header), aligned=True)
            if isinstance(aligned, str) or any(
                    not v.is_blank for i, v in enumerate(aligned) if i not in dict(valid)):
                out.ambiguous(match.key, row, f"{placed} under header {header}")
                continue
            placed = [aligned[i] for i, _ in valid]
        out.put(match.key, row, placed, [key for _, key in valid], match.how)
    return out


READERS = {"disclosure": read_disclosure, "requests": read_requests, "review_litigation": read_review}
