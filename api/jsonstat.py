"""JSON-stat 2.0 (https://json-stat.org/format/): a page of records as one dataset.

Each dimension's categories are the values met on the page, in the order met; the
values are sparse (an object from the flat index to the value), since a page of
cells fills only part of the cube. Null values keep their cell status in ``status``.
The page's paging sits in ``extension.meta``, as in the JSON envelope."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from apispec import BasePlugin

from models.decimals import to_decimal

ROLES = {"time": ("year",), "geo": ("region",), "metric": ("metric", "indicator")}


@dataclass(frozen=True)
class Dimension:
    id: str
    label: str
    field: str  # the record field that holds the category id
    category_label: Callable[[dict], str] | None = None  # the category's label, from a record
    category_unit: Callable[[dict], str | None] | None = None  # a measure's unit, from a record (role metric)


def dataset(records: list[dict], dimensions: list[Dimension], label: str, meta: dict,
            value: str = "value", status: str | None = None, extension: dict | None = None) -> dict:
    index: dict[str, dict[str, int]] = {d.id: {} for d in dimensions}
    labels: dict[str, dict[str, str]] = {d.id: {} for d in dimensions}
    units: dict[str, dict[str, dict]] = {d.id: {} for d in dimensions if d.category_unit}
    positions = []
    for record in records:
        position = []
        for d in dimensions:
            category = "" if record.get(d.field) is None else str(record[d.field])
            if category not in index[d.id]:
                index[d.id][category] = len(index[d.id])
                labels[d.id][category] = d.category_label(record) if d.category_label else category
                if d.category_unit and (unit := d.category_unit(record)):
                    units[d.id][category] = {"label": unit}
            position.append(index[d.id][category])
        positions.append(position)
    size = [len(index[d.id]) for d in dimensions]  # an empty page: 0 categories, size 0, no value
    values, statuses = {}, {}
    for record, position in zip(records, positions, strict=True):
        flat = 0
        for i, size_i in zip(position, size, strict=True):
            flat = flat * size_i + i
        values[str(flat)] = _number(record.get(value))
        if status and record.get(value) is None and record.get(status):
            statuses[str(flat)] = record[status]
    body = {
        "version": "2.0", "class": "dataset", "label": label,
        **({"updated": updated.strftime("%Y-%m-%dT%H:%M:%SZ")} if (updated := _updated()) else {}),
        "id": [d.id for d in dimensions], "size": size,
        "dimension": {d.id: {"label": d.label, "category": {"index": index[d.id], "label": labels[d.id],
                                                            **({"unit": units[d.id]} if units.get(d.id) else {})}}
                      for d in dimensions},
        "value": values,
        "extension": {"meta": meta, **(extension or {})},
    }
    roles = {role: [d.id for d in dimensions if d.id in ids or (role == "metric" and d.category_unit)]
             for role, ids in ROLES.items()}  # a dimension whose categories carry units is a metric
    if any(roles.values()):
        body["role"] = {role: ids for role, ids in roles.items() if ids}
    if statuses:
        body["status"] = statuses
    return body


def _updated() -> datetime | None:
    """When the data last changed (the response's Last-Modified): the same body for the
    same data, so its ETag holds."""
    from flask import g, has_app_context

    from models.schema import data_changed_at, data_version

    known = getattr(g, "last_modified", None) if has_app_context() else None
    return known or data_changed_at(data_version())


def _number(value):
    """A value as it is (a Decimal is written as an exact JSON number)."""
    if value is None or isinstance(value, int | float | Decimal):
        return value
    return to_decimal(value)


def _codebook_label(kind: str) -> Callable[[dict], str]:
    """The English label of a table, row or column key (of the record's table when it
    names one; a key shared by tables takes the first table's label otherwise)."""
    from models.codebook import codebook

    def label(record: dict) -> str:
        key = record[kind]
        tables = codebook().tables
        if kind == "table":
            return tables[key].en if key in tables else key
        order = [tables[record["table"]]] if record.get("table") in tables else list(tables.values())
        for table in order:
            items = table.rows if kind == "row" else table.columns
            if key in items:
                return items[key].en
        return key

    return label


# The dimensions records of /v1/cells, /v1/aggregates and /v1/indicators can have.
DIMENSIONS = {
    "report": Dimension("report", "Report", "report_id", lambda r: f"{r['agency_name']} {r['year']}"),
    "agency": Dimension("agency", "Agency", "agency_id", lambda r: r["agency_name"]),
    "region": Dimension("region", "Region", "region"),
    "year": Dimension("year", "Year", "year"),
    "layout": Dimension("layout", "Table layout", "layout"),
    "table": Dimension("table", "Table", "table", _codebook_label("table")),
    "row": Dimension("row", "Row", "row", _codebook_label("row")),
    "column": Dimension("column", "Column", "column", _codebook_label("column")),
}


def _column_unit(record: dict) -> str | None:
    from models.codebook import column_units

    return column_units().get(record["column"])


# The column dimension of a dataset of cells: each column's unit (万元, 元 or count).
COLUMN_WITH_UNIT = Dimension("column", "Column", "column", _codebook_label("column"), _column_unit)


# --- OpenAPI ------------------------------------------------------------------------

# What a JSON-stat 2.0 dataset holds, for the OpenAPI document.
SCHEMA = {
    "type": "object", "description": "A JSON-stat 2.0 dataset (https://json-stat.org/format/).",
    "required": ["version", "class", "id", "size", "dimension", "value"],
    "properties": {
        "version": {"type": "string", "enum": ["2.0"]}, "class": {"type": "string", "enum": ["dataset"]},
        "label": {"type": "string"}, "updated": {"type": "string"},
        "id": {"type": "array", "items": {"type": "string"}},
        "size": {"type": "array", "items": {"type": "integer"}},
        "role": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
        "dimension": {"type": "object", "additionalProperties": {"type": "object"}},
        "value": {"type": "object", "additionalProperties": {"type": ["number", "null"]}},
        "status": {"type": "object", "additionalProperties": {"type": "string"}},
        "extension": {"type": "object"},
    },
}
MARK = "x-jsonstat"  # put on an operation by ``@blp.doc(**OFFERED)``; the plugin below reads it
OFFERED = {MARK: True}


class OpenAPIPlugin(BasePlugin):
    """An apispec plugin: an operation marked as offering JSON-stat answers 200 with
    its list schema or a JSON-stat dataset (``oneOf``), both as application/json."""

    def init_spec(self, spec):
        spec.components.schema("JsonStatDataset", SCHEMA)

    def operation_helper(self, path=None, operations=None, **kwargs):
        for operation in (operations or {}).values():
            if isinstance(operation, dict) and operation.pop(MARK, False):
                responses = operation["responses"]
                content = responses.get(200, responses.get("200"))["content"]["application/json"]
                content["schema"] = {"oneOf": [content["schema"], {"$ref": "#/components/schemas/JsonStatDataset"}]}
