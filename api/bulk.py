"""Bulk files: the current data as CSV (and NDJSON) resources, a Frictionless data
package that describes them, and the cells as Parquet.

One registry (``RESOURCES``) says each resource's fields (name, type, meaning, the
expression it is read from) and keys; the CSV writer, the Parquet writer and the
``datapackage.json`` descriptor are all made from it, so they cannot disagree.
Rows are read in chunks by id (keyset paging), so any size streams in constant
memory. Only current revisions are in the bulk files (the API serves the others)."""
from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from orjson import Fragment
from peewee import Case
from peewee import Field as Column

from api.filters import COLUMN_KEYS, ROW_KEYS, TABLE_KEYS
from loaders.records import RULES, STATUSES
from models import Agency, Cell, Finding, Report, database
from models.codebook import LAYOUTS, column_units
from models.decimals import plain, to_decimal

CHUNK = 10_000
FIRST_CHUNK = 1000  # a small first query: a streamed file starts at once
LICENSE = {"name": "CC-BY-4.0", "title": "Creative Commons Attribution 4.0",
           "path": "https://creativecommons.org/licenses/by/4.0/"}
NAME = "ogi-annual-reports"
TITLE = "Government information disclosure annual reports (政府信息公开工作年度报告)"
DESCRIPTION = ("The annual reports on government information disclosure of Chinese agencies, as data: agencies, "
               "reports, every printed number as a cell (keys of the codebook), and findings where the printed "
               "numbers break an accounting identity or could not be read. Current revisions only.")


@dataclass(frozen=True)
class BulkField:
    name: str
    type: str  # Table Schema type: integer, number, string, boolean, date, datetime
    description: str
    expr: Column
    required: bool = False
    enum: tuple[str, ...] | None = None
    parquet_text: bool = False  # Parquet also holds the number's exact text, as ``NAME_text``


@dataclass(frozen=True)
class Resource:
    name: str
    title: str
    model: type
    fields: list[BulkField]
    primary_key: list[str]
    foreign_keys: list[dict] = field(default_factory=list)
    joins: Callable = lambda q: q
    by_year: bool = True  # whether its rows belong to a report, so can be chosen by year

    def chunks(self, year: int | None = None) -> Iterator[list[tuple]]:
        """Every row (of reports on ``year``, if given), in id order, a chunk at a time
        (``FIRST_CHUNK`` rows, then ``CHUNK``), each chunk one short query (keyset
        paging by id). A number is its exact text (``plain``), a date or time a
        ``date`` or ``datetime``."""
        key = self.model._meta.primary_key
        convert = [(i, _number_text if f.type == "number" else f.expr.python_value)
                   for i, f in enumerate(self.fields) if f.type in ("number", "date", "datetime", "boolean")]
        last, size = 0, min(FIRST_CHUNK, CHUNK)
        while True:
            query = self.joins(self.model.select(key, *[f.expr for f in self.fields]))
            if year is not None:  # year + 0: not by the year's index, which would sort all its rows for each chunk
                query = query.where(Report.year + 0 == year)
            # the driver's values, not peewee's conversion of every column: a few are converted, faster
            cursor = database.execute(query.where(key > last).order_by(key).limit(size))
            chunk = cursor.fetchall()
            cursor.close()
            if chunk:
                yield [_converted(row, convert) for row in chunk]
            if len(chunk) < size:
                return
            last, size = chunk[-1][0], CHUNK

    def rows(self, year: int | None = None) -> Iterator[tuple]:
        """Every row (of reports on ``year``, if given), in id order, read a chunk at a time."""
        for chunk in self.chunks(year):
            yield from chunk

    def schema(self) -> dict:
        fields = []
        for f in self.fields:
            described = {"name": f.name, "type": f.type, "description": f.description}
            constraints = {**({"required": True} if f.required else {}), **({"enum": list(f.enum)} if f.enum else {})}
            if constraints:
                described["constraints"] = constraints
            fields.append(described)
        schema = {"fields": fields, "primaryKey": self.primary_key, "missingValues": [""]}
        if self.foreign_keys:
            schema["foreignKeys"] = self.foreign_keys
        return schema


