"""Reading rows into values: what can be told is placed, what cannot is null with a finding."""
from loaders.blocks import Row
from loaders.tables import read_disclosure, read_requests, read_review


def rows(*lines: str) -> list[Row]:
    return [Row(tuple(line.split("\t")), n) for n, line in enumerate(lines, start=1)]


def numbers(reading, key):
    return [None if v.number is None else int(v.number) for v in reading.rows[key].values.values()]


def test_requests_cells_shifted_left_or_right_are_placed():
    r = read_requests(rows(
        "一、本年新收政府信息公开申请数量\t\t5\t0\t0\t0\t0\t0\t5\t",
        "3.补正后申请内容仍不明确\t\t1\t0\t0\t0\t0\t0\t1\t",
        "\t\t2.重复申请\t2\t0\t0\t0\t0\t0\t2",
        "(七) 总计\t9\t0\t0\t0\t0\t0\t9\t\t",
    ))
    assert numbers(r, "new_received") == [5, 0, 0, 0, 0, 0, 5]
    assert numbers(r, "unable.unclear") == [1, 0, 0, 0, 0, 0, 1]
    assert numbers(r, "not_processed.repeated") == [2, 0, 0, 0, 0, 0, 2]
    assert numbers(r, "total_processed") == [9, 0, 0, 0, 0, 0, 9]
    assert r.findings == []


def test_six_values_for_seven_columns_is_ambiguous_not_guessed():
    r = read_requests(rows("四、结转下年度继续办理\t\t\t0\t0\t0\t0\t0\t0\t"))
    assert r.rows["carried_forward"].values is None
    [finding] = r.findings
    assert finding.rule == "parse.ambiguous"
    assert finding.row == "carried_forward"
    assert "6 values printed for 7 columns" in finding.message


def test_group_rows_header_rows_and_label_continuations_hold_no_values():
    r = read_requests(rows(
        "(本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和)\t\t申请人情况\t\t\t\t\t\t总计\t",
        "\t\t\t商业企业\t科研机构\t社会公益组织\t法律服务机构\t其他\t\t",
        "\t(五) 不予处理\t\t\t\t\t\t\t",
        "\t\t3. 要求提供公\t0\t1\t0\t0\t0\t0\t1",
        "\t开出版物\t\t\t\t\t\t\t",
    ))
    assert list(r.rows) == ["not_processed.publication"]
    assert numbers(r, "not_processed.publication") == [0, 1, 0, 0, 0, 0, 1]
    assert r.findings == []


def test_a_row_printed_blank_is_null_not_zero():
    r = read_requests(rows("\t\t8.属于行政查询事项\t\t\t\t\t\t\t"))
    values = r.rows["denied.administrative_query"].values
    assert [v.kind for v in values.values()] == ["blank"] * 7
    assert all(v.number is None for v in values.values())


def test_values_under_no_known_label_are_reported_not_dropped():
    r = read_requests(rows("9.属于某种新情形\t1\t0\t0\t0\t0\t0\t1"))
    assert r.rows == {}
    assert [f.rule for f in r.findings] == ["parse.unrecognised_row"]


def test_review_row_with_leading_blanks_reads_by_position():
    r = read_review(rows(
        "行政复议\t\t\t\t\t行政诉讼\t\t\t\t\t\t\t\t\t",
        "\t\t\t\t\t0\t2\t0\t0\t2\t0\t0\t0\t0\t0",
    ))
    assert [v.kind for v in r.rows["review"].values.values()] == ["blank"] * 5
    assert numbers(r, "litigation_direct") == [0, 2, 0, 0, 2]
    assert numbers(r, "litigation_after_review") == [0] * 5


def test_review_row_too_short_is_ambiguous():
    r = read_review(rows("0\t0\t0\t0\t0\t0\t0\t0\t0\t0"))
    assert all(reading.values is None for reading in r.rows.values())
    assert {f.rule for f in r.findings} == {"parse.ambiguous"}


def test_disclosure_values_follow_their_header():
    r = read_disclosure(rows(
        "第二十条第(五)项\t\t\t",
        "信息内容\t上一年项目数量\t本年增/减\t处理决定数量",
        "行政许可\t490\t-22\t94335",
        "其他对外管理服务事项\t86\t\t12204",
        "第二十条第(八)项\t\t\t",
        "信息内容\t本年收费金额(单位:万元)\t\t",
        "行政事业性收费\t1.5",
    ))
    assert {k: v.raw for k, v in r.rows["licensing"].values.items()} == {
        "prior_items": "490", "items_change": "-22", "decisions": "94335"}
    other = r.rows["other_services"].values
    assert (other["prior_items"].raw, other["items_change"].kind, other["decisions"].raw) == ("86", "blank", "12204")
    assert str(r.rows["fees"].values["fee_amount"].number) == "1.5"
    assert r.columns_seen == {"prior_items", "items_change", "decisions", "fee_amount"}


def test_disclosure_row_without_header_is_ambiguous():
    r = read_disclosure(rows("行政许可\t969"))
    assert r.rows["licensing"].values is None
    assert "no header row" in r.findings[0].message
