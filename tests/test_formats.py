"""Each input format, told from the content: HTML (spans, cell markup, GBK pages),
PDF (tables over a page break), Word (merged cells), text with spaces, and the
encodings; every one read back to the golden of the report it was made from."""
import io
import re

import docx
import pytest
from docx.oxml.ns import qn

from loaders.document import dumps, parse_bytes, parse_file
from loaders.errors import LoadError
from loaders.load import load_paths
from models import Report
from tests.conftest import FIXTURES, check_golden, golden_path, seed

HTML = FIXTURES / "corpus" / "009_pingtan_gwh_2024.html"
PDF = FIXTURES / "corpus" / "014_huaian_hongze_qzf_2024.pdf"


def assert_golden(parsed, golden_source, tmp_path, capsys):
    out = tmp_path / "parsed.json"
    out.write_text(dumps(parsed.document()), encoding="utf-8")
    assert check_golden.main(str(golden_path(golden_source)), str(out)) == 0, capsys.readouterr().out


def cell(parsed, key):
    return next(c for c in parsed.cells if c.key == key)


# HTML

def test_html_page_inside_its_site(tmp_path, capsys):
    parsed = parse_file(HTML)
    assert parsed.source_format == "html"
    assert_golden(parsed, HTML, tmp_path, capsys)
    # the menus, scripts and footer of the site are not part of the report
    assert not any("版权所有" in s.text or "网站地图" in s.text for s in parsed.sections.values())
    assert cell(parsed, "requests/granted/total").location.startswith("table 2, row 6")


def test_html_declared_gbk_reads_the_same(tmp_path, capsys):
    page = HTML.read_text(encoding="utf-8").replace('charset="utf-8"', 'charset="gb2312"')
    page = page.replace("charset=utf-8", "charset=gb2312")
    parsed = parse_bytes(page.encode("gb18030"), "page-gbk.html")
    assert (parsed.source_format, parsed.encoding) == ("html", "gb18030")
    assert_golden(parsed, HTML, tmp_path, capsys)


def test_html_cell_markup_folds_into_the_cell(tmp_path, capsys):
    page = HTML.read_text(encoding="utf-8")
    page = page.replace("（一）予以公开</p>", "（一）<br/>予以<span>公开</span></p>", 1)
    page = page.replace('<p style="text-indent: 0em;">71</p>', '<p style="text-indent: 0em;">&nbsp;71&nbsp;</p>', 1)
    assert_golden(parse_bytes(page.encode(), "markup.html"), HTML, tmp_path, capsys)


def seed_as_html(source) -> str:
    """A seed's text as a web page: each tab row a table row, the rest paragraphs,
    with a menu, a script and a footer around the article."""
    body = []
    table = []
    for line in source.read_text(encoding="utf-8").splitlines():
        if "\t" in line:
            table.append("<tr>" + "".join(f"<td>{c}</td>" for c in line.split("\t")) + "</tr>")
            continue
        if table:
            body.append("<table border=1>" + "".join(table) + "</table>")
            table = []
        if line.strip():
            body.append(f"<p>{line}</p>")
    return ("<!DOCTYPE html><html><head><meta charset='utf-8'><title>site</title>"
            "<script>var a = '一、总体情况 1 2 3';</script></head><body>"
            "<div class='nav'><a href='/'>首页</a> 信息公开 政务服务 1 2 3</div>"
            f"<div class='article'>{''.join(body)}</div>"
            "<div class='footer'>版权所有 网站地图 电话：0000-0000000</div></body></html>")


def test_a_seed_made_into_a_web_page(tmp_path, capsys):
    parsed = parse_bytes(seed_as_html(seed("001")).encode(), "001.html")
    assert parsed.source_format == "html"
    assert_golden(parsed, seed("001"), tmp_path, capsys)
    assert parsed.metadata.contact_phone == "85659620"  # not the footer's


def test_html_rowspan_and_colspan_are_expanded():
    from lxml import html as lxml_html

    from loaders.blocks import SPAN
    from loaders.sources.html import grid

    table = lxml_html.fromstring(
        "<table><tr><td rowspan=2>a</td><td colspan=2>b</td></tr><tr><td>c</td><td>d</td></tr></table>")
    assert [cells for _, cells in grid(table)] == [["a", "b", SPAN], [SPAN, "c", "d"]]


# PDF

def test_pdf_with_tables_over_a_page_break(tmp_path, capsys):
    parsed = parse_file(PDF)
    assert (parsed.source_format, parsed.encoding) == ("pdf", None)
    assert_golden(parsed, PDF, tmp_path, capsys)
    # table 三 starts on page 3 and goes on on page 4
    assert cell(parsed, "requests/unable.not_held/total").location.startswith("page 3, table 2")
    assert cell(parsed, "requests/unable.needs_creation/total").location.startswith("page 4, table 1")
    assert "全区政府信息公开工作虽取得一定成绩" in parsed.sections[5].text
    assert parsed.metadata.contact_phone == "0517-87290606"


