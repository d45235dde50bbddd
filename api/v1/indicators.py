"""Indicators: rates over the cells (disclosure, withholding, corrections …), with their
definitions. How they are computed is in ``api/indicators.py``."""
from __future__ import annotations

import marshmallow as ma
from webargs.fields import DelimitedList

from api import schemas
from api.base import Blueprint
from api.filters import REPORT_FILTERS
from api.indicators import FIELDS, GROUPS, INDICATORS, RATE_MINIMUM, indicators_query
from api.jsonstat import DIMENSIONS, Dimension, dataset
from api.jsonstat import OFFERED as jsonstat_doc
from api.lists import json_response, order, refuse_ungrouped_sort, respond
from api.paging import Walker
from api.v1.common import CSV_DOC, JSONSTAT_NOTE, gone, list_args, not_modified

blp = Blueprint("indicators", __name__, url_prefix="/v1/indicators",
                description="Rates over the cells, with written definitions.")

IndicatorArgs = list_args(
    "IndicatorArgs", REPORT_FILTERS, FIELDS, jsonstat=True, item=schemas.Indicator,
    indicator=DelimitedList(ma.fields.String(validate=ma.validate.OneOf(list(INDICATORS))),
                            validate=ma.validate.Length(min=1, max=len(INDICATORS)), metadata={
                                "description": "Indicators to compute (default: all): " + ", ".join(INDICATORS)
                                + ". Comma-separated."}),
    group_by=DelimitedList(ma.fields.String(validate=ma.validate.OneOf(list(GROUPS))), load_default=[],
                           validate=ma.validate.Length(max=len(GROUPS)),
                           metadata={"description": "Group by any of: " + ", ".join(GROUPS) + ". Comma-separated."}),
    min_denominator=ma.fields.Integer(validate=ma.validate.Range(1, 2**31 - 1), metadata={
        "description": f"Overrides each indicator's minimum denominator (rates: {RATE_MINIMUM}; "
                      "requests_per_agency: 1 report). Below it the value is null."}),
)
WALK = Walker("indicators")  # computed per request: offset pages under the data version


@blp.route("")
@blp.arguments(IndicatorArgs, location="query", as_kwargs=False)
@blp.response(200, schemas.IndicatorList)
@blp.doc(**CSV_DOC, **jsonstat_doc)
@not_modified(blp)
@gone(blp)
def list_indicators(args):
    """Indicators by group

    The report filters of /v1/reports, ``group_by`` (agency, region, year, layout)
    and ``indicator``. Each value is the group's numerators summed over its
    denominators summed, from the reports that print every cell of both
    (``reports``; the others are ``excluded``). Null below the minimum denominator.
    Definitions: /v1/indicators/definitions."""
    query, columns, groups = indicators_query(args)
    refuse_ungrouped_sort(args, columns)
    return respond(order(query.dicts(), args, {**columns, "reports_count": columns["reports"]}, groups), args,
                   _records, [*columns, "reports_count"],
                   jsonstat=lambda page, meta: jsonstat(page, meta, args), walk=WALK.start(args))


list_indicators.__doc__ += JSONSTAT_NOTE


def _records(rows: list[dict]) -> list[dict]:
    for row in rows:  # a ratio as a float rounded to 6 places (the sums are exact)
        if row["value"] is not None:
            row["value"] = round(float(row["value"]), 6)
        for name in ("reports", "excluded"):
            row[name] = int(row[name])
        row["reports_count"] = row["reports"]  # one vocabulary: a count is <things>_count
    return rows


def jsonstat(records: list[dict], meta: dict, args: dict) -> dict:
    dimensions = [DIMENSIONS[group] for group in dict.fromkeys(args["group_by"])]
    dimensions.append(Dimension("indicator", "Indicator", "indicator", lambda r: INDICATORS[r["indicator"]].en))
    return dataset(records, dimensions, "Indicators of government information disclosure annual reports", meta,
                   extension={"definitions": {key: INDICATORS[key].describe()
                                              for key in dict.fromkeys(r["indicator"] for r in records)}})


@blp.route("/definitions")
@blp.response(200, schemas.IndicatorDefinition(many=True))
@not_modified(blp)
def list_definitions():
    """Indicator definitions

    What each indicator divides by what, and its minimum denominator."""
    return json_response([indicator.describe() for indicator in INDICATORS.values()])
