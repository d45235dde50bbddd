"""The filters: a declarative registry of query parameter → parameterised condition.

Each filter says how its value is read (a marshmallow field: comma-separated values
mean "any of", keys are checked against the codebook) and which condition it adds
to a query that has joined ``Report`` and ``Agency``. An endpoint names the filters
it takes; its arguments schema and its OpenAPI parameters are made from them."""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import marshmallow as ma
from peewee import Expression, Tuple, fn
from webargs.fields import DelimitedList

from loaders.records import RULES, STATUSES
from models import Agency, Cell, Finding, Report
from models.codebook import LAYOUTS, codebook

MAX_LIST = 100  # values in one comma-separated filter


def _keys(attr: str) -> list[str]:
    out: list[str] = []
    for table in codebook().tables.values():
        out += [k for k in getattr(table, attr) if k not in out]
    return out


TABLE_KEYS = list(codebook().tables)
ROW_KEYS = _keys("rows")
COLUMN_KEYS = _keys("columns")
ROW_GROUPS = {
    group: [r for r in ROW_KEYS if r.startswith(group + ".") or r == group]
    for group in sorted({r.split(".")[0] for r in ROW_KEYS if "." in r})
}


ROW_TOKENS = ROW_KEYS + [g for g in ROW_GROUPS if g not in ROW_KEYS] + [f"{g}.*" for g in ROW_GROUPS]


class RowKeys(DelimitedList):
    """Row keys: exact (``granted``), a group (``denied``: its rows; ``other``: the
    （六） row and its three 2021 children), or a prefix (``denied.*``)."""

    def __init__(self, **kwargs):
        error = "unknown row {input!r}: a row key, a group (" + ", ".join(ROW_GROUPS) + ") or a group with .*"
        super().__init__(ma.fields.String(validate=ma.validate.OneOf(ROW_TOKENS, error=error)), **kwargs)
        self.metadata = {**self.metadata, "minItems": 1, "maxItems": MAX_LIST}

    def _deserialize(self, value, attr, data, **kwargs):
        items = super()._deserialize(value, attr, data, **kwargs)
        if not 1 <= len(items) <= MAX_LIST:
            raise ma.ValidationError(f"between 1 and {MAX_LIST} values")
        keys: list[str] = []
        for item in items:
            if item.endswith(".*"):
                found = [r for r in ROW_GROUPS[item[:-2]] if r != item[:-2]]
            else:
                found = ROW_GROUPS.get(item, [item])
            keys += [k for k in found if k not in keys]
        return keys


def text(max_length: int, in_list: bool = True) -> ma.fields.String:
    """Free text: no NUL byte, and no comma inside one value of a comma-separated list."""
    pattern = r"^[^,\x00]+$" if in_list else r"^[^\x00]+$"
    return ma.fields.String(validate=[ma.validate.Length(min=1, max=max_length),
                                      ma.validate.Regexp(pattern, error="contains a comma or a NUL byte")])


def any_of(inner: ma.fields.Field, choices: list | None = None, description: str = "") -> DelimitedList:
    if choices is not None:
        inner.validators.append(ma.validate.OneOf(choices, error="unknown value {input!r}"))
    return DelimitedList(inner, validate=ma.validate.Length(min=1, max=MAX_LIST),
                         metadata={"description": description + " Comma-separated values mean any of."})


