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

import re
from dataclasses import dataclass, field, replace

from loaders.blocks import SPAN, Block, Row, is_page_number
from loaders.labels import LabelIndex, Match, column_index, fold, norm, row_index
from loaders.records import FindingRecord
from loaders.values import BLANK, NUMBER, PLACEHOLDER, SPANNED, TEXT, Value, read_value
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
        self.add(RowReading(key, None, row.location), row.printed)
        self.findings.append(FindingRecord(
            "parse.ambiguous", f"row {key} ({row.location}: {row.printed!r}): {why}; its cells are left null",
            table=self.table, row=key, location=row.location))

    def put(self, key: str, row: Row, placed: list[Value] | str, columns: list[str], how: str) -> None:
        """Store a row's placed values under ``columns``, or record why they could not be placed."""
        if isinstance(placed, str):
            self.ambiguous(key, row, placed)
        else:
            self.add(RowReading(key, dict(zip(columns, placed, strict=True)), row.location, how), row.printed)

    def unrecognised(self, row: Row) -> None:
        self.findings.append(FindingRecord(
            "parse.unrecognised_row",
            f"{row.location}: a row with values whose label matches no row of table {self.table}: "
            f"{row.printed!r}; its values are not stored",
            table=self.table, location=row.location))


def place(values: list[Value], width: int, aligned: bool = False) -> list[Value] | str:
    """The ``width`` values of a row from the cells after its label, or why they cannot be told."""
    values = [v for v in values if v.kind != SPANNED]
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


def split_spaced(text: str) -> tuple[str, ...] | None:
    """The cells of a prose line that is a table row printed with spaces (text taken
    from a PDF without ruled tables): words ending in values (``行政许可 969``), values
    only (``0 2 0 0 2 …``), or a ``信息内容`` header; None for any other line."""
    tokens = text.split()
    if len(tokens) < 2:
        return None
    if norm(tokens[0]) == "信息内容" or read_value(tokens[-1]).kind in (NUMBER, PLACEHOLDER):
        return tuple(tokens)
    return None


_GLUED = re.compile(r"^(?P<label>.*[^\d\s.,+-])\s*(?P<digits>[+-]?\d[\d,.]*)$")


def _unglue(cells: tuple[str, ...], labels: LabelIndex) -> tuple[str, ...]:
    """A label run together with the digits after it (``行政规范性文件6233440``) is two
    cells: the label, and the digits as one printed value. Only for a label that
    matches exactly: no row label ends in a digit. How many values the digits hold
    cannot be told, so a row with more than one column becomes ambiguous."""
    out: list[str] = []
    for cell in cells:
        m = _GLUED.match(cell) if read_value(cell).kind == TEXT and not labels.match(cell) else None
        found = labels.match(m["label"]) if m else None
        out += [m["label"], m["digits"]] if found and found.how in ("exact", "alias") else [cell]
    return tuple(out)


def table_rows(blocks: list[Block], labels: LabelIndex) -> list[Row]:
    """A section's table rows: its rows, and prose lines that are rows printed with spaces."""
    rows = []
    for block in blocks:
        if isinstance(block, Row):
            rows.append(replace(block, cells=_unglue(block.cells, labels)))
        elif not is_page_number(block.text):
            cells = _unglue(split_spaced(block.text) or (block.text.strip(),), labels)
            if len(cells) > 1:
                rows.append(Row(cells, block.line, block.where))
    return rows


def find_label(row: Row, texts: list[int], labels: LabelIndex) -> Match | None:
    """The row label among the row's text cells: the last one, or the last few joined
    (a label split over cells: ``2.其他法律行政法规`` ``禁止公开``), else an earlier one."""
    last = texts[-1]
    run = [i for i in texts if i <= last]
    for length in range(1, 5):
        start = last - length + 1
        if start < 0 or any(i not in run for i in range(start, last + 1)):
            break
        if match := labels.match("".join(row.cells[start:last + 1])):
            return match
    return next(filter(None, (labels.match(row.cells[i]) for i in reversed(texts[:-1]))), None)


def _has_numbers(values: list[Value]) -> bool:
    return any(v.kind == NUMBER for v in values)


def _is_column_header(row: Row, texts: list[int]) -> bool:
    """A header row prints a column label bare (``总计``, ``其他``); a data row numbers its
    label (``(七)总计``, ``3.其他``)."""
    bare = {fold(c.zh) for c in codebook().tables["requests"].columns.values()}
    return any(fold(row.cells[i]) in bare for i in texts)


def read_requests(blocks: list[Block]) -> TableReading:
    """Table 三: each row is a label (after optional group labels) and seven values."""
    out = TableReading("requests")
    labels = row_index("requests")
    for row in table_rows(blocks, labels):
        values, texts = _classify(row)
        if not texts:
            if _has_numbers(values):
                out.unrecognised(row)
            continue
        match = find_label(row, texts, labels)
        after = values[texts[-1] + 1:]
        if match is None:
            if _has_numbers(after):
                out.unrecognised(row)
            continue
        if not _has_numbers(after) and _is_column_header(row, texts):
            continue
        out.put(match.key, row, place(after, len(REQUEST_COLUMNS), aligned=row.exact), REQUEST_COLUMNS, match.how)
    return out


def read_review(blocks: list[Block]) -> TableReading:
    """Table 四: usually one unlabelled row of 15 values (3 rows × 5 columns under a
    two-level header); a report may also label each row."""
    out = TableReading("review_litigation")
    labels = row_index("review_litigation")
    width = len(REVIEW_ROWS) * len(REVIEW_COLUMNS)
    unlabelled = []
    for row in table_rows(blocks, labels):
        values, texts = _classify(row)
        if not texts:
            if _has_numbers(values):
                unlabelled.append((row, values))
            continue
        after = values[texts[-1] + 1:]
        if not _has_numbers(after):
            continue  # a header row
        match = find_label(row, texts, labels)
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


def read_disclosure(blocks: list[Block]) -> TableReading:
    """Table 二: blocks of a header row (信息内容 and column labels) and labelled rows
    whose values sit under those columns."""
    out = TableReading("disclosure")
    table = codebook().tables["disclosure"]
    row_labels, column_labels = row_index("disclosure"), column_index("disclosure")
    header: list[str | None] | None = None
    for row in table_rows(blocks, row_labels):
        values, texts = _classify(row)
        if not texts:
            if _has_numbers(values):
                out.unrecognised(row)
            continue
        first = texts[0]
        match = row_labels.match(row.cells[first]) or (find_label(row, texts, row_labels)
                                                        if norm(row.cells[first]) != "信息内容" else None)
        if match is None:
            columns = [column_labels.match(c) for c in row.cells[first + 1:] if c != SPAN]
            if norm(row.cells[first]) == "信息内容" or any(columns):
                header = [m.key if m else None for m in columns]
                out.columns_seen.update(filter(None, header))
            elif _has_numbers(values):
                out.unrecognised(row)
            continue
        after = values[texts[-1] + 1:]
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
