"""Every printed value accounted for, and numbers exactly as printed (issue 15).

A row whose numbers are followed by a text cell (a unit, a remark, a stray byte) keeps
its values, and the text becomes the note of the row's cells; text among the values is
placed by position or leaves the row ambiguous with a finding; a printed value that no
cell holds is named in a finding. A number too long to be a count or amount is null
with status ``invalid`` and a finding; a decimal keeps every printed digit.

Inputs are built here from the seeds: the text seed as printed, and the same report as
a markdown file and as an HTML page (``as_markdown``, ``as_html``), so each case runs
through the real readers of all three formats."""
from __future__ import annotations

import html
import os
from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from loaders.blocks import Prose, Row
from loaders.document import parse_bytes
from loaders.records import INVALID, RULES, STATUSES
from loaders.tables import read_disclosure, read_requests, read_review
from loaders.values import INVALID as INVALID_VALUE
from loaders.values import NUMBER, TEXT, has_digits, read_value
from tests.conftest import SEEDS, seed

TEXT_SEED = seed("000").read_text(encoding="utf-8")  # 2021 layout, tab-separated
BASE = {c.key: c for c in parse_bytes(TEXT_SEED.encode(), "base.txt").cells}

RULES_ROW = "规章\t0\t0\t0"
LICENSING_ROW = "行政许可\t969\t\t"
REQUESTS_ROW = "一、本年新收政府信息公开申请数量\t\t5\t0\t0\t0\t0\t0\t5\t"
REVIEW_ROW = "\t\t\t\t\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0"
FEES_ROW = "行政事业性收费\t0\t\t"


def as_markdown(text: str) -> str:
    """The report with its tab-separated rows as markdown pipe rows."""
    return "\n".join("| " + " | ".join(line.split("\t")) + " |" if "\t" in line else line
                     for line in text.splitlines())


def as_html(text: str) -> str:
    """The report as a web page: each run of rows one ``<table>``, each prose line a ``<p>``."""
    out, in_table = ["<html><head><title>report</title></head><body><div>"], False
    for line in filter(str.strip, text.splitlines()):
        if ("\t" in line) != in_table:
            out.append("<table>" if not in_table else "</table>")
            in_table = not in_table
        if in_table:
            out.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in line.split("\t")) + "</tr>")
        else:
            out.append(f"<p>{html.escape(line)}</p>")
    return "\n".join(out + ["</table>"] * in_table + ["</div></body></html>"])


FORMATS = {"txt": lambda t: t, "md": as_markdown, "html": as_html}


def parse(text: str, fmt: str):
    parsed = parse_bytes(FORMATS[fmt](text).encode("utf-8"), f"report.{fmt}")
    return {c.key: c for c in parsed.cells}, parsed.findings


def changed(text: str, *edits: tuple[str, str]) -> str:
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


def test_the_three_renderings_of_the_seed_read_alike():
    for fmt in FORMATS:
        cells, findings = parse(TEXT_SEED, fmt)
        assert {k: (c.value, c.status) for k, c in cells.items()} == {k: (c.value, c.status) for k, c in BASE.items()}
        assert findings == []


def with_trailing(extra: str) -> str:
    """A unit, remark or stray character printed after the numbers of rows of tables 二, 三 and 四."""
    return changed(TEXT_SEED, (RULES_ROW, f"{RULES_ROW}\t{extra}"), (LICENSING_ROW, f"行政许可\t969\t{extra}\t"),
                   (REQUESTS_ROW, REQUESTS_ROW + extra), (REVIEW_ROW, f"{REVIEW_ROW}\t{extra}"))


NOTED_ROWS = ("disclosure/rules/", "disclosure/licensing/", "requests/new_received/", "review_litigation/")


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("extra", ["件", "备注：含补正", "\x07", "·"])
def test_text_after_the_numbers_is_the_rows_note_and_no_value_is_lost(fmt, extra):
    cells, findings = parse(with_trailing(extra), fmt)
    for key, cell in cells.items():
        base = BASE[key]
        assert (cell.value, cell.status, cell.raw) == (base.value, base.status, base.raw), key
        assert cell.note == (extra if key.startswith(NOTED_ROWS) else None), key
    assert cells["disclosure/licensing/decisions"].value == Decimal(969)
    assert cells["requests/new_received/total"].value == Decimal(5)
    assert not any(c.status == "blank" for k, c in cells.items() if k.startswith(NOTED_ROWS[:3]))
    assert [c.value for k, c in cells.items() if k.startswith("review_litigation/litigation")] == [0] * 10
    assert findings == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_remark_joins_the_note_a_value_prints_itself(fmt):
    text = changed(TEXT_SEED, (LICENSING_ROW, "行政许可\t969（其中新增12件）\t\t备注：含补正"))
    cells, _ = parse(text, fmt)
    cell = cells["disclosure/licensing/decisions"]
    assert (cell.value, cell.status, cell.note) == (Decimal(969), "reported", "(其中新增12件); 备注：含补正")


