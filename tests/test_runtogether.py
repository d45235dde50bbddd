"""Cells run together (crawler dumps, issue 12): the digits between two labels are split
into the row's numbers where exactly one split keeps the identities; otherwise the
row is null with a ``parse.ambiguous`` finding that lists the candidates. Never a
wrong split: a property test prints random tables — some with a misprinted cell that
breaks an identity — run together as the dumps do, and every value read must be the
printed one, or null with a finding."""
import random
import sys
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loaders.document import parse_bytes, parse_file
from loaders.records import SPLIT, STATUSES
from loaders.runtogether import RunRow, _choose, _row_keys, iter_runs, solve, splits, with_blanks
from loaders.sections import split_sections
from loaders.sources.text import read_blocks
from tests.conftest import FIXTURES

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks import generate as gen  # noqa: E402

CORPUS = FIXTURES / "corpus"


def cells_of(parsed):
    return {c.key: c for c in parsed.cells}


# ---- the two crawler dumps -------------------------------------------------------------------

def test_022_every_cell_is_read_and_the_split_ones_say_so():
    parsed = parse_file(CORPUS / "022_pingtan_czj_2024.txt")
    cells = cells_of(parsed)
    assert {c.status for c in parsed.cells} == {"reported", SPLIT}
    assert not [f for f in parsed.findings if f.rule.startswith(("parse.", "completeness."))]
    # "一、本年新收政府信息公开申请数量20 0 0 0 02": the first and last tokens hold two cells each
    new = [cells[f"requests/new_received/{c}"] for c in gen.REQUEST_COLUMNS]
    assert [c.value for c in new] == [2, 0, 0, 0, 0, 0, 2]
    assert [c.status for c in new] == [SPLIT, SPLIT, "reported", "reported", "reported", SPLIT, SPLIT]
    assert new[0].note == "split from '20 0 0 0 02': the only split"
    # "…信息10 0 0 0 012.没有现成信息…": the 2 is the next row's item number
    assert [cells[f"requests/unable.not_held/{c}"].value for c in gen.REQUEST_COLUMNS] == [1, 0, 0, 0, 0, 0, 1]
    assert cells["disclosure/fees/fee_amount"].value == Decimal("18651.064104")


def test_031_the_one_split_no_identity_covers_is_null_with_its_candidates():
    parsed = parse_file(CORPUS / "031_pingtan_nyn_2021.txt")
    cells = cells_of(parsed)
    normative = [cells[f"disclosure/normative_documents/{c}"] for c in ("issued", "repealed", "in_force")]
    assert [(c.value, c.status) for c in normative] == [(None, "ambiguous")] * 3
    [finding] = [f for f in parsed.findings if f.rule == "parse.ambiguous"]
    assert finding.row == "normative_documents" and "3|0|21, 30|2|1" in finding.message
    assert [cells[f"requests/new_received/{c}"].value for c in gen.REQUEST_COLUMNS] == [2, 0, 0, 0, 0, 1, 3]
    # the report's own numbers break two identities; a split is never bent to hide that
    assert {f.rule for f in parsed.findings} >= {"requests.balance", "requests.outcomes_sum"}


def test_sections_are_found_inside_one_long_line():
    text = (CORPUS / "031_pingtan_nyn_2021.txt").read_text(encoding="utf-8")
    _, sections = split_sections(read_blocks(text))
    assert [(n, s.title) for n, s in sections.items()] == [
        (1, "总体情况"), (2, "主动公开政府信息情况"), (3, "收到和处理政府信息公开申请情况"),
        (4, "政府信息公开行政复议、行政诉讼情况"), (5, "政府信息公开存在的主要问题及改进情况"),
        (6, "需要说明的其他事项")]


def test_a_table_row_is_not_a_heading_and_a_numeral_mid_sentence_is_not_one():
    line = ("说明" * 120 + "四、结转下年度继续办理0 0 0四、政府信息公开行政复议、行政诉讼情况行政复议"
            "本报告包括一、总体情况。")
    _, sections = split_sections(read_blocks(line))
    assert list(sections) == [4]


