"""Read one printed cell: a number as printed, a blank, a placeholder, or text.

Numbers keep what was printed: integers stay integers, money keeps its decimals, a
sign is kept (``-185``, ``+1036``), thousands separators are dropped. A number followed
by a unit (``251000元``) or a note in brackets (``22（其中修订16件）``) keeps the number
and records the rest as the note. ``/ - — 无`` are placeholders: null, with a status
that says so.

A number is read into a ``Decimal`` from its printed digits, never through a binary
float, so every printed digit is kept (``3664843848.32580008`` stays exactly that). A
number too long to be a real count or amount (more than ``MAX_INTEGER_DIGITS`` digits
before the point or ``MAX_FRACTION_DIGITS`` after it) is not taken as a number: its
kind is ``invalid`` and the cell is null with a ``parse.number_too_long`` finding."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache

from loaders.blocks import SPAN, UNREAD, OcrRead
from models.decimals import FRACTION_DIGITS, INTEGER_DIGITS

BLANK, PLACEHOLDER, NUMBER, TEXT, SPANNED = "blank", "placeholder", "number", "text", "spanned"
INVALID = "invalid"  # printed as a number, but too long to be one
ILLEGIBLE = "illegible"  # printed in an image, but OCR could not read it with confidence
VALUE_KINDS = (NUMBER, PLACEHOLDER, INVALID, ILLEGIBLE)  # what a value cell of a table prints

# The largest real figures are money in 元 (a few 10^11 for a province's fees) and
# counts (10^7 at most); 15 digits before the point stay far above them and within what
# any database column and JSON reader hold exactly. No amount is printed to more than
# a few decimals; 10 after the point leaves room for 万元 with 4 and conversions. The
# bound is the store's (``models.decimals``): what is read here can be stored.
MAX_INTEGER_DIGITS, MAX_FRACTION_DIGITS = INTEGER_DIGITS, FRACTION_DIGITS

_PLACEHOLDERS = {"/", "-", "--", "—", "——", "－", "无", "\\", "／", "–"}
_NUMBER = re.compile(
    r"^(?P<num>[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?)"
    r"(?P<unit>万元|元|件|个|条|次|项|人次|%)?"
    r"(?P<note>\([^()]*\))?$"
)


_APART = re.compile(r"[\d.,]\s+[\d.,]")  # digits with space between them


def has_digits(text: str) -> bool:
    """Whether ``text`` prints a digit (``约969``, ``969件次``, ``另有3件``, ``①``)."""
    return any(unicodedata.digit(c, None) is not None for c in text)


@dataclass(frozen=True)
class Value:
    kind: str
    number: Decimal | None = None
    raw: str = ""
    note: str | None = None
    ocr: OcrRead | None = field(default=None, compare=False)  # what OCR read, for a cell of an image

    @property
    def is_blank(self) -> bool:
        return self.kind == BLANK


@lru_cache(maxsize=65536)  # the same few strings ("0", "") fill most tables
def read_value(cell: str) -> Value:
    if cell == SPAN:
        return Value(SPANNED)
    if cell == UNREAD:
        return Value(ILLEGIBLE)
    raw = cell.strip()
    if not raw:
        return Value(BLANK, raw=raw)
    text = unicodedata.normalize("NFKC", raw).replace("\u2212", "-")  # U+2212 MINUS SIGN: NFKC keeps it
    if _APART.search(text) or any(not c.isdecimal() and unicodedata.digit(c, None) is not None for c in raw):
        return Value(TEXT, raw=raw)  # digits apart (``969 12``), or a marker (``969①``, ``969¹``): not one number
    text = re.sub(r"\s+", "", text)
    if text in _PLACEHOLDERS:
        return Value(PLACEHOLDER, raw=raw)
    m = _NUMBER.match(text)
    if not m:
        return Value(TEXT, raw=raw)
    note = "".join(filter(None, (m["unit"], m["note"]))) or None
    digits = m["num"].lstrip("+-").replace(",", "")
    whole, _, fraction = digits.partition(".")
    if len(whole) > MAX_INTEGER_DIGITS or len(fraction) > MAX_FRACTION_DIGITS:
        return Value(INVALID, raw=raw, note=note)
    return Value(NUMBER, Decimal(m["num"].replace(",", "")), raw=raw, note=note)


def too_long(value: Value) -> str:
    """Why an ``invalid`` value is not a number, for its finding."""
    return (f"{shown(value.raw)} is too long to be a count or amount (at most {MAX_INTEGER_DIGITS} digits before "
            f"the point and {MAX_FRACTION_DIGITS} after it)")


def shown(text: str, limit: int = 40) -> str:
    """Printed text for a message: whole when short, else its start and end and its length."""
    if len(text) <= limit:
        return repr(text)
    return f"{text[:24]!r}…{text[-8:]!r} ({len(text)} characters)"


def is_value_cell(cell: str) -> bool:
    return read_value(cell).kind != TEXT
