"""Bulk files: CSV resources, the Frictionless data package (checked with
`frictionless validate`), Parquet, and a report's tables as XLSX."""
import csv
import io
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import openpyxl
import pyarrow.parquet as pq
import pytest

from api import bulk
from tests.conftest import SEEDS

SEED_CELLS = 996
FRICTIONLESS = str(Path(sys.executable).parent / "frictionless")


def rows(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert response.content_type == "text/csv; charset=utf-8"
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_each_csv_resource_holds_every_current_row(client):
    cells = rows(client, "/v1/bulk/cells.csv")
    assert len(cells) == SEED_CELLS == client.get("/v1/cells?limit=1").json["meta"]["total"]
    granted = next(c for c in cells if c["year"] == "2020" and c["row"] == "granted" and c["column"] == "total")
    assert (granted["value"], granted["raw"], granted["status"], granted["location"]) == ("142", "142", "reported",
                                                                                         "line 97")
    money = next(c for c in cells if c["column"] == "procurement_amount" and c["year"] == "2020")
    assert money["value"] == "249887966.42"
    assert [c["value"] for c in cells if c["status"] == "ambiguous"] == [""] * 7  # null is empty, never 0
    assert len(rows(client, "/v1/bulk/agencies.csv")) == 5
    assert len(rows(client, "/v1/bulk/reports.csv")) == len(SEEDS)
    assert len(rows(client, "/v1/bulk/findings.csv")) == client.get("/v1/findings").json["meta"]["total"]
    assert client.get("/v1/bulk/nothing.csv").status_code == 404


def test_chunked_reading_gives_the_same_rows(client, monkeypatch):
    whole = rows(client, "/v1/bulk/cells.csv")
    monkeypatch.setattr(bulk, "CHUNK", 7)  # 143 chunks, the last one short
    assert rows(client, "/v1/bulk/cells.csv") == whole


def test_datapackage_served_describes_the_csv_files(client):
    package = client.get("/v1/bulk/datapackage.json").json
    assert package["profile"] == "tabular-data-package"
    for resource in package["resources"]:
        assert resource["path"] == f"http://localhost/v1/bulk/{resource['name']}.csv"
        header = client.get(resource["path"]).get_data(as_text=True).splitlines()[0]
        assert header.split(",") == [f["name"] for f in resource["schema"]["fields"]]


def validate(folder: Path) -> dict:
    run = subprocess.run([FRICTIONLESS, "validate", "--json", str(folder / "datapackage.json")],
                         capture_output=True, text=True, cwd=folder)
    return json.loads(run.stdout)


def test_exported_package_validates_with_frictionless(app, tmp_path):
    folder = tmp_path / "export"
    run = subprocess.run([str(Path(sys.executable).parent / "ogi"), "export", str(folder), "--db",
                          app.config["DATABASE_URL"]], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert sorted(p.name for p in folder.iterdir()) == ["agencies.csv", "cells.csv", "cells.parquet",
                                                        "datapackage.json", "findings.csv", "reports.csv"]
    report = validate(folder)
    assert report["valid"], json.dumps(report["tasks"], ensure_ascii=False)[:2000]
    assert {t["name"]: t["stats"]["rows"] for t in report["tasks"]} == {
        "agencies": 5, "reports": 5, "cells": SEED_CELLS, "findings": 11}

    # the validator does check what the schema says: a status outside the enum, a cell of no report
    cells = (folder / "cells.csv").read_text(encoding="utf-8").splitlines()
    cells[1] = cells[1].replace(",reported,", ",guessed,")
    cells[2] = "999" + cells[2][cells[2].index(","):]
    (folder / "cells.csv").write_text("\n".join(cells) + "\n", encoding="utf-8")
    broken = validate(folder)
    assert not broken["valid"]
    errors = {e["type"] for t in broken["tasks"] for e in t["errors"]}
    assert {"constraint-error", "foreign-key"} <= errors


def test_parquet_holds_the_cells_exactly_and_is_made_once_per_data_version(client, app, tmp_path):
    first = client.get("/v1/bulk/cells.parquet")
    assert first.status_code == 200 and first.content_type == "application/vnd.apache.parquet"
    table = pq.read_table(io.BytesIO(first.data))
    assert table.num_rows == SEED_CELLS
    rows_read = table.to_pylist()
    money = [(r["value"], r["value_text"]) for r in rows_read
             if r["column"] == "procurement_amount" and r["year"] == 2020]
    assert money == [(249887966.42, "249887966.42")]
    assert table.schema.field("value").type == "double" and table.schema.field("value_text").type == "string"
    printed = rows(client, "/v1/bulk/cells.csv")
    assert table["value"].null_count == table["value_text"].null_count == sum(1 for c in printed if c["value"] == "")
    assert [r["value_text"] or "" for r in rows_read] == [c["value"] for c in printed]  # the CSV's text, exactly
    assert all(Decimal(repr(r["value"])) == Decimal(r["value_text"]) for r in rows_read if r["value"] is not None)
    made = sorted(Path(app.config["EXPORT_DIR"]).glob("cells-*.parquet"))
    assert len(made) == 1
    assert client.get("/v1/bulk/cells.parquet").data == first.data
    assert sorted(Path(app.config["EXPORT_DIR"]).glob("cells-*.parquet")) == made


def test_xlsx_lays_out_the_tables_and_marks_the_findings(client):
    report = client.get("/v1/reports?agency=晋江市西园街道").json["data"][0]
    document = client.get(f"/v1/reports/{report['id']}").json
    response = client.get(f"/v1/reports/{report['id']}/tables.xlsx")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["report", "disclosure", "requests", "review_litigation", "findings"]
    sheet = book["requests"]
    keys = [c.value for c in sheet[3]][1:]
    table = next(t for t in document["tables"] if t["key"] == "requests")
    assert keys == [c["key"] for c in table["columns"]]
    for i, row in enumerate(table["rows"], start=4):
        assert sheet.cell(i, 1).value == row["zh"]
        for j, column in enumerate(keys, start=2):
            cell = row["cells"][column]
            assert sheet.cell(i, j).value == (cell["value"] if cell["value"] is not None else cell["raw"] or None)
    flagged = {f"requests/{table['rows'][c.row - 4]['key']}/{keys[c.column - 2]}"
               for line in sheet.iter_rows(min_row=4) for c in line[1:] if c.comment}
    expected = {k for f in document["findings"] for k in f["cells"] if k.startswith("requests/")}
    assert flagged == expected and expected
    assert book["findings"].max_row == len(document["findings"]) + 1


@pytest.mark.parametrize("url", ["/v1/reports/999/tables.xlsx"])
def test_xlsx_of_no_report_is_404(client, url):
    assert client.get(url).status_code == 404
