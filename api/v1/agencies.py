"""Agencies, with the years they reported and headline numbers per year."""
from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from flask_smorest import abort
from marshmallow import Schema

from api import schemas
from api.base import Blueprint
from api.filters import FILTERS, ROW_GROUPS
from api.lists import json_response, list_fields, order, respond
from api.paging import Walker, paging_fields, project
from api.v1.common import CSV_DOC, fields_args, gone, not_found, not_modified
from models import Agency, Cell, Report

blp = Blueprint("agencies", __name__, url_prefix="/v1/agencies", description="Publishing agencies.")

SORT = {"id": Agency.id, "name": Agency.name, "region": Agency.region}
AgencyArgs = Schema.from_dict(
    {name: FILTERS[name].field() for name in ("agency", "q", "region", "year")} | list_fields(SORT)
    | paging_fields(schemas.Agency), name="AgencyArgs")
WALK = Walker("agencies", (Agency.id,), lambda a: (a.id,), "agencies")
AgencyFields = fields_args("AgencyFields", schemas.AgencyDetail)

HEADLINE = {
    "requests_received": [("requests", "new_received", "total")],
    "requests_handled": [("requests", "total_processed", "total")],
    "requests_withheld": [("requests", row, "total") for row in ROW_GROUPS["denied"]],
    "reconsideration_total": [("review_litigation", "review", "total")],
    "litigation_total": [("review_litigation", "litigation_direct", "total"),
                         ("review_litigation", "litigation_after_review", "total")],
}


def _years(agency_ids: list[int]) -> dict[int, list[int]]:
    years = defaultdict(list)
    rows = (Report.select(Report.agency, Report.year).where(Report.agency.in_(agency_ids), Report.is_current == True)  # noqa: E712
            .order_by(Report.year).tuples())
    for agency_id, year in rows:
        years[agency_id].append(year)
    return years


def _records(agencies: list[Agency]) -> list[dict]:
    years = _years([a.id for a in agencies])
    return [{"id": a.id, "name": a.name, "region": a.region, "years": years.get(a.id, [])} for a in agencies]


@blp.route("")
@blp.arguments(AgencyArgs, location="query", as_kwargs=False)
@blp.response(200, schemas.AgencyList)
@blp.doc(**CSV_DOC)
@not_modified(blp)
@gone(blp)
def list_agencies(args):
    """List agencies

    Filter by id or name (``agency``), name substring (``q``), ``region`` or the
    ``year`` of a report; CSV with ``format=csv``."""
    query = Agency.select()
    for name in ("agency", "q", "region"):
        if args.get(name) is not None:
            query = query.where(FILTERS[name].condition(args[name]))
    if args.get("year"):
        query = query.where(Agency.id.in_(Report.select(Report.agency).where(Report.year.in_(args["year"]))))
    return respond(order(query, args, SORT, [Agency.id]), args, _records, ["id", "name", "region", "years"],
                   walk=WALK.start(args))


def headline(values: dict[tuple, Decimal | None]) -> dict:
    """Each headline number is the sum of its cells, or null when any of them is null."""
    out = {}
    for name, keys in HEADLINE.items():
        parts = [values.get(k) for k in keys]
        out[name] = None if any(p is None for p in parts) else sum(parts, Decimal(0))
    return out


@blp.route("/<int(max=2147483647):agency_id>")
@blp.arguments(AgencyFields, location="query", as_kwargs=False)
@blp.response(200, schemas.AgencyDetail)
@not_found(blp)
@not_modified(blp)
def get_agency(args, agency_id):
    """One agency, with the headline numbers of each year's current report

    ``fields`` picks what to return (``fields=name,reports``)."""
    agency = Agency.get_or_none(Agency.id == agency_id) or abort(404, message=f"no agency {agency_id}")
    return json_response(project([agency_document(agency)], args.get("fields"))[0])


def agency_document(agency: Agency) -> dict:
    reports = list(Report.select().where(Report.agency == agency, Report.is_current == True)  # noqa: E712
                   .order_by(Report.year))
    wanted = {k for keys in HEADLINE.values() for k in keys}
    values: dict[int, dict] = defaultdict(dict)
    cells = Cell.select(Cell.report, Cell.table_key, Cell.row_key, Cell.column_key, Cell.value).where(
        Cell.report.in_([r.id for r in reports]), Cell.column_key == "total",
        Cell.row_key.in_([row for _, row, _ in wanted]))
    for c in cells:
        values[c.report_id][(c.table_key, c.row_key, c.column_key)] = c.value
    return {"id": agency.id, "name": agency.name, "region": agency.region, "years": [r.year for r in reports],
            "reports": [{"year": r.year, "report_id": r.id, "layout": r.layout, "revision": r.revision,
                         "headline": headline(values[r.id]),
                         "cells": {"/".join(k): values[r.id].get(k) for k in sorted(wanted)}} for r in reports]}
