"""Schema creation and versioned migrations.

``SCHEMA_VERSION`` is stored in the ``meta`` table. A database created by this code
gets the current version; an older one is brought forward by running each function
in ``MIGRATIONS`` whose version is above the stored one, in order, each in a
transaction. To change the schema: change the models, bump ``SCHEMA_VERSION`` and add
the migration (``playhouse.migrate``) that turns version N-1 into N."""
from __future__ import annotations

import logging
import time
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime

from peewee import CharField, PostgresqlDatabase, TextField
from playhouse.migrate import SchemaMigrator, migrate

from models.agency import Agency, region_of
from models.apikey import ApiKey
from models.audit import WriteEvent, backfill
from models.base import BaseModel
from models.cell import Cell
from models.db import database
from models.finding import Finding
from models.indicators import ReportIndicator
from models.job import Job
from models.report import Report
from models.rollup import CellRollup
from models.search import SearchDoc, create_index
from models.section import Section
from models.source import SourceFile

SCHEMA_VERSION = 11


def _add_column(db, table: str, name: str, field) -> None:
    """Add a column unless it is there (a migration may meet a half-migrated database)."""
    if name not in {c.name for c in db.get_columns(table)}:
        migrate(SchemaMigrator.from_database(db).add_column(table, name, field))


def _v2_agency_region(db) -> None:
    """Version 2: ``agency.region``, the administrative divisions read from its name."""
    _add_column(db, "agency", "region", Agency.region)  # indexed, as the field says
    for agency in Agency.select(Agency.id, Agency.name):
        Agency.update(region=region_of(agency.name)).where(Agency.id == agency.id).execute()


def _v3_cell_rollup(db) -> None:
    """Version 3: ``cell_rollup``, national sums kept at load time; built from the cells."""
    db.create_tables([CellRollup])
    from models.rollup_ops import rebuild_rollups

    rebuild_rollups()


def _v4_write_api(db) -> None:
    """Version 4: API keys, and retracted reports."""
    db.create_tables([ApiKey])
    _add_column(db, "report", "retracted_at", Report.retracted_at)


def _v5_indicators_cross_year(db) -> None:
    """Version 5: ``report_indicator``, made from the cells; and the cross-year findings
    of the reports stored already."""
    db.create_tables([ReportIndicator])
    from loaders.cross_year import check_all
    from models.indicators import rebuild_indicators

    rebuild_indicators()
    check_all()


def _v6_exact_numbers(db) -> None:
    """Version 6: exact numbers: decimal columns TEXT (SQLite) or NUMERIC (PostgreSQL),
    the values exact (see ``models/exact_migration.py``); rollup and indicators made again."""
    from models.exact_migration import migrate_to_exact

    migrate_to_exact()


def _v7_key_scopes(db) -> None:
    """Version 7: API key scopes (``api_key.scope``) and the write audit (``write_event``).

    Keys made before scopes get none: they authenticate but may write nothing until an
    operator scopes them (``ogi keys scope``); no key keeps a power nobody chose to give
    it. Reports stored already get events whose actor is ``unrecorded``."""
    _add_column(db, "api_key", "scope", ApiKey.scope)
    if not db.table_exists(WriteEvent._meta.table_name):
        db.create_tables([WriteEvent])
        backfill()
    unscoped = ApiKey.select().where(ApiKey.scope.is_null(), ApiKey.revoked_at.is_null()).count()
    if unscoped:
        logging.getLogger("ogi").warning(
            "%d API key(s) from before scopes may write nothing until scoped: ogi keys scope ID --agency/--region/"
            "--admin", unscoped)


def _v8_ocr(db) -> None:
    """Version 8: cells read by OCR: ``cell.confidence`` and ``cell.box`` (null for the
    cells stored before, all read from text)."""
    _add_column(db, "cell", "confidence", Cell.confidence)
    _add_column(db, "cell", "box", Cell.box)


def _v9_jobs(db) -> None:
    """Version 9: ``job``, uploads parsed and stored by a worker (``POST /v1/reports``
    of a scan or a large file)."""
    db.create_tables([Job])


def _v10_search(db) -> None:
    """Version 10: full-text search (``models/search.py``): ``search_doc`` and its index
    (an FTS5 table on SQLite, a tsvector column with a GIN index on PostgreSQL), made
    from every report and section stored."""
    from models.search import rebuild

    db.create_tables([SearchDoc])
    create_index(db)
    rebuild()


