"""/v1/aggregates: group_by, metrics, row groups, against sums worked out from the seeds."""
import json

import pytest

from tests.conftest import SEEDS, golden_path


def golden_cells():
    for source in SEEDS:
        golden = json.loads(golden_path(source).read_text(encoding="utf-8"))
        yield golden["year"], golden["cells"]


def aggregates(client, query):
    response = client.get(f"/v1/aggregates?{query}")
    assert response.status_code == 200, response.json
    return response.json["data"]


def test_new_requests_by_year_are_the_sums_of_the_seeds(client):
    expected = {}
    for year, cells in golden_cells():
        expected[year] = expected.get(year, 0) + cells["requests/new_received/total"]
    data = aggregates(client, "table=requests&row=new_received&column=total&group_by=year")
    assert {d["year"]: d["value"] for d in data} == expected == {2020: 231, 2022: 0, 2023: 6}
    assert [d["cells"] for d in data] == [1, 1, 3]


def golden_sum(row_prefix: str, column: str) -> int:
    return sum(v for _, cells in golden_cells() for k, v in cells.items()
               if k.startswith(f"requests/{row_prefix}") and k.endswith(f"/{column}") and v is not None)


def test_a_row_group_sums_its_rows(client):
    [total] = aggregates(client, "row=denied&column=total")
    assert (total["value"], total["cells"], total["values"]) == (golden_sum("denied.", "total"), 40, 40)
    assert total["value"] == 6  # 004: 4 + 1 + 1 (002 prints its denied totals as 0)
    by_row = aggregates(client, "row=denied&column=total&group_by=row&sort=-value,row")
    assert by_row[0] == {"row": "denied.prohibited_by_law", "value": 4, "cells": 5, "values": 5,
                         "cells_count": 5, "values_count": 5, "unit": "count"}
    assert len(by_row) == 8


@pytest.mark.parametrize("metric, value", [("sum", 142), ("count", 5), ("min", 0), ("max", 142), ("avg", 142 / 5)])
def test_metrics(client, metric, value):
    [row] = aggregates(client, f"row=granted&column=total&metric={metric}")
    assert row["value"] == pytest.approx(value)


def test_nulls_are_left_out_and_counted_apart(client):
    [row] = aggregates(client, "row=carried_forward&column=total&group_by=layout&layout=2019")
    assert (row["value"], row["cells"], row["values"]) == (0, 2, 1)  # 003 prints 0; 004 is ambiguous


def test_group_by_agency_and_region(client):
    data = aggregates(client, "row=new_received&column=total&group_by=agency&sort=-value&limit=2")
    assert data[0] == {"agency_id": data[0]["agency_id"], "agency_name": "晋江市人民政府", "value": 231,
                       "cells": 1, "values": 1, "cells_count": 1, "values_count": 1, "unit": "count"}
    data = aggregates(client, "row=new_received&column=total&group_by=region,year&sort=region,year")
    assert {(d["region"], d["year"]): d["value"] for d in data} == {
        ("晋江市", 2020): 231, ("晋江市", 2022): 0, ("晋江市", 2023): 5, ("晋江市安海镇", 2023): 1,
        ("晋江市西园街道", 2023): 0}


def test_group_by_table_row_column_and_paging(client):
    response = client.get("/v1/aggregates?group_by=table,row,column&limit=10")
    body = response.json
    assert body["meta"]["total"] == len({k for _, cells in golden_cells() for k in cells})
    assert len(body["data"]) == 10


def test_aggregate_csv(client):
    response = client.get("/v1/aggregates?row=new_received&column=total&group_by=year&format=csv")
    assert response.get_data(as_text=True).splitlines() == [
        "year,value,cells,values,cells_count,values_count,unit", "2020,231,1,1,1,1,count", "2022,0,1,1,1,1,count",
        "2023,6,3,3,3,3,count"]
