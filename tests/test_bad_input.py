"""Bad input: a clear error naming the file, the place and the reason, and nothing
stored; or, for damaged reports, whatever is whole, with findings for the rest and
no value invented."""
import json

import pytest

from loaders.document import parse_bytes, parse_file
from loaders.errors import LoadError
from loaders.load import load_paths
from models import Agency, Cell, Report
from tests.conftest import golden_path, seed


def golden_cells(source):
    return json.loads(golden_path(source).read_text(encoding="utf-8"))["cells"]


def cell_values(parsed):
    return {c.key: (c.value, c.status) for c in parsed.cells}


@pytest.mark.parametrize("data", [b"", b"\n \n\t\n"], ids=["empty", "whitespace"])
def test_empty_file(data):
    with pytest.raises(LoadError) as e:
        parse_bytes(data, "empty.txt")
    assert str(e.value) == "empty.txt: content: the file is empty"


def test_binary_file():
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4
    with pytest.raises(LoadError) as e:
        parse_bytes(png, "scan.txt")
    assert str(e.value) == "scan.txt: content: binary content that is not a text report"


def test_text_that_is_not_a_report():
    notice = "关于开展安全生产大检查的通知\n\n各科室：\n\n为切实做好安全生产工作，现将有关事项通知如下。\n".encode()
    with pytest.raises(LoadError) as e:
        parse_bytes(notice, "notice.txt")
    assert str(e.value).startswith("notice.txt: tables: no report tables found")


@pytest.mark.parametrize("encoding", ["gb18030", "utf-8-sig", "utf-16"])
def test_a_seed_re_encoded_loads_identically(encoding):
    text = seed("002").read_text(encoding="utf-8")
    original = parse_file(seed("002"))
    again = parse_bytes(text.encode(encoding), "002-reencoded.txt")
    assert cell_values(again) == cell_values(original)
    assert again.metadata == original.metadata
    assert [f.message for f in again.findings] == [f.message for f in original.findings]


def test_gb18030_seed_loads_into_the_database_identically(db, tmp_path):
    reencoded = tmp_path / "002-gb18030.txt"
    reencoded.write_bytes(seed("002").read_text(encoding="utf-8").encode("gb18030"))
    assert load_paths([reencoded]).counts == {"loaded": 1}
    report = Report.get()
    assert report.source_encoding == "gb18030"
    stored = {f"{c.table_key}/{c.row_key}/{c.column_key}": c.value for c in Cell.select()}
    assert stored == {k: v for k, (v, _) in cell_values(parse_file(seed("002"))).items()}


def test_a_report_without_section_three_loads_the_rest(db, tmp_path):
    text = seed("000").read_text(encoding="utf-8")
    start, end = text.index("三、收到和处理政府信息公开申请情况"), text.index("四、政府信息公开行政复议")
    damaged = tmp_path / "000-no-section-3.txt"
    damaged.write_text(text[:start] + text[end:], encoding="utf-8")

    parsed = parse_file(damaged)
    golden = golden_cells(seed("000"))
    for c in parsed.cells:
        if c.table == "requests":
            assert (c.value, c.status) == (None, "missing")
        else:
            assert c.value == golden[c.key], c.key
    assert [f.rule for f in parsed.findings] == ["completeness.missing_table"]
    assert parsed.findings[0].table == "requests"

    assert load_paths([damaged]).counts == {"loaded": 1}
    assert Cell.select().where(Cell.status == "missing").count() == 175


def test_a_file_cut_off_inside_table_three(db, tmp_path):
    text = seed("000").read_text(encoding="utf-8")
    cut_after = "3.危及“三安全一稳定”\t0\t0\t0"
    damaged = tmp_path / "000-truncated.txt"
    damaged.write_text(text[:text.index(cut_after) + len(cut_after)], encoding="utf-8")

    parsed = parse_file(damaged)
    golden = golden_cells(seed("000"))
    statuses = {}
    for c in parsed.cells:
        statuses.setdefault(c.status, []).append(c.key)
        if c.value is not None:
            assert c.value == golden[c.key], c.key  # nothing invented
    assert "requests/denied.prohibited_by_law/total" in statuses["reported"]
    assert {k.split("/")[1] for k in statuses["ambiguous"]} == {"denied.security_stability"}
    assert "requests/total_processed/total" in statuses["missing"]
    assert all(k in statuses["missing"] for k in golden if k.startswith("review_litigation/"))

    rules = [(f.rule, f.table, f.row) for f in parsed.findings]
    assert ("parse.ambiguous", "requests", "denied.security_stability") in rules
    assert ("completeness.missing_row", "requests", "carried_forward") in rules
    assert ("completeness.missing_table", "review_litigation", None) in rules
    assert not [r for r in rules if not r[0].startswith(("parse.", "completeness."))]  # no identity on nulls

    assert load_paths([damaged]).counts == {"loaded": 1}


def test_a_failed_file_stores_nothing(db, tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    summary = load_paths([empty])
    assert summary.failed == 1
    assert summary.outcomes[0].error == f"{empty}: content: the file is empty"
    assert (Agency.select().count(), Report.select().count()) == (0, 0)
