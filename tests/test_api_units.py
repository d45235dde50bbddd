"""Aggregates never add 万元, 元 and counts together without a word: each figure carries
its unit, and a sum over cells of more than one unit is a 400 unless grouped by column."""


def test_a_sum_over_mixed_units_is_refused(client):
    response = client.get("/v1/aggregates?table=disclosure")
    assert response.status_code == 400
    assert response.content_type.startswith("application/problem+json")
    assert "different units (count, 万元, 元)" in response.json["detail"]


def test_each_figure_carries_its_unit(client):
    fees = client.get("/v1/aggregates?table=disclosure&column=fee_amount&group_by=year").json["data"]
    assert fees and {f["unit"] for f in fees} == {"万元"}
    by_column = client.get("/v1/aggregates?table=disclosure&group_by=column").json["data"]
    units = {f["column"]: f["unit"] for f in by_column}
    assert units["fee_amount"] == "万元" and units["procurement_amount"] == "元" and units["issued"] == "count"
    counted = client.get("/v1/aggregates?table=disclosure&metric=count").json["data"]
    assert counted[0]["unit"] == "count"
    requests = client.get("/v1/aggregates?table=requests&row=granted&column=total").json["data"]
    assert requests[0]["unit"] == "count" and requests[0]["value"] > 0


def test_the_unit_is_in_the_csv(client):
    text = client.get("/v1/aggregates?table=disclosure&column=fee_amount&group_by=year&format=csv").text
    assert text.splitlines()[0].split(",")[-1] == "unit" and text.splitlines()[1].endswith(",万元")
