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
    assert str(e.value) == "scan.txt: image: not a readable image: damaged, or not an image format that can be read"


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


# hostile bytes: one line, never a traceback (issue 15)

def test_a_number_of_4301_digits_is_no_traceback(db, tmp_path):
    text = seed("000").read_text(encoding="utf-8")
    row = "（一）予以公开\t"
    at = text.index(row) + len(row)
    end = text.index("\t", at)
    huge = tmp_path / "huge.txt"
    huge.write_text(text[:at] + "9" * 4301 + text[end:], encoding="utf-8")
    try:
        parsed = parse_file(huge)
    except LoadError as e:  # refused: one line naming the file
        assert str(e).startswith(f"{huge}: ") and "\n" not in str(e)
        assert load_paths([huge]).counts == {"failed": 1}
        return
    cell = next(c for c in parsed.cells if c.key == "requests/granted/natural_person")
    assert cell.value is None and cell.raw.startswith("9999")  # never a rounded or infinite number
    assert any(f.row == "granted" and f.table == "requests" for f in parsed.findings)
    assert load_paths([huge]).counts == {"loaded": 1}


def _docx_parts(**changes) -> bytes:
    """The Word file of seed 001 with some parts replaced (bytes) or left out (None)."""
    import io
    import zipfile

    from tests.test_formats import seed_as_docx

    source = zipfile.ZipFile(io.BytesIO(seed_as_docx(seed("001"))))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in source.infolist():
            data = changes.get(info.filename, source.read(info))
            if data is not None:
                z.writestr(info.filename, data)
    return out.getvalue()


def _bad_zlib() -> bytes:
    """The deflate data of word/document.xml damaged in its middle."""
    import io
    import zipfile

    data = bytearray(_docx_parts())
    info = zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo("word/document.xml")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    for k in range(start + 20, start + info.compress_size - 20, 7):
        data[k] ^= 0x5A
    return bytes(data)


DAMAGED_DOCX = {
    "bad-xml": (lambda: _docx_parts(**{"word/document.xml": b"<w:document xmlns:w='x'><w:body><w:p>"}),
                "docx: not a readable Word document: XMLSyntaxError"),
    "bad-zlib": (_bad_zlib, "docx: not a readable Word document: "),
    "no-rels": (lambda: _docx_parts(**{"_rels/.rels": None}), "docx: not a readable Word document"),
    "no-content-types": (lambda: _docx_parts(**{"[Content_Types].xml": None}), "docx: not a readable Word document"),
    "no-body": (lambda: _docx_parts(**{"word/document.xml": b'<w:document xmlns:w="http://schemas.openxmlformats.org'
                                                              b'/wordprocessingml/2006/main"/>'}),
                "docx: not a readable Word document: it has no body"),
    "bad-rels": (lambda: _docx_parts(**{"word/_rels/document.xml.rels": b"<Relationships><Rel"}),
                 "docx: not a readable Word document"),
    "no-document": (lambda: _docx_parts(**{"word/document.xml": None}), "content: a ZIP archive that is not a Word"),
}


@pytest.mark.parametrize("damage", DAMAGED_DOCX)
def test_a_damaged_word_file_is_one_line_and_stores_nothing(damage, db, tmp_path):
    make, why = DAMAGED_DOCX[damage]
    bad = tmp_path / f"{damage}.docx"
    bad.write_bytes(make())
    with pytest.raises(LoadError) as e:
        parse_file(bad)
    assert str(e.value).startswith(f"{bad}: {why}"), str(e.value)
    assert "\n" not in str(e.value) and type(e.value) is LoadError  # not the last line of defence
    good = tmp_path / "good.txt"
    good.write_bytes(seed("002").read_bytes())
    summary = load_paths([bad, good])
    assert [o.outcome for o in summary.outcomes] == ["failed", "loaded"]
    assert summary.outcomes[0].error == str(e.value)
    assert Report.select().count() == 1


def test_the_last_line_of_defence_is_one_line(monkeypatch, caplog):
    """An error no check foresaw still reaches the user as one line (the traceback goes
    to the log, for the operator); the fuzz tests count these as crashes."""
    from loaders.errors import UnexpectedError

    def broken(text, limits=None):
        return 1 / 0

    monkeypatch.setattr("loaders.sources.text.read_blocks", broken)
    with pytest.raises(UnexpectedError) as e:
        parse_bytes(seed("000").read_bytes(), "000.txt")
    assert str(e.value) == "000.txt: content: unreadable text: ZeroDivisionError"
    assert "ZeroDivisionError" in caplog.text and "Traceback" in caplog.text


@pytest.mark.parametrize("span", ["²", "9" * 5000, " 2 ", "-3", "1e9"])
def test_hostile_span_attributes_are_read_or_refused_in_one_line(span):
    """A span that ``int`` refuses (a superscript digit, 5,000 digits) was a ValueError."""
    import io

    import docx
    from docx.oxml.ns import qn
    from lxml import html as lxml_html

    from loaders.sources.docx import read_docx
    from loaders.sources.html import grid

    table = lxml_html.fromstring(f"<table><tr><td colspan='{span}'>a</td><td>b</td></tr></table>")
    cells = [c for _, c in grid(table)][0]
    assert cells[0] == "a" and cells[-1] == "b"

    document = docx.Document()
    word_table = document.add_table(rows=1, cols=2)
    word_table.cell(0, 0).text, word_table.cell(0, 1).text = "a", "b"
    props = word_table.cell(0, 0)._tc.get_or_add_tcPr()
    grid_span = props.makeelement(qn("w:gridSpan"), {qn("w:val"): span})
    props.append(grid_span)
    buffer = io.BytesIO()
    document.save(buffer)
    try:
        rows = [b.cells for b in read_docx(buffer.getvalue())]
    except LoadError as e:  # python-docx checks the attribute itself
        assert "\n" not in str(e)
        return
    assert rows[0][0] == "a" and rows[0][-1] == "b"
