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
from models import Finding, Report, database
from models.codebook import codebook
from models.db import write_lock
from models.decimals import to_decimal
from models.writes import Pipe, execute

RULE = "cross_year.carry"
TABLE, CARRIED_OVER, CARRIED_FORWARD = "requests", "carried_over", "carried_forward"


# the current revisions of an agency in three years (params: ``current_params``)
CURRENT_SQL = "SELECT id, year FROM report WHERE agency_id = ? AND year BETWEEN ? AND ? AND is_current = ?"
FINDING_FIELDS = (Finding.report, Finding.rule, Finding.table_key, Finding.row_key, Finding.column_key,
                  Finding.cells, Finding.expected, Finding.printed, Finding.message, Finding.location)


def current_params(agency_id: int, year: int) -> tuple:
    return agency_id, year - 1, year + 1, True


def check_carry(agency_id: int, year: int, current: list[tuple[int, int]] | None = None,
                fresh: int | None = None) -> int:
    """Make the ``cross_year.carry`` findings of the pairs (year-1, year) and (year,
    year+1) of an agency again, from its current revisions. Returns how many there are.
    ``current``: the (id, year) rows of ``CURRENT_SQL``, when read already; ``fresh``: a
    report stored in this transaction, before any check (it has no such finding to delete)."""
    if current is None:
        current = execute(CURRENT_SQL, current_params(agency_id, year)).fetchall()
    reports = {y: i for i, y in current}
    later = [reports[y] for y in (year, year + 1) if y in reports and reports[y] != fresh]
    if later:
        execute(f"DELETE FROM finding WHERE report_id IN ({', '.join('?' for _ in later)}) AND rule = ?",
                (*later, RULE))
    pairs = [(y - 1, y) for y in (year, year + 1) if y in reports and y - 1 in reports]
    if not pairs:
        return 0
    ids = [reports[y] for pair in pairs for y in pair]
    cells = {(report_id, row, column): (to_decimal(value), location) for report_id, row, column, value, location in
             execute(f"SELECT report_id, row_key, column_key, value, location FROM cell WHERE report_id IN "
                     f"({', '.join('?' for _ in ids)}) AND table_key = ? AND row_key IN (?, ?)",
                     (*ids, TABLE, CARRIED_OVER, CARRIED_FORWARD)).fetchall()}
    rows = []
    for before_year, this_year in pairs:
        before, this = reports[before_year], reports[this_year]
        for column in codebook().tables[TABLE].columns:
            forward, _ = cells.get((before, CARRIED_FORWARD, column), (None, None))
            over, location = cells.get((this, CARRIED_OVER, column), (None, None))
            if forward is None or over is None:
                continue  # a blank, a placeholder or a missing cell: nothing to compare
            if forward != over:
                rows.append((
                    this, RULE, TABLE, CARRIED_OVER, column, json.dumps([f"{TABLE}/{CARRIED_OVER}/{column}"]),
                    forward, over,
                    f"{column}: {number(over)} carried over into {this_year}, but the "
                    f"{before_year} report (id {before}) carried {number(forward)} forward", location))
    if rows:
        pipe = Pipe()
        pipe.insert(Finding, FINDING_FIELDS, rows)
        pipe.flush()
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
