"""The exact decimal field, and the SQL that sums, orders and compares it exactly on
either backend (see ``models/decimals.py`` for how).

On SQLite an exact number is text (``3664843848.32580008``), and the work is done in
SQL wherever it can be, Python (the ``exact`` functions) only where it must: a sum adds
the short integers (nearly every count) with SQLite's own integer SUM and only the
rest with ``exact_sum``; order and comparison read a non-negative number's text as the
key (digits before the point, then the text without trailing zeros after the point),
which orders exactly as the numbers do, and only a negative one through the ``exact``
collation."""
from __future__ import annotations

from peewee import OP, SQL, Case, Cast, ColumnBase, Expression, Field, NodeList, Ordering, Tuple, Value, fn

from models import decimals
from models.db import is_sqlite
from models.decimals import to_decimal

SHORT_INTEGER = 9  # an integer this many characters long is summed by SQLite itself (never overflows 64 bits)


class Exact(ColumnBase):
    """``node`` ordered and compared as a number: on SQLite, where an exact number is
    text, with the ``exact`` collation (and ``asc``/``desc`` by ``_order_keys``); on
    PostgreSQL as it is."""

    def __init__(self, node):
        self.node = node

    def __sql__(self, ctx):
        ctx.sql(self.node)
        if is_sqlite():
            ctx.literal(" COLLATE exact")
        return ctx

    def asc(self, collation=None, nulls=None):
        return _ordering(self.node, "ASC", nulls)

    def desc(self, collation=None, nulls=None):
        return _ordering(self.node, "DESC", nulls)


def _negative(node):
    """SQLite: whether a number's text is negative: ``-`` sorts before ``.``, digits after it."""
    return node < SQL("'.'")


def _key(node) -> tuple:
    """SQLite: the sort key of a non-negative number's text: (digits before the point,
    the text without trailing zeros after the point). Such keys are in the order of the
    numbers: the longer integer part is the larger, and texts as long before the point
    compare digit by digit."""
    point = fn.instr(node, ".")
    digits = Case(None, [(point > 0, point - 1)], fn.length(node))
    text = Case(None, [(point > 0, fn.rtrim(fn.rtrim(node, "0"), "."))], node)
    return digits, text


def _ordering(node, direction: str, nulls):
    if not is_sqlite():
        return Ordering(node, direction, nulls=nulls)
    negative = _negative(node)
    keys = [Case(None, [(node.is_null(), None), (negative, 0)], 1),  # negatives first (ascending)
            *[Case(None, [(negative, None)], part) for part in _key(node)],
            Exact(Case(None, [(negative, node)], None))]  # negatives among themselves: the collation
    return NodeList([Ordering(key, direction, nulls=nulls) for key in keys], glue=", ")


def _text_key(number) -> tuple:
    text = decimals.storage_text(abs(number))
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return len(text.partition(".")[0]), text


def _exact_compare(node, op: str, number):
    """SQLite: ``node op number``, exact: by the text key for a non-negative number, the
    collation for a negative one."""
    negative = _negative(node)
    exact = Expression(Exact(node), op, Value(number, converter=decimals.comparable, unpack=False))
    if number < 0:  # a non-negative number is above it; a negative one compared by the collation
        return {OP.GT: ~negative | exact, OP.GTE: ~negative | exact, OP.LT: negative & exact,
                OP.LTE: negative & exact, OP.EQ: negative & exact, OP.NE: ~negative | exact}[op]
    by_key = node.is_null(False) & Expression(Tuple(*_key(node)), op, Tuple(*_text_key(number)))
    if op in (OP.LT, OP.LTE, OP.NE):
        return negative | by_key
    return ~negative & by_key


def compare(node, op: str, value):
    """``node op value`` for a number ``value`` (a filter's bound), exact on both backends.

    On SQLite, a row far from the bound is decided by SQLite's own reading of the text
    as a float, with a margin (10^-9 of the bound) a million times wider than that
    reading's error; only a value within the margin (the bound itself, in practice) is
    compared exactly (``_exact_compare``). The float only tells which rows need the
    exact comparison: it decides none that is close."""
    number = decimals.comparable(value)
    if not is_sqlite():
        return Expression(node, op, Value(number, converter=decimals.comparable, unpack=False))
    exact = _exact_compare(node, op, number)
    approx = float(number)
    margin = abs(approx) * 1e-9 + 1e-30
    low, high, real = approx - margin, approx + margin, Cast(node, "REAL")
    if op in (OP.GT, OP.GTE):
        return (real > high) | ((real >= low) & exact)
    if op in (OP.LT, OP.LTE):
        return (real < low) | ((real <= high) & exact)
    if op == OP.EQ:
        return (real >= low) & (real <= high) & exact
    return (real < low) | (real > high) | exact