# ---- splits and the solver -------------------------------------------------------------------

def test_splits_never_start_a_number_with_zero_and_keep_printed_spaces():
    assert splits("3021", ["int"] * 3) == [("3", "0", "21"), ("30", "2", "1")]
    assert splits("000000000000000", ["int"] * 15) == [("0",) * 15]
    assert splits("20 0 0 0 02", ["int"] * 7) == [("2", "0", "0", "0", "0", "0", "2")]
    assert splits("1 2 3", ["int"] * 2) == []  # more tokens than cells
    assert splits("12345", ["money"]) == [("12345",)]
    assert splits("100-20", ["int", "signed"]) == [("100", "-20")]
    assert splits("1" * 60, ["int"] * 7, limit=50) is None  # bounded


def test_item_numbers_glued_to_the_digits_go_to_the_next_label():
    line = "（四）无法提供1.本机关不掌握相关政府信息10000122.没有现成信息需要另行制作0000000"
    runs = list(iter_runs(line, "requests"))
    assert [(r.keys[0][1], r.run) for r in runs] == [("unable.not_held", "1000012"),
                                                     ("unable.needs_creation", "0000000")]


def test_a_row_named_in_prose_with_a_unit_is_not_a_row():
    line = ("其中予以公开1件，部分公开2件。（一）予以公开1000001"
            "（二）部分公开（区分处理的，只计这一情形，不计其他情形）0000000")
    assert [(r.keys[0][1], r.run) for r in iter_runs(line, "requests")] == [("granted", "1000001"),
                                                                             ("partially_granted", "0000000")]


def test_the_solver_takes_the_split_the_identities_allow_even_with_one_misprint():
    keys = _row_keys("requests", set())
    row = [k for k in keys if k[1] == "granted"]
    fixed = {k: Decimal(0) for k in keys if k[1] != "granted"}
    for r in ("new_received", "total_processed"):
        fixed.update({("requests", r, "natural_person"): Decimal(1),
                      ("requests", r, "commercial_enterprise"): Decimal(12), ("requests", r, "total"): Decimal(13)})
    # "一 12 0 0 0 0 13" printed "1120000013": 11|2 keeps the row total but breaks two
    # column sums, which no single misprinted cell explains
    cands = [tuple(map(Decimal, c)) for c in [(1, 12, 0, 0, 0, 0, 13), (11, 2, 0, 0, 0, 0, 13)]]
    assert solve(fixed, [row], [cands], keys).options == [{0}]


def test_a_row_total_alone_cannot_tell_a_split_from_a_misprint():
    t = "review_litigation"
    keys = tuple((t, r, c) for r in gen.REVIEW_ROWS for c in gen.REVIEW_COLUMNS)
    row = [k for k in keys if k[1] == "review"]
    fixed = {k: Decimal(0) for k in keys if k[1] != "review"}
    # "112 0 0 13": 1|12 keeps the row total, 11|2 breaks it — as a misprinted total would
    cands = [tuple(map(Decimal, c)) for c in [(1, 12, 0, 0, 13), (11, 2, 0, 0, 13)]]
    assert solve(fixed, [row], [cands], keys).options == [{0, 1}]


def test_split_is_a_status():
    assert SPLIT in STATUSES


# ---- property: never a wrong split -------------------------------------------------------------

OUTCOMES = (["granted", "partially_granted"] + [f"denied.{k}" for k in gen.DENIED]
            + [f"unable.{k}" for k in gen.UNABLE] + [f"not_processed.{k}" for k in gen.NOT_PROCESSED])
OTHER = {"2019": ["other"], "2021": [f"other.{k}" for k in gen.OTHER]}

small = st.one_of(st.integers(0, 9), st.integers(0, 9), st.integers(0, 9), st.integers(10, 120))