@pytest.mark.parametrize("fmt", FORMATS)
def test_text_printed_where_a_number_belongs_is_placed_by_position_and_named(fmt):
    cells, findings = parse(changed(TEXT_SEED, (RULES_ROW, "规章\t0\t件\t0")), fmt)
    assert [cells[f"disclosure/rules/{c}"].status for c in ("issued", "repealed", "in_force")] == \
        ["reported", "ambiguous", "reported"]
    assert cells["disclosure/rules/repealed"].raw == "件"
    [finding] = findings
    assert (finding.rule, finding.row, finding.column) == ("parse.ambiguous", "rules", "repealed")
    assert "'件' is printed where a number belongs" in finding.message


@pytest.mark.parametrize("fmt", FORMATS)
def test_text_among_the_values_never_shifts_them(fmt):
    text = changed(TEXT_SEED, (REQUESTS_ROW, "一、本年新收政府信息公开申请数量\t\t5\t件\t0\t0\t0\t0\t0\t5\t"))
    cells, findings = parse(text, fmt)
    row = [c for k, c in cells.items() if k.startswith("requests/new_received/")]
    assert {(c.value, c.status) for c in row} == {(None, "ambiguous")}
    [finding] = [f for f in findings if f.rule == "parse.ambiguous"]
    assert finding.row == "new_received" and "with text '件' among them" in finding.message


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_value_no_cell_can_hold_is_named(fmt):
    cells, findings = parse(changed(TEXT_SEED, (RULES_ROW, f"{RULES_ROW}\t7")), fmt)
    assert {cells[f"disclosure/rules/{c}"].status for c in ("issued", "repealed", "in_force")} == {"ambiguous"}
    [finding] = findings
    assert finding.rule == "parse.ambiguous" and "0\\t0\\t0\\t7" in finding.message

    cells, findings = parse(changed(TEXT_SEED, (RULES_ROW, f"9\t{RULES_ROW}")), fmt)
    assert cells["disclosure/rules/issued"].value == 0
    [finding] = findings
    assert (finding.rule, finding.row) == ("parse.unplaced_value", "rules")
    assert "'9' printed before the row's label" in finding.message


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_row_printing_only_text_keeps_it_as_the_note(fmt):
    cells, findings = parse(changed(TEXT_SEED, (RULES_ROW, "规章\t见附件\t\t")), fmt)
    row = [cells[f"disclosure/rules/{c}"] for c in ("issued", "repealed", "in_force")]
    assert [(c.value, c.status, c.note) for c in row] == [(None, "blank", "见附件")] * 3
    assert findings == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_values_then_text_with_no_label_are_reported(fmt):
    cells, findings = parse(changed(TEXT_SEED, (RULES_ROW, "0\t0\t0\t件")), fmt)
    assert cells["disclosure/rules/issued"].status == "missing"
    assert "parse.unrecognised_row" in {f.rule for f in findings}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("digits", [21, 400, 5000])
def test_a_number_too_long_to_be_a_count_is_invalid_with_a_finding(fmt, digits):
    printed = "9" * digits
    text = changed(TEXT_SEED, (LICENSING_ROW, f"行政许可\t{printed}\t\t"),
                   (REQUESTS_ROW, f"一、本年新收政府信息公开申请数量\t\t{printed}\t0\t0\t0\t0\t0\t5\t"))
    cells, findings = parse(text, fmt)
    for key in ("disclosure/licensing/decisions", "requests/new_received/natural_person"):
        cell = cells[key]
        assert (cell.value, cell.status, cell.raw) == (None, INVALID, printed)
    too_long = [f for f in findings if f.rule == "parse.number_too_long"]
    assert [(f.table, f.row, f.column) for f in too_long] == [
        ("disclosure", "licensing", "decisions"), ("requests", "new_received", "natural_person")]
    shown = printed if digits <= 40 else f"({digits} characters)"
    assert all(shown in f.message for f in too_long)
    assert not any(f.rule == "requests.row_total" and f.row == "new_received" for f in findings)  # null is not 0


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_decimal_keeps_every_printed_digit(fmt):
    cells, _ = parse(changed(TEXT_SEED, (FEES_ROW, "行政事业性收费\t3664843848.32580008\t\t")), fmt)
    cell = cells["disclosure/fees/fee_amount"]
    assert cell.value == Decimal("3664843848.32580008")
    assert str(cell.value) == "3664843848.32580008"
    assert (cell.status, cell.raw) == ("reported", "3664843848.32580008")