def _converted(row: tuple, convert: list) -> tuple:
    if not convert:
        return row[1:]
    values = list(row[1:])
    for i, to_python in convert:
        if values[i] is not None:
            values[i] = to_python(values[i])
    return tuple(values)


def _number_text(value) -> str:
    """A number as the bulk files print it (``plain``: every digit, no trailing zeros
    after the point, no exponent), from what the driver gives: SQLite's text, written
    out in full (``storage_text``), is trimmed as it is; anything else goes through a Decimal."""
    if isinstance(value, str) and value.isascii() and "e" not in value.lower() and value.lstrip("-")[:1].isdigit():
        if "." in value:
            value = value.rstrip("0").rstrip(".")
        return "0" if value in ("-0", "") else value
    return plain(to_decimal(value))


def _current(query):
    return query.where(Report.is_current == True)  # noqa: E712 (peewee expression)


# A cell's unit, from its column's key (the codebook's), computed in the query
UNIT = Case(Cell.column_key, [(key, unit) for key, unit in column_units().items() if unit != "count"], "count")


def _references(field_name: str, resource: str) -> dict:
    return {"fields": [field_name], "reference": {"resource": resource, "fields": ["id"]}}


RESOURCES = {r.name: r for r in [
    Resource("agencies", "Agencies", Agency, [
        BulkField("id", "integer", "Agency id (as in the API).", Agency.id, True),
        BulkField("name", "string", "The agency's name as its report prints it.", Agency.name, True),
        BulkField("region", "string", "Administrative divisions read from the name; empty if it names none.",
                  Agency.region),
    ], ["id"], by_year=False),
    Resource("reports", "Reports (current revisions)", Report, [
        BulkField("id", "integer", "Report id.", Report.id, True),
        BulkField("agency_id", "integer", "The agency (agencies.id).", Report.agency, True),
        BulkField("year", "integer", "The year reported on.", Report.year, True),
        BulkField("layout", "string", "Table layout: 2019 (国办公开办函〔2019〕60号) or 2021 (〔2021〕30号).",
                  Report.layout, True, tuple(LAYOUTS)),
        BulkField("revision", "integer", "1 for the first file of this agency and year, then 2, 3 …",
                  Report.revision, True),
        BulkField("title", "string", "Title as printed.", Report.title),
        BulkField("document_number", "string", "Document number (文号), if printed.", Report.document_number),
        BulkField("published_on", "date", "Date signed, if printed.", Report.published_on),
        BulkField("source_name", "string", "The file's name when loaded.", Report.source_name, True),
        BulkField("source_format", "string", "text, markdown, html, pdf, docx or image.", Report.source_format, True),
        BulkField("sha256", "string", "SHA-256 of the file (GET /v1/reports/{id}/source).", Report.source, True),
        BulkField("loaded_at", "datetime", "When it was loaded (UTC).", Report.loaded_at, True),
    ], ["id"], [_references("agency_id", "agencies")], joins=_current),
    Resource("cells", "Cells: every printed number", Cell, [
        BulkField("report_id", "integer", "The report (reports.id).", Cell.report, True),
        BulkField("agency_id", "integer", "The agency (agencies.id).", Report.agency, True),
        BulkField("year", "integer", "The year reported on.", Report.year, True),
        BulkField("table", "string", "Table key (codebook).", Cell.table_key, True, tuple(TABLE_KEYS)),
        BulkField("row", "string", "Row key (codebook).", Cell.row_key, True, tuple(ROW_KEYS)),
        BulkField("column", "string", "Column key (codebook).", Cell.column_key, True, tuple(COLUMN_KEYS)),
        BulkField("value", "number", "The number printed; empty when none was (see status).", Cell.value,
                  parquet_text=True),
        BulkField("raw", "string", "The text printed in the cell.", Cell.raw),
        BulkField("status", "string", "reported, blank, placeholder, ambiguous, missing, invalid, split, ocr (a "
                  "number read by OCR from a page image) or illegible (printed in a page image, not read with "
                  "confidence: empty value, raw holds what was read).", Cell.status, True, STATUSES),
        BulkField("note", "string", "A note printed with the number, e.g. 其中修订16件.", Cell.note),
        BulkField("location", "string", "Where in the file the cell was read.", Cell.location),
        BulkField("confidence", "number", "OCR's confidence in what it read (0 to 1, three places); empty for a "
                  "cell read from text.", Cell.confidence),
        BulkField("box", "string", "Where on a page image OCR read the cell: 'page x0 y0 x1 y1 width height' in "
                  "pixels of the page image (GET /v1/reports/{id}/pages/{page}.png serves it at width × height); "
                  "empty for a cell read from text.", Cell.box),
        BulkField("unit", "string", "The value's unit, from its column: 万元 or 元 for money (as the column prints "
                  "it), count for anything else.", UNIT, True, ("count", "万元", "元")),
    ], ["report_id", "table", "row", "column"],
        [_references("report_id", "reports"), _references("agency_id", "agencies")],
        joins=lambda q: _current(q.join(Report))),
    Resource("findings", "Findings: identities broken, cells not read", Finding, [
        BulkField("id", "integer", "Finding id.", Finding.id, True),
        BulkField("report_id", "integer", "The report (reports.id).", Finding.report, True),
        BulkField("rule", "string", "The rule (codebook rules).", Finding.rule, True, tuple(RULES)),
        BulkField("table", "string", "Table key, if one.", Finding.table_key),
        BulkField("row", "string", "Row key, if one.", Finding.row_key),
        BulkField("column", "string", "Column key, if one.", Finding.column_key),
        BulkField("expected", "number", "The value the identity expects.", Finding.expected),
        BulkField("printed", "number", "The value printed.", Finding.printed),
        BulkField("message", "string", "What is wrong, in words.", Finding.message, True),
        BulkField("location", "string", "Where in the file.", Finding.location),
    ], ["id"], [_references("report_id", "reports")], joins=lambda q: _current(q.join(Report))),
]}


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return plain(value)  # every digit, never an exponent
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def csv_chunks(resource: Resource, year: int | None = None,
               chunks: Iterable[list[tuple]] | None = None) -> Iterator[str]:
    """The resource as UTF-8 CSV text (header first), a piece per chunk of rows (its
    ``chunks``, if given, else read now)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([f.name for f in resource.fields])
    for chunk in resource.chunks(year) if chunks is None else chunks:
        writer.writerows([[_text(v) for v in row] for row in chunk])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()


def ndjson_records(resource: Resource, chunks: Iterable[list[tuple]]) -> Iterator[list[dict]]:
    """Chunks of rows as records named by the resource's fields (what its NDJSON lines hold):
    a number an exact JSON number, a date or time as the CSV prints it."""
    names = [f.name for f in resource.fields]
    numbers = {i for i, f in enumerate(resource.fields) if f.type == "number"}
    times = {i for i, f in enumerate(resource.fields) if f.type in ("date", "datetime")}
    for chunk in chunks:
        yield [dict(zip(names, row if not (numbers or times) else [
            None if v is None else Fragment(v) if i in numbers else _text(v) if i in times else v
            for i, v in enumerate(row)], strict=True)) for row in chunk]


def datapackage(path: Callable[[str], str]) -> dict:
    """The Frictionless (Data Package v1) descriptor; ``path(name)`` is where a
    resource's CSV file is (a file name beside it, or a URL)."""
    return {
        "profile": "tabular-data-package", "name": NAME, "title": TITLE, "description": DESCRIPTION,
        "licenses": [LICENSE], "keywords": ["政府信息公开", "government information disclosure", "annual reports"],
        "resources": [{
            "name": r.name, "title": r.title, "path": path(r.name), "profile": "tabular-data-resource",
            "format": "csv", "mediatype": "text/csv", "encoding": "utf-8", "schema": r.schema(),
        } for r in RESOURCES.values()],
    }


