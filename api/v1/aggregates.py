"""Aggregates: the cells the filters select, grouped and summed (or counted, averaged …).

Aggregates wrap the same filtered query as /v1/cells. A row group key (``row=denied``)
selects the group's rows, so without ``group_by=row`` their values are summed into
one figure: the group's total (for ``other``, the （六） row and its 2021 children).

Sums are exact on both backends (``models/fields.py``): a Decimal, never a float."""
from __future__ import annotations

import marshmallow as ma
from flask_smorest import abort
from peewee import Case, fn
from webargs.fields import DelimitedList

from api import schemas
from api.base import Blueprint
from api.filters import CELL_FILTERS, apply_filters
from api.jsonstat import COLUMN_WITH_UNIT, DIMENSIONS, Dimension, dataset
from api.jsonstat import OFFERED as jsonstat_doc
from api.lists import order, refuse_ungrouped_sort, respond
from api.paging import Walker
from api.rollups import ROLLUP_GROUPS, filtered, rollup_can_answer
from api.v1.common import CSV_DOC, JSONSTAT_NOTE, gone, list_args, not_modified
from models import Agency, Cell, Report
from models.codebook import codebook, column_units
from models.fields import exact_avg, exact_div, exact_max, exact_min, exact_sum
from models.rollup import CellRollup

blp = Blueprint("aggregates", __name__, url_prefix="/v1/aggregates",
                description="Sums and other metrics over filtered cells, by group.")

GROUPS = {
    "agency": {"agency_id": Agency.id, "agency_name": Agency.name},
    "region": {"region": Agency.region},
    "year": {"year": Report.year},
    "layout": {"layout": Report.layout},
    "table": {"table": Cell.table_key},
    "row": {"row": Cell.row_key},
    "column": {"column": Cell.column_key},
}
METRICS = {"sum": exact_sum, "count": fn.COUNT, "avg": exact_avg, "min": exact_min, "max": exact_max}
OUTPUTS = [name for fields in GROUPS.values() for name in fields] + [
    "value", "cells_count", "values_count", "cells", "values"]
COUNTS = {"cells_count": "cells", "values_count": "values"}  # one vocabulary: a count is <things>_count

AggregateArgs = list_args(
    "AggregateArgs", CELL_FILTERS, OUTPUTS, jsonstat=True, item=schemas.Aggregate,
    group_by=DelimitedList(ma.fields.String(validate=ma.validate.OneOf(list(GROUPS))), load_default=[],
                           validate=ma.validate.Length(max=len(GROUPS)),
                           metadata={"description": "Group by any of: " + ", ".join(GROUPS) + ". Comma-separated."}),
    metric=ma.fields.String(load_default="sum", validate=ma.validate.OneOf(list(METRICS)),
                            metadata={"description": "sum (default), count (of values), avg, min or max."}),
)
WALK = Walker("aggregates")  # computed per request: offset pages under the data version


UNIT_OF = column_units()


def selected_units(args: dict) -> set[str]:
    """The units of the columns the filters may select (table, row and column filters)."""
    tables = args.get("table") or list(codebook().tables)
    rows = set(args.get("row") or [])
    units = set()
    for key in tables:
        for column_key, column in codebook().tables[key].columns.items():
            if args.get("column") and column_key not in args["column"]:
                continue
            if rows and column.rows is not None and not rows & set(column.rows):
                continue
            if rows and not rows & set(codebook().tables[key].rows):
                continue
            units.add(UNIT_OF[column_key])
    return units


def rollup_query(args: dict):
    outputs = {group: ROLLUP_GROUPS[group] for group in dict.fromkeys(args["group_by"])}
    values = fn.SUM(CellRollup.values)
    metric = values  # count
    if args["metric"] == "sum":  # a group whose cells are all null sums to null, as in the cells
        metric = exact_sum(Case(None, [(CellRollup.values > 0, CellRollup.total)], None))
    elif args["metric"] == "avg":
        metric = exact_div(exact_sum(CellRollup.total), values)
    columns = {**outputs, "value": metric, "cells": fn.SUM(CellRollup.cells), "values": values}
    query = filtered(CellRollup.select(*[expr.alias(name) for name, expr in columns.items()]), args)
    return query.group_by(*outputs.values()).having(fn.SUM(CellRollup.cells) > 0), columns, list(outputs.values())


def cells_query(args: dict):
    outputs = {name: expr for group in dict.fromkeys(args["group_by"]) for name, expr in GROUPS[group].items()}
    metric = METRICS[args["metric"]](Cell.value)
    columns = {**outputs, "value": metric, "cells": fn.COUNT(Cell.id), "values": fn.COUNT(Cell.value)}
    query = Cell.select(*[expr.alias(name) for name, expr in columns.items()]).join(Report).join(Agency)
    query = apply_filters(query, args, CELL_FILTERS).group_by(*outputs.values()).having(fn.COUNT(Cell.id) > 0)
    return query, columns, list(outputs.values())  # no cells, no group: the rollup agrees


@blp.route("")
@blp.arguments(AggregateArgs, location="query", as_kwargs=False)
@blp.response(200, schemas.AggregateList)
@blp.doc(**CSV_DOC, **jsonstat_doc)
@not_modified(blp)
@gone(blp)
def list_aggregates(args):
    """Aggregate cells

    The filters of /v1/cells, then ``group_by`` and ``metric``. Null cells are left
    out of every metric (``values`` counts the cells that have one). Sums, counts and
    averages of current revisions by year, layout, table, row and column are read
    from a rollup kept at load time; anything else from the cells."""
    query, columns, groups = rollup_query(args) if rollup_can_answer(args) else cells_query(args)
    columns = {**columns, **{alias: columns[name] for alias, name in COUNTS.items()}}
    refuse_ungrouped_sort(args, columns)
    units = selected_units(args)
    by_column = "column" in args["group_by"]
    if args["metric"] != "count" and len(units) > 1 and not by_column:
        abort(400, message=f"the cells selected are in different units ({', '.join(sorted(units))}): "
                           "a sum over them would mean nothing; filter by column, or group_by=column",
              invalid_params=[{"name": "column", "reason": "selects cells of more than one unit"}])

    def records(page: list[dict]) -> list[dict]:  # each figure with its unit (a count's unit is ``count``)
        only = next(iter(units)) if len(units) == 1 else None
        return [{**r, **{alias: r[name] for alias, name in COUNTS.items()},
                 "unit": "count" if args["metric"] == "count" else UNIT_OF[r["column"]] if by_column else only}
                for r in page]

    return respond(order(query.dicts(), args, columns, groups), args, records, [*columns, "unit"],
                   jsonstat=lambda page, meta: jsonstat(page, meta, args), walk=WALK.start(args))


list_aggregates.__doc__ += JSONSTAT_NOTE


def jsonstat(records: list[dict], meta: dict, args: dict) -> dict:
    """A page of aggregates as a JSON-stat dataset: a dimension per group, and the metric."""
    metric = args["metric"]
    rows = [{**record, "metric": metric} for record in records]
    by_column = "column" in args["group_by"] and metric != "count"  # each column's figures in its own unit
    dimensions = [COLUMN_WITH_UNIT if group == "column" and by_column else DIMENSIONS[group]
                  for group in dict.fromkeys(args["group_by"])]
    dimensions.append(Dimension("metric", "Metric", "metric", None,
                                None if by_column else lambda record: record.get("unit")))
    return dataset(rows, dimensions, f"{metric} of the cells of government information disclosure annual reports",
                   meta)
