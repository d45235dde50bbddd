"""Schema creation and versioned migrations.

``SCHEMA_VERSION`` is stored in the ``meta`` table. A database created by this code
gets the current version; an older one is brought forward by running each function
in ``MIGRATIONS`` whose version is above the stored one, in order, each in a
transaction. To change the schema: change the models, bump ``SCHEMA_VERSION`` and add
the migration (``playhouse.migrate``) that turns version N-1 into N."""
from __future__ import annotations

import uuid

from peewee import CharField, TextField
from playhouse.migrate import SchemaMigrator, migrate

from models.agency import Agency, region_of
from models.apikey import ApiKey
from models.base import BaseModel
from models.cell import Cell
from models.db import database
from models.finding import Finding
from models.indicators import ReportIndicator
from models.report import Report
from models.rollup import CellRollup
from models.section import Section
from models.source import SourceFile

SCHEMA_VERSION = 5


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


# version -> the function(db) that migrates a database from the version before
MIGRATIONS = {2: _v2_agency_region, 3: _v3_cell_rollup, 4: _v4_write_api, 5: _v5_indicators_cross_year}


class Meta(BaseModel):
    key = CharField(max_length=64, primary_key=True)
    value = TextField()


MODELS = [Meta, Agency, SourceFile, Report, Cell, Finding, Section, CellRollup, ApiKey, ReportIndicator]


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
    API's ETags are made from it."""
    _set("data_version", uuid.uuid4().hex)


def data_version() -> str:
    row = Meta.get_or_none(Meta.key == "data_version")
    return row.value if row else "empty"


def ensure_schema() -> int:
    """Create the tables of a new database, or migrate an older one. Returns the version."""
    version = stored_version()
    if version is None:
        with database.atomic():
            database.create_tables(MODELS)
            _set_version(SCHEMA_VERSION)
        return SCHEMA_VERSION
    if version > SCHEMA_VERSION:
        raise SchemaTooNew(
            f"database schema version {version} is newer than this code's {SCHEMA_VERSION}: upgrade ogi-api"
        )
    for target in range(version + 1, SCHEMA_VERSION + 1):
        with database.atomic():
            MIGRATIONS[target](database)
            _set_version(target)
    return SCHEMA_VERSION
