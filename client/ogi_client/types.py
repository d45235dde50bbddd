"""The records of /v1 as TypedDicts (they are the parsed JSON objects themselves: plain
dicts, so a field the API adds later is there too, unnamed here).

Numbers are exact: a JSON number with a fraction or exponent is a ``decimal.Decimal``,
one without is an ``int`` (ids, years, counts, and whole values such as ``0``); both
take part in ``Decimal`` arithmetic exactly. No number is ever a float."""
from __future__ import annotations

from decimal import Decimal
from typing import Any, NotRequired, TypedDict

Number = int | Decimal
"""An exact number as the API sends it."""


class InvalidParam(TypedDict):
    name: str
    reason: str


class Meta(TypedDict):
    total: int
    limit: int
    offset: int
    next: str | None


class Agency(TypedDict):
    id: int
    name: str
    region: str | None
    years: list[int]


class Headline(TypedDict, total=False):
    requests_received: Number | None
    requests_handled: Number | None
    requests_withheld: Number | None
    reconsideration_total: Number | None
    litigation_total: Number | None


class AgencyYear(TypedDict):
    year: int
    report_id: int
    layout: str
    revision: int
    headline: Headline


class AgencyDetail(Agency):
    reports: list[AgencyYear]


class Report(TypedDict):
    id: int
    agency_id: int
    agency_name: str
    region: str | None
    year: int
    layout: str
    revision: int
    is_current: bool
    title: str | None
    document_number: str | None
    published_on: str | None
    source_name: str
    source_format: str
    sha256: str
    findings_count: int
    findings: int  # deprecated alias of findings_count
    loaded_at: str
    retracted_at: str | None


class Finding(TypedDict):
    id: int
    report_id: int
    agency_id: int
    agency_name: str
    year: int
    rule: str
    table: str | None
    row: str | None
    column: str | None
    cells: list[str]
    expected: Number | None
    printed: Number | None
    message: str
    location: str | None


class PageBox(TypedDict):
    page: int
    x0: int
    y0: int
    x1: int
    y1: int
    width: int
    height: int
    unit: str


class CellValue(TypedDict):
    value: Number | None
    raw: str | None
    status: str
    note: str | None
    location: str | None
    confidence: Number | None
    box: PageBox | None


class ColumnLabel(TypedDict):
    key: str
    zh: str
    en: str
    unit: NotRequired[str | None]


class TableRow(TypedDict):
    key: str
    zh: str
    en: str
    cells: dict[str, CellValue]


class Table(TypedDict):
    key: str
    zh: str
    en: str
    columns: list[ColumnLabel]
    rows: list[TableRow]


class Section(TypedDict):
    number: int
    numeral: str
    title: str
    text: str


class Contact(TypedDict, total=False):
    phone: str | None
    address: str | None
    email: str | None
    postcode: str | None


class Revision(TypedDict):
    id: int
    revision: int
    is_current: bool
    loaded_at: str


class ReportDetail(TypedDict):
    id: int
    agency_id: int
    agency_name: str
    region: str | None
    year: int
    layout: str
    revision: int
    is_current: bool
    title: str | None
    document_number: str | None
    published_on: str | None
    source_name: str
    source_format: str
    sha256: str
    findings_count: int
    findings: list[Finding]
    loaded_at: str
    retracted_at: str | None
    source_encoding: str | None
    parser_version: str
    contact: Contact
    revisions: list[Revision]
    tables: list[Table]
    sections: list[Section]


class Cell(TypedDict):
    report_id: int
    agency_id: int
    agency_name: str
    region: str | None
    year: int
    layout: str
    table: str
    row: str
    column: str
    value: Number | None
    status: str
    raw: str | None
    note: str | None
    location: str | None
    confidence: Number | None
    box: PageBox | None
    unit: str  # count, 万元 or 元


class Aggregate(TypedDict, total=False):
    """The group's keys (those of ``group_by``), then the metric."""
    agency_id: int
    agency_name: str
    region: str | None
    year: int
    layout: str
    table: str
    row: str
    column: str
    value: Number | None
    cells_count: int
    values_count: int
    cells: int  # deprecated alias of cells_count
    values: int  # deprecated alias of values_count
    unit: str | None


class Indicator(TypedDict, total=False):
    agency_id: int
    agency_name: str
    region: str | None
    year: int
    layout: str
    indicator: str
    value: Number | None
    numerator: Number | None
    denominator: Number | None
    reports_count: int
    reports: int  # deprecated alias of reports_count
    excluded: int


class IndicatorDefinition(TypedDict):
    key: str
    zh: str
    en: str
    definition: str
    numerator_cells: list[str]
    denominator_cells: Any  # cells (table/row/column), or "reports"
    numerator: list[str]  # deprecated alias of numerator_cells
    denominator: Any  # deprecated alias of denominator_cells
    min_denominator: int
    unit: str


class Codebook(TypedDict):
    layouts: list[str]
    tables: dict[str, dict[str, Any]]
    row_groups: dict[str, list[str]]
    identities: dict[str, dict[str, Any]]
    rules: dict[str, str]
    statuses: list[str]


class Job(TypedDict):
    id: str
    status: str  # queued, running, done, failed
    created_at: str
    started_at: str | None
    finished_at: str | None
    source_name: str
    size: int
    sha256: str
    report: str | None  # when done: the report's URL
    outcome: str | None  # when done: loaded, revised or unchanged
    error: str | None  # when failed: why


class WriteEvent(TypedDict):
    id: int
    at: str
    action: str
    actor: str
    key_id: int | None
    via: str
    report_id: int | None
    sha256: str | None
    detail: str | None
