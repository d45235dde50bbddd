"""Read one printed cell: a number as printed, a blank, a placeholder, or text.

Numbers keep what was printed: integers stay integers, money keeps its decimals, a
sign is kept (``-185``, ``+1036``), thousands separators are dropped. A number followed
by a unit (``251000元``) or a note in brackets (``22（其中修订16件）``) keeps the number
and records the rest as the note. ``/ - — 无`` are placeholders: null, with a status
that says so."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from loaders.blocks import SPAN

BLANK, PLACEHOLDER, NUMBER, TEXT, SPANNED = "blank", "placeholder", "number", "text", "spanned"

_PLACEHOLDERS = {"/", "-", "--", "—", "——", "－", "无", "\\", "／", "–"}
_NUMBER = re.compile(
    r"^(?P<num>[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?)"
    r"(?P<unit>万元|元|件|个|条|次|项|人次|%)?"
    r"(?P<note>\([^()]*\))?$"
)


@dataclass(frozen=True)
class Value:
    kind: str
    number: Decimal | None = None
    raw: str = ""
    note: str | None = None

    @property
    def is_blank(self) -> bool:
        return self.kind == BLANK


@lru_cache(maxsize=65536)  # the same few strings ("0", "") fill most tables
def read_value(cell: str) -> Value:
    if cell == SPAN:
        return Value(SPANNED)
    raw = cell.strip()
    if not raw:
        return Value(BLANK, raw=raw)
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", raw))
    if text in _PLACEHOLDERS:
        return Value(PLACEHOLDER, raw=raw)
    m = _NUMBER.match(text)
    if not m:
        return Value(TEXT, raw=raw)
    note = "".join(filter(None, (m["unit"], m["note"]))) or None
    return Value(NUMBER, Decimal(m["num"].replace(",", "")), raw=raw, note=note)


def is_value_cell(cell: str) -> bool:
    return read_value(cell).kind != TEXT