def write_parquet(resource: Resource, target: Path) -> None:
    """The resource as a Parquet file, a row group per chunk; written beside ``target``
    and moved into place, so a reader never sees half a file.

    A number is a float64 (pandas, R and every Parquet reader see a numeric column)
    holding the printed number exactly: a value is written only when the float's shortest
    form is that number, digit for digit (every count, and every amount of at most 15
    significant digits); one that a float64 cannot hold is null there, never a nearby
    number. A field marked ``parquet_text`` (the cells' ``value``) also has its exact
    text beside it, as the CSV prints it (``value_text``), for every number."""
    import pyarrow.parquet as pq

    schema = parquet_schema(resource)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, suffix=".part")
    os.close(handle)
    try:
        with pq.ParquetWriter(temporary, schema, compression="zstd") as writer:
            batch: list[tuple] = []
            for row in resource.rows():
                batch.append(row)
                if len(batch) == CHUNK * 10:
                    writer.write_table(_table(batch, schema, resource))
                    batch = []
            if batch:
                writer.write_table(_table(batch, schema, resource))
        os.replace(temporary, target)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


def parquet_schema(resource: Resource):
    import pyarrow as pa

    types = {"integer": pa.int64(), "string": pa.string(), "number": pa.float64(), "boolean": pa.bool_(),
             "date": pa.date32(), "datetime": pa.timestamp("s", tz="UTC")}
    fields = []
    for f in resource.fields:
        described = f.description
        if f.type == "number":
            described += " (float64, exact: null when a float64 cannot hold every printed digit"
            described += f"; {f.name}_text has them all)" if f.parquet_text else ")"
        fields.append(pa.field(f.name, types[f.type], nullable=not f.required, metadata={"description": described}))
        if f.parquet_text:
            fields.append(pa.field(f"{f.name}_text", pa.string(), metadata={
                "description": f"{f.name} exactly, as the CSV prints it (every digit, no exponent); empty when none"}))
    return pa.schema(fields)


