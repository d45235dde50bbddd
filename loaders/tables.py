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
  ``parse.ambiguous`` finding. A value is never guessed.

A row's values are the cells after its label (the text cells before its first value).
Text printed after its last value (a unit ``件``, a remark, a stray character) is not a
value: it is the row's note, added to the note of each of the row's cells. Text printed
among the values is placed only by position (``aligned``), where it leaves its cell
ambiguous with a finding; otherwise the row is ambiguous. Numbers printed before the
label are named in a ``parse.unplaced_value`` finding. Nothing printed is read as blank."""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import cache, lru_cache

from loaders.blocks import SPAN, Block, Row, is_page_number
from loaders.labels import LabelIndex, Match, column_index, fold, norm, row_index
from loaders.records import FindingRecord
from loaders.values import (
    BLANK,
    ILLEGIBLE,
    INVALID,
    NUMBER,
    PLACEHOLDER,
    SPANNED,
    TEXT,
    VALUE_KINDS,
    Value,
    has_digits,
    read_value,
    shown,
)
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

    def put(self, key: str, row: Row, placed: list[Value] | str, columns: list[str], how: str,
            note: str | None = None) -> None:
        """Store a row's placed values under ``columns``, or record why they could not be placed.
        ``note`` (the row's note) is added to each cell's; text placed in a column (printed
        where a number belongs) leaves that cell ambiguous, with a finding."""
        if isinstance(placed, str):
            self.ambiguous(key, row, placed)
            return
        for column, v in zip(columns, placed, strict=True):
            if v.kind == TEXT:
                self.findings.append(FindingRecord(
                    "parse.ambiguous",
                    f"row {key}, column {column} ({row.location}): {shown(v.raw)} is printed where a number "
                    f"belongs; the cell is left null", table=self.table, row=key, column=column,
                    location=row.location))
        if note and has_digits(note):  # a remark may print a count (``另有3件``): no cell holds it
            self.findings.append(FindingRecord(
                "parse.unplaced_value",
                f"row {key} ({row.location}): {shown(note)} is printed beside the row's values and holds "
                f"digits; it is kept as the cells' note, not as a value", table=self.table, row=key,
                location=row.location))
        values = {column: _with_note(v, note) for column, v in zip(columns, placed, strict=True)} if note else \
            dict(zip(columns, placed, strict=True))
        self.add(RowReading(key, values, row.location, how), row.printed)

    def unplaced(self, key: str, row: Row, cells: list[Value]) -> None:
        """Numbers printed before a row's label: no cell holds them, so a finding names them."""
        numbers = [v for v in cells if v.kind in (NUMBER, INVALID, ILLEGIBLE)]
        if numbers:
            self.findings.append(FindingRecord(
                "parse.unplaced_value",
                f"row {key} ({row.location}: {row.printed!r}): {', '.join(_shown(v) for v in numbers)} "
                f"printed before the row's label; no cell holds {'it' if len(numbers) == 1 else 'them'}",
                table=self.table, row=key, location=row.location))

    def unrecognised(self, row: Row) -> None:
        self.findings.append(FindingRecord(
            "parse.unrecognised_row",
            f"{row.location}: a row with values whose label matches no row of table {self.table}: "
            f"{row.printed!r}; its values are not stored",
            table=self.table, location=row.location))


def _gated(value: Value) -> Value:
    """A value OCR read with a confidence under the threshold is illegible: a row printed
    without rules (read as a line of text) is read with the line's least confidence.
    (A ruled grid's cells were gated one by one: ``loaders.ocr.page``.)"""
    from loaders.ocr import min_confidence

    o = value.ocr
    if value.kind in (NUMBER, PLACEHOLDER, INVALID) and o is not None and o.confidence is not None \
            and o.confidence < (threshold := min_confidence()):
        why = f"read as {value.raw!r} in a line read with confidence {o.confidence:.3f} (under {threshold})"
        return Value(ILLEGIBLE, ocr=replace(o, text=value.raw, why=why))
    return value


def _shown(value: Value) -> str:
    """A value as printed, for a message (an illegible cell of an image: what OCR read)."""
    if value.kind == ILLEGIBLE:
        return f"an illegible cell (read as {value.ocr.text!r})" if value.ocr else "an illegible cell"
    return shown(value.raw)


def _with_note(value: Value, note: str | None) -> Value:
    if not note:
        return value
    return Value(value.kind, value.number, value.raw, f"{value.note}; {note}" if value.note else note, value.ocr)


def _place(values: list[Value], width: int, aligned: bool) -> list[int | None] | str:
    """Where in ``values`` (merged positions left out) the row's ``width`` values are: a
    position, or None for a cell printed blank; or why that cannot be told. Text after the
    last value is left for the note; text among the values allows only ``aligned`` placing."""
    last = max((i for i, v in enumerate(values) if v.kind in VALUE_KINDS), default=-1)
    printed = [i for i in range(last + 1) if not values[i].is_blank]
    among = [values[i] for i in printed if values[i].kind == TEXT]
    if len(printed) == width and not among:
        return printed
    if last < 0:
        numberlike = [v for v in values if v.kind == TEXT and has_digits(v.raw)]
        if numberlike:  # no number to place, but digits printed where numbers belong
            return f"no value is printed but {', '.join(shown(v.raw) for v in numberlike)} holds digits"
        return [None] * width
    text_after = next((i for i in range(last + 1, len(values)) if values[i].kind == TEXT), len(values))
    ends = {len(values), last + 1, text_after, max(i for i, v in enumerate(values) if not v.is_blank) + 1}
    if aligned and width in ends:
        return list(range(width))
    why = f"{len(printed) - len(among)} values printed for {width} columns"
    return why + (f", with text {', '.join(shown(v.raw) for v in among)} among them" if among else "")


def _note(values: list[Value], used: list[int | None]) -> str | None:
    """The row's note: text printed among or after its values that no column holds."""
    return " ".join(v.raw for i, v in enumerate(values) if v.kind == TEXT and i not in used) or None


def place_row(values: list[Value], width: int, aligned: bool = False) -> tuple[list[Value] | str, str | None]:
    """The ``width`` values of a row from the cells after its label, or why they cannot be
    told; and the row's note."""
    values = [v for v in values if v.kind != SPANNED]
    at = _place(values, width, aligned)
    if isinstance(at, str):
        return at, None
    return [Value(BLANK) if i is None else values[i] for i in at], _note(values, at)


def place(values: list[Value], width: int, aligned: bool = False) -> list[Value] | str:
    """The ``width`` values of a row from the cells after its label, or why they cannot be told."""
    return place_row(values, width, aligned)[0]


def _leading(values: list[Value], texts: list[int]) -> list[int]:
    """The text cells that may hold a row's label: those before its first value (after
    its first text). Text further on is printed among or after the values."""
    first = next((i for i in range(texts[0] + 1, len(values)) if values[i].kind in VALUE_KINDS), len(values))
    return [i for i in texts if i < first]


def _after_label(values: list[Value], leading: list[int], end: int) -> list[Value]:
    """A row's cells after its label: from its first value on (text between the label
    and the values is part of the label, as group labels are); in a row with no value,
    from the label's end (text after it is the row's note)."""
    start = leading[-1] + 1
    return values[start if _has_values(values[start:]) else end + 1:]


def _classify(row: Row) -> tuple[list[Value], list[int]]:
    values = [read_value(c) for c in row.cells]
    if row.ocr is not None:  # a row of an image: each value keeps what OCR read
        values = [v if o is None else _gated(replace(v, ocr=o)) for v, o in zip(values, row.ocr, strict=True)]
    return values, [i for i, v in enumerate(values) if v.kind == TEXT]


def split_spaced(text: str) -> tuple[str, ...] | None:
    """The cells of a prose line that is a table row printed with spaces (text taken
    from a PDF without ruled tables): words ending in values (``行政许可 969``), values
    only (``0 2 0 0 2 …``), values and a unit (``行政许可 969 件``: the unit is the row's
    note), or a ``信息内容`` header; None for any other line."""
    tokens = text.split()
    if len(tokens) < 2:
        return None
    if norm(tokens[0]) == "信息内容" or read_value(tokens[-1]).kind in VALUE_KINDS:
        return tuple(tokens)
    if len(tokens) > 2 and read_value(tokens[-2]).kind == NUMBER and read_value(tokens[-1]).kind == TEXT \
            and read_value(tokens[-2] + tokens[-1]).note == tokens[-1]:
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
        out += _unglued(cell, labels)
    return tuple(out)


@lru_cache(maxsize=65536)
def _unglued(cell: str, labels: LabelIndex) -> tuple[str, ...]:
    """One cell of ``_unglue``: itself, or the label and the digits."""
    m = _GLUED.match(cell) if read_value(cell).kind == TEXT and not labels.match(cell) else None
    found = labels.match(m["label"]) if m else None
    return (m["label"], m["digits"]) if found and found.how in ("exact", "alias") else (cell,)


def table_rows(blocks: list[Block], labels: LabelIndex) -> list[Row]:
    """A section's table rows: its rows, and prose lines that are rows printed with spaces."""
    rows = []
    for block in blocks:
        if isinstance(block, Row):  # (a row of an image has its cells from the grid: nothing to unglue)
            cells = block.cells if block.ocr is not None else _unglue(block.cells, labels)
            rows.append(block if cells == block.cells else Row(cells, block.line, block.where, block.exact))
        elif not is_page_number(block.text):
            cells = _unglue(split_spaced(block.text) or (block.text.strip(),), labels)
            if len(cells) > 1:  # a line OCR read: each cell keeps the line's read (confidence, box)
                rows.append(Row(cells, block.line, block.where, ocr=(block.ocr,) * len(cells) if block.ocr else None))
    return rows


def find_label(row: Row, texts: list[int], labels: LabelIndex) -> Match | None:
    """The row label among the row's text cells: the last one, or the last few joined
    (a label split over cells: ``2.其他法律行政法规`` ``禁止公开``), else an earlier one."""
    found = locate_label(row, texts, labels)
    return found[0] if found else None


def locate_label(row: Row, texts: list[int], labels: LabelIndex) -> tuple[Match, int] | None:
    """``find_label``, with the position of the label's last cell."""
    last = texts[-1]
    run = [i for i in texts if i <= last]
    for length in range(1, 5):
        start = last - length + 1
        if start < 0 or any(i not in run for i in range(start, last + 1)):
            break
        if match := labels.match("".join(row.cells[start:last + 1])):
            return match, last
    return next(((m, i) for i in reversed(texts[:-1]) if (m := labels.match(row.cells[i]))), None)


def _has_numbers(values: list[Value]) -> bool:
    return any(v.kind in (NUMBER, INVALID, ILLEGIBLE) for v in values)


def _has_values(values: list[Value]) -> bool:
    return any(v.kind in VALUE_KINDS for v in values)


def _is_column_header(row: Row, texts: list[int]) -> bool:
    """A header row prints a column label bare (``总计``, ``其他``); a data row numbers its
    label (``(七)总计``, ``3.其他``)."""
    bare = _bare_columns()
    return any(fold(row.cells[i]) in bare for i in texts)


@cache
def _bare_columns() -> frozenset[str]:
    return frozenset(fold(c.zh) for c in codebook().tables["requests"].columns.values())


GROUP_COLUMNS = REQUEST_COLUMNS[1:-1]  # the five kinds of 法人或其他组织, in the national order


def header_columns(row: Row, texts: list[int]) -> list[str] | str | None:
    """Table 三's columns in the order a header row prints its five 法人或其他组织 kinds:
    None when it prints them in the national order (or is no such header), the columns
    reordered when it prints all five in another order, else why they cannot be told."""
    index = column_index("requests")
    printed = [m.key for i in texts if (m := index.match(row.cells[i])) and m.how in ("exact", "alias")
               and m.key in GROUP_COLUMNS]
    if len(printed) < 2 or printed == [k for k in GROUP_COLUMNS if k in printed]:
        return None
    if sorted(printed) == sorted(GROUP_COLUMNS):
        return [REQUEST_COLUMNS[0], *printed, REQUEST_COLUMNS[-1]]
    return f"the header ({row.location}) prints the applicant columns in another order, not all of them: {printed}"


def read_requests(blocks: list[Block]) -> TableReading:
    """Table 三: each row is a label (after optional group labels) and seven values,
    under the columns its header prints (the national order, unless a header row prints
    the five kinds of 法人或其他组织 in another)."""
    out = TableReading("requests")
    labels = row_index("requests")
    columns: list[str] | str = REQUEST_COLUMNS
    for row in table_rows(blocks, labels):
        values, texts = _classify(row)
        if not texts:
            if _has_numbers(values):
                out.unrecognised(row)
            continue
        if not _has_values(values) and (reordered := header_columns(row, texts)) is not None:
            columns = reordered
            continue
        leading = _leading(values, texts)
        found = locate_label(row, leading, labels)
        if found is None:
            if _has_numbers(values):
                out.unrecognised(row)
            continue
        match, end = found
        after = _after_label(values, leading, end)
        if not _has_values(after) and _is_column_header(row, texts):
            continue
        out.unplaced(match.key, row, values[:texts[0]])
        placed, note = place_row(after, len(REQUEST_COLUMNS), aligned=row.exact)
        if isinstance(columns, str):
            out.ambiguous(match.key, row, columns)
            continue
        out.put(match.key, row, placed, columns, match.how, note)
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
        leading = _leading(values, texts)
        found = locate_label(row, leading, labels)
        if found is None and _has_values(values[:texts[0]]):
            unlabelled.append((row, values))  # values, then text: an unlabelled row and its note
            continue
        after = _after_label(values, leading, found[1] if found else leading[-1])
        if not _has_values(after):
            continue  # a header row
        if found is None:
            out.unrecognised(row)
            continue
        match = found[0]
        out.unplaced(match.key, row, values[:texts[0]])
        placed, note = place_row(after, len(REVIEW_COLUMNS), aligned=True)
        out.put(match.key, row, placed, REVIEW_COLUMNS, match.how, note)
    if len(unlabelled) > 1:
        for row, _ in unlabelled:
            out.unrecognised(row)
    elif unlabelled:
        row, values = unlabelled[0]
        placed, note = place_row(values, width, aligned=True)
        n = len(REVIEW_COLUMNS)
        for i, key in enumerate(REVIEW_ROWS):
            chunk = placed if isinstance(placed, str) else placed[i * n:(i + 1) * n]
            out.put(key, row, chunk, REVIEW_COLUMNS, "position", note)
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
        first, leading = texts[0], _leading(values, texts)
        found = ((m, first) if (m := row_labels.match(row.cells[first])) else
                 locate_label(row, leading, row_labels) if norm(row.cells[first]) != "信息内容" else None)
        match = found[0] if found else None
        if found is None:
            columns = [column_labels.match(c) for c in row.cells[first + 1:] if c != SPAN]
            if norm(row.cells[first]) == "信息内容" or any(columns):
                header = [m.key if m else None for m in columns]
                out.columns_seen.update(filter(None, header))
            elif _has_numbers(values):
                out.unrecognised(row)
            continue
        after = [v for v in _after_label(values, leading, found[1]) if v.kind != SPANNED]
        if header is None:
            out.ambiguous(match.key, row, "no header row above it names its columns")
            continue
        out.unplaced(match.key, row, values[:first])
        valid = [(i, key) for i, key in enumerate(header)
                 if key and (table.columns[key].rows is None or match.key in table.columns[key].rows)]
        at = _place(after, len(valid), aligned=False)
        if isinstance(at, str):
            aligned = _place(after, len(header), aligned=True)
            if isinstance(aligned, str) or any(  # a value under a column the row does not have
                    i is not None and after[i].kind in VALUE_KINDS
                    for j, i in enumerate(aligned) if j not in dict(valid)):
                out.ambiguous(match.key, row, f"{at} under header {header}")
                continue
            at = [aligned[j] for j, _ in valid]
        placed = [Value(BLANK) if i is None else after[i] for i in at]
        out.put(match.key, row, placed, [key for _, key in valid], match.how, _note(after, at))
    return out


READERS = {"disclosure": read_disclosure, "requests": read_requests, "review_litigation": read_review}