def test_notes_invalid_cells_and_every_digit_are_stored(db):
    """Through the store on a real database: the row's note, the invalid cell with its
    printed text and finding, and a decimal with all its digits."""
    from loaders.store import store_report
    from models import Cell, Finding

    text = changed(TEXT_SEED, (LICENSING_ROW, "行政许可\t969\t件\t"),
                   (REQUESTS_ROW, f"一、本年新收政府信息公开申请数量\t\t{'9' * 5000}\t0\t0\t0\t0\t0\t5\t"),
                   (FEES_ROW, "行政事业性收费\t3664843848.32580008\t\t"))
    parsed = parse_bytes(text.encode(), "stored.txt")
    parsed.document()  # the JSON document is made without error
    report = store_report(parsed).report_id

    def cell(row, column):
        return Cell.get(Cell.report == report, Cell.row_key == row, Cell.column_key == column)

    licensing = cell("licensing", "decisions")
    assert (licensing.value, licensing.status, licensing.note) == (Decimal(969), "reported", "件")
    invalid = cell("new_received", "natural_person")
    assert (invalid.value, invalid.status, invalid.raw) == (None, "invalid", "9" * 5000)
    assert str(cell("fees", "fee_amount").value) == "3664843848.32580008"
    assert Finding.get(Finding.report == report, Finding.rule == "parse.number_too_long").row_key == "new_received"


def test_a_decimal_keeps_its_digits_in_the_markdown_seed():
    text = seed("004").read_text(encoding="utf-8").replace("249887966.42", "3664843848.32580008", 1)
    cells = parse_bytes(text.encode(), "m.md").cells
    [cell] = [c for c in cells if c.key == "disclosure/procurement/procurement_amount"]
    assert str(cell.value) == "3664843848.32580008"


@pytest.mark.parametrize("printed, kind, number", [
    ("999999999999999", NUMBER, Decimal("999999999999999")),
    ("-999,999,999,999,999", NUMBER, Decimal("-999999999999999")),
    ("1000000000000000", INVALID_VALUE, None),
    ("123456789012345678901", INVALID_VALUE, None),
    ("1.0123456789", NUMBER, Decimal("1.0123456789")),
    ("1.01234567890", INVALID_VALUE, None),
    ("3664843848.32580008", NUMBER, Decimal("3664843848.32580008")),
    ("9" * 400, INVALID_VALUE, None),
    ("9" * 5000 + "元", INVALID_VALUE, None),
    ("1" * 5000 + "x", TEXT, None),
])
def test_read_value_bounds(printed, kind, number):
    v = read_value(printed)
    assert (v.kind, v.number, v.raw) == (kind, number, printed)
    assert v.number is None or str(v.number) == printed.replace(",", "")


def test_invalid_is_a_status_and_its_rule_is_listed():
    assert INVALID in STATUSES
    assert {"parse.number_too_long", "parse.unplaced_value"} <= set(RULES)


def test_sums_of_the_longest_values_are_exact():
    """Identities add Decimals in an exact context: 15-digit values with 10 decimals do not round."""
    big = "999999999999999.9999999999"[:-1]  # 15 + 9 digits
    text = changed(TEXT_SEED, (REQUESTS_ROW, f"一、本年新收政府信息公开申请数量\t\t{big}\t{big}\t0\t0\t0\t0\t1\t"))
    parsed = parse_bytes(text.encode(), "big.txt")
    [finding] = [f for f in parsed.findings if f.rule == "requests.row_total" and f.row == "new_received"]
    assert finding.expected == Decimal(big) * 2
    assert finding.printed == 1


def test_a_spaced_row_ending_in_a_unit_is_a_row():
    """Text from a PDF without ruled tables: ``行政许可 969 件`` is a row, its unit the note."""
    reading = read_disclosure([Prose("信息内容 本年处理决定数量", 1), Prose("行政许可 969 件", 2)])
    [v] = reading.rows["licensing"].values.values()
    assert (v.number, v.note) == (Decimal(969), "件")


# Properties --------------------------------------------------------------------------

