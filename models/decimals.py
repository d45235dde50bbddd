"""Exact decimal numbers: reading, writing and bounding them, and SQLite's exact arithmetic.

A value is a ``Decimal`` from the printed text to the client; binary floating point
is never on the way. PostgreSQL keeps it as ``NUMERIC`` (no precision limit) and sums
it exactly. SQLite has no exact number type, so a value is kept as TEXT, the decimal
written out in full, and every SQLite connection gets the exact functions below
(``register``): sums, quotients and additions in exact arithmetic, and the ``exact``
collation, which orders and compares two such texts as numbers.

Sums run in ``SUMS``, a context whose precision is the largest ``decimal`` allows: an
addition of finite decimals is then never rounded, whatever the number of terms."""
from __future__ import annotations

import decimal
import sqlite3
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache

import orjson

# A printed count or amount: at most this many digits before the point and after it
# (the loader makes a longer number null, with status ``invalid`` and a finding).
INTEGER_DIGITS, FRACTION_DIGITS = 15, 10
# Derived numbers (sums of values: rollup totals, indicators, a finding's sides).
SUM_INTEGER_DIGITS = 30

SUMS = decimal.Context(prec=decimal.MAX_PREC, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN,
                       traps=[decimal.InvalidOperation, decimal.Overflow, decimal.DivisionByZero])


class NumberOutOfBounds(ValueError):
    """A number that cannot be stored: not finite, or longer than a count or amount can be."""


def to_decimal(value) -> Decimal | None:
    """A value read from a database, a driver or a caller as an exact ``Decimal``
    (None stays None). A float (only ever read from a database made before exact
    numbers) is taken as its shortest decimal form."""
    if value is None or isinstance(value, Decimal):
        result = value
    elif isinstance(value, bool):
        raise TypeError("a boolean is not a number")
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        result = Decimal(repr(value))
    elif isinstance(value, str | bytes):
        text = value.decode() if isinstance(value, bytes) else value
        try:
            result = Decimal(text.strip())
        except decimal.InvalidOperation:
            raise ValueError(f"not a decimal number: {text[:40]!r}") from None
    else:
        raise TypeError(f"not a number: {type(value).__name__}")
    if result is not None and not result.is_finite():
        raise NumberOutOfBounds(f"not a finite number: {result}")
    return result


COMPARABLE = 40  # no stored number has 40 digits before the point, or one 40 places after it


def comparable(value) -> Decimal:
    """A number to compare stored values with (a ``value_gte`` filter), its exponent
    brought within ±``COMPARABLE`` without changing any comparison: past 10^40 it is
    10^40 (no stored number is that large), between 0 and 10^-40 it is 10^-40 (none
    is that small), so ``1e999999999`` never becomes a billion digits of text."""
    number = to_decimal(value)
    if number.is_zero() or -COMPARABLE < number.adjusted() < COMPARABLE:
        return number
    bound = Decimal(1).scaleb(COMPARABLE if number.adjusted() > 0 else -COMPARABLE)
    return bound.copy_sign(number)


def storage_text(value: Decimal) -> str:
    """The decimal as SQLite keeps it: every digit, as given (``3.50`` stays ``3.50``),
    never exponent notation."""
    if not value.is_finite():
        raise NumberOutOfBounds(f"not a finite number: {value}")
    return format(abs(value) if value.is_zero() else value, "f")  # never "-0"


def plain(value: Decimal) -> str:
    """The decimal as clients get it (JSON, CSV): every significant digit, no trailing
    zeros after the point, no exponent: ``12``, ``3664843848.32580008``, ``0.0000001``."""
    text = storage_text(value)
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


@lru_cache(maxsize=1 << 16)  # a function of the value alone (not of its trailing zeros); most values recur
def digits(value: Decimal) -> tuple[int, int]:
    """(digits before the point, significant digits after it) of a finite decimal."""
    _, numerals, exponent = value.as_tuple()
    numerals = "".join(map(str, numerals)).lstrip("0")
    if not numerals:
        return 0, 0
    if exponent >= 0:
        return len(numerals) + exponent, 0
    significant = numerals.rstrip("0")
    zeros = len(numerals) - len(significant)  # trailing zeros: not digits of the fraction's value
    return max(len(numerals) + exponent, 0), max(-exponent - zeros, 0)


def check(value, what: str, integer_digits: int = INTEGER_DIGITS,
          fraction_digits: int = FRACTION_DIGITS) -> Decimal | None:
    """``value`` as a Decimal, or NumberOutOfBounds naming ``what`` when it is not
    finite or has more digits than a count or amount can have."""
    try:
        number = to_decimal(value)
    except NumberOutOfBounds as e:
        raise NumberOutOfBounds(f"{what}: {e}") from None
    if number is None:
        return None
    before, after = digits(number)
    if before > integer_digits or after > fraction_digits:
        shown = plain(number)
        shown = shown if len(shown) <= 24 else shown[:20] + "…"
        raise NumberOutOfBounds(
            f"{what}: {shown} has {before} digits before the point and {after} after it; a count or amount has "
            f"at most {integer_digits} and {fraction_digits}: refused, nothing of it is stored")
    return number