# The retracted reports, few among many: a cursor walk counts them on every page (api.paging)
RETRACTED_INDEX = "CREATE INDEX IF NOT EXISTS report_retracted ON report (id) WHERE retracted_at IS NOT NULL"


def _v11_retracted_index(db) -> None:
    """Version 11: a partial index of the retracted reports (``RETRACTED_INDEX``)."""
    db.execute_sql(RETRACTED_INDEX)


# version -> the function(db) that migrates a database from the version before
MIGRATIONS = {2: _v2_agency_region, 3: _v3_cell_rollup, 4: _v4_write_api, 5: _v5_indicators_cross_year,
              6: _v6_exact_numbers, 7: _v7_key_scopes, 8: _v8_ocr, 9: _v9_jobs, 10: _v10_search,
              11: _v11_retracted_index}


class Meta(BaseModel):
    key = CharField(max_length=64, primary_key=True)
    value = TextField()


MODELS = [Meta, Agency, SourceFile, Report, Cell, Finding, Section, CellRollup, ApiKey, ReportIndicator,
          WriteEvent, Job, SearchDoc]


class SchemaTooNew(RuntimeError):
    pass


def stored_version() -> int | None:
    if not database.table_exists(Meta._meta.table_name):
        return None
    row = Meta.get_or_none(Meta.key == "schema_version")
    return int(row.value) if row else None


def _set(key: str, value: str) -> None:
    Meta.insert(key=key, value=value).on_conflict(conflict_target=[Meta.key], preserve=[Meta.value]).execute()


def _set_version(version: int) -> None:
    _set("schema_version", str(version))


def touch_data_version() -> None:
    """Record that the data changed (every write does this in its transaction): the
    API's ETags are made from it, and its ``Last-Modified`` from the time it starts with."""
    _set("data_version", f"{int(time.time())}-{uuid.uuid4().hex}")


def data_version() -> str:
    row = Meta.get_or_none(Meta.key == "data_version")
    return row.value if row else "empty"


def data_changed_at(version: str) -> datetime | None:
    """When the data last changed, from its version (None for a version made before
    versions carried their time, or an empty database)."""
    seconds, _, rest = version.partition("-")
    return datetime.fromtimestamp(int(seconds), UTC) if rest and seconds.isdigit() else None


SCHEMA_LOCK = 0x6F6769  # the advisory lock (PostgreSQL) that schema changes take


@contextmanager
def _schema_lock():
    """One process at a time creates or migrates the schema: a session advisory lock on
    PostgreSQL (released however the block ends), a write transaction taken at once
    (BEGIN IMMEDIATE) on SQLite."""
    if isinstance(database.obj, PostgresqlDatabase):
        database.execute_sql("SELECT pg_advisory_lock(%s)", (SCHEMA_LOCK,))
        try:
            yield
        finally:
            database.execute_sql("SELECT pg_advisory_unlock(%s)", (SCHEMA_LOCK,))
    else:
        with database.atomic(lock_type="IMMEDIATE"):
            yield


def _check_not_newer(version: int | None) -> None:
    if version is not None and version > SCHEMA_VERSION:
        raise SchemaTooNew(
            f"database schema version {version} is newer than this code's {SCHEMA_VERSION}: upgrade ogi-api"
        )


def ensure_schema() -> int:
    """Create the tables of a new database, or migrate an older one. Returns the version.

    A database at this version is only read (so a read-only one opens). Otherwise the
    work is done under a lock, and the version read again once it is held: of several
    processes starting at once on a new or older database, one creates or migrates
    it and the others find it done."""
    version = stored_version()
    _check_not_newer(version)
    if version == SCHEMA_VERSION:
        return SCHEMA_VERSION
    with _schema_lock():
        version = stored_version()
        _check_not_newer(version)
        if version is None:
            with database.atomic():
                database.create_tables(MODELS)
                create_index(database)
                database.execute_sql(RETRACTED_INDEX)
                _set_version(SCHEMA_VERSION)
            return SCHEMA_VERSION
        for target in range(version + 1, SCHEMA_VERSION + 1):
            with database.atomic():
                MIGRATIONS[target](database)
                _set_version(target)
    return SCHEMA_VERSION
