"""Store a parsed report: all of it in one transaction, or nothing.

The same file (same sha256) loaded again changes nothing. A different file for an
agency and year already stored becomes a new revision: it is marked current and the
earlier revisions are kept."""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import PurePath

from peewee import PostgresqlDatabase, fn
from peewee import __exception_wrapper__ as db_errors  # peewee's own DB-API → peewee error mapping
from psycopg2.extras import execute_values

from loaders import PARSER_VERSION
from loaders.cross_year import check_carry
from loaders.document import ParsedReport
from models import Agency, Cell, Finding, Report, Section, SourceFile, audit, database, search
from models import rollup_ops as rollup
from models.agency import region_of, utcnow
from models.db import write_lock
from models.indicators import ReportIndicator, report_rows
from models.schema import touch_data_version

LOADED, UNCHANGED, REVISED = "loaded", "unchanged", "revised"
CELL_FIELDS = (Cell.report, Cell.table_key, Cell.row_key, Cell.column_key, Cell.value, Cell.raw, Cell.status,
               Cell.note, Cell.location, Cell.confidence, Cell.box)
FINDING_FIELDS = (Finding.report, Finding.rule, Finding.table_key, Finding.row_key, Finding.column_key,
                  Finding.cells, Finding.expected, Finding.printed, Finding.message, Finding.location)
SECTION_FIELDS = (Section.report, Section.number, Section.title, Section.text)
INDICATOR_FIELDS = (ReportIndicator.report, ReportIndicator.indicator, ReportIndicator.complete,
                    ReportIndicator.numerator, ReportIndicator.denominator)


@dataclass(frozen=True)
class StoreResult:
    outcome: str  # loaded | unchanged | revised
    report_id: int
    revision: int
    findings: int


def store_report(parsed: ParsedReport, actor: audit.Actor = audit.OPERATOR) -> StoreResult:
    """Store one report in one transaction (a savepoint inside a bulk load's batch),
    recording who stored it (``actor``: the operator unless a key's)."""
    m = parsed.metadata
    changes: list = []  # rollup deltas
    with database.atomic():
        write_lock()  # held to the commit: agency, revision and cross-year are read and written by one writer
        new_source = (SourceFile.insert(sha256=parsed.sha256, size=parsed.size, content=parsed.raw_bytes)
                      .on_conflict_ignore().as_rowcount().execute())
        existing = None if new_source else (
            Report.select().where(Report.source == parsed.sha256).order_by(Report.id).first())
        if existing:
            audit.record(actor, audit.UNCHANGED, existing, sha256=parsed.sha256,
                         detail=f"this file is stored already as report {existing.id}")
            return StoreResult(UNCHANGED, existing.id, existing.revision, existing.findings.count())
        agency = Agency.get_or_none(Agency.name == m.agency)
        if agency is None:  # made once, whoever gets there first
            Agency.insert(name=m.agency, region=region_of(m.agency)).on_conflict_ignore().execute()
            agency = Agency.get(Agency.name == m.agency)
        last = (Report.select(fn.MAX(Report.revision))
                .where(Report.agency == agency, Report.year == m.year).scalar()) or 0
        if last:
            for previous in Report.select().where(Report.agency == agency, Report.year == m.year,
                                                  Report.is_current == True):  # noqa: E712
                changes += rollup.report_deltas(previous, sign=-1)
            Report.update(is_current=False).where(Report.agency == agency, Report.year == m.year).execute()
        report = Report.create(
            agency=agency, year=m.year, layout=parsed.layout, revision=last + 1, is_current=True,
            title=m.title, document_number=m.document_number, published_on=m.published_on,
            contact_phone=m.contact_phone, contact_address=m.contact_address, contact_email=m.contact_email,
            contact_postcode=m.contact_postcode, source_name=stored_name(parsed.source_name),
            source_format=parsed.source_format, source_encoding=parsed.encoding, source=parsed.sha256,
            parser_version=PARSER_VERSION,
        )
        _insert(Cell, CELL_FIELDS, [
            (report.id, c.table, c.row, c.column, c.value, c.raw, c.status, c.note, c.location, c.confidence,
             c.box)
            for c in parsed.cells
        ])
        _insert(Finding, FINDING_FIELDS, [
            (report.id, f.rule, f.table, f.row, f.column, json.dumps(f.cells), f.expected, f.printed, f.message,
             f.location)
            for f in parsed.findings
        ])
        _insert(Section, SECTION_FIELDS, [
            (report.id, n, s.title[:200], s.text) for n, s in sorted(parsed.sections.items())
        ])
        # the revision's own search documents; the earlier revisions' stay, as history (found with revisions=all)
        search.index_report(report.id, agency.name, report.title,
                            {n: (s.title[:200], s.text) for n, s in parsed.sections.items()})
        _insert(ReportIndicator, INDICATOR_FIELDS,
                report_rows(report.id, ((c.table, c.row, c.column, c.value) for c in parsed.cells)))
        check_carry(agency.id, m.year)
        audit.record(actor, audit.REVISED if last else audit.CREATED, report)
        changes += rollup.deltas(m.year, parsed.layout, ((c.table, c.row, c.column, c.value) for c in parsed.cells))
        if not rollup.batching():
            rollup.apply(changes)
            touch_data_version()
    if rollup.batching():
        rollup.stash(changes)  # the report is stored: its deltas count
    return StoreResult(REVISED if last else LOADED, report.id, report.revision, len(parsed.findings))


