"""cell_rollup: kept at load time, equal to a rebuild from the cells, and the API's
national aggregates read from it agree with the same aggregates over the cells."""
import pytest

from api import create_app
from loaders.load import load_paths
from models.rollup import CellRollup
from models.rollup_ops import rebuild_rollups
from tests.conftest import seed


def rollup_rows():
    return sorted((r.year, r.layout, r.table_key, r.row_key, r.column_key, r.cells, r.values, float(r.total))
                  for r in CellRollup.select().where(CellRollup.cells != 0))


def test_kept_at_load_time_equals_a_rebuild(app, tmp_path):  # the app fixture loaded the seeds
    changed = tmp_path / "004-corrected.txt"
    changed.write_text(seed("004").read_text(encoding="utf-8").replace("| 2    | 0    | 0    | 0    | 2  |",
                                                                      "| 3    | 0    | 0    | 0    | 3  |"),
                       encoding="utf-8")
    assert load_paths([changed]).counts == {"revised": 1}
    kept = rollup_rows()
    assert ((2020, "2019", "review_litigation", "review", "total", 1, 1, 3.0) in kept)  # the revision, not both
    assert rebuild_rollups() > 0
    assert rollup_rows() == kept


QUERIES = [
    "group_by=year,row&table=requests&column=total",
    "group_by=year,layout,table,row,column",
    "group_by=row&row=denied&column=total&metric=count",
    "group_by=year&row=granted&column=natural_person&metric=avg",
    "group_by=column&year_from=2022&year_to=2023&table=requests",
    "row=new_received&column=total",
    "group_by=year&table=review_litigation&row=review&column=total",
]


@pytest.mark.parametrize("query", QUERIES)
def test_rollup_and_cells_agree(app, db_url, query):
    from_rollup = app.test_client().get(f"/v1/aggregates?{query}&limit=10000").json
    from_cells = create_app({"DATABASE_URL": db_url, "ROLLUPS": False}).test_client().get(
        f"/v1/aggregates?{query}&limit=10000").json
    assert from_rollup["meta"]["total"] == from_cells["meta"]["total"] > 0
    for a, b in zip(from_rollup["data"], from_cells["data"], strict=True):
        assert {k: v for k, v in a.items() if k != "value"} == {k: v for k, v in b.items() if k != "value"}
        assert a["value"] == pytest.approx(b["value"]) if b["value"] is not None else a["value"] is None


def test_national_aggregates_are_read_from_the_rollup(app):
    query = "/v1/aggregates?group_by=year&row=new_received&column=total"
    assert app.test_client().get(query).json["meta"]["total"] == 3
    CellRollup.delete().execute()
    assert app.test_client().get(query + "&limit=99").json["meta"]["total"] == 0  # proof it reads the rollup
    assert app.test_client().get(query + "&metric=max").json["meta"]["total"] == 3  # max: from the cells


@pytest.mark.parametrize("query", ["table=requests&year=1999", "table=requests&agency=nobody",
                                   "table=requests&year=1999&metric=max", "year=1999&metric=count"])
def test_nothing_matched_is_no_group_either_way(app, query):
    assert app.test_client().get(f"/v1/aggregates?{query}").json == {
        "data": [], "meta": {"total": 0, "limit": 100, "offset": 0, "next": None}}
