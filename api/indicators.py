"""Indicators: rates and ratios over the cells, with written definitions.

An indicator is a numerator and a denominator, each a sum of named cells of one
table (or, for the denominator, the number of reports). Over a group of reports
(all reports the filters select, or each agency, region, year or layout) it is the
sum of the numerators over the sum of the denominators: a ratio of sums, so large
agencies weigh as much as their requests. A report counts towards an indicator only
when every cell of both parts has a value; the others are counted as ``excluded``,
never read as 0. Below its minimum denominator an indicator is null: a rate over a
handful of requests says little."""
from __future__ import annotations

from dataclasses import dataclass

from peewee import Case, Select, Value, fn

from api.filters import REPORT_FILTERS, ROW_GROUPS, apply_filters
from models import Agency, Cell, Report, database

REPORTS = "reports"  # a denominator that counts the reports taking part


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

    def describe(self) -> dict:
        def cells(part):
            return REPORTS if part == REPORTS else [f"{self.table}/{row}/{column}" for row, column in part]

        return {"key": self.key, "zh": self.zh, "en": self.en, "definition": self.definition,
                "numerator": cells(self.numerator), "denominator": cells(self.denominator),
                "min_denominator": self.min_denominator, "unit": self.unit}


def _total(*rows: str) -> tuple[tuple[str, str], ...]:
    return tuple((row, "total") for row in rows)


def _concluded(*rows: str) -> tuple[tuple[str, str], ...]:
    return tuple((row, column) for row in rows for column in ("upheld", "corrected", "other"))


RATE_MINIMUM = 10  # requests or cases: below this, a rate is null
INDICATORS = {i.key: i for i in [
    Indicator("disclosure_rate", "公开率", "Disclosure rate",
              "Requests granted in full or in part, over all requests handled: (granted + partially_granted) "
              "/ total_processed, applicant column total.",
              "requests", _total("granted", "partially_granted"), _total("total_processed"), RATE_MINIMUM, "ratio"),
    Indicator("withholding_rate", "不予公开率", "Withholding rate",
              "Requests withheld (不予公开, the eight denied.* rows) over all requests handled, column total.",
              "requests", _total(*ROW_GROUPS["denied"]), _total("total_processed"), RATE_MINIMUM, "ratio"),
    Indicator("unable_rate", "无法提供率", "Unable-to-provide rate",
              "Requests the agency could not answer (无法提供, the three unable.* rows) over all requests "
              "handled, column total.",
              "requests", _total(*ROW_GROUPS["unable"]), _total("total_processed"), RATE_MINIMUM, "ratio"),
    Indicator("review_correction_rate", "行政复议纠错率", "Reconsideration correction rate",
              "Administrative reconsiderations whose result corrected the agency, over those concluded: "
              "review/corrected / (upheld + corrected + other). Pending cases are not concluded.",
              "review_litigation", _concluded("review")[1:2], _concluded("review"), RATE_MINIMUM, "ratio"),
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

GROUPS = {
    "agency": {"agency_id": Agency.id, "agency_name": Agency.name},
    "region": {"region": Agency.region},
    "year": {"year": Report.year},
    "layout": {"layout": Report.layout},
}
FIELDS = [name for fields in GROUPS.values() for name in fields] + [
    "indicator", "value", "numerator", "denominator", "reports", "excluded"]


def _any_cell(cells: tuple[tuple[str, str], ...]):
    condition = None
    for row, column in cells:
        one = (Cell.row_key == row) & (Cell.column_key == column)
        condition = one if condition is None else condition | one
    return condition


def _part(cells):
    """The part's sum over one report's cells, and how many of its cells have a value."""
    if cells == REPORTS:
        return Value(1), Value(1), 1
    inside = _any_cell(cells)
    return (fn.SUM(Case(None, [(inside, Cell.value)], None)),
            fn.SUM(Case(None, [(inside & Cell.value.is_null(False), 1)], 0)), len(cells))


def indicator_query(indicator: Indicator, args: dict, group_by: list[str], minimum: int | None):
    """One indicator by group: a query per report, summed by the groups."""
    outputs = {name: expr for group in group_by for name, expr in GROUPS[group].items()}
    num, num_n, num_need = _part(indicator.numerator)
    den, den_n, den_need = _part(indicator.denominator)
    cells = indicator.numerator + (() if indicator.denominator == REPORTS else indicator.denominator)
    per_report = (Cell.select(Report.id.alias("report_id"), *[e.alias(n) for n, e in outputs.items()],
                              num.alias("num"), num_n.alias("num_n"), den.alias("den"), den_n.alias("den_n"))
                  .join(Report).join(Agency)
                  .where(Cell.table_key == indicator.table, Cell.row_key.in_(sorted({r for r, _ in cells})),
                         Cell.column_key.in_(sorted({c for _, c in cells}))))
    per_report = apply_filters(per_report, args, REPORT_FILTERS).group_by(Report.id, *outputs.values())
    r = per_report.alias("r")
    complete = (r.c.num_n == num_need) & (r.c.den_n == den_need)
    numerator = fn.SUM(Case(None, [(complete, r.c.num)], None))
    denominator = fn.SUM(Case(None, [(complete, r.c.den)], None))
    least = indicator.min_denominator if minimum is None else minimum
    value = Case(None, [((denominator >= least) & (denominator > 0), numerator * 1.0 / denominator)], None)
    groups = [getattr(r.c, name) for name in outputs]
    return (Select([r], [*[getattr(r.c, name).alias(name) for name in outputs],
                         Value(indicator.key).alias("indicator"), value.alias("value"),
                         numerator.alias("numerator"), denominator.alias("denominator"),
                         fn.SUM(Case(None, [(complete, 1)], 0)).alias("reports"),
                         fn.SUM(Case(None, [(complete, 0)], 1)).alias("excluded")])
            .group_by(*groups).having(fn.COUNT(r.c.report_id) > 0).bind(database))


def indicators_query(args: dict):
    """All the indicators asked for, as one query (their UNION ALL) with a column
    per output field, and the expressions to sort it by."""
    group_by = list(dict.fromkeys(args.get("group_by") or []))
    queries = [indicator_query(INDICATORS[key], args, group_by, args.get("min_denominator"))
               for key in dict.fromkeys(args.get("indicator") or INDICATORS)]
    union = queries[0]
    for query in queries[1:]:
        union = union.union_all(query)
    u = union.alias("u")
    outputs = [name for group in group_by for name in GROUPS[group]] + FIELDS[-6:]
    columns = {name: getattr(u.c, name) for name in outputs}
    query = Select([u], [columns[name] for name in outputs]).bind(database)
    order = [columns[name] for name in outputs[:-6]] + [columns["indicator"]]
    return query, columns, order
