import pytest

from loaders.labels import column_index, norm, row_index


@pytest.mark.parametrize("printed, folded", [
    ("（三） 不予 公开", "不予公开"),
    ("(三)1.属于国家秘密", "属于国家秘密"),
    ("1、属于国家秘密", "属于国家秘密"),
    ("1．属于国家秘密", "属于国家秘密"),
    ("一、本年新收政府信息公开申请数量", "本年新收政府信息公开申请数量"),
    ("3.危及“三安全一稳定”", '危及"三安全一稳定"'),
    ("3.危及\"三安全一稳定\"", '危及"三安全一稳定"'),
    ("本年收费金额（单位：万元）", "本年收费金额"),
    ("本年收费金额（单元：万元）", "本年收费金额"),
    ("对外公开总数量(2019 年起)", "对外公开总数量"),
    ("要求提供公\n开出版物", "要求提供公开出版物"),
    ("结 果 维 持", "结果维持"),
])
def test_norm(printed, folded):
    assert norm(printed) == folded


@pytest.mark.parametrize("printed, key, how", [
    ("1.属于国家秘密", "denied.state_secret", "exact"),
    ("2. 其他法律法规禁止公开", "denied.prohibited_by_law", "alias"),
    ("（二）部分公开（区分处理的，只计这一情形，不计其他情形）", "partially_granted", "exact"),
    ("(二) 部分公开(区分处理的, 只计这一情形, 不计其他情形)", "partially_granted", "exact"),
    ("(七) 总计", "total_processed", "exact"),
    ("(六) 其他处理", "other", "exact"),
    ("3.其他", "other.other", "exact"),
    ("四、结转下年度继续办理", "carried_forward", "exact"),
    # a label cut by a line break: a unique prefix
    ("3. 要求提供公", "not_processed.publication", "prefix"),
    # seed 000 prints 其他政府信息 for 其政府信息
    ("1.申请人无正当理由逾期不补正、行政机关不再处理其他政府信息公开申请", "other.no_correction", "fuzzy"),
])
def test_request_rows(printed, key, how):
    match = row_index("requests").match(printed)
    assert (match.key, match.how) == (key, how)


@pytest.mark.parametrize("printed", ["（三） 不予 公开", "开出版物", "申请人情况", "自然人", "（五）", "信息内容"])
def test_not_a_request_row(printed):
    assert row_index("requests").match(printed) is None


@pytest.mark.parametrize("printed, key", [
    ("本年度止件数", "repealed"),  # a typo the codebook lists
    ("本年废止件数", "repealed"),
    ("处理决定数量", "decisions"),
    ("采购项目数", "procurement_items"),
    ("本年收费金额（单元：万元）", "fee_amount"),
    ("本年增/减", "items_change"),
])
def test_disclosure_columns(printed, key):
    assert column_index("disclosure").match(printed).key == key


def test_disclosure_rows():
    rows = row_index("disclosure")
    assert rows.match("规范性文件").key == "normative_documents"
    assert rows.match("行政规范性文件").key == "normative_documents"
    assert rows.match("信息内容") is None