def stored_name(name: str) -> str:
    """The name a report's file is stored and served under: as the loader named it
    (relative to what was given on the command line, see ``loaders.load``), but never a
    path of the server: an absolute path keeps only its file name."""
    path = PurePath(name.replace("\\", "/"))
    absolute = path.is_absolute() or path.parts[:1] != () and path.parts[0][1:2] == ":"  # C:/…
    return path.name if absolute or ".." in path.parts else name


@cache
def _insert_sql(model, fields: tuple, backend: type) -> str:
    """The parameterised INSERT of one row, as peewee writes it for this backend
    (without the RETURNING clause it adds on PostgreSQL: ids are not needed)."""
    sql = model.insert_many([tuple(None for _ in fields)], fields=list(fields)).sql()[0]
    return sql.split(" RETURNING ")[0]


def _insert(model, fields: tuple, rows: list[tuple]) -> None:
    """Insert many rows with one parameterised statement.

    Peewee writes the statement, so it is right for each backend. On SQLite the
    driver's ``executemany`` runs it for each row; on PostgreSQL, psycopg2's
    ``execute_values`` sends the rows as one multi-row VALUES (``executemany`` there
    is a round trip a row). Either is several times faster than ``insert_many``,
    which builds SQL for every value."""
    if not rows:
        return
    sql = _insert_sql(model, fields, type(database.obj))
    params = rows  # plain str, int, Decimal and None: both drivers adapt them as the fields would
    with db_errors:
        cursor = database.cursor()
        if isinstance(database.obj, PostgresqlDatabase):
            head, values = sql.split(" VALUES ", 1)
            execute_values(cursor, f"{head} VALUES %s", params, template=values, page_size=1000)
        else:
            cursor.executemany(sql, params)


def retract_report(report: Report, actor: audit.Actor = audit.OPERATOR) -> Report:
    """Withdraw a report: it stays, as history, but is never current again. If it was
    current, the latest earlier revision that is not retracted becomes current."""
    with database.atomic():
        write_lock()
        report = Report.get_by_id(report.id)  # as it is now that this writer holds the lock
        if report.retracted_at is None:
            changes = rollup.report_deltas(report, sign=-1) if report.is_current else []
            if report.is_current:
                previous = (Report.select().where(Report.agency == report.agency, Report.year == report.year,
                                                  Report.id != report.id, Report.retracted_at.is_null())
                            .order_by(Report.revision.desc()).first())
                if previous:
                    Report.update(is_current=True).where(Report.id == previous.id).execute()
                    changes += rollup.report_deltas(previous, sign=1)
            Report.update(is_current=False, retracted_at=utcnow()).where(Report.id == report.id).execute()
            check_carry(report.agency_id, report.year)
            rollup.apply(changes)
            touch_data_version()
        audit.record(actor, audit.UNCHANGED if report.retracted_at else audit.RETRACTED, report,
                     detail="retracted already" if report.retracted_at else None)
    return Report.get_by_id(report.id)