@lru_cache(maxsize=1 << 16)  # most values recur
def exact_float(text: str) -> float | None:
    """The number printed as ``text`` as a float64, when the float's shortest form is the
    same number (so a reader prints the digits printed), else None."""
    number = float(text)
    return number if Decimal(repr(number)) == Decimal(text) else None


def _table(rows: list[tuple], schema, resource: Resource):
    import pyarrow as pa

    columns = list(zip(*rows, strict=True)) if rows else [[] for _ in resource.fields]
    prepared = []
    for f, values in zip(resource.fields, columns, strict=True):
        if f.type == "number":  # each its exact text (Resource.chunks)
            prepared.append([None if v is None else exact_float(v) for v in values])
            if f.parquet_text:
                prepared.append(list(values))
            continue
        if f.type == "string":
            values = [None if v is None else str(v) for v in values]
        prepared.append(values)
    return pa.Table.from_arrays([pa.array(v, type=schema.field(i).type) for i, v in enumerate(prepared)],
                                schema=schema)


def export(folder: Path, parquet: bool = True) -> list[Path]:
    """Write every resource's CSV, ``datapackage.json`` and (with ``parquet``)
    cells.parquet into ``folder``. Returns the files written."""
    import json

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for resource in RESOURCES.values():
        path = folder / f"{resource.name}.csv"
        with path.open("w", encoding="utf-8", newline="") as out:
            for chunk in csv_chunks(resource):
                out.write(chunk)
        written.append(path)
    descriptor = folder / "datapackage.json"
    descriptor.write_text(json.dumps(datapackage(lambda name: f"{name}.csv"), ensure_ascii=False, indent=1),
                          encoding="utf-8")
    written.append(descriptor)
    if parquet:
        write_parquet(RESOURCES["cells"], folder / "cells.parquet")
        written.append(folder / "cells.parquet")
    return written
