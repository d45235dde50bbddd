"""Store a parsed report: all of it in one transaction, or nothing.

The same file (same sha256) loaded again changes nothing. A different file for an
agency and year already stored becomes a new revision: it is marked current and the
earlier revisions are kept."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import PurePath

from loaders import PARSER_VERSION
from loaders.cross_year import CURRENT_SQL, check_carry, current_params
from loaders.document import ParsedReport
from models import Agency, Cell, Finding, Report, Section, SourceFile, WriteEvent, audit, database, search
from models import rollup_ops as rollup
from models.agency import region_of, utcnow
from models.db import write_lock
from models.indicators import ReportIndicator, report_rows
from models.schema import touch_data_version
from models.writes import Pipe, db_errors, db_values, execute

LOADED, UNCHANGED, REVISED = "loaded", "unchanged", "revised"
CELL_FIELDS = (Cell.report, Cell.table_key, Cell.row_key, Cell.column_key, Cell.value, Cell.raw, Cell.status,
               Cell.note, Cell.location, Cell.confidence, Cell.box)
FINDING_FIELDS = (Finding.report, Finding.rule, Finding.table_key, Finding.row_key, Finding.column_key,
                  Finding.cells, Finding.expected, Finding.printed, Finding.message, Finding.location)
SECTION_FIELDS = (Section.report, Section.number, Section.title, Section.text)
INDICATOR_FIELDS = (ReportIndicator.report, ReportIndicator.indicator, ReportIndicator.complete,
                    ReportIndicator.numerator, ReportIndicator.denominator)
SOURCE_FIELDS = (SourceFile.sha256, SourceFile.size, SourceFile.content)
AGENCY_FIELDS = (Agency.name, Agency.region, Agency.created_at)
REPORT_FIELDS = (Report.agency, Report.year, Report.layout, Report.revision, Report.is_current, Report.title,
                 Report.document_number, Report.published_on, Report.contact_phone, Report.contact_address,
                 Report.contact_email, Report.contact_postcode, Report.source_name, Report.source_format,
                 Report.source_encoding, Report.source, Report.parser_version, Report.loaded_at)
EVENT_FIELDS = (WriteEvent.at, WriteEvent.action, WriteEvent.actor, WriteEvent.via, WriteEvent.api_key,
                WriteEvent.report, WriteEvent.agency_name, WriteEvent.year, WriteEvent.sha256, WriteEvent.detail)

# An agency's id and its latest revision of a year (no row: no such agency).
AGENCY_SQL = ("SELECT a.id, (SELECT MAX(r.revision) FROM report r WHERE r.agency_id = a.id AND r.year = ?) "
              "FROM agency a WHERE a.name = ?")
# PostgreSQL: the file stored unless there (1 if it is new) and the agency, in one trip.
PG_SOURCE_AGENCY_SQL = (
    "WITH s AS (INSERT INTO source_file (sha256, size, content) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING "
    "RETURNING 1) SELECT (SELECT COUNT(*) FROM s), a.id, (SELECT MAX(r.revision) FROM report r "
    "WHERE r.agency_id = a.id AND r.year = %s) FROM (SELECT 1) one LEFT JOIN agency a ON a.name = %s")


@dataclass(frozen=True)
class StoreResult:
    outcome: str  # loaded | unchanged | revised
    report_id: int
    revision: int
    findings: int


def store_report(parsed: ParsedReport, actor: audit.Actor = audit.OPERATOR) -> StoreResult:
    """Store one report in one transaction (a savepoint inside a bulk load's batch),
    recording who stored it (``actor``: the operator unless a key's).

    Its rows are written by statements made once per backend (``models.writes``), from
    plain tuples; on PostgreSQL in a few round trips: the file and the agency, the
    report, then everything else with the cross-year check's read."""
    m = parsed.metadata
    changes: list = []  # rollup deltas
    with database.atomic():
        write_lock()  # held to the commit: agency, revision and cross-year are read and written by one writer
        pipe = Pipe()
        new_source, agency_id, last = _source_and_agency(pipe, parsed)
        if not new_source:
            existing = Report.select().where(Report.source == parsed.sha256).order_by(Report.id).first()
            if existing:
                audit.record(actor, audit.UNCHANGED, existing, sha256=parsed.sha256,
                             detail=f"this file is stored already as report {existing.id}")
                return StoreResult(UNCHANGED, existing.id, existing.revision, existing.findings.count())
        last = last or 0
        if last:
            for previous in Report.select().where(Report.agency == agency_id, Report.year == m.year,
                                                  Report.is_current == True):  # noqa: E712
                changes += rollup.report_deltas(previous, sign=-1)
            Report.update(is_current=False).where(Report.agency == agency_id, Report.year == m.year).execute()
        report = db_values(REPORT_FIELDS, (
            agency_id, m.year, parsed.layout, last + 1, True, m.title, m.document_number, m.published_on,
            m.contact_phone, m.contact_address, m.contact_email, m.contact_postcode, stored_name(parsed.source_name),
            parsed.source_format, parsed.encoding, parsed.sha256, PARSER_VERSION, utcnow()))
        report_id, agency_id = _insert_report(pipe, report, agency_id, m.agency)
        cells = [(c.table, c.row, c.column, c.value) for c in parsed.cells]
        pipe.insert(Cell, CELL_FIELDS, [
            (report_id, c.table, c.row, c.column, c.value, c.raw, c.status, c.note, c.location, c.confidence, c.box)
            for c in parsed.cells
        ])
        pipe.insert(Finding, FINDING_FIELDS, [
            (report_id, f.rule, f.table, f.row, f.column, json.dumps(f.cells), f.expected, f.printed, f.message,
             f.location)
            for f in parsed.findings
        ])
        sections = {n: (s.title[:200], s.text) for n, s in sorted(parsed.sections.items())}
        pipe.insert(Section, SECTION_FIELDS, [(report_id, n, title, text) for n, (title, text) in sections.items()])
        # the revision's own search documents; the earlier revisions' stay, as history (found with revisions=all)
        fts = search.index_report(report_id, m.agency, m.title, sections, pipe)  # in a batch: kept for its end
        pipe.insert(ReportIndicator, INDICATOR_FIELDS, report_rows(report_id, cells))
        pipe.insert(WriteEvent, EVENT_FIELDS, [db_values(EVENT_FIELDS, (
            utcnow(), audit.REVISED if last else audit.CREATED, actor.name, actor.via, actor.key_id, report_id,
            m.agency, m.year, parsed.sha256, None))])
        pipe.run(CURRENT_SQL, current_params(agency_id, m.year))  # last: its rows are the trip's answer
        check_carry(agency_id, m.year, current=pipe.flush().fetchall(), fresh=report_id)
        changes += rollup.deltas(m.year, parsed.layout, cells)
        if not rollup.batching():
            rollup.apply(changes)
            touch_data_version()
    if rollup.batching():
        rollup.stash(changes)  # the report is stored: its deltas count
    if fts:
        search.stash(fts)  # and its search rows are written with the batch's
    return StoreResult(REVISED if last else LOADED, report_id, last + 1, len(parsed.findings))


def _source_and_agency(pipe: Pipe, parsed: ParsedReport) -> tuple[bool, int | None, int | None]:
    """Store the file unless stored already; whether it is new, its agency's id (None:
    no such agency yet) and that agency's latest revision of the year (None: none)."""
    with db_errors:  # the driver's errors as peewee's (a full disk, a lost server), as every store's
        return _source_and_agency_raw(pipe, parsed)


def _source_and_agency_raw(pipe: Pipe, parsed: ParsedReport) -> tuple[bool, int | None, int | None]:
    source = db_values(SOURCE_FIELDS, (parsed.sha256, parsed.size, parsed.raw_bytes))
    m = parsed.metadata
    cursor = pipe.cursor
    if pipe.pg:
        cursor.execute(PG_SOURCE_AGENCY_SQL, (*source, m.year, m.agency))
        new, agency_id, last = cursor.fetchone()
        return bool(new), agency_id, last
    cursor.execute("INSERT OR IGNORE INTO source_file (sha256, size, content) VALUES (?, ?, ?)", source)
    new = cursor.rowcount == 1
    row = cursor.execute(AGENCY_SQL, (m.year, m.agency)).fetchone()
    return new, *(row or (None, None))


def _insert_report(pipe: Pipe, report: tuple, agency_id: int | None, agency: str) -> tuple[int, int]:
    """Insert the report (its agency first, if new: made once, whoever gets there first);
    (report id, agency id)."""
    with db_errors:
        return _insert_report_raw(pipe, report, agency_id, agency)


def _insert_report_raw(pipe: Pipe, report: tuple, agency_id: int | None, agency: str) -> tuple[int, int]:
    cursor = pipe.cursor
    columns = ", ".join(f.column_name for f in REPORT_FIELDS)
    marks = ", ".join("?" for _ in REPORT_FIELDS)
    new_agency = db_values(AGENCY_FIELDS, (agency, region_of(agency), utcnow())) if agency_id is None else None
    if pipe.pg:
        if new_agency:  # the agency and the report in one trip; none if another writer made the agency
            cursor.execute(
                "WITH a AS (INSERT INTO agency (name, region, created_at) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING "
                f"RETURNING id) INSERT INTO report ({columns}) SELECT a.id, {marks.replace('?', '%s')[4:]} FROM a "
                "RETURNING id, agency_id", (*new_agency, *report[1:]))
            row = cursor.fetchone()
            if row:
                return row
            agency_id = execute("SELECT id FROM agency WHERE name = ?", (agency,)).fetchone()[0]
        cursor.execute(f"INSERT INTO report ({columns}) VALUES ({marks.replace('?', '%s')}) RETURNING id",
                       (agency_id, *report[1:]))
        return cursor.fetchone()[0], agency_id
    if new_agency:
        cursor.execute("INSERT OR IGNORE INTO agency (name, region, created_at) VALUES (?, ?, ?)", new_agency)
        agency_id = cursor.lastrowid if cursor.rowcount == 1 else (
            cursor.execute("SELECT id FROM agency WHERE name = ?", (agency,)).fetchone()[0])
    cursor.execute(f"INSERT INTO report ({columns}) VALUES ({marks})", (agency_id, *report[1:]))
    return cursor.lastrowid, agency_id


def stored_name(name: str) -> str:
    """The name a report's file is stored and served under: as the loader named it
    (relative to what was given on the command line, see ``loaders.load``), but never a
    path of the server: an absolute path keeps only its file name."""
    path = PurePath(name.replace("\\", "/"))
    absolute = path.is_absolute() or path.parts[:1] != () and path.parts[0][1:2] == ":"  # C:/…
    return path.name if absolute or ".." in path.parts else name


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
