"""Schema version 6: decimal columns made exact (``models/decimals.py``).

Before, a cell's value was a binary float on SQLite (REAL affinity) and NUMERIC(24,6)
on PostgreSQL (rounded to 6 places). Each decimal column gets a new exact column,
filled from the old one, which is then dropped. A cell's value is taken from the text
it was printed as (``raw``) when that is a plain number the old storage turned into the
value kept (so ``3664843848.32580008``, kept as ``3664843848.3258``, gets its digits
back); otherwise it is the value kept, in its shortest decimal form. A value that was
not finite (a long number became ``inf``) or is longer than a count or amount can be
becomes null with status ``invalid``. The rollup and the indicators are then made
again from the cells."""
from __future__ import annotations

import logging
import math
import re
from decimal import ROUND_HALF_UP, Decimal

from peewee import PostgresqlDatabase
from psycopg2.extras import execute_values

from models import decimals
from models.db import database
from models.decimals import SUMS, digits, plain, to_decimal

INVALID = "invalid"  # the cell status of a number too long to be a count or amount
_PLAIN = re.compile(r"[+-]?\d{1,40}(\.\d{1,40})?")
_OLD_PG_PLACES = Decimal("0.000001")  # NUMERIC(24,6)
log = logging.getLogger("ogi")


def _printed(raw: str | None) -> Decimal | None:
    """The number ``raw`` prints, if it is a plain one (thousands separators allowed)."""
    if not raw:
        return None
    text = raw.strip().replace(",", "").replace("，", "")
    return Decimal(text) if _PLAIN.fullmatch(text) else None


def _kept_as(printed: Decimal, old, postgres: bool) -> bool:
    """Whether the old storage turned ``printed`` into ``old``."""
    if postgres:
        return printed.quantize(_OLD_PG_PLACES, rounding=ROUND_HALF_UP, context=SUMS) == old
    return float(printed) == float(old)


def exact_value(old, raw: str | None, postgres: bool, bounded: bool = True) -> Decimal | None | str:
    """The exact value of an old one: a Decimal, None, or ``INVALID`` (not finite, or
    longer than a count or amount can be, when ``bounded``)."""
    if old is None:
        return None
    if isinstance(old, float) and not math.isfinite(old):
        return INVALID
    old = to_decimal(old) if postgres else old
    printed = _printed(raw)
    if printed is not None and _kept_as(printed, old, postgres):
        value = printed
    else:
        value = Decimal(plain(to_decimal(old)))
    if bounded:
        before, after = digits(value)
        if before > decimals.INTEGER_DIGITS or after > decimals.FRACTION_DIGITS:
            return INVALID
    return value


def is_exact(table: str, column: str, postgres: bool) -> bool:
    """Whether the column is exact already (made by this code: TEXT, or unbounded NUMERIC)."""
    if postgres:
        row = database.execute_sql(
            "SELECT data_type, numeric_precision FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = %s AND column_name = %s",
            (table, column)).fetchone()
        return row is not None and row[0] == "numeric" and row[1] is None
    return any(c.name == column and c.data_type.upper() == "TEXT" for c in database.get_columns(table))


def _convert_sqlite(table: str, column: str, with_raw: bool) -> int:
    """SQLite: replace ``table.column`` (REAL affinity) by a TEXT column holding the
    exact values, in one UPDATE through a function of this connection; returns how many
    cells became invalid."""
    new = f"{column}_exact"

    def convert(old, raw=None):
        value = exact_value(old, raw, postgres=False, bounded=with_raw)
        return None if value is None or isinstance(value, str) else decimals.storage_text(value)

    database.connection().create_function("ogi_exact_value", 2 if with_raw else 1, convert)
    database.execute_sql(f'ALTER TABLE "{table}" ADD COLUMN "{new}" TEXT')
    arguments = f'"{column}", "raw"' if with_raw else f'"{column}"'
    database.execute_sql(f'UPDATE "{table}" SET "{new}" = ogi_exact_value({arguments}) WHERE "{column}" IS NOT NULL')
    invalid = 0
    if with_raw:  # a value that is not finite or too long: null, with status invalid
        invalid = database.execute_sql(f'UPDATE "{table}" SET "status" = \'{INVALID}\' '
                                       f'WHERE "{column}" IS NOT NULL AND "{new}" IS NULL').rowcount
    database.execute_sql(f'ALTER TABLE "{table}" DROP COLUMN "{column}"')
    database.execute_sql(f'ALTER TABLE "{table}" RENAME COLUMN "{new}" TO "{column}"')
    return invalid


def _convert_postgres(table: str, column: str, with_raw: bool) -> int:
    """PostgreSQL: NUMERIC(24,6) to NUMERIC, exact as it is (trailing zeros of the old
    scale dropped); then the cells whose printed text has more than 6 decimals (those
    the old type rounded) or that are too long, one by one. Returns how many cells
    became invalid."""
    database.execute_sql(f'ALTER TABLE "{table}" ALTER COLUMN "{column}" TYPE NUMERIC USING trim_scale("{column}")')
    if not with_raw:
        return 0
    rows = database.execute_sql(
        f'SELECT "id", "{column}", "raw" FROM "{table}" WHERE "{column}" IS NOT NULL '
        f"AND (\"raw\" ~ '[.][0-9]{{7,}}' OR abs(\"{column}\") >= 1e{decimals.INTEGER_DIGITS})").fetchall()
    updates, bad = [], []
    for key, old, raw in rows:
        value = exact_value(old, raw, postgres=True)
        if isinstance(value, str):
            bad.append((key,))
        elif value != old or str(value) != str(old):
            updates.append((key, value))
    cursor = database.cursor()
    execute_values(cursor, f'UPDATE "{table}" AS t SET "{column}" = v.x FROM (VALUES %s) AS v(id, x) '
                           "WHERE t.id = v.id", updates, template="(%s, %s::numeric)", page_size=1000)
    execute_values(cursor, f'UPDATE "{table}" AS t SET "{column}" = NULL, "status" = \'{INVALID}\' '
                           "FROM (VALUES %s) AS v(id) WHERE t.id = v.id", bad, page_size=1000)
    return len(bad)


def _convert(table: str, column: str, postgres: bool, with_raw: bool) -> int:
    return (_convert_postgres if postgres else _convert_sqlite)(table, column, with_raw)


def migrate_to_exact() -> None:
    """Make the decimal columns exact, then the rollup and the indicators again."""
    from models.indicators import ReportIndicator, rebuild_indicators
    from models.rollup import CellRollup
    from models.rollup_ops import rebuild_rollups

    postgres = isinstance(database.obj, PostgresqlDatabase)
    columns = [("cell", "value"), ("finding", "expected"), ("finding", "printed")]
    if all(is_exact(table, column, postgres) for table, column in columns):
        return  # made exact already (a database created by this code, marked older)
    invalid = _convert("cell", "value", postgres, with_raw=True)
    for column in ("expected", "printed"):
        _convert("finding", column, postgres, with_raw=False)
    database.drop_tables([CellRollup, ReportIndicator])
    database.create_tables([CellRollup, ReportIndicator])
    rebuild_rollups()
    rebuild_indicators()
    if invalid:
        log.warning("exact numbers: %d stored value(s) were not finite or too long to be a count or amount; "
                    "they are null now, with status invalid", invalid)
