"""Exact numbers end to end: what a report prints is stored, summed and served with
every digit, never through a binary float, on SQLite and PostgreSQL; a number longer
than a count or amount can be never becomes inf, never half-stores a file, never makes
an endpoint answer 500."""
from __future__ import annotations

import io
import json
import re
from dataclasses import replace
from decimal import Decimal

import openpyxl
import pyarrow.parquet as pq
import pytest

from api import create_app
from loaders.document import parse_file
from loaders.load import load_paths
from loaders.store import store_report
from models import Cell, Finding, Meta, Report, database, open_database
from models.decimals import NumberOutOfBounds
from models.exact_migration import is_exact
from models.rollup import CellRollup
from models.schema import SCHEMA_VERSION
from tests.conftest import seed

MONEY = "3664843848.32580008"  # 18 significant digits: a float keeps 3664843848.3258
ITEMS = "123456789012345"  # 15 digits
PROCUREMENT = "table=disclosure&row=procurement&column=procurement_amount"


def report_file(tmp_path, agency: str, money: str = "249887966.42", items: str = "271", year: int = 2020):
    """Seed 004 (晋江市人民政府 2020) as another agency's report, printing ``items`` and
    ``money`` in its procurement row."""
    text = seed("004").read_text(encoding="utf-8")
    assert "| 271 | 249887966.42 |" in text
    text = text.replace("| 271 | 249887966.42 |", f"| {items} | {money} |").replace("晋江市人民政府", agency)
    text = text.replace("2020", str(year))
    path = tmp_path / f"{agency}-{year}.txt"
    path.write_text(text, encoding="utf-8")
    return path


def exact(response):
    """A JSON body with its numbers read as Decimals (as a careful client would)."""
    assert response.status_code == 200, response.data[:500]
    return json.loads(response.data, parse_float=Decimal)


@pytest.fixture
def client(db, db_url, tmp_path):
    summary = load_paths([report_file(tmp_path, "晋江市甲镇人民政府", MONEY, ITEMS),
                          report_file(tmp_path, "晋江市乙镇人民政府", "0.1"),
                          report_file(tmp_path, "晋江市丙镇人民政府", "0.2")])
    assert summary.failed == 0
    app = create_app({"DATABASE_URL": db_url, "TESTING": True, "RATELIMIT_ENABLED": False,
                      "EXPORT_DIR": str(tmp_path / "exports")})
    return app.test_client()


def the_report(client, agency: str = "晋江市甲镇人民政府") -> int:
    return exact(client.get(f"/v1/reports?agency={agency}"))["data"][0]["id"]


def test_stored_exactly(client):
    cell = Cell.get(Cell.column_key == "procurement_amount", Cell.value == Decimal(MONEY))
    assert cell.value == Decimal(MONEY) and str(cell.value) == MONEY
    assert Cell.get(Cell.column_key == "procurement_items", Cell.value == Decimal(ITEMS)).value == int(ITEMS)


def test_the_report_serves_every_digit(client):
    body = exact(client.get(f"/v1/reports/{the_report(client)}"))
    disclosure = next(t for t in body["tables"] if t["key"] == "disclosure")
    cells = next(r for r in disclosure["rows"] if r["key"] == "procurement")["cells"]
    assert cells["procurement_amount"]["value"] == Decimal(MONEY)
    assert cells["procurement_items"]["value"] == int(ITEMS)
    assert isinstance(cells["procurement_items"]["value"], int)  # an integer stays a JSON integer


def test_cells_json_csv_and_jsonstat_serve_every_digit(client):
    report = the_report(client)
    query = f"/v1/cells?report={report}&{PROCUREMENT}"
    assert [c["value"] for c in exact(client.get(query))["data"]] == [Decimal(MONEY)]
    csv = client.get(query + "&format=csv").data.decode()
    assert f",{MONEY}," in csv and "e+" not in csv.lower()
    assert list(exact(client.get(query + "&format=jsonstat"))["value"].values()) == [Decimal(MONEY)]
    items = exact(client.get(f"/v1/cells?report={report}&table=disclosure&row=procurement&column=procurement_items"))
    assert [c["value"] for c in items["data"]] == [int(ITEMS)]


