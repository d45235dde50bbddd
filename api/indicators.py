"""Indicators over groups of reports: the API side of ``models/indicators.py``.

Over a group of reports (all the filters select, or each agency, region, year or
layout) an indicator is the sum of its numerators over the sum of its denominators,
read from ``report_indicator`` (one row per report and indicator, kept at load
time): a ratio of sums, so large agencies weigh as much as their requests. Reports
missing a cell of the indicator are counted as ``excluded``. Below its minimum
denominator (or over 0) an indicator is null: a rate over a handful of requests says
little."""
from __future__ import annotations

from peewee import Case, fn

from api.filters import REPORT_FILTERS, apply_filters
from models import Agency, Report
from models.fields import exact_sum, numeric
from models.indicators import INDICATORS, RATE_MINIMUM, ReportIndicator

__all__ = ["FIELDS", "GROUPS", "INDICATORS", "RATE_MINIMUM", "indicators_query"]

GROUPS = {
    "agency": {"agency_id": Agency.id, "agency_name": Agency.name},
    "region": {"region": Agency.region},
    "year": {"year": Report.year},
    "layout": {"layout": Report.layout},
}
FIELDS = [name for fields in GROUPS.values() for name in fields] + [
    "indicator", "value", "numerator", "denominator", "reports_count", "reports", "excluded"]


def indicators_query(args: dict):
    """The indicators asked for, by group: the query, its columns by output name (to
    sort by), and its default order."""
    outputs = {name: expr for group in dict.fromkeys(args.get("group_by") or [])
               for name, expr in GROUPS[group].items()}
    keys = list(dict.fromkeys(args.get("indicator") or INDICATORS))
    complete = ReportIndicator.complete == True  # noqa: E712 (peewee expression)
    numerator = exact_sum(Case(None, [(complete, ReportIndicator.numerator)], None))  # exact: Decimals
    denominator = exact_sum(Case(None, [(complete, ReportIndicator.denominator)], None))
    if args.get("min_denominator") is not None:
        least = args["min_denominator"]
    else:
        least = Case(ReportIndicator.indicator, [(k, INDICATORS[k].min_denominator) for k in keys], RATE_MINIMUM)
    value = Case(None, [((numeric(denominator) >= least) & (numeric(denominator) > 0),
                         numeric(numerator) * 1.0 / numeric(denominator))], None)  # a ratio: a float will do
    columns = {**outputs, "indicator": ReportIndicator.indicator, "value": value, "numerator": numerator,
               "denominator": denominator, "reports": fn.SUM(Case(None, [(complete, 1)], 0)),
               "excluded": fn.SUM(Case(None, [(complete, 0)], 1))}
    query = (ReportIndicator.select(*[expr.alias(name) for name, expr in columns.items()])
             .join(Report).join(Agency).where(ReportIndicator.indicator.in_(keys)))
    query = apply_filters(query, args, REPORT_FILTERS).group_by(*outputs.values(), ReportIndicator.indicator)
    return query, columns, [*outputs.values(), ReportIndicator.indicator]
