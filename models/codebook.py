"""The codebook (``codebook.yaml``, a copy of the shared data contract), loaded once.

Keys are public API. This module only describes the tables; matching printed labels
to keys is ``loaders.labels``."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from importlib import resources

import yaml

LAYOUTS = ("2019", "2021")


@dataclass(frozen=True)
class Row:
    key: str
    zh: str
    en: str
    aliases: tuple[str, ...] = ()
    group: str | None = None
    layouts: tuple[str, ...] = LAYOUTS


@dataclass(frozen=True)
class Column:
    key: str
    zh: str
    en: str
    aliases: tuple[str, ...] = ()
    group: str | None = None
    unit: str | None = None
    rows: tuple[str, ...] | None = None  # None: every row of the table
    layouts: tuple[str, ...] = LAYOUTS


@dataclass(frozen=True)
class Table:
    key: str
    zh: str
    en: str
    section: str
    rows: dict[str, Row]
    columns: dict[str, Column]

    def rows_for(self, layout: str) -> list[Row]:
        return [r for r in self.rows.values() if layout in r.layouts]

    def columns_for(self, row: str, layout: str) -> list[Column]:
        return [
            c for c in self.columns.values()
            if layout in c.layouts and (c.rows is None or row in c.rows)
        ]

    def collapsed_rows(self, layout: str) -> dict[str, list[str]]:
        """Rows that a report may print either as one row or as its children.

        ``requests/other`` (（六）其他处理) is one row in the 2019 layout and three in
        2021, but some 2021 reports still print the single row. A row is such a parent
        when its label is the group label of other rows of the same layout."""
        rows = self.rows_for(layout)
        out = {}
        for parent in rows:
            children = [r.key for r in rows if r.group == parent.zh]
            if children:
                out[parent.key] = children
        return out


@dataclass(frozen=True)
class Identity:
    key: str
    rule: str
    zh: str | None = None
    soft: bool = False


@dataclass(frozen=True)
class Codebook:
    tables: dict[str, Table]
    identities: dict[str, Identity] = field(default_factory=dict)

    def table_for_section(self, section: str) -> Table:
        return next(t for t in self.tables.values() if t.section == section)

    def cell_keys(self, layout: str, collapsed: frozenset[str] = frozenset()) -> list[tuple[str, str, str]]:
        """Every (table, row, column) of a layout, in codebook order.

        ``collapsed`` names parent rows that the report printed as one row (see
        ``Table.collapsed_rows``): the parent replaces its children. Otherwise the
        children are used and the parent left out."""
        keys = []
        for table in self.tables.values():
            alternatives = table.collapsed_rows(layout)
            skip = set()
            for parent, children in alternatives.items():
                skip.update(children if parent in collapsed else [parent])
            for row in table.rows_for(layout):
                if row.key in skip:
                    continue
                for column in table.columns_for(row.key, layout):
                    keys.append((table.key, row.key, column.key))
        return keys


def _tuple(value):
    return tuple(value) if value else ()


def _parse(data: dict) -> Codebook:
    tables = {}
    for tkey, t in data["tables"].items():
        rows = {
            k: Row(k, v["zh"], v["en"], _tuple(v.get("aliases")), v.get("group"),
                   tuple(v.get("layouts", LAYOUTS)))
            for k, v in t["rows"].items()
        }
        columns = {
            k: Column(k, v["zh"], v["en"], _tuple(v.get("aliases")), v.get("group"), v.get("unit"),
                      tuple(v["rows"]) if v.get("rows") else None, tuple(v.get("layouts", LAYOUTS)))
            for k, v in t["columns"].items()
        }
        tables[tkey] = Table(tkey, t["zh"], t["en"], t["section"], rows, columns)
    identities = {
        k: Identity(k, v["rule"], v.get("zh"), bool(v.get("soft", False)))
        for k, v in data.get("identities", {}).items()
    }
    return Codebook(tables, identities)


@cache
def column_units() -> dict[str, str]:
    """Each column key's unit: money as the column prints it (万元, 元), ``count`` for
    anything else. A key names the same thing, in the same unit, in every table."""
    out: dict[str, str] = {}
    for table in codebook().tables.values():
        for key, column in table.columns.items():
            unit = column.unit or "count"
            if out.setdefault(key, unit) != unit:
                raise ValueError(f"column {key} is in {out[key]} and in {unit}")
    return out


@cache
def codebook() -> Codebook:
    text = resources.files("models").joinpath("codebook.yaml").read_text(encoding="utf-8")
    return _parse(yaml.safe_load(text))