def test_value_filters_and_sorting_compare_exactly(client):
    query = f"/v1/cells?{PROCUREMENT}"
    at_least = exact(client.get(query + f"&value_gte={MONEY}"))["data"]
    assert [c["value"] for c in at_least] == [Decimal(MONEY)]
    assert exact(client.get(query + "&value_gte=3664843848.32580009"))["data"] == []  # one in the last digit more
    assert len(exact(client.get(query + "&value_lte=3664843848.32580008"))["data"]) == 3
    # an absurd bound compares as it should, and is never written out in full
    assert exact(client.get(query + "&value_gte=1e999999999"))["data"] == []
    assert len(exact(client.get(query + "&value_lte=1e999999999"))["data"]) == 3
    zeros = exact(client.get("/v1/cells?value_lte=0&value_gte=0&limit=1"))["meta"]["total"]
    positive = exact(client.get("/v1/cells?value_gte=1e-999999999&limit=1"))["meta"]["total"]
    assert zeros > 0 and positive == exact(client.get("/v1/cells?value_gte=0&limit=1"))["meta"]["total"] - zeros
    # numbers order as numbers (as text, "0.2" > "3664…" and "9" > "10")
    ordered = [c["value"] for c in exact(client.get(query + "&sort=value"))["data"]]
    assert ordered == [Decimal("0.1"), Decimal("0.2"), Decimal(MONEY)]
    everything = [c["value"] for c in exact(client.get("/v1/cells?sort=-value&limit=10000"))["data"]]
    numbers = [v for v in everything if v is not None]
    assert numbers == sorted(numbers, reverse=True) and numbers[0] == int(ITEMS)
    assert everything[len(numbers):] == [None] * (len(everything) - len(numbers))  # nulls last


@pytest.mark.parametrize("path", ["/v1/aggregates", "/v1/aggregates?group_by=year",  # from the rollup
                                  "/v1/aggregates?revisions=all"])  # from the cells
def test_sums_are_exact_decimals(client, path):
    query = f"{path}{'&' if '?' in path else '?'}{PROCUREMENT}"
    expected = Decimal(MONEY) + Decimal("0.1") + Decimal("0.2")
    assert [a["value"] for a in exact(client.get(query))["data"]] == [expected]
    small = exact(client.get(query + "&value_lte=1"))["data"]
    assert [a["value"] for a in small] == [Decimal("0.3")]  # not 0.30000000000000004


@pytest.mark.parametrize("metric, value", [("min", Decimal("0.1")), ("max", Decimal(MONEY)), ("count", 3),
                                           ("avg", (Decimal(MONEY) + Decimal("0.3")) / 3)])
@pytest.mark.parametrize("rollups", [True, False])
def test_other_metrics(client, db_url, metric, value, rollups):
    app = create_app({"DATABASE_URL": db_url, "ROLLUPS": rollups})
    rows = exact(app.test_client().get(f"/v1/aggregates?{PROCUREMENT}&metric={metric}"))["data"]
    if metric == "avg":  # a quotient: rounded to 10 places
        value = value.quantize(Decimal("1e-10"))
    assert rows[0]["value"] == value


def test_money_sums_to_the_cent(db, db_url, tmp_path):
    amounts = ["1000000.01", "2514803.01"]  # a float sum: 3514803.0199999996
    assert sum(map(float, amounts)) != 3514803.02
    assert load_paths([report_file(tmp_path, f"晋江市{n}镇人民政府", a) for n, a in zip("甲乙", amounts, strict=True)
                       ]).failed == 0
    client = create_app({"DATABASE_URL": db_url, "TESTING": True}).test_client()
    assert [a["value"] for a in exact(client.get(f"/v1/aggregates?{PROCUREMENT}"))["data"]] == [Decimal("3514803.02")]
    assert "\r\n3514803.02,2,2,2,2,元" in client.get(f"/v1/aggregates?{PROCUREMENT}&format=csv").data.decode()