def json_default(value):
    """orjson's ``default``: a Decimal as a JSON number with every digit (its text as it
    is, not a float); anything else orjson does not know is a TypeError."""
    if isinstance(value, Decimal):
        return orjson.Fragment(plain(value))
    raise TypeError(f"cannot serialise {type(value).__name__}")


@lru_cache(maxsize=1 << 16)
def _json_number(value) -> orjson.Fragment:
    return orjson.Fragment(plain(to_decimal(value)))


def json_number(value) -> orjson.Fragment | None:
    """A number as read from a database (a decimal's text, a Decimal, an int) as orjson
    writes it (``json_default``: every digit), made once for each value (most recur)."""
    return None if value is None else _json_number(value)


def quotient(numerator: Decimal, denominator) -> Decimal:
    """numerator / denominator (an average) rounded half away from zero to
    ``FRACTION_DIGITS`` places, exactly (as PostgreSQL's ROUND)."""
    scaled = Fraction(numerator) / Fraction(denominator) * 10**FRACTION_DIGITS
    whole = (abs(scaled.numerator) * 2 + scaled.denominator) // (2 * scaled.denominator)
    return Decimal(whole if scaled >= 0 else -whole).scaleb(-FRACTION_DIGITS, SUMS)


def exact_sum(values) -> Decimal:
    """The exact sum of Decimals (never rounded)."""
    total = Decimal(0)
    for value in values:
        total = SUMS.add(total, value)
    return total


# --- SQLite ---------------------------------------------------------------------------

def _read(value) -> Decimal:
    return value if isinstance(value, Decimal) else to_decimal(value)


def _fixed(text: str) -> tuple[int, int]:
    """A decimal's text as (integer, scale): ``"-12.50"`` is (-1250, 2); exact, and
    several times faster than ``Decimal`` (ValueError for any other form)."""
    point = text.find(".")
    if point < 0:
        return int(text), 0
    return int(text[:point] + text[point + 1:]), len(text) - point - 1


class _Sum:
    """exact_sum(x): SUM in exact arithmetic; NULL when no value is. The values of each
    scale are summed as integers, and the sums of the scales added as Decimals at the end."""

    def __init__(self):
        self.parts: dict[int, int] = {}  # scale -> sum of the values with that many decimals, as integers
        self.rest = None  # values in any other form, summed as Decimals

    def step(self, value):
        if value is None:
            return
        try:
            if isinstance(value, str):
                number, scale = _fixed(value)
            elif isinstance(value, int):
                number, scale = value, 0
            else:
                raise ValueError
        except ValueError:  # an exponent, a float: the slow way
            value = _read(value)
            self.rest = value if self.rest is None else SUMS.add(self.rest, value)
            return
        self.parts[scale] = self.parts.get(scale, 0) + number

    def total(self) -> Decimal | None:
        if not self.parts and self.rest is None:
            return None
        total = Decimal(0) if self.rest is None else self.rest
        for scale, number in self.parts.items():
            total = SUMS.add(total, Decimal(number).scaleb(-scale, SUMS))
        return total

    def finalize(self):
        total = self.total()
        return None if total is None else storage_text(total)


def _add(a, b):
    """exact_add(a, b): a + b in Decimal (NULL if either is)."""
    return None if a is None or b is None else storage_text(SUMS.add(_read(a), _read(b)))


def _divide(a, b):
    """exact_div(a, b): ``quotient(a, b)`` (NULL if either is NULL or b is 0)."""
    if a is None or b is None or _read(b) == 0:
        return None
    return storage_text(quotient(_read(a), _read(b)))


def _compare(a: str, b: str) -> int:
    """The ``exact`` collation: two decimal texts compared as numbers (text that is not
    a number, which a value never is, compares as text)."""
    try:
        (x, s), (y, t) = _fixed(a), _fixed(b)
    except ValueError:
        try:
            x, y = Decimal(a), Decimal(b)
        except decimal.InvalidOperation:
            return (a > b) - (a < b)
        return (x > y) - (x < y)
    if s < t:
        x *= 10 ** (t - s)
    elif t < s:
        y *= 10 ** (s - t)
    return (x > y) - (x < y)


def register(db) -> None:
    """Give every connection of the (peewee) SQLite database ``db`` the exact functions."""
    db.register_aggregate(_Sum, "exact_sum", 1)
    db.register_function(_add, "exact_add", 2, deterministic=True)
    db.register_function(_divide, "exact_div", 2, deterministic=True)
    db.register_collation(_compare, "exact")


# A Decimal parameter is bound as its full text (peewee's own adapter, str(), may write
# an exponent); one that is not finite is refused.
sqlite3.register_adapter(Decimal, storage_text)
