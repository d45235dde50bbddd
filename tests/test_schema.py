"""The schema version is recorded, and an older database is migrated, keeping its data."""
import pytest
from peewee import TextField
from playhouse.migrate import SchemaMigrator, migrate

import models.schema as schema
from loaders.load import load_paths
from models import Agency, Meta, Report, database, open_database
from tests.conftest import seed


def test_a_new_database_records_the_schema_version(db):
    assert Meta.get(Meta.key == "schema_version").value == str(schema.SCHEMA_VERSION)


def test_opening_again_keeps_the_data(db, db_url):
    load_paths([seed("001")])
    open_database(db_url)
    assert Report.select().count() == 1


def test_a_database_newer_than_the_code_is_refused(db, db_url):
    Meta.update(value="99").where(Meta.key == "schema_version").execute()
    with pytest.raises(schema.SchemaTooNew, match="schema version 99 is newer"):
        open_database(db_url)


def test_migrations_bring_an_older_database_forward(db, db_url, monkeypatch):
    load_paths([seed("001")])

    def add_reviewer(db_):
        migrator = SchemaMigrator.from_database(db_)
        migrate(migrator.add_column("report", "reviewer", TextField(null=True)))

    monkeypatch.setattr(schema, "SCHEMA_VERSION", schema.SCHEMA_VERSION + 1)
    monkeypatch.setitem(schema.MIGRATIONS, schema.SCHEMA_VERSION, add_reviewer)
    open_database(db_url)
    assert Meta.get(Meta.key == "schema_version").value == str(schema.SCHEMA_VERSION)
    columns = [c.name for c in database.get_columns("report")]
    assert "reviewer" in columns
    assert Report.select().count() == 1


def test_version_1_databases_get_agency_regions(db, db_url):
    load_paths([seed("000"), seed("003")])
    migrator = SchemaMigrator.from_database(database)
    migrate(migrator.drop_index("agency", "agency_region"), migrator.drop_column("agency", "region"))
    Meta.update(value="1").where(Meta.key == "schema_version").execute()

    open_database(db_url)
    assert Meta.get(Meta.key == "schema_version").value == str(schema.SCHEMA_VERSION)
    regions = {a.name: a.region for a in Agency.select()}
    assert regions == {"晋江市城市管理局": "晋江市", "晋江市安海镇人民政府": "晋江市安海镇"}


def test_version_5_makes_the_indicators_and_cross_year_findings_of_stored_reports(db, db_url, tmp_path):
    from loaders.cross_year import RULE
    from models import Finding
    from models.indicators import ReportIndicator
    from tests.test_cross_year import next_year, previous

    load_paths([previous(tmp_path), next_year(tmp_path, ["5", "0", "0", "0", "0", "0", "5"]), seed("002")])
    stored = sorted(ReportIndicator.select(ReportIndicator.report, ReportIndicator.indicator,
                                           ReportIndicator.complete, ReportIndicator.numerator,
                                           ReportIndicator.denominator).tuples())
    assert len(stored) == 3 * 6
    # a version 4 database: no report_indicator, no cross-year findings
    database.drop_tables([ReportIndicator])
    Finding.delete().where(Finding.rule == RULE).execute()
    Meta.update(value="4").where(Meta.key == "schema_version").execute()
    open_database(db_url)
    assert Meta.get(Meta.key == "schema_version").value == str(schema.SCHEMA_VERSION)
    assert sorted(ReportIndicator.select(ReportIndicator.report, ReportIndicator.indicator,
                                         ReportIndicator.complete, ReportIndicator.numerator,
                                         ReportIndicator.denominator).tuples()) == stored
    assert Finding.select().where(Finding.rule == RULE).count() == 2


def test_retracted_reports_have_their_own_index(db, db_url):
    """Version 11: a cursor walk counts the retracted reports on every page; a partial
    index keeps that to the few retracted ones, on a new database and a migrated one."""
    def indexed() -> bool:
        if db_url.startswith("sqlite"):
            sql = "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'report_retracted'"
        else:
            sql = "SELECT 1 FROM pg_indexes WHERE indexname = 'report_retracted'"
        return database.execute_sql(sql).fetchone() is not None

    assert indexed()
    database.execute_sql("DROP INDEX report_retracted")
    Meta.update(value="10").where(Meta.key == "schema_version").execute()
    assert schema.ensure_schema() == schema.SCHEMA_VERSION == 11 and indexed()
