"""A report's three tables as an Excel workbook, laid out as printed: a sheet per
table (row labels down, column labels across, in codebook order), numbers as
numbers, placeholders as printed, and each cell of a finding filled and commented.
A sheet lists the findings, and the first says what the workbook is. A report read
(in part) by OCR has a last sheet ``ocr``: each cell read from a page image, with its
status, OCR's confidence and its box on the page image."""
from __future__ import annotations

import io
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill

from api.v1.common import named_cells
from models.decimals import plain

FLAGGED = PatternFill("solid", fgColor="FFE08A")
BOLD = Font(bold=True)


def workbook(document: dict) -> bytes:
    """``document`` is the report as GET /v1/reports/{id} serves it."""
    book = Workbook()
    about = book.active
    about.title = "report"
    for key in ("id", "agency_name", "year", "layout", "revision", "title", "document_number", "published_on",
                "source_name", "sha256", "parser_version"):
        about.append([key, _plain(document.get(key))])
    about.column_dimensions["A"].width, about.column_dimensions["B"].width = 18, 60
    flagged: dict[str, list[str]] = {}
    for finding in document["findings"]:
        for key in named_cells(finding):
            flagged.setdefault(key, []).append(finding["message"])
    for table in document["tables"]:
        sheet = book.create_sheet(table["key"])
        sheet.append([f"{table['zh']} ({table['en']})"])
        sheet["A1"].font = BOLD
        sheet.append(["", *[c["zh"] + (f"（{c['unit']}）" if c.get("unit") else "") for c in table["columns"]]])
        sheet.append(["row / column", *[c["key"] for c in table["columns"]]])
        for cell in sheet[2] + sheet[3]:
            cell.font, cell.alignment = BOLD, Alignment(wrap_text=True, vertical="top")
        for row in table["rows"]:
            values = []
            for column in table["columns"]:
                cell = row["cells"].get(column["key"])
                values.append(None if cell is None else _value(cell))
            sheet.append([row["zh"], *values])
            at = sheet.max_row
            for i, column in enumerate(table["columns"], start=2):
                messages = flagged.get(f"{table['key']}/{row['key']}/{column['key']}")
                if messages:
                    sheet.cell(at, i).fill = FLAGGED
                    sheet.cell(at, i).comment = Comment("\n".join(messages), "ogi-api")
        sheet.column_dimensions["A"].width = 48
        sheet.freeze_panes = "B4"
    findings = book.create_sheet("findings")
    findings.append(["rule", "table", "row", "column", "expected", "printed", "message", "location"])
    for f in document["findings"]:
        findings.append([f["rule"], f["table"], f["row"], f["column"], _plain(f["expected"]), _plain(f["printed"]),
                         f["message"], f["location"]])
    _ocr_sheet(book, document)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _ocr_sheet(book: Workbook, document: dict) -> None:
    """The cells read from a page image, if any: where, what, how sure."""
    read = [(table["key"], row["key"], column, cell) for table in document["tables"] for row in table["rows"]
            for column, cell in row["cells"].items() if cell.get("box")]
    if not read:
        return
    sheet = book.create_sheet("ocr")
    sheet.append(["table", "row", "column", "status", "value", "raw", "confidence", "page", "x0", "y0", "x1", "y1",
                  "width", "height"])
    for cell in sheet[1]:
        cell.font = BOLD
    for table, row, column, cell in read:
        box = cell["box"]
        sheet.append([table, row, column, cell["status"], _plain(cell["value"]), cell["raw"],
                      _plain(cell["confidence"]), *(box[k] for k in ("page", "x0", "y0", "x1", "y1", "width",
                                                                     "height"))])


def _value(cell: dict):
    """A number as a number; otherwise the text printed (a placeholder, say), or empty."""
    if cell["value"] is not None:
        return _plain(cell["value"])
    return cell["raw"] or None


EXCEL_DIGITS = 15  # Excel keeps a number as a binary double: 15 significant digits are exact


def _plain(value):
    """A Decimal as an Excel number when Excel keeps it exactly; one with more significant
    digits as its text, so that no printed digit is lost."""
    if isinstance(value, Decimal):
        text = plain(value)
        if len(text.lstrip("-").replace(".", "").strip("0")) > EXCEL_DIGITS:
            return text
        return int(value) if value == value.to_integral_value() else float(text)
    if value is not None and not isinstance(value, int | float | str):
        return str(value)
    return value