def _compare(name: str, op: str):
    def inner(self, rhs):
        if rhs is None or isinstance(rhs, ColumnBase):
            return getattr(ColumnBase, name)(self, rhs)
        # the other side is a number to compare with, not one to store: converted, not bounded
        return compare(self, op, rhs)
    return inner


class ExactDecimalField(Field):
    """A decimal kept exactly: NUMERIC (unbounded) on PostgreSQL, the decimal's text on
    SQLite; read as ``Decimal``. A value written through it must be finite and have at
    most ``integer_digits`` digits before the point and ``fraction_digits`` after it
    (else ``NumberOutOfBounds``). Compared and ordered as a number on both backends."""

    field_type = "NUMERIC"

    def __init__(self, integer_digits: int = decimals.INTEGER_DIGITS,
                 fraction_digits: int = decimals.FRACTION_DIGITS, *args, **kwargs):
        self.integer_digits = integer_digits
        self.fraction_digits = fraction_digits
        super().__init__(*args, **kwargs)

    def ddl_datatype(self, ctx):
        return SQL("TEXT" if is_sqlite() else "NUMERIC")

    def db_value(self, value):
        if value is None or isinstance(value, ColumnBase):
            return value
        return decimals.check(value, f"{self.model._meta.table_name}.{self.column_name}", self.integer_digits,
                              self.fraction_digits)

    def python_value(self, value):
        return to_decimal(value)

    __eq__ = _compare("__eq__", OP.EQ)
    __ne__ = _compare("__ne__", OP.NE)
    __lt__ = _compare("__lt__", OP.LT)
    __le__ = _compare("__le__", OP.LTE)
    __gt__ = _compare("__gt__", OP.GT)
    __ge__ = _compare("__ge__", OP.GTE)
    __hash__ = Field.__hash__

    def asc(self, collation=None, nulls=None):
        return Exact(self).asc(collation, nulls)

    def desc(self, collation=None, nulls=None):
        return Exact(self).desc(collation, nulls)


def exact_sum(node) -> ColumnBase:
    """SUM(node), exact, as a Decimal (null when no value is), ordered as a number. On
    SQLite the short integers are summed by SQLite, the rest by ``exact_sum``."""
    if not is_sqlite():
        return Exact(fn.SUM(node)).converter(to_decimal)
    short = (fn.instr(node, ".") == 0) & (fn.length(node) <= SHORT_INTEGER)
    total = Case(None, [(fn.COUNT(node) == 0, None)], fn.exact_add(
        fn.COALESCE(fn.SUM(Cast(node, "INTEGER")).filter(short), 0),
        fn.COALESCE(fn.exact_sum(node).filter(~short), 0)))
    return Exact(total).converter(to_decimal)


def exact_avg(node) -> ColumnBase:
    """AVG(node): the exact sum over the count, rounded half away from zero to 10
    places (``decimals.quotient``), as a Decimal."""
    return exact_div(exact_sum(node), fn.COUNT(node))


def exact_div(numerator, denominator) -> ColumnBase:
    """numerator / denominator as ``exact_avg`` rounds it, a Decimal (null over 0)."""
    if is_sqlite():
        return Exact(fn.exact_div(numerator, denominator)).converter(to_decimal)
    # computed to 20 places or more (the numerator's scale), then rounded as decimals.quotient does
    widened = numerator * SQL("1.00000000000000000000")
    return Exact(fn.ROUND(widened / fn.NULLIF(denominator, 0), decimals.FRACTION_DIGITS)).converter(to_decimal)


def exact_min(node) -> ColumnBase:
    return Exact(fn.MIN(Exact(node))).converter(to_decimal)


def exact_max(node) -> ColumnBase:
    return Exact(fn.MAX(Exact(node))).converter(to_decimal)


def exact_add(a, b) -> ColumnBase:
    """a + b, exact (for an upsert: ``total = exact_add(total, EXCLUDED.total)``)."""
    return fn.exact_add(a, b) if is_sqlite() else a + b


def numeric(node) -> ColumnBase:
    """An exact sum as a number SQL can compare with an integer (a minimum
    denominator): on SQLite the text cast to a number (an integer stays exact)."""
    return Cast(node, "NUMERIC") if is_sqlite() else node