class Moment(ma.fields.Field):
    """An RFC 3339 date-time (``2026-11-30T08:00:00Z``, ``…+08:00``; without a zone: UTC)
    or a date (``2026-11-30``: its start, UTC); read as a UTC time without a zone, as
    times are stored."""

    def __init__(self, **kwargs):
        super().__init__(metadata={**kwargs.pop("metadata", {}), "type": "string", "format": "date-time",
                                   "pattern": r"^\d{4}-\d{2}-\d{2}([Tt ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?"
                                              r"([Zz]|[+-]\d{2}:\d{2})?)?$"}, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        error = "an RFC 3339 date-time (2026-11-30T08:00:00Z) or a date (2026-11-30)"
        if not isinstance(value, str) or not re.fullmatch(self.metadata["pattern"], value):
            raise ma.ValidationError(error)
        try:
            moment = datetime.fromisoformat(value[:-1] + "+00:00" if value[-1:] in "Zz" else value)
        except ValueError as e:
            raise ma.ValidationError(error) from e
        if moment.tzinfo is None:
            return moment
        try:
            return moment.astimezone(UTC).replace(tzinfo=None)
        except OverflowError:  # within hours of year 1 or 9999: before or after any load
            return datetime.min if moment.year == 1 else datetime.max


def _updated_since(moment: datetime) -> Expression:
    """Revisions loaded at or after ``moment``, and the revisions of every agency-year
    in which a report was retracted at or after it."""
    retracted = Report.alias("retracted")
    touched = retracted.select(retracted.agency, retracted.year).where(retracted.retracted_at >= moment)
    return (Report.loaded_at >= moment) | Tuple(Report.agency, Report.year).in_(touched)


@dataclass(frozen=True)
class Filter:
    field: Callable[[], ma.fields.Field]
    condition: Callable[[object], Expression]


def disjunction(conditions: list[Expression]) -> Expression:
    """OR of the conditions as a balanced tree: a chain of a hundred ORs nests too deep
    for SQLite's parser."""
    if len(conditions) == 1:
        return conditions[0]
    middle = len(conditions) // 2
    return disjunction(conditions[:middle]) | disjunction(conditions[middle:])


def _described(field: ma.fields.Field, description: str) -> ma.fields.Field:
    field.metadata = {**field.metadata, "description": description}
    return field


def _id(value: str) -> int | None:
    """An agency id: ASCII digits within the id range (a longer number can match no id)."""
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 10 and int(value) < 2**31 else None


def _agency(values: list[str]) -> Expression:
    ids = [_id(v) for v in values if _id(v) is not None]
    names = [v for v in values if _id(v) is None]
    return disjunction(([Agency.id.in_(ids)] if ids else []) + ([Agency.name.in_(names)] if names else []))


def _region(values: list[str]) -> Expression:
    return disjunction([Agency.region.startswith(v) for v in values])


def _substring(value: str) -> Expression:
    # instr/strpos: a plain substring test, with no LIKE wildcards to escape
    return fn.INSTR(Agency.name, value) > 0 if _sqlite() else fn.STRPOS(Agency.name, value) > 0


SEARCH_HOW = ("Chinese is matched by overlapping character pairs (复议; 行政复议 asks for 行政, 政复 and 复议), "
              "a single character by itself (税), other words and numbers whole; every word of the query must "
              "be found (in one document). Width and case are folded.")


def search_field(description: str) -> ma.fields.Field:
    """``q`` as full-text search (``models/search.py``): free text, as the ``q`` filter takes."""
    return _described(text(200, in_list=False), description)


def _sqlite() -> bool:
    from models.db import is_sqlite

    return is_sqlite()


FILTERS: dict[str, Filter] = {
    "agency": Filter(lambda: any_of(text(200), description="Agency id or exact name."), _agency),
    "q": Filter(lambda: _described(text(200, in_list=False), "A substring of the agency name."), _substring),
    "region": Filter(lambda: any_of(text(100),
                                    description="Region (administrative divisions read from the agency name, "
                                                "e.g. 晋江市); a region includes the regions within it."), _region),
    "year": Filter(lambda: any_of(ma.fields.Integer(strict=False, validate=ma.validate.Range(1990, 2100)),
                                  description="Report year."), lambda v: Report.year.in_(v)),
    "year_from": Filter(lambda: ma.fields.Integer(validate=ma.validate.Range(1990, 2100),
                                                  metadata={"description": "Report year at least."}),
                        lambda v: Report.year >= v),
    "year_to": Filter(lambda: ma.fields.Integer(validate=ma.validate.Range(1990, 2100),
                                                metadata={"description": "Report year at most."}),
                      lambda v: Report.year <= v),
    "layout": Filter(lambda: any_of(ma.fields.String(), list(LAYOUTS), "Table layout (2019 or 2021)."),
                     lambda v: Report.layout.in_(v)),
    "report": Filter(lambda: any_of(ma.fields.Integer(validate=ma.validate.Range(1, 2**31 - 1)),
                                    description="Report id (any revision)."), lambda v: Report.id.in_(v)),
    "updated_since": Filter(lambda: Moment(metadata={"description": (
        "Changes since (an RFC 3339 date-time or a date, UTC without a zone): the rows of revisions loaded at "
        "or after it, and of every agency-year in which a report was retracted at or after it (with "
        "revisions=all the retracted report too, its retracted_at set; with the default revisions=current the "
        "revision current now).")}), _updated_since),
    "table": Filter(lambda: any_of(ma.fields.String(), TABLE_KEYS, "Table key."), lambda v: Cell.table_key.in_(v)),
    "row": Filter(lambda: RowKeys(metadata={"description": RowKeys.__doc__.replace("\n   ", "")
                                            + " Comma-separated values mean any of."}),
                  lambda v: Cell.row_key.in_(v)),
    "column": Filter(lambda: any_of(ma.fields.String(), COLUMN_KEYS, "Column key."),
                     lambda v: Cell.column_key.in_(v)),
    "value_gte": Filter(lambda: ma.fields.Decimal(allow_nan=False, metadata={"description": "Value at least."}),
                        lambda v: Cell.value >= v),
    "value_lte": Filter(lambda: ma.fields.Decimal(allow_nan=False, metadata={"description": "Value at most."}),
                        lambda v: Cell.value <= v),
    "status": Filter(lambda: any_of(ma.fields.String(), list(STATUSES), "Cell status (ocr: a number read by OCR "
                                    "from a page image; illegible: printed in one but not read with confidence)."),
                     lambda v: Cell.status.in_(v)),
    "rule": Filter(lambda: any_of(ma.fields.String(), list(RULES), "Finding rule."),
                   lambda v: Finding.rule.in_(v)),
}

REPORT_FILTERS = ("agency", "q", "region", "year", "year_from", "year_to", "layout", "report", "updated_since")
CELL_FILTERS = (*REPORT_FILTERS, "table", "row", "column", "value_gte", "value_lte", "status")
FINDING_FILTERS = (*REPORT_FILTERS, "rule")


def revisions_field() -> ma.fields.Field:
    return ma.fields.String(load_default="current", validate=ma.validate.OneOf(["current", "all"]), metadata={
        "description": "current (default): only the current revision of each agency-year; all: every revision."})


def filter_fields(names: tuple[str, ...]) -> dict[str, ma.fields.Field]:
    fields = {name: FILTERS[name].field() for name in names}
    fields["revisions"] = revisions_field()
    return fields


def apply_filters(query, args: dict, names: tuple[str, ...], walk=None):
    """Add the condition of each filter given in ``args``, and keep current revisions
    unless ``revisions=all`` or a report is named. In a cursor ``walk`` (``api.paging``)
    the revisions are those current at its snapshot, which the walk's pages select."""
    for name in names:
        if args.get(name) is not None:
            query = query.where(FILTERS[name].condition(args[name]))
    if walk is None and args.get("revisions", "current") == "current" and not args.get("report"):
        query = query.where(Report.is_current == True)  # noqa: E712 (peewee expression)
    return query
