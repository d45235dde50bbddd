"""Variants seen in real reports, each made from a seed by changing what it prints."""
from decimal import Decimal

import pytest

from loaders.document import parse_bytes
from tests.conftest import seed


def parse_changed(source, *changes):
    text = seed(source).read_text(encoding="utf-8")
    for old, new in changes:
        assert old in text, old
        text = text.replace(old, new, 1)
    return parse_bytes(text.encode(), f"{source}-variant.txt")


def cell(parsed, key):
    return next(c for c in parsed.cells if c.key == key)


def rules(parsed):
    return [f.rule for f in parsed.findings]


def test_numbering_with_a_comma_half_width_brackets_and_spaces_in_labels():
    parsed = parse_changed("001", ("\t\t2. 重复申请\t0", "\t\t2、 重 复 申 请\t7"),
                           ("(四) 无法提供\t1. 本机关不掌握相关政府信息\t0",
                            "(四) 无法提供\t1． 本机关 不掌握 相关政府信息\t3"))
    assert cell(parsed, "requests/not_processed.repeated/natural_person").value == 7
    assert cell(parsed, "requests/unable.not_held/natural_person").value == 3


def test_a_vertical_label_one_character_per_line():
    vertical = "\n".join("三、本年度办理结果") + "\t(一) 予以公开"
    parsed = parse_changed("001", ("三、本年度办理结果\t(一) 予以公开", vertical))
    assert cell(parsed, "requests/granted/total").value == 0
    assert cell(parsed, "requests/granted/total").status == "reported"
    assert "parse.unrecognised_row" not in rules(parsed)


def test_the_single_other_row_in_a_2021_report():
    parsed = parse_changed(
        "001",
        ("\t(六) 其他处理\t1. 申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请\t0\t0\t0\t0\t0\t0\t0\n"
         "\t\t2. 申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请\t0\t0\t0\t0\t0\t0\t0\n"
         "3. 其他\t\t0\t0\t0\t0\t0\t0\t0\t\n", "\t(六) 其他处理\t2\t0\t0\t0\t0\t0\t2\n"))
    assert parsed.layout == "2021"
    rows = {c.row for c in parsed.cells if c.table == "requests"}
    assert "other" in rows and not rows & {"other.no_correction", "other.fee_unpaid", "other.other"}
    assert cell(parsed, "requests/other/total").value == 2
    assert len(parsed.cells) == 186


@pytest.mark.parametrize("printed, value, note, status", [
    ("22（其中修订16件）", Decimal(22), "(其中修订16件)", "reported"),
    ("251000元", Decimal(251000), "元", "reported"),
    ("1,969", Decimal(1969), None, "reported"),
    ("/", None, None, "placeholder"),
    ("—", None, None, "placeholder"),
    ("无", None, None, "placeholder"),
    ("-", None, None, "placeholder"),
])
def test_cell_variants(printed, value, note, status):
    parsed = parse_changed("000", ("行政许可\t969\t\t", f"行政许可\t{printed}\t\t"))
    c = cell(parsed, "disclosure/licensing/decisions")
    assert (c.value, c.note, c.status, c.raw) == (value, note, status, printed)


def test_signed_changes_in_the_2019_layout():
    parsed = parse_changed("003", ("行政许可\t0\t0\t0", "行政许可\t490\t-185\t94335"),
                           ("行政处罚\t0\t0\t0", "行政处罚\t681\t+1036\t15833"))
    assert cell(parsed, "disclosure/licensing/items_change").value == -185
    assert cell(parsed, "disclosure/penalty/items_change").value == 1036
    assert cell(parsed, "disclosure/penalty/items_change").raw == "+1036"


@pytest.mark.parametrize("page_number", ["— 5 —", "- 3 -", "第 2 页 共 9 页"])
def test_page_numbers_inside_a_table_are_not_rows(page_number):
    parsed = parse_changed("001", ("\t\t4. 保护第三方合法权益\t0\t0\t0\t0\t0\t0\t0\n",
                                   f"\t\t4. 保护第三方合法权益\t0\t0\t0\t0\t0\t0\t0\n{page_number}\n"))
    assert rules(parsed) == []
    assert cell(parsed, "requests/denied.internal_affairs/total").value == 0


def test_cells_run_together_are_ambiguous_not_guessed():
    parsed = parse_changed("002", ("行政规范性文件\t1\t0\t1", "行政规范性文件6233440"))
    for column in ("issued", "repealed", "in_force"):
        c = cell(parsed, f"disclosure/normative_documents/{column}")
        assert (c.value, c.status) == (None, "ambiguous")
    [finding] = [f for f in parsed.findings if f.rule == "parse.ambiguous"]
    assert finding.row == "normative_documents" and "1 values printed for 3 columns" in finding.message


def test_a_single_column_row_run_together_has_one_reading():
    parsed = parse_changed("002", ("行政许可\t0\t\t", "行政许可4529"))
    assert cell(parsed, "disclosure/licensing/decisions").value == 4529


def test_a_label_split_over_two_cells():
    parsed = parse_changed("001", ("\t\t2. 其他法律法规禁止公开\t0", "\t\t2. 其他法律行政法规\t禁止公开\t5"))
    assert cell(parsed, "requests/denied.prohibited_by_law/natural_person").value == 5
