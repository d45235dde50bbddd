"""Cross-year checks (``cross_year.carry``): carried_over of year N against
carried_forward of year N-1, made in the database whenever either report changes."""
from decimal import Decimal

from loaders.cross_year import RULE, check_all
from loaders.load import load_paths
from loaders.store import retract_report
from models import Finding, Report
from tests.conftest import seed

CARRIED_OVER = "| 二、上年结转政府信息公开申请数量 "
CARRIED_FORWARD = "| 四、结转下年度继续办理 "
ZEROS = ["0"] * 7


def report(tmp_path, year: int, carried_over: list[str], carried_forward: list[str] = ZEROS, name: str = ""):
    """Seed 004 (晋江市人民政府, 2020) as the report of ``year``, with the rows 二
    (carried_over) and 四 (carried_forward) printed as given, seven columns each. (The
    seed's own row 四 has a value short: its carried_forward cells are null.)"""
    lines = seed("004").read_text(encoding="utf-8").replace("2020", str(year)).splitlines()
    for label, values in ((CARRIED_OVER, carried_over), (CARRIED_FORWARD, carried_forward)):
        at = next(i for i, line in enumerate(lines) if line.startswith(label))
        lines[at] = label + "| | " + " | ".join(values) + " | |"
    path = tmp_path / (name or f"{year}.txt")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def previous(tmp_path):
    return report(tmp_path, 2020, ZEROS, ZEROS)


def next_year(tmp_path, carried_over: list[str], name: str = "2021.txt"):
    return report(tmp_path, 2021, carried_over, ZEROS, name)


def carry_findings():
    return sorted((f.report.year, f.column_key, f.expected, f.printed)
                  for f in Finding.select().join(Report).where(Finding.rule == RULE))


def test_carried_over_is_checked_against_last_years_carried_forward(db, tmp_path):
    later = next_year(tmp_path, ["5", "0", "0", "0", "0", "0", "5"])
    assert load_paths([previous(tmp_path), later]).failed == 0
    assert carry_findings() == [(2021, "natural_person", Decimal(0), Decimal(5)),
                                (2021, "total", Decimal(0), Decimal(5))]
    finding = Finding.get(Finding.rule == RULE, Finding.column_key == "total")
    assert finding.cells == '["requests/carried_over/total"]'
    assert finding.location == "line 96"
    assert "5 carried over into 2021, but the 2020 report" in finding.message


def test_the_order_of_loading_does_not_matter(db, tmp_path):
    later = next_year(tmp_path, ["5", "0", "0", "0", "0", "0", "5"])
    load_paths([later])
    assert carry_findings() == []  # one year alone: nothing to compare
    load_paths([previous(tmp_path)])
    assert carry_findings() == [(2021, "natural_person", Decimal(0), Decimal(5)),
                                (2021, "total", Decimal(0), Decimal(5))]


def test_blank_cells_are_not_compared_and_agreeing_years_have_no_finding(db, tmp_path):
    load_paths([previous(tmp_path), next_year(tmp_path, ["", "0", "0", "0", "0", "0", "0"])])
    assert carry_findings() == []


def test_revision_and_retraction_make_the_findings_again(db, tmp_path):
    load_paths([previous(tmp_path), next_year(tmp_path, ["5", "0", "0", "0", "0", "0", "5"])])
    first = Report.get(Report.year == 2021)
    # a corrected 2021 report: it agrees with 2020, and the first revision keeps its findings as history
    load_paths([next_year(tmp_path, ["0", "0", "0", "0", "0", "0", "0"], "2021-corrected.txt")])
    current = Report.get(Report.year == 2021, Report.is_current == True)  # noqa: E712
    assert current.id != first.id
    assert Finding.select().where(Finding.report == current, Finding.rule == RULE).count() == 0
    assert Finding.select().where(Finding.report == first, Finding.rule == RULE).count() == 2
    # retract the correction: the first revision is current again, and checked again
    retract_report(current)
    assert Finding.select().where(Finding.report == first, Finding.rule == RULE).count() == 2
    # retract 2020: 2021 has no previous year left, so no cross-year finding
    retract_report(Report.get(Report.year == 2020))
    assert Finding.select().where(Finding.report == first, Finding.rule == RULE).count() == 0


def test_check_all_makes_the_same_findings_as_loading(db, tmp_path):
    load_paths([previous(tmp_path), next_year(tmp_path, ["5", "0", "0", "0", "0", "0", "5"])])
    loaded = carry_findings()
    Finding.delete().where(Finding.rule == RULE).execute()
    assert check_all() == 2
    assert carry_findings() == loaded


def test_findings_endpoint_serves_them(db, db_url, tmp_path):
    from api import create_app

    load_paths([previous(tmp_path), next_year(tmp_path, ["5", "0", "0", "0", "0", "0", "5"])])
    client = create_app({"DATABASE_URL": db_url, "TESTING": True, "RATELIMIT_ENABLED": False}).test_client()
    body = client.get("/v1/findings?rule=cross_year.carry&sort=column").get_json()
    assert [(f["year"], f["column"], f["expected"], f["printed"]) for f in body["data"]] == [
        (2021, "natural_person", 0, 5), (2021, "total", 0, 5)]