@st.composite
def tables(draw):
    """A report's numbers keeping every identity; and, sometimes, one cell misprinted, and
    one left blank (printed as nothing, so its row prints fewer numbers than cells)."""
    layout = draw(st.sampled_from(["2019", "2021"]))
    v: dict[str, object] = {}
    for column in gen.REQUEST_COLUMNS[:-1]:
        busy = column == "natural_person" or draw(st.booleans())
        outcomes = {r: (draw(small) if busy and draw(st.integers(0, 3)) == 0 else 0)
                    for r in OUTCOMES + OTHER[layout]}
        processed = sum(outcomes.values())
        carried = draw(st.integers(0, min(processed, 3)))
        forward = draw(st.integers(0, 3))
        rows = {**outcomes, "total_processed": processed, "carried_over": carried, "carried_forward": forward,
                "new_received": processed + forward - carried}
        v.update({f"requests/{r}/{column}": n for r, n in rows.items()})
    for row in ["new_received", "carried_over", *OUTCOMES, *OTHER[layout], "total_processed", "carried_forward"]:
        v[f"requests/{row}/total"] = sum(v[f"requests/{row}/{c}"] for c in gen.REQUEST_COLUMNS[:-1])
    for row in gen.REVIEW_ROWS:
        parts = [draw(st.sampled_from([0, 0, 0, 1, 2, 5, 12])) for _ in range(4)]
        v.update({f"review_litigation/{row}/{c}": n for c, n in zip(gen.REVIEW_COLUMNS, [*parts, sum(parts)],
                                                                      strict=True)})
    if draw(st.booleans()):  # a misprint: the report breaks an identity
        key = draw(st.sampled_from(sorted(k for k in v if k.startswith(("requests", "review")))))
        v[key] = v[key] + draw(st.sampled_from([1, 2, 9, 10, 11, 100]))
    if draw(st.booleans()):  # a blank cell: the truth is null
        v[draw(st.sampled_from(sorted(k for k in v if k.startswith(("requests", "review")))))] = None
    seed = draw(st.integers(0, 2**32))
    return layout, v, seed


# what a dump may print right after a row's digits, before the next label: an item number,
# a date, a share
FOLLOWING = ["", "", "2.其他需要说明的事项", "3、", "2023年", "12月", "5%", "1．"]
LABELS = ["行政强制", "（七）总计", "五、存在的主要问题"]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables(), st.lists(st.sampled_from(FOLLOWING), min_size=3, max_size=3))
def test_every_value_read_is_the_printed_one_or_null_with_a_finding(table, following):
    layout, values, seed = table
    rng = random.Random(seed)
    values = {**gen.disclosure_values(rng, layout), **values}
    report = gen.Report("福州市鼓楼区民政局", 2023, layout, "runtogether", values, single_other=False)
    data = gen.render_runtogether(report, rng)  # no table printed spaced: report.broken is empty
    for label, text in zip(LABELS, following, strict=True):  # glued to the digits of the row before
        data = data.replace(label.encode(), (text + label).encode(), 1)
    parsed = parse_bytes(data, "dump.txt")
    cells = cells_of(parsed)
    ambiguous = {(f.table, f.row) for f in parsed.findings if f.rule == "parse.ambiguous"}
    for key, truth in values.items():
        cell = cells[key]
        if cell.value is None:
            assert truth is None or cell.status == "ambiguous" and (cell.table, cell.row) in ambiguous, \
                (key, truth, cell)
        else:
            assert truth is not None and cell.value == Decimal(str(truth)), (key, truth, cell,
                                                                             data.decode()[-3000:])


# ---- tables cut into pieces, appendix layouts, broken titles -------------------------------------

def _report(seed: int = 7) -> tuple[gen.Report, random.Random]:
    rng = random.Random(seed)
    r = gen.make_report(3, rng, ["text"])  # 2022, the 2021 layout
    r.damage = set()
    return r, rng