def test_a_damaged_pdf_is_a_clear_error():
    with pytest.raises(LoadError, match="not a readable PDF|holds no text"):
        parse_bytes(PDF.read_bytes()[:5000], "cut.pdf")


# Word

def seed_as_docx(source) -> bytes:
    """A seed as a Word file: prose paragraphs, and tables whose label cells are
    merged across the empty cell after them (colspan) and down the group rows (vMerge)."""
    document = docx.Document()
    lines = source.read_text(encoding="utf-8").splitlines()
    table = None
    for line in lines:
        if "\t" not in line:
            table = None
            if line.strip():
                document.add_paragraph(line)
            continue
        cells = line.split("\t")
        if table is None or len(table.columns) != len(cells):
            table = document.add_table(rows=0, cols=len(cells))
        row = table.add_row().cells
        for i, text in enumerate(cells):
            row[i].text = text
        if cells[0] and len(cells) > 2 and cells[1] == "" and re.match(r"^[一二三四]、", cells[0]):
            row[0].merge(row[1])  # a label over two columns
    return _save(document)


def _save(document) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_a_seed_made_into_a_word_file(tmp_path, capsys):
    parsed = parse_bytes(seed_as_docx(seed("001")), "001.docx")
    assert parsed.source_format == "docx"
    assert_golden(parsed, seed("001"), tmp_path, capsys)
    assert cell(parsed, "requests/new_received/total").location.startswith("table ")


def test_word_vertical_merge_is_a_span():
    from loaders.blocks import SPAN
    from loaders.sources.docx import read_docx

    document = docx.Document()
    table = document.add_table(rows=3, cols=3)
    table.cell(0, 0).merge(table.cell(2, 0))
    table.cell(0, 0).text = "三、本年度办理结果"
    for r, label in enumerate(["（一）予以公开", "（二）部分公开", "（七）总计"]):
        table.cell(r, 1).text = label
        table.cell(r, 2).text = str(r)
    rows = [b.cells for b in read_docx(_save(document))]
    assert rows == [("三、本年度办理结果", "（一）予以公开", "0"), (SPAN, "（二）部分公开", "1"),
                    (SPAN, "（七）总计", "2")]
    vmerge = table.cell(1, 0)._tc.tcPr.find(qn("w:vMerge"))
    assert vmerge is not None  # python-docx wrote a real vertical merge


# text

def test_text_with_spaces_between_cells(tmp_path, capsys):
    spaced = "\n".join(re.sub(r"\t+", " ", line).strip()
                       for line in seed("001").read_text(encoding="utf-8").splitlines())
    parsed = parse_bytes(spaced.encode(), "001-spaced.txt")
    assert parsed.source_format == "text"
    assert_golden(parsed, seed("001"), tmp_path, capsys)


def test_markdown_from_a_converter(tmp_path, capsys):
    parsed = parse_file(seed("004"))
    assert parsed.source_format == "markdown"
    assert_golden(parsed, seed("004"), tmp_path, capsys)


# content, not names

@pytest.mark.parametrize("source, name, fmt", [
    (PDF, "report.txt", "pdf"), (HTML, "report.dat", "html"), (None, "report.txt", "docx")])
def test_the_format_is_told_from_the_content(source, name, fmt):
    data = source.read_bytes() if source else seed_as_docx(seed("001"))
    assert parse_bytes(data, name).source_format == fmt


@pytest.mark.parametrize("data, why", [
    (b"PK\x03\x04not really a zip", "damaged ZIP"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "Word 97-2003"),
])
def test_other_binaries_are_refused_with_a_reason(data, why):
    with pytest.raises(LoadError, match=why):
        parse_bytes(data, "file.doc")


def test_a_zip_that_is_not_word():
    buffer = io.BytesIO()
    import zipfile

    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("hello.txt", "hi")
    with pytest.raises(LoadError, match="not a Word"):
        parse_bytes(buffer.getvalue(), "archive.docx")


def test_every_format_loads_from_a_directory(db, tmp_path):
    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / "a.html").write_bytes(HTML.read_bytes())
    (folder / "b.pdf").write_bytes(PDF.read_bytes())
    (folder / "c.docx").write_bytes(seed_as_docx(seed("001")))
    (folder / "d.txt").write_bytes(seed("003").read_bytes())
    summary = load_paths([folder])
    assert summary.counts == {"loaded": 4}
    assert sorted(r.source_format for r in Report.select()) == ["docx", "html", "pdf", "text"]
