"""Cross-year checks: an agency's requests carried over into year N (table 三, row 二)
against those it carried forward out of year N-1 (row 四), column by column.

The check needs two reports, so it runs in the database, not the parser: each time a
report is stored or retracted, the findings of the pairs it belongs to are made
again from the current revisions. They are ``cross_year.carry`` findings on the
year-N report; the identity is soft (an agency may count differently from one year
to the next), so a finding is a question to ask, not an error."""
from __future__ import annotations

import json

from loaders.document import number
from models import Cell, Finding, Report, database
from models.codebook import codebook
from models.db import write_lock

RULE = "cross_year.carry"
TABLE, CARRIED_OVER, CARRIED_FORWARD = "requests", "carried_over", "carried_forward"


def check_carry(agency_id: int, year: int) -> int:
    """Make the ``cross_year.carry`` findings of the pairs (year-1, year) and (year,
    year+1) of an agency again, from its current revisions. Returns how many there are."""
    reports = {r.year: r for r in Report.select(Report.id, Report.year).where(
        Report.agency == agency_id, Report.year.between(year - 1, year + 1), Report.is_current == True)}  # noqa: E712
    later = [reports[y] for y in (year, year + 1) if y in reports]
    if later:
        Finding.delete().where(Finding.report.in_([r.id for r in later]), Finding.rule == RULE).execute()
    pairs = [(reports[y - 1], reports[y]) for y in (year, year + 1) if y in reports and y - 1 in reports]
    if not pairs:
        return 0
    cells = {}
    for c in Cell.select(Cell.report, Cell.row_key, Cell.column_key, Cell.value, Cell.location).where(
            Cell.report.in_([r.id for pair in pairs for r in pair]), Cell.table_key == TABLE,
            Cell.row_key.in_([CARRIED_OVER, CARRIED_FORWARD])):
        cells[c.report_id, c.row_key, c.column_key] = c
    rows = []
    for before, this in pairs:
        for column in codebook().tables[TABLE].columns:
            forward = cells.get((before.id, CARRIED_FORWARD, column))
            over = cells.get((this.id, CARRIED_OVER, column))
            if forward is None or over is None or forward.value is None or over.value is None:
                continue  # a blank, a placeholder or a missing cell: nothing to compare
            if forward.value != over.value:
                rows.append({
                    "report": this.id, "rule": RULE, "table_key": TABLE, "row_key": CARRIED_OVER,
                    "column_key": column, "cells": json.dumps([f"{TABLE}/{CARRIED_OVER}/{column}"]),
                    "expected": forward.value, "printed": over.value, "location": over.location,
                    "message": f"{column}: {number(over.value)} carried over into {this.year}, but the "
                               f"{before.year} report (id {before.id}) carried {number(forward.value)} forward"})
    if rows:
        Finding.insert_many(rows).execute()
    return len(rows)


def check_all() -> int:
    """Make every agency's cross-year findings again (after a migration or a repair),
    as storing makes them: those of current revisions are made again; those of earlier
    revisions are kept, as the history they are. Returns how many the current
    revisions have."""
    current = Report.select(Report.id).where(Report.is_current == True)  # noqa: E712
    with database.atomic():
        write_lock()  # no load changes the reports meanwhile
        held: dict[int, set[int]] = {}
        for agency_id, year in Report.select(Report.agency, Report.year).where(
                Report.is_current == True).tuples().iterator():  # noqa: E712
            held.setdefault(agency_id, set()).add(year)
        Finding.delete().where(Finding.rule == RULE, Finding.report.in_(current)).execute()
        for agency_id, years in held.items():
            for year in sorted(years):
                if year - 1 in years:
                    check_carry(agency_id, year)
    return Finding.select().where(Finding.rule == RULE, Finding.report.in_(current)).count()
