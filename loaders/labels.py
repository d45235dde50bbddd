"""The one place that maps printed labels to codebook keys.

Printed labels vary: full- and half-width brackets, numbering (``1.`` ``1、`` ``1．``
``（一）`` ``一、``), spaces and line breaks inside a label, curly or straight quotes,
units in brackets after a column label, and the aliases the codebook lists. ``norm``
folds all of that; a ``LabelIndex`` then matches a label exactly, as a unique prefix
(a label cut off by a line break), or as a near-identical spelling (a typo), and says
which way it matched."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import cache, lru_cache

from models.codebook import codebook

_QUOTES = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'", "「": '"', "」": '"', "〔": "(", "〕": ")"})
_SPACE = re.compile(r"\s+")
_NUMBERING = re.compile(
    r"^(?:[(][一二三四五六七八九十]{1,3}[)][、.]?|[一二三四五六七八九十]{1,3}[、.]|[(]?\d{1,2}[)][、.]?|\d{1,2}[、.](?!\d))"
)
_TRAILING_NOTE = re.compile(r"[(][^()]*(?:单位|单元|万元|元|年起|件)[^()]*[)]$")
_PUNCT_END = re.compile(r"[。:;,.]+$")


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Width, quotes and white space folded; numbering kept."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    return _SPACE.sub("", text).replace("*", "")


def norm(label: str) -> str:
    """A label reduced to what identifies it: folded, numbering and unit notes removed."""
    text = fold(label)
    for _ in range(2):  # "(三)1.属于国家秘密" carries two numberings
        text = _NUMBERING.sub("", text)
    text = _TRAILING_NOTE.sub("", text)
    return _PUNCT_END.sub("", text)


@dataclass(frozen=True)
class Match:
    key: str
    how: str  # exact | alias | prefix | fuzzy


class LabelIndex:
    """Matches printed labels against a set of keys, each with its labels."""

    def __init__(self, labels: dict[str, list[str]], min_prefix: int = 4, min_ratio: float = 0.85):
        self.exact: dict[str, tuple[str, str]] = {}
        for key, names in labels.items():
            for i, name in enumerate(names):
                self.exact.setdefault(norm(name), (key, "exact" if i == 0 else "alias"))
        self.min_prefix = min_prefix
        self.min_ratio = min_ratio
        self.match = lru_cache(maxsize=16384)(self._match)

    def _match(self, label: str) -> Match | None:
        text = norm(label)
        if not text:
            return None
        if text in self.exact:
            key, how = self.exact[text]
            return Match(key, how)
        if len(text) >= self.min_prefix:
            keys = {key for name, (key, _) in self.exact.items() if name.startswith(text)}
            if len(keys) == 1:
                return Match(keys.pop(), "prefix")
        if len(text) >= 6:
            scored = sorted(
                ((SequenceMatcher(None, text, name).ratio(), key) for name, (key, _) in self.exact.items()),
                reverse=True,
            )
            best = scored[0]
            runner_up = next((s for s in scored[1:] if s[1] != best[1]), (0.0, None))
            if best[0] >= self.min_ratio and best[0] - runner_up[0] >= 0.1:
                return Match(best[1], "fuzzy")
        return None


@cache
def row_index(table: str) -> LabelIndex:
    t = codebook().tables[table]
    return LabelIndex({r.key: [r.zh, *r.aliases] for r in t.rows.values()})


@cache
def column_index(table: str) -> LabelIndex:
    t = codebook().tables[table]
    return LabelIndex({c.key: [c.zh, *c.aliases] for c in t.columns.values()})


@cache
def group_labels(table: str) -> frozenset[str]:
    """Labels of row groups that carry no values of their own (（三）不予公开 ...)."""
    t = codebook().tables[table]
    groups = {norm(r.group) for r in t.rows.values() if r.group}
    return frozenset(groups - set(row_index(table).exact))