def _tab_rows(grid) -> list[str]:
    return ["\t".join(row) for row in gen.flat(grid)]


def test_review_cut_into_sub_tables_under_their_own_headings():
    r, _ = _report()
    lines = ["某局2022年政府信息公开工作年度报告", "## 一、总体情况", "全年新收申请若干件。",
             "## 二、主动公开政府信息情况", *_tab_rows(gen.disclosure_grid(r)),
             "## 三、收到和处理政府信息公开申请情况", *_tab_rows(gen.requests_grid(r)),
             "## 四、政府信息公开行政复议、行政诉讼情况"]
    for heading, row in zip(["### 行政复议", "### 行政诉讼（未经复议直接起诉）", "### 行政诉讼（复议后起诉）"],
                            gen.REVIEW_ROWS, strict=True):
        values = [gen.fmt_value(r.values[f"review_litigation/{row}/{c}"]) for c in gen.REVIEW_COLUMNS]
        lines += [heading, "| 结果维持 | 结果纠正 | 其他结果 | 尚未审结 | 总计 |", "|---|---|---|---|---|",
                  "| " + " | ".join(values) + " |"]
    lines += ["## 五、存在的主要", "问题及改进情况", "无。", "## 六、其他需要报告的事项", "无。"]
    parsed = parse_bytes("\n".join(lines).encode(), "pieces.md")
    cells = cells_of(parsed)
    for key, truth in r.values.items():
        assert cells[key].value == (None if truth is None else Decimal(str(truth))), key
    assert 5 in {n for n in parsed.sections}  # "五、存在的主要" + "问题及改进情况": one heading


def test_tables_given_as_appendices_after_the_prose():
    r, _ = _report(11)
    lines = ["某局2022年政府信息公开工作年度报告", "一、总体情况", "本年度工作情况如下。",
             "二、主动公开政府信息情况", "详见附表一。", "三、收到和处理政府信息公开申请情况", "详见附表二。",
             "四、政府信息公开行政复议、行政诉讼情况", "详见附表三。", "五、存在的主要问题及改进情况", "无。",
             "六、其他需要报告的事项", "无。",
             "附表一：主动公开政府信息情况", *_tab_rows(gen.disclosure_grid(r)),
             "附表二：收到和处理政府信息", "公开申请情况", *_tab_rows(gen.requests_grid(r)),
             "表三 政府信息公开行政复议、", "行政诉讼情况", *_tab_rows(gen.review_grid(r))]
    parsed = parse_bytes("\n".join(lines).encode(), "appendix.txt")
    cells = cells_of(parsed)
    for key, truth in r.values.items():
        assert cells[key].value == (None if truth is None else Decimal(str(truth))), key
    assert parsed.sections[6].text == "无。"


def test_the_dumps_load_and_their_split_cells_are_stored(db):
    from loaders.load import load_paths
    from models import Cell, Finding

    summary = load_paths([CORPUS / "022_pingtan_czj_2024.txt", CORPUS / "031_pingtan_nyn_2021.txt"])
    assert summary.failed == 0, [o.error for o in summary.outcomes]
    split = Cell.select().where(Cell.status == SPLIT)
    assert split.count() == 70 + 193
    cell = Cell.get(Cell.row_key == "new_received", Cell.column_key == "total", Cell.value == 3)
    assert (cell.status, cell.raw, cell.note) == (SPLIT, "3", "split from '2000013': the only split")
    assert Cell.select().where(Cell.status == "ambiguous").count() == 3
    ambiguous = Finding.select().where(Finding.rule == "parse.ambiguous")
    assert [f.row_key for f in ambiguous] == ["normative_documents"]


