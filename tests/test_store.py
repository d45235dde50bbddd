"""Loading into a real database (SQLite, and PostgreSQL when configured)."""
import dataclasses
from decimal import Decimal

import pytest
from peewee import IntegrityError

from loaders.document import parse_file
from loaders.load import load_paths
from loaders.store import store_report
from models import Agency, Cell, Finding, Report, Section, SourceFile
from tests.conftest import FIXTURES, seed

SEED_CELLS = 200 + 200 + 200 + 198 + 198


def test_load_seeds_stores_every_cell_finding_and_section(db):
    summary = load_paths([FIXTURES / "seeds"])
    assert summary.counts == {"loaded": 5}
    assert summary.line() == "5 files: 5 loaded, 0 unchanged, 0 revised, 0 failed; 11 findings in the files stored"
    assert (Agency.select().count(), Report.select().count(), Cell.select().count()) == (5, 5, SEED_CELLS)
    assert Section.select().count() == 30
    assert Finding.select().count() == 11  # 002: 5, 003: 4, 004: 2

    report = Report.get(Report.year == 2020)
    assert (report.agency.name, report.layout, report.revision) == ("晋江市人民政府", "2019", 1)
    assert report.is_current
    granted = Cell.get(Cell.report == report, Cell.table_key == "requests", Cell.row_key == "granted",
                       Cell.column_key == "total")
    assert (granted.value, granted.raw, granted.status) == (Decimal(142), "142", "reported")
    assert granted.location == "line 97"
    money = Cell.get(Cell.report == report, Cell.row_key == "procurement", Cell.column_key == "procurement_amount")
    assert money.value == Decimal("249887966.42")
    assert bytes(report.source.content) == seed("004").read_bytes()


def test_stored_findings_and_nulls(db):
    load_paths([seed("002"), seed("000")])
    report = Report.select().join(Agency).where(Agency.name == "晋江市西园街道").get()
    balance = Finding.get(Finding.report == report, Finding.rule == "requests.balance")
    assert (balance.column_key, balance.expected, balance.printed) == ("natural_person", 0, 6)
    blank = (Cell.select().join(Report).join(Agency)
             .where(Agency.name == "晋江市城市管理局", Cell.row_key == "review"))
    assert [(c.value, c.status) for c in blank] == [(None, "blank")] * 5


def test_loading_the_same_file_twice_changes_nothing(db):
    load_paths([FIXTURES / "seeds"])
    again = load_paths([FIXTURES / "seeds"])
    assert again.counts == {"unchanged": 5}
    assert again.line().startswith("5 files: 0 loaded, 5 unchanged, 0 revised, 0 failed")
    assert (Report.select().count(), Cell.select().count(), SourceFile.select().count()) == (5, SEED_CELLS, 5)


def test_a_changed_file_for_the_same_agency_and_year_is_a_new_revision(db, tmp_path):
    load_paths([seed("004")])
    changed = tmp_path / "004_corrected.txt"
    changed.write_text(seed("004").read_text(encoding="utf-8").replace("| 2    | 0    | 0    | 0    | 2  |",
                                                                      "| 3    | 0    | 0    | 0    | 3  |"),
                       encoding="utf-8")
    summary = load_paths([changed])
    assert summary.counts == {"revised": 1}
    first, second = Report.select().order_by(Report.revision)
    assert (first.revision, first.is_current, second.revision, second.is_current) == (1, False, 2, True)
    assert first.agency_id == second.agency_id and first.year == second.year == 2020

    def review_total(report):
        return Cell.get(Cell.report == report, Cell.row_key == "review", Cell.column_key == "total").value

    assert (review_total(first), review_total(second)) == (2, 3)
    assert Cell.select().count() == 2 * 198


def test_a_report_that_fails_to_store_leaves_nothing(db):
    parsed = parse_file(seed("001"))
    parsed.cells.append(dataclasses.replace(parsed.cells[-1]))  # a duplicate cell breaks the unique index
    with pytest.raises(IntegrityError):
        store_report(parsed)
    assert [m.select().count() for m in (Agency, SourceFile, Report, Cell, Finding, Section)] == [0] * 6


def test_a_failed_file_is_reported_and_the_others_go_on(db, tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("这是一则通知，不是年度报告。\n", encoding="utf-8")
    summary = load_paths([seed("000"), bad, seed("001")])
    assert [o.outcome for o in summary.outcomes] == ["loaded", "failed", "loaded"]
    assert summary.outcomes[1].error.startswith(f"{bad}: tables: no report tables found")
    assert Report.select().count() == 2
