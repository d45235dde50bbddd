"""Indicators: rates and ratios over a report's cells, with written definitions, and
``report_indicator``, each report's numerator and denominator kept at load time.

An indicator is a numerator and a denominator, each a sum of named cells of one
table (or, for the denominator, 1: the report itself). A report takes part in an
indicator only when every cell of both sums has a value; otherwise its row says it
is incomplete, and it is left out (never read as 0). The API sums the rows of a group
of reports: a ratio of sums. Derived from the cells, like ``cell_rollup``: stored
with each report, and made for older databases by a migration."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from peewee import AutoField, BooleanField, CharField, ForeignKeyField

from models.base import BaseModel
from models.codebook import codebook
from models.decimals import SUM_INTEGER_DIGITS, exact_sum
from models.fields import ExactDecimalField
from models.report import Report

REPORTS = "reports"  # a denominator that counts the reports taking part
RATE_MINIMUM = 10  # requests or cases: below this, a rate is null


@dataclass(frozen=True)
class Indicator:
    key: str
    zh: str
    en: str
    definition: str
    table: str
    numerator: tuple[tuple[str, str], ...]  # (row, column) cells summed
    denominator: tuple[tuple[str, str], ...] | str
    min_denominator: int
    unit: str

    @property
    def cells(self) -> tuple[tuple[str, str], ...]:
        return self.numerator + (() if self.denominator == REPORTS else self.denominator)

    def compute(self, values: dict[tuple[str, str, str], Decimal | None]) -> tuple[Decimal, Decimal] | None:
        """(numerator, denominator) of one report from its cell values by (table, row,
        column); None when a cell of either has no value."""
        parts = [values.get((self.table, row, column)) for row, column in self.cells]
        if any(p is None for p in parts):
            return None
        numerator = exact_sum(parts[:len(self.numerator)])
        denominator = Decimal(1) if self.denominator == REPORTS else exact_sum(parts[len(self.numerator):])
        return numerator, denominator

    def describe(self) -> dict:
        def cells(part):
            return REPORTS if part == REPORTS else [f"{self.table}/{row}/{column}" for row, column in part]

        return {"key": self.key, "zh": self.zh, "en": self.en, "definition": self.definition,
                "numerator_cells": cells(self.numerator), "denominator_cells": cells(self.denominator),
                "numerator": cells(self.numerator), "denominator": cells(self.denominator),  # /v1's first names
                "min_denominator": self.min_denominator, "unit": self.unit}


def _rows(prefix: str) -> list[str]:
    return [k for k in codebook().tables["requests"].rows if k.startswith(prefix + ".")]


def _total(*rows: str) -> tuple[tuple[str, str], ...]:
    return tuple((row, "total") for row in rows)


def _concluded(*rows: str) -> tuple[tuple[str, str], ...]:
    return tuple((row, column) for row in rows for column in ("upheld", "corrected", "other"))


INDICATORS = {i.key: i for i in [
    Indicator("disclosure_rate", "公开率", "Disclosure rate",
              "Requests granted in full or in part, over all requests handled: (granted + partially_granted) "
              "/ total_processed, applicant column total.",
              "requests", _total("granted", "partially_granted"), _total("total_processed"), RATE_MINIMUM, "ratio"),
    Indicator("withholding_rate", "不予公开率", "Withholding rate",
              "Requests withheld (不予公开, the eight denied.* rows) over all requests handled, column total.",
              "requests", _total(*_rows("denied")), _total("total_processed"), RATE_MINIMUM, "ratio"),
    Indicator("unable_rate", "无法提供率", "Unable-to-provide rate",
              "Requests the agency could not answer (无法提供, the three unable.* rows) over all requests "
              "handled, column total.",
              "requests", _total(*_rows("unable")), _total("total_processed"), RATE_MINIMUM, "ratio"),
    Indicator("review_correction_rate", "行政复议纠错率", "Reconsideration correction rate",
              "Administrative reconsiderations whose result corrected the agency, over those concluded: "
              "review/corrected / (upheld + corrected + other). Pending cases are not concluded.",
              "review_litigation", (("review", "corrected"),), _concluded("review"), RATE_MINIMUM, "ratio"),
    Indicator("litigation_correction_rate", "行政诉讼纠错率", "Litigation correction rate",
              "Lawsuits (direct, and after reconsideration) whose result corrected the agency, over those "
              "concluded: corrected / (upheld + corrected + other), both rows summed.",
              "review_litigation", (("litigation_direct", "corrected"), ("litigation_after_review", "corrected")),
              _concluded("litigation_direct", "litigation_after_review"), RATE_MINIMUM, "ratio"),
    Indicator("requests_per_agency", "平均每机关新收申请数", "New requests per agency and year",
              "New requests received (requests/new_received/total) over the reports taking part: one report "
              "is one agency's year.",
              "requests", _total("new_received"), REPORTS, 1, "requests"),
]}
NEEDED = {(i.table, row, column) for i in INDICATORS.values() for row, column in i.cells}


class ReportIndicator(BaseModel):
    """One report's numerator and denominator of one indicator (null, with
    ``complete`` false, when a cell of either has no value)."""

    id = AutoField()
    report = ForeignKeyField(Report, backref="indicators", on_delete="CASCADE")
    indicator = CharField(max_length=32)
    complete = BooleanField()
    numerator = ExactDecimalField(SUM_INTEGER_DIGITS, null=True)  # exact sums of values
    denominator = ExactDecimalField(SUM_INTEGER_DIGITS, null=True)

    class Meta:
        table_name = "report_indicator"
        indexes = ((("report", "indicator"), True),)


def report_rows(report_id: int, cells: Iterable[tuple[str, str, str, Decimal | None]]) -> list[tuple]:
    """The ``report_indicator`` rows of a report, from its (table, row, column, value)
    cells: (report, indicator, complete, numerator, denominator)."""
    values = {(t, r, c): v for t, r, c, v in cells if (t, r, c) in NEEDED}
    rows = []
    for key, indicator in INDICATORS.items():
        parts = indicator.compute(values)
        rows.append((report_id, key, parts is not None, *(parts or (None, None))))
    return rows


def rebuild_indicators(chunk: int = 500) -> int:
    """Make every report's ``report_indicator`` rows again from its cells (a migration,
    or a repair). Returns the number of rows."""
    from models.cell import Cell
    from models.db import database

    tables = sorted({t for t, _, _ in NEEDED})
    rows_needed = sorted({r for _, r, _ in NEEDED})
    with database.atomic():
        ReportIndicator.delete().execute()
        ids = [r for (r,) in Report.select(Report.id).order_by(Report.id).tuples()]
        for start in range(0, len(ids), chunk):
            some = ids[start:start + chunk]
            cells: dict[int, list] = {i: [] for i in some}
            for report_id, t, r, c, v in (Cell.select(Cell.report, Cell.table_key, Cell.row_key, Cell.column_key,
                                                      Cell.value)
                                          .where(Cell.report.in_(some), Cell.table_key.in_(tables),
                                                 Cell.row_key.in_(rows_needed)).tuples()):
                cells[report_id].append((t, r, c, v))
            rows = [row for i in some for row in report_rows(i, cells[i])]
            if rows:
                ReportIndicator.insert_many(rows, fields=[ReportIndicator.report, ReportIndicator.indicator,
                                                          ReportIndicator.complete, ReportIndicator.numerator,
                                                          ReportIndicator.denominator]).execute()
    return ReportIndicator.select().count()