def _dump(prose: str) -> bytes:
    body = ("一、总体情况" + prose + "二、主动公开政府信息情况第二十条第（一）项信息内容本年制发件数"
            "本年废止件数现行有效件数规章000行政规范性文件000三、收到和处理政府信息公开申请情况申请人情况自然人法人或其他组织总计商业企业科研机构"
            "社会公益组织法律服务机构其他一、本年新收政府信息公开申请数量10000011二、上年结转政府信息公开申请数量0000000"
            "四、政府信息公开行政复议、行政诉讼情况行政复议行政诉讼结果维持结果纠正其他结果尚未审结总计 000000000000000"
            "五、存在的主要问题及改进情况无。六、其他需要报告的事项无。")
    return f"标题: 某局2023年政府信息公开工作年度报告\n{'=' * 20} 正文 {'=' * 20}\n{'说明。' * 40}{body}".encode()


def test_section_one_prose_only_chooses_among_the_splits_the_identities_allow():
    keys = [("requests", "new_received", c) for c in gen.REQUEST_COLUMNS]
    rows = [RunRow("requests", keys, "…", "一、本年新收政府信息公开申请数量", 1)]
    both = [[("1", "0", "0", "0", "0", "0", "1"), ("2", "0", "0", "0", "0", "0", "2")]]  # both keep the row total
    chosen, why = _choose("requests", rows, both, {}, {"new_received"}, "本年度无特别事项。", {})
    assert not chosen and "2 of them keep the identities" in why[0]
    chosen, _ = _choose("requests", rows, both, {}, {"new_received"}, "2023年共收到政府信息公开申请2件。", {})
    assert chosen[0] == (both[0][1],
                         "the only split that keeps the identities and section 一's '共收到政府信息公开申请2件'")
    # a number the identities do not allow is never taken from the prose
    chosen, why = _choose("requests", rows, both, {}, {"new_received"}, "2023年共收到政府信息公开申请5件。", {})
    assert not chosen and "section 一's prose does not tell them apart" in why[0]


def test_prose_never_takes_a_split_that_breaks_an_identity_a_blank_cell_explains():
    # "10000011": 10|0|0|0|0|1|1 or 1|0|0|0|0|0|11 each break the row total; the prose's 11
    # picks the second, but 10|0|0|0|0|_|11 (a blank cell) keeps it: null, with a finding
    for prose in ("本年度无特别事项。", "2023年共收到政府信息公开申请11件。", "2023年共收到政府信息公开申请5件。"):
        parsed = parse_bytes(_dump(prose), "a.txt")
        assert cells_of(parsed)["requests/new_received/total"].value is None
        assert [f.row for f in parsed.findings if f.rule == "parse.ambiguous"] == ["new_received"]


# ---- the reviewer's reproducers: a blank cell; digits that may belong to what follows --------------

_022 = (CORPUS / "022_pingtan_czj_2024.txt").read_text(encoding="utf-8")


def _022_with(old: str, new: str):
    assert old in _022
    parsed = parse_bytes(_022.replace(old, new).encode(), "d.txt")
    return parsed, cells_of(parsed)


def _null_with_finding(parsed, cells, table: str, row: str, columns, *words: str) -> None:
    assert [(cells[f"{table}/{row}/{c}"].value, cells[f"{table}/{row}/{c}"].status) for c in columns] == \
        [(None, "ambiguous")] * len(columns)
    [finding] = [f for f in parsed.findings if f.rule == "parse.ambiguous" and f.row == row]
    assert all(w in finding.message for w in words), finding.message


def test_a_blank_cell_never_gives_an_invented_split():
    # 12, blank, …, 12 prints "1200012": its only split into seven, 1|2|0|0|0|1|2, breaks
    # the row total and column sums that a blank cell would keep
    parsed, cells = _022_with("（一）予以公开1 0 0 0 0 01", "（一）予以公开1200012")
    _null_with_finding(parsed, cells, "requests", "granted", gen.REQUEST_COLUMNS,
                       "1|2|0|0|0|1|2 (the only split)", "breaks requests.row_total (row granted)",
                       "a blank cell may have been left out")
    # the other rows are still read
    assert [cells[f"requests/new_received/{c}"].value for c in gen.REQUEST_COLUMNS] == [2, 0, 0, 0, 0, 0, 2]