def rollup_and_cell_sums() -> tuple[dict, dict]:
    """The rollup's totals, and the cells of current revisions summed in Python."""
    sums: dict = {}
    for year, layout, t, r, c, value in (Cell.select(Report.year, Report.layout, Cell.table_key, Cell.row_key,
                                                     Cell.column_key, Cell.value)
                                         .join(Report).where(Report.is_current == True).tuples()):  # noqa: E712
        sums[(year, layout, t, r, c)] = sums.get((year, layout, t, r, c), Decimal(0)) + (value or 0)
    totals = {(r.year, r.layout, r.table_key, r.row_key, r.column_key): r.total
              for r in CellRollup.select().where(CellRollup.cells != 0)}
    return totals, sums


def test_rollup_totals_are_the_exact_sums_of_the_cells(client):
    totals, sums = rollup_and_cell_sums()
    assert totals == sums
    assert totals[(2020, "2019", "disclosure", "procurement", "procurement_amount")] == Decimal(MONEY) + Decimal("0.3")
    assert all(isinstance(t, Decimal) for t in totals.values())


def test_bulk_csv_and_parquet_keep_every_digit(client):
    text = client.get("/v1/bulk/cells.csv").data.decode()
    assert f",{MONEY}," in text and f",{ITEMS}," in text and "e+" not in text.lower()
    table = pq.read_table(io.BytesIO(client.get("/v1/bulk/cells.parquet").data))
    rows = {(r["report_id"], r["column"]): r for r in table.to_pylist() if r["row"] == "procurement"}
    report = the_report(client)
    money, items = rows[(report, "procurement_amount")], rows[(report, "procurement_items")]
    # value is a number where a float prints back exactly; value_text is always the text
    assert (money["value"], money["value_text"]) == (None, MONEY)  # 18 digits: never a nearby float
    assert Decimal(repr(items["value"])) == Decimal(ITEMS) and items["value_text"] == ITEMS
    assert str(table.schema.field("value").type) == "double" and str(table.schema.field("value_text").type) == "string"


def test_xlsx_keeps_the_digits_excel_cannot_hold_as_text(client):
    book = openpyxl.load_workbook(io.BytesIO(client.get(f"/v1/reports/{the_report(client)}/tables.xlsx").data))
    values = [c.value for row in book["disclosure"].iter_rows() for c in row]
    assert MONEY in values  # 18 significant digits: text, not a rounded double
    assert int(ITEMS) in values  # 15: a number


def test_a_number_over_the_bound_is_refused_whole(db):
    parsed = parse_file(seed("004"))
    for value in (Decimal("9" * 400), Decimal("1" * 21), Decimal("0." + "1" * 11), Decimal("Infinity")):
        cells = [replace(c, value=value) if c.column == "procurement_amount" else c for c in parsed.cells]
        with pytest.raises(NumberOutOfBounds):
            store_report(replace(parsed, cells=cells))
        assert (Report.select().count(), Cell.select().count(), CellRollup.select().count()) == (0, 0, 0)
    with pytest.raises(NumberOutOfBounds, match="cell.value: 9{20}… has 400 digits before the point"):
        Cell.insert(report=1, table_key="t", row_key="r", column_key="c", value=Decimal("9" * 400),
                    status="reported").execute()


