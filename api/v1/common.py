"""What several endpoints share: argument schemas, documented responses, records."""
from __future__ import annotations

import json

from marshmallow import Schema

from api.errors import PROBLEM, ProblemSchema
from api.filters import filter_fields
from api.lists import list_fields
from api.paging import FieldsField, field_names, paging_fields
from models import Finding

CSV_DOC = {"responses": {200: {"content": {"text/csv": {"schema": {"type": "string"}},  # streamed forms
                                           "application/x-ndjson": {"schema": {"type": "string"}}}}}}
JSONSTAT_NOTE = ("\n\nWith ``format=jsonstat`` the page is one JSON-stat 2.0 dataset (sparse values; "
                 "paging in ``extension.meta``) instead of the list envelope.")


def list_args(name: str, filters: tuple[str, ...], sortable, jsonstat: bool = False,
              item: type[Schema] | None = None, **extra) -> type[Schema]:
    """The query schema of a list endpoint: its filters, paging (offset or cursor),
    sorting, format and (for records of ``item``) field selection."""
    return Schema.from_dict({**filter_fields(filters), **list_fields(sortable, jsonstat), **paging_fields(item),
                             **extra}, name=name)


def fields_args(name: str, item: type[Schema]) -> type[Schema]:
    """The query schema of a single resource: ``fields``."""
    return Schema.from_dict({"fields": FieldsField(field_names(item))}, name=name)


def not_found(blp):
    return blp.alt_response(404, schema=ProblemSchema, content_type=PROBLEM, description="No such record.")


def gone(blp):
    """The 410 of a cursor walk the data changed under."""
    return blp.alt_response(410, schema=ProblemSchema, content_type=PROBLEM, description=(
        "The data changed since the cursor's walk began in a way it cannot honour (a retraction; for "
        "aggregates and indicators any write): start again from the first page (Link rel=first)."))


def not_modified(blp):
    return blp.alt_response(304, description="Not modified: the ETag in If-None-Match is current.")


def finding_record(f: Finding, agency_id: int, agency_name: str, year: int) -> dict:
    return {"id": f.id, "report_id": f.report_id, "agency_id": agency_id, "agency_name": agency_name, "year": year,
            "rule": f.rule, "table": f.table_key, "row": f.row_key, "column": f.column_key,
            "cells": json.loads(f.cells), "expected": f.expected, "printed": f.printed, "message": f.message,
            "location": f.location}


def named_cells(finding: dict) -> list[str]:
    """The cells (table/row/column) a finding record is about: its ``cells``, or the one
    cell its table, row and column name (an ``ocr.low_confidence`` finding's)."""
    if finding["cells"]:
        return finding["cells"]
    keys = (finding["table"], finding["row"], finding["column"])
    return ["/".join(keys)] if all(keys) else []