def test_the_reports_own_broken_identity_is_not_taken_for_a_blank():
    # 031 breaks two column sums that no reading with a blank cell mends: its splits stand
    cells = cells_of(parse_file(CORPUS / "031_pingtan_nyn_2021.txt"))
    assert [cells[f"requests/total_processed/{c}"].value for c in gen.REQUEST_COLUMNS] == [3, 0, 0, 0, 0, 0, 3]


def test_with_blanks_reads_fewer_numbers_than_cells():
    assert with_blanks("0000000", 7) == []  # seven zeros are seven cells
    readings = with_blanks("1200012", 7)
    assert ("12", None, "0", "0", "0", None, "12") in readings and ("12", "0", "0", "0", "12", None, None) in readings
    assert with_blanks("1" * 40, 7, limit=100) is None  # bounded


def test_tokens_obey_the_no_leading_zero_rule_and_a_following_item_number_is_not_taken():
    # "…02 4.结转…": the 4 may be the next label's item number, and "02" is no number
    parsed, cells = _022_with("（七）总计2 0 0 0 0 02 四、结转", "（七）总计2 0 0 0 0 02 4.结转")
    _null_with_finding(parsed, cells, "requests", "total_processed", gen.REQUEST_COLUMNS, "'2 0 0 0 0 02 4'")
    # a wording the codebook does not know after the digits: the 2 may be its item number
    for new in ("0 0 0 0 0 002.其他法律、法规禁止公开的信息", "0 0 0 0 0 0 02.其他法律、法规禁止公开的信息"):
        parsed, cells = _022_with("0 0 0 0 0 002.其他法律行政法规禁止公开", new)
        _null_with_finding(parsed, cells, "requests", "denied.state_secret", gen.REQUEST_COLUMNS)


def test_digits_followed_by_an_item_number_or_a_date_are_null_where_no_identity_covers_the_row():
    fees = "行政事业性收费18651.064104 (二)主动公开政府信息的主要类别"
    for new in ("行政事业性收费52.主动公开政府信息的主要类别", "行政事业性收费5 2.主动公开政府信息的主要类别",
                "行政事业性收费52023年，在主动公开的"):
        parsed, cells = _022_with(fees, new)
        _null_with_finding(parsed, cells, "disclosure", "fees", ["fee_amount"])
    parsed, cells = _022_with("行政处罚1行政强制0第二十条", "行政处罚1行政强制02.第二十条")
    _null_with_finding(parsed, cells, "disclosure", "coercion", ["decisions"], "'02' are followed by '.'")
    assert cells["disclosure/penalty/decisions"].value == 1


def test_row_labels_moved_to_a_line_of_their_own_by_a_converter():
    r, _ = _report(5)
    table = []
    for cells in gen.flat(gen.requests_grid(r))[3:]:  # the rows under the header
        label = next(c for c in reversed(cells[:3]) if c)
        table += ["| " + " | ".join([label] + [""] * 9) + " |", "| " + " | ".join(["", "", "", *cells[3:]]) + " |"]
    lines = ["某局2022年政府信息公开工作年度报告", "## 一、总体情况", "无。",
             "## 二、主动公开政府信息情况", *_tab_rows(gen.disclosure_grid(r)),
             "## 三、收到和处理政府信息公开申请情况", "| 申请人情况 | | | | | | | | | |", "|---" * 10 + "|",
             *table, "## 四、政府信息公开行政复议、行政诉讼情况", *_tab_rows(gen.review_grid(r)),
             "## 五、存在的主要问题及改进情况", "无。", "## 六、其他需要报告的事项", "无。"]
    parsed = parse_bytes("\n".join(lines).encode(), "moved.md")
    cells = cells_of(parsed)
    for key, truth in r.values.items():
        assert cells[key].value == (None if truth is None else Decimal(str(truth))), key