def test_long_numbers_printed_in_a_report_never_make_a_500(db, db_url, tmp_path):
    """A 21-digit and a 400-digit number in a report: the loader makes them null (or, at
    worst, the store refuses the file); either way nothing is inf, every endpoint answers."""
    files = [report_file(tmp_path, f"晋江市{name}镇人民政府", money)
             for name, money in [("丁", "1" * 21), ("戊", "9" * 400), ("己", "12.5")]]
    summary = load_paths(files)
    assert summary.counts.get("loaded", 0) + summary.failed == 3
    assert all(c.value is None or c.value.is_finite() and len(str(c.value)) < 30 for c in Cell.select(Cell.value))
    client = create_app({"DATABASE_URL": db_url, "TESTING": True, "RATELIMIT_ENABLED": False,
                         "EXPORT_DIR": str(tmp_path / "exports")}).test_client()
    reports = [r["id"] for r in exact(client.get("/v1/reports"))["data"]]
    assert reports
    paths = ["/v1/cells?limit=10000", "/v1/cells?format=csv", "/v1/cells?format=jsonstat",
             "/v1/aggregates?group_by=column", "/v1/aggregates?group_by=agency,column",
             "/v1/aggregates?metric=avg&group_by=column", "/v1/indicators", "/v1/findings",
             "/v1/bulk/cells.csv", "/v1/bulk/findings.csv", "/v1/bulk/cells.parquet", "/"]
    paths += [p for r in reports for p in (f"/v1/reports/{r}", f"/v1/reports/{r}/tables.xlsx", f"/reports/{r}")]
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, (path, response.data[:300])
        if path.startswith("/v1/") and not path.endswith((".xlsx", ".parquet")):
            assert not re.search(rb"\b(inf|infinity|nan)\b", response.data.lower()), path


def test_a_version_5_database_is_made_exact(db, db_url, tmp_path):
    """Values stored by the old types (a float on SQLite, NUMERIC(24,6) on PostgreSQL)
    get their printed digits back where the raw text shows them; one stored as inf is
    null with status invalid; rollup and indicators are made again."""
    assert load_paths([report_file(tmp_path, "晋江市甲镇人民政府", MONEY), seed("003")]).failed == 0
    expected = {c.id: c.value for c in Cell.select()}
    findings = {f.id: (f.expected, f.printed) for f in Finding.select()}
    postgres = db_url.startswith("postgresql")
    money = Cell.get(Cell.column_key == "procurement_amount", Cell.value == Decimal(MONEY))
    broken = Cell.get(Cell.report == money.report_id, Cell.column_key == "procurement_items")
    # back to version 5's types
    for table, column in [("cell", "value"), ("finding", "expected"), ("finding", "printed"), ("cell_rollup", "total"),
                          ("report_indicator", "numerator"), ("report_indicator", "denominator")]:
        if postgres:
            database.execute_sql(f'ALTER TABLE "{table}" ALTER COLUMN "{column}" TYPE NUMERIC(30, 6)'
                                 if table in ("cell_rollup", "report_indicator") else
                                 f'ALTER TABLE "{table}" ALTER COLUMN "{column}" TYPE NUMERIC(24, 6)')
        else:
            database.execute_sql(f'ALTER TABLE "{table}" ADD COLUMN "old" DECIMAL(24, 6)')
            database.execute_sql(f'UPDATE "{table}" SET "old" = CAST("{column}" AS REAL)')
            database.execute_sql(f'ALTER TABLE "{table}" DROP COLUMN "{column}"')
            database.execute_sql(f'ALTER TABLE "{table}" RENAME COLUMN "old" TO "{column}"')
        assert not is_exact(table, column, postgres) or table in ("cell_rollup", "report_indicator")
    if not postgres:  # what version 5 made of a 400-digit number
        database.execute_sql('UPDATE "cell" SET "value" = ?, "raw" = ? WHERE "id" = ?',
                             (float("inf"), "9" * 400, broken.id))
    old = database.execute_sql(f'SELECT "value" FROM "cell" WHERE "id" = {money.id}').fetchone()[0]
    assert Decimal(str(old)) != Decimal(MONEY)  # the digits the old storage lost
    Meta.update(value="5").where(Meta.key == "schema_version").execute()

    open_database(db_url)
    assert Meta.get(Meta.key == "schema_version").value == str(SCHEMA_VERSION)
    assert all(is_exact(t, c, postgres) for t, c in [("cell", "value"), ("finding", "expected"),
                                                      ("finding", "printed"), ("cell_rollup", "total")])
    now = {c.id: c.value for c in Cell.select()}
    assert now[money.id] == Decimal(MONEY)
    if not postgres:
        assert (now.pop(broken.id), Cell.get_by_id(broken.id).status) == (None, "invalid")
        expected.pop(broken.id)
    assert now == expected
    assert {f.id: (f.expected, f.printed) for f in Finding.select()} == findings
    total = CellRollup.get(CellRollup.column_key == "procurement_amount", CellRollup.year == 2020).total
    assert total == Decimal(MONEY)
    totals, sums = rollup_and_cell_sums()
    assert totals == sums


