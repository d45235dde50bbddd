"""Keeping ``cell_rollup`` in step with the current revisions' cells."""
from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from functools import cache

from peewee import EXCLUDED, PostgresqlDatabase, fn
from peewee import __exception_wrapper__ as db_errors
from psycopg2.extras import execute_values

from models.cell import Cell
from models.db import database
from models.report import Report
from models.rollup import CellRollup

KEY = (CellRollup.year, CellRollup.layout, CellRollup.table_key, CellRollup.row_key, CellRollup.column_key)
FIELDS = (*KEY, CellRollup.cells, CellRollup.values, CellRollup.total)


@cache
def _upsert_sql(backend: type) -> str:
    query = (CellRollup.insert_many([tuple(None for _ in FIELDS)], fields=list(FIELDS))
             .on_conflict(conflict_target=list(KEY), update={
                 CellRollup.cells: CellRollup.cells + EXCLUDED.cells,
                 CellRollup.values: CellRollup.values + EXCLUDED.values,
                 CellRollup.total: CellRollup.total + EXCLUDED.total}))
    return query.sql()[0].split(" RETURNING ")[0]


def add_cells(year: int, layout: str, cells: Iterable[tuple[str, str, str, Decimal | None]], sign: int = 1) -> None:
    """Add (sign 1) or take away (sign -1) a report's cells: (table, row, column, value)."""
    rows = [(year, layout, t, r, c, sign, sign if v is not None else 0, sign * v if v is not None else Decimal(0))
            for t, r, c, v in cells]
    if not rows:
        return
    sql = _upsert_sql(type(database.obj))
    with db_errors:
        cursor = database.cursor()
        if isinstance(database.obj, PostgresqlDatabase):
            head, rest = sql.split(" VALUES ", 1)
            template, tail = rest.split(") ", 1)
            execute_values(cursor, f"{head} VALUES %s {tail}", rows, template=template + ")", page_size=1000)
        else:
            cursor.executemany(sql, rows)


def remove_report(report: Report) -> None:
    """Take a report that stops being current out of the rollup."""
    cells = Cell.select(Cell.table_key, Cell.row_key, Cell.column_key, Cell.value).where(Cell.report == report)
    add_cells(report.year, report.layout, cells.tuples(), sign=-1)


def rebuild_rollups() -> int:
    """Rebuild the rollup from the cells of current revisions; returns its rows."""
    with database.atomic():
        CellRollup.delete().execute()
        query = (Cell.select(Report.year, Report.layout, Cell.table_key, Cell.row_key, Cell.column_key,
                             fn.COUNT(Cell.id), fn.COUNT(Cell.value), fn.COALESCE(fn.SUM(Cell.value), 0))
                 .join(Report).where(Report.is_current == True)  # noqa: E712
                 .group_by(Report.year, Report.layout, Cell.table_key, Cell.row_key, Cell.column_key))
        CellRollup.insert_from(query, list(FIELDS)).execute()
    return CellRollup.select().count()