trailing_text = st.one_of(
    st.sampled_from(["件", "个", "万元", "备注", "备注：含补正", "（含补正）", "\x07", "·", "?", "x", "其他", "总计"]),
    st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp", "Zs")), min_size=1, max_size=8),
).filter(lambda s: read_value(s).kind == TEXT and "|" not in s and s.strip() == s)
value = st.one_of(st.integers(0, 10**6).map(str), st.just(""), st.sampled_from(["/", "—", "无"]))


@given(st.lists(value, min_size=7, max_size=7), trailing_text, st.integers(0, 2), st.booleans())
def test_a_trailing_text_cell_never_blanks_a_printed_number(values, extra, gap, exact):
    """Table 三 rows: text after the numbers changes nothing but the note. Each printed
    number is stored in a column (never a blank), or the row is null with a finding."""
    assume(any(values))  # a row printing no value, whose text is a label (其他), is not one row
    cells = ("", "2.重复申请", *values, *[""] * gap)
    before = read_requests([Row(cells, 1, exact=exact)])
    after = read_requests([Row((*cells, extra), 1, exact=exact)])
    placed = after.rows["not_processed.repeated"].values
    expected = before.rows["not_processed.repeated"].values
    # text with digits beside the values (a remark may print a count) is named by a finding
    said = ["parse.unplaced_value"] if has_digits(extra) and expected is not None else []
    assert [f.rule for f in after.findings] == [f.rule for f in before.findings] + said
    if expected is None:
        assert placed is None and [f.rule for f in after.findings] == ["parse.ambiguous"]
        return
    assert {c: replace(v, note=None) for c, v in placed.items()} == expected
    assert {v.note for v in placed.values()} == {extra}
    numbers = [read_value(v).number for v in values if read_value(v).kind == NUMBER]
    assert [v.number for v in placed.values() if v.kind == NUMBER] == numbers


@given(st.lists(st.integers(0, 10**6).map(str), min_size=15, max_size=15), trailing_text)
def test_a_trailing_text_cell_keeps_table_four(values, extra):
    reading = read_review([Row(tuple(values) + (extra,), 1)])
    got = [v.number for r in reading.rows.values() for v in r.values.values()]
    assert got == [Decimal(v) for v in values]
    assert {v.note for r in reading.rows.values() for v in r.values.values()} == {extra}
    assert {f.rule for f in reading.findings} == ({"parse.unplaced_value"} if has_digits(extra) else set())


@given(st.lists(st.integers(0, 999).map(str), min_size=3, max_size=3), trailing_text)
def test_a_trailing_text_cell_keeps_table_two(values, extra):
    reading = read_disclosure([Row(("信息内容", "本年制发件数", "本年废止件数", "现行有效件数"), 1),
                               Row(("规章", *values, extra), 2)])
    assert [v.number for v in reading.rows["rules"].values.values()] == [Decimal(v) for v in values]
    assert [f.rule for f in reading.findings] == (["parse.unplaced_value"] if has_digits(extra) else [])


SEED_TEXTS = {p.name: p.read_text(encoding="utf-8") for p in SEEDS}


def _is_data_row(line: str) -> bool:
    cells = [c.strip() for c in (line.strip().strip("|").split("|") if line.lstrip().startswith("|")
                                 else line.split("\t"))]
    return len(cells) > 1 and any(read_value(c).kind == NUMBER for c in cells)


def _append(line: str, extra: str) -> str:
    if line.lstrip().startswith("|"):
        return line.rstrip()[:-1] + f"| {extra} |"
    return f"{line}\t{extra}"


@st.composite
def seed_with_trailing_text(draw):
    name = draw(st.sampled_from(sorted(SEED_TEXTS)))
    lines = SEED_TEXTS[name].splitlines()
    rows = [i for i, line in enumerate(lines) if _is_data_row(line)]
    chosen = draw(st.lists(st.sampled_from(rows), min_size=1, max_size=6, unique=True))
    extra = draw(trailing_text)
    for i in chosen:
        lines[i] = _append(lines[i], extra)
    fmt = "html" if "\t" in SEED_TEXTS[name] and draw(st.booleans()) else "txt"
    return name, "\n".join(lines), fmt


@given(seed_with_trailing_text())
@settings(max_examples=60, deadline=None, derandomize=bool(os.environ.get("CI")),
          suppress_health_check=[HealthCheck.too_slow])