def test_order_comparison_and_sums_agree_with_python(db):
    """On values of every shape (integers short and long, fractions, trailing zeros,
    negatives, zero, null), the database's order, comparisons and sums are Python's."""
    import operator
    import random

    from peewee import IntegerField, fn

    from models.base import BaseModel
    from models.fields import ExactDecimalField, exact_sum

    class Probe(BaseModel):
        group = IntegerField()
        value = ExactDecimalField(null=True)

    rng = random.Random(15)
    shapes = [lambda: str(rng.randrange(0, 1000)), lambda: str(rng.randrange(0, 10**15)),
              lambda: f"{rng.randrange(0, 10**6)}.{rng.randrange(0, 10**4):04d}",
              lambda: f"{rng.randrange(0, 10**15)}.{rng.randrange(0, 10**10):010d}",
              lambda: f"-{rng.randrange(0, 10**6)}.{rng.randrange(0, 100):02d}", lambda: "0",
              lambda: "1.50", lambda: "1.5", lambda: "0.0000000001", lambda: "-0.0000000001", lambda: None,
              # neighbours one in the last place apart: one binary float for all of them
              lambda: str(Decimal("123456789012345.1234567890") + rng.randrange(-3, 4) * Decimal("1e-10"))]
    values = [None if (v := rng.choice(shapes)()) is None else Decimal(v) for _ in range(600)]
    database.create_tables([Probe])
    try:
        Probe.insert_many([(i % 7, v) for i, v in enumerate(values)], fields=[Probe.group, Probe.value]).execute()
        numbers = [v for v in values if v is not None]
        for descending in (False, True):
            ordered = [p.value for p in Probe.select().order_by(
                (Probe.value.desc if descending else Probe.value.asc)(nulls="LAST"))]
            assert ordered == sorted(numbers, reverse=descending) + [None] * (len(values) - len(numbers))
        ops = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt, "==": operator.eq,
               "!=": operator.ne}
        some = rng.sample(numbers, 12)
        bounds = [*some, *(n + Decimal("1e-10") for n in some), *(n - Decimal("1e-10") for n in some), Decimal(0),
                  Decimal("1.5"), Decimal("-0.5"), Decimal("1e-99"), Decimal("-1e99"), Decimal("1e99"),
                  Decimal("999999999999999.9999999999"), Decimal("123456789012345.1234567891")]
        for bound in bounds:
            for name, op in ops.items():
                got = sorted(p.value for p in Probe.select().where(op(Probe.value, bound)))
                assert got == sorted(v for v in numbers if op(v, bound)), (name, bound)
        sums = dict(Probe.select(Probe.group, exact_sum(Probe.value)).group_by(Probe.group).tuples())
        for group in range(7):
            mine = [v for i, v in enumerate(values) if i % 7 == group and v is not None]
            assert sums[group] == sum(mine, Decimal(0)) and isinstance(sums[group], Decimal)
        assert Probe.select(exact_sum(Probe.value)).where(Probe.value.is_null()).scalar() is None
        assert Probe.select(fn.COUNT(Probe.id)).scalar() == len(values)
    finally:
        database.drop_tables([Probe])
