"""Keeping ``cell_rollup`` in step with the current revisions' cells.

A store changes the rollup by deltas: a report's cells added, the revision it
replaces taken away. Alone, a store writes its deltas in its own transaction. In a
bulk load (``batch()``) the deltas of many reports are summed in memory and written
once, inside the load's transaction, before it commits: one upsert per rollup row
instead of one per cell.

Totals are exact: deltas are summed in ``Decimal`` never rounded (``decimals.SUMS``), and
the upsert adds them exactly (NUMERIC on PostgreSQL, ``exact_add`` on SQLite). A cell
value longer than a count or amount can be is refused (``NumberOutOfBounds``): the
store's transaction rolls back, and nothing of the report is stored."""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal
from functools import cache

from peewee import EXCLUDED, PostgresqlDatabase, fn
from peewee import __exception_wrapper__ as db_errors
from psycopg2.extras import execute_values

from models.cell import Cell
from models.db import database
from models.decimals import FRACTION_DIGITS, INTEGER_DIGITS, SUMS, check, digits
from models.fields import exact_add, exact_sum
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
                 CellRollup.total: exact_add(CellRollup.total, EXCLUDED.total)}))
    return query.sql()[0].split(" RETURNING ")[0]


Delta = tuple  # (year, layout, table, row, column, cells, values, total)
_pending: ContextVar[dict | None] = ContextVar("rollup_pending", default=None)


def deltas(year: int, layout: str, cells: Iterable[tuple[str, str, str, Decimal | None]], sign: int = 1) -> list:
    """The rollup deltas of adding (sign 1) or taking away (sign -1) cells (table, row, column, value).
    A value that is not finite or too long is refused (``NumberOutOfBounds``, naming the cell)."""
    out = []
    append = out.append
    for t, r, c, v in cells:
        if v is None:
            append((year, layout, t, r, c, sign, 0, Decimal(0)))
            continue
        if type(v) is not Decimal or not v.is_finite() or _too_long(digits(v)):
            v = check(v, f"cell {t}/{r}/{c}")  # refused with its name, or made a Decimal
        append((year, layout, t, r, c, sign, sign, v if sign == 1 else SUMS.multiply(sign, v)))  # 1 × v is v
    return out


def _too_long(d: tuple[int, int]) -> bool:
    return d[0] > INTEGER_DIGITS or d[1] > FRACTION_DIGITS


def report_deltas(report: Report, sign: int = -1) -> list:
    cells = Cell.select(Cell.table_key, Cell.row_key, Cell.column_key, Cell.value).where(Cell.report == report)
    return deltas(report.year, report.layout, cells.tuples(), sign)


def batching() -> bool:
    return _pending.get() is not None


def stash(rows: list) -> None:
    """Keep deltas for the batch's single write (call once the report is stored)."""
    _pending.get().extend(rows)


@contextmanager
def batch() -> Iterator[None]:
    """Keep the deltas of the stores inside and write them, summed, on the way out (to
    be used inside the transaction that holds those stores)."""
    token = _pending.set([])
    try:
        yield
        apply(_pending.get())
    finally:
        _pending.reset(token)


def apply(rows: Iterable[Delta]) -> None:
    """Write deltas to the rollup, summed by rollup row first (a revision takes its
    predecessor's cells away and adds its own: the same rows twice)."""
    summed: dict = {}
    add = SUMS.add
    for row in rows:  # (*key, cells, values, total)
        key = row[:5]
        entry = summed.get(key)
        if entry is None:
            summed[key] = [row[5], row[6], add(Decimal(0), row[7])]
        else:
            entry[0] += row[5]
            entry[1] += row[6]
            entry[2] = add(entry[2], row[7])
    rows = [key + tuple(entry) for key, entry in summed.items() if any(entry)]
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


def rebuild_rollups() -> int:
    """Rebuild the rollup from the cells of current revisions; returns its rows."""
    with database.atomic():
        CellRollup.delete().execute()
        query = (Cell.select(Report.year, Report.layout, Cell.table_key, Cell.row_key, Cell.column_key,
                             fn.COUNT(Cell.id), fn.COUNT(Cell.value), fn.COALESCE(exact_sum(Cell.value), 0))
                 .join(Report).where(Report.is_current == True)  # noqa: E712
                 .group_by(Report.year, Report.layout, Cell.table_key, Cell.row_key, Cell.column_key))
        CellRollup.insert_from(query, list(FIELDS)).execute()
    return CellRollup.select().count()
