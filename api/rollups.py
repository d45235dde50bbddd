"""What ``cell_rollup`` can answer, and the queries that read it (national aggregates,
and the total of /v1/cells)."""
from __future__ import annotations

from flask import current_app
from peewee import fn

from api.filters import CELL_FILTERS
from models.rollup import CellRollup

# What the rollup (current revisions summed by year, layout, table, row, column) can answer.
ROLLUP_GROUPS = {"year": CellRollup.year, "layout": CellRollup.layout, "table": CellRollup.table_key,
                 "row": CellRollup.row_key, "column": CellRollup.column_key}
ROLLUP_FILTERS = {
    "year": lambda v: CellRollup.year.in_(v), "year_from": lambda v: CellRollup.year >= v,
    "year_to": lambda v: CellRollup.year <= v, "layout": lambda v: CellRollup.layout.in_(v),
    "table": lambda v: CellRollup.table_key.in_(v), "row": lambda v: CellRollup.row_key.in_(v),
    "column": lambda v: CellRollup.column_key.in_(v),
}


def rollup_can_answer(args: dict) -> bool:
    """Whether the rollup holds the answer: current revisions, filtered and grouped
    only by year, layout, table, row and column, and a sum, count or average."""
    given = {name for name in CELL_FILTERS if args.get(name) is not None}
    return (current_app.config["ROLLUPS"] and args.get("metric", "sum") in ("sum", "count", "avg")
            and args.get("revisions", "current") == "current" and given <= set(ROLLUP_FILTERS)
            and set(args.get("group_by", [])) <= set(ROLLUP_GROUPS))


def rollup_count(args: dict) -> int:
    """How many cells the filters select (for /v1/cells' total)."""
    return int(filtered(CellRollup.select(fn.COALESCE(fn.SUM(CellRollup.cells), 0)), args).scalar())


def filtered(query, args: dict):
    """``query`` on the rollup, with the conditions of the filters given."""
    for name, condition in ROLLUP_FILTERS.items():
        if args.get(name) is not None:
            query = query.where(condition(args[name]))
    return query