def test_seeds_with_text_after_the_numbers_keep_every_value(case):
    """Any seed, any of its rows with a trailing text cell: every cell reads as before."""
    name, text, fmt = case
    before = {c.key: (c.value, c.status) for c in parse_bytes(SEED_TEXTS[name].encode(), name).cells}
    document = as_html(text) if fmt == "html" else text
    after = {c.key: (c.value, c.status) for c in parse_bytes(document.encode(), name).cells}
    assert after == before


# ---- number-like text: never a blank, never digits run together (review of issue 15) ----------

@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("printed", ["969件次", "约969", "969余件", "969万", "969*", "969[1]", "969①", "969¹",
                                     "969 12", ".5", "9,69"])
def test_digits_that_are_not_one_number_are_never_blank_or_run_together(fmt, printed):
    """A cell that prints digits but not one number the reader knows is null with a
    finding that names it: never ``blank``, never its digits read as another number."""
    cells, findings = parse(changed(TEXT_SEED, (LICENSING_ROW, f"行政许可\t{printed}\t\t")), fmt)
    cell = cells["disclosure/licensing/decisions"]
    assert cell.value is None and cell.status in ("ambiguous", "invalid"), (cell.value, cell.status)
    assert any(f.row == "licensing" and f.rule.startswith("parse.") for f in findings)


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_unicode_minus_sign_is_a_sign(fmt):
    cells, _ = parse(changed(TEXT_SEED, (RULES_ROW, "规章\t\u221211\t0\t0")), fmt)
    assert cells["disclosure/rules/issued"].value == Decimal(-11)


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_remark_with_digits_beside_the_values_is_named(fmt):
    cells, findings = parse(changed(TEXT_SEED, (LICENSING_ROW, "行政许可\t969\t另有3件\t")), fmt)
    assert (cells["disclosure/licensing/decisions"].value, cells["disclosure/licensing/decisions"].note) == \
        (Decimal(969), "另有3件")
    [finding] = findings
    assert finding.rule == "parse.unplaced_value" and "'另有3件'" in finding.message


@pytest.mark.parametrize("cell", ["969<sup>1</sup>", "96<br>9", "969&nbsp;12", "9<sub>6</sub>9"])
def test_html_markup_never_runs_digits_together(cell):
    page = as_html(TEXT_SEED).replace("<td>969</td>", f"<td>{cell}</td>", 1)
    assert f"<td>{cell}</td>" in page
    parsed = parse_bytes(page.encode("utf-8"), "report.html")
    value = {c.key: c for c in parsed.cells}["disclosure/licensing/decisions"]
    assert value.value is None and any(f.row == "licensing" for f in parsed.findings)


def test_html_inline_markup_inside_a_number_keeps_it():
    page = as_html(TEXT_SEED).replace("<td>969</td>", "<td>9<span>6</span><!-- x -->9</td>", 1)
    parsed = parse_bytes(page.encode("utf-8"), "report.html")
    assert {c.key: c for c in parsed.cells}["disclosure/licensing/decisions"].value == Decimal(969)


# ---- table 三 placed by its header's columns (review of issue 15) ------------------------------

HEADER = "\t\t\t商业企业\t科研机构\t社会公益组织\t法律服务机构\t其他\t\t"


@pytest.mark.parametrize("fmt", FORMATS)
def test_table_three_values_follow_the_header_that_reorders_its_columns(fmt):
    """A header that prints 科研机构 before 商业企业 puts the values under it there."""
    text = changed(TEXT_SEED, (HEADER, "\t\t\t科研机构\t商业企业\t社会公益组织\t法律服务机构\t其他\t\t"),
                   (REQUESTS_ROW, "一、本年新收政府信息公开申请数量\t\t1\t3\t2\t0\t0\t0\t6\t"))
    cells, findings = parse(text, fmt)
    got = {c: cells[f"requests/new_received/{c}"].value for c in
           ("natural_person", "commercial_enterprise", "research_institution", "total")}
    assert got == {"natural_person": 1, "commercial_enterprise": 2, "research_institution": 3, "total": 6}
    assert not [f for f in findings if f.rule.startswith("parse.")]


@pytest.mark.parametrize("fmt", FORMATS)
def test_table_three_under_a_header_that_cannot_be_read_whole_is_null_with_findings(fmt):
    text = changed(TEXT_SEED, (HEADER, "\t\t\t科研机构\t商业企业\t社会公益组织\t法律机构\t其他\t\t"))
    cells, findings = parse(text, fmt)
    assert {c.status for k, c in cells.items() if k.startswith("requests/new_received/")} == {"ambiguous"}
    assert any(f.rule == "parse.ambiguous" and "another order" in f.message for f in findings)
