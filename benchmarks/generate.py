"""Generate realistic annual reports with their goldens, deterministically.

    python benchmarks/generate.py N --out DIR [--seed S] [--start I]
                                  [--formats text,markdown,html,docx,spaced,runtogether]
    python benchmarks/generate.py 14 --out DIR --formats scan,scanpng

Writes N report files to DIR and their goldens (the shared contract's shape) to
DIR/golden. Each report is one agency's one year: agencies are real region names
joined with real agency types (局, 委员会, 镇人民政府, 街道办事处 …), years 2019–2025,
the 2019 layout up to 2020 and in a share of later reports, formats in turn. The
numbers keep every identity, except in a known share of reports where one is broken
on purpose (the golden lists it). The damage real reports carry is applied where the
format has it: labels split over two lines, cells shifted left, page numbers inside
a table, the 本年度止件数 typo, half-width brackets and 1、 numbering, a website news
list inside section 一, a blank reconsideration row, the single （六）其他处理 row.

The numbers are decided first and every format prints the same grid, so a report's
golden does not depend on its format. A PDF with a text layer is not generated: no PDF
writer is among the project's dependencies; the corpus PDF stands for the format in tests.

Scans too (``--formats scan,scanpng``, never among the defaults): the same grid and prose
drawn with Pillow on A4 pages in WenQuanYi Micro Hei (Debian's fonts-wqy-microhei), ruled
tables with merged cells, then each page skewed, blurred and JPEG-compressed
(benchmarks/scan.py). ``scan`` is an image-only PDF at 150–300 dpi; ``scanpng`` is one
long PNG of the pages one under the other at 150 dpi. Of the damage, only the typo and
the half-width brackets are printed on a scan."""
from __future__ import annotations

import argparse
import io
import json
import random
import re
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import cache
from pathlib import Path

PROVINCES = ["福建省", "江苏省", "浙江省", "广东省", "山东省", "河南省", "四川省", "湖北省", "湖南省", "安徽省",
             "河北省", "江西省", "陕西省", "云南省", "贵州省", "山西省", "辽宁省", "吉林省", "甘肃省", "海南省"]
CITIES = ["泉州市", "福州市", "厦门市", "漳州市", "南京市", "苏州市", "淮安市", "无锡市", "杭州市", "宁波市",
          "温州市", "广州市", "深圳市", "佛山市", "济南市", "青岛市", "郑州市", "洛阳市", "成都市", "绵阳市",
          "武汉市", "宜昌市", "长沙市", "株洲市", "合肥市", "芜湖市", "石家庄市", "保定市", "南昌市", "赣州市",
          "西安市", "宝鸡市", "昆明市", "曲靖市", "贵阳市", "遵义市", "太原市", "大同市", "沈阳市", "大连市",
          "长春市", "吉林市", "兰州市", "天水市", "海口市", "三亚市", "徐州市", "常州市", "嘉兴市", "湖州市"]
COUNTIES = ["晋江市", "石狮市", "南安市", "惠安县", "安溪县", "永春县", "德化县", "鲤城区", "丰泽区", "洛江区",
            "洪泽区", "淮安区", "淮阴区", "清江浦区", "涟水县", "盱眙县", "金湖县", "鼓楼区", "台江区", "仓山区",
            "晋安区", "长乐区", "闽侯县", "连江县", "罗源县", "闽清县", "永泰县", "思明区", "湖里区", "集美区",
            "海沧区", "同安区", "翔安区", "龙海区", "长泰区", "云霄县", "漳浦县", "诏安县", "东山县", "南靖县",
            "平和县", "华安县", "玄武区", "秦淮区", "建邺区", "栖霞区", "雨花台区", "江宁区", "浦口区", "六合区",
            "溧水区", "高淳区", "姑苏区", "吴中区", "相城区", "吴江区", "常熟市", "张家港市", "昆山市", "太仓市",
            "西湖区", "拱墅区", "上城区", "滨江区", "萧山区", "余杭区", "富阳区", "临安区", "桐庐县", "淳安县",
            "建德市", "海曙区", "江北区", "北仑区", "镇海区", "鄞州区", "奉化区", "象山县", "宁海县", "余姚市",
            "慈溪市", "鹿城区", "龙湾区", "瓯海区", "洞头区", "永嘉县", "平阳县", "苍南县", "文成县", "泰顺县",
            "瑞安市", "乐清市", "越秀区", "海珠区", "荔湾区", "天河区", "白云区", "黄埔区", "番禺区", "花都区",
            "南沙区", "从化区", "增城区", "福田区", "罗湖区", "南山区", "宝安区", "龙岗区", "盐田区", "禅城区",
            "南海区", "顺德区", "三水区", "高明区", "历下区", "市中区", "槐荫区", "天桥区", "历城区", "长清区"]
TOWNS = ["安海镇", "磁灶镇", "陈埭镇", "池店镇", "内坑镇", "紫帽镇", "东石镇", "永和镇", "英林镇", "金井镇",
         "西园街道", "青阳街道", "梅岭街道", "罗山街道", "灵源街道", "新塘街道", "高湖镇", "岔河镇", "三河镇",
         "老子山镇", "东双沟镇", "蒋坝镇", "黄集街道", "朱坝街道", "万集镇", "共和镇", "仁和镇", "西顺河镇"]
AGENCY_TYPES = ["人民政府", "人民政府办公室", "发展和改革局", "教育局", "科学技术局", "工业和信息化局", "公安局",
                "民政局", "司法局", "财政局", "人力资源和社会保障局", "自然资源局", "生态环境局", "住房和城乡建设局",
                "交通运输局", "水利局", "农业农村局", "商务局", "文化和旅游局", "卫生健康委员会", "退役军人事务局",
                "应急管理局", "审计局", "市场监督管理局", "统计局", "医疗保障局", "城市管理局", "数据管理局",
                "行政审批局", "信访局"]

REQUEST_COLUMNS = ["natural_person", "commercial_enterprise", "research_institution", "social_organization",
                   "legal_service_agency", "other_organization", "total"]
REVIEW_ROWS = ["review", "litigation_direct", "litigation_after_review"]
REVIEW_COLUMNS = ["upheld", "corrected", "other", "pending", "total"]
DENIED = ["state_secret", "prohibited_by_law", "security_stability", "third_party_rights", "internal_affairs",
          "process_information", "enforcement_files", "administrative_query"]
UNABLE = ["not_held", "needs_creation", "unclear"]
NOT_PROCESSED = ["petition", "repeated", "publication", "excessive", "confirmation"]
OTHER = ["no_correction", "fee_unpaid", "other"]
FORMATS = ["text", "markdown", "html", "docx", "spaced", "runtogether"]
SCAN_FORMATS = ["scan", "scanpng"]  # slow, and need Pillow, OpenCV and a CJK font: never among the defaults
SUFFIX = {"text": "txt", "markdown": "md", "html": "html", "docx": "docx", "spaced": "txt", "runtogether": "txt",
          "scan": "pdf", "scanpng": "png"}
SCAN_DAMAGE = {"typo", "half_width"}  # the damage a printed page can carry


@dataclass
class Report:
    agency: str
    year: int
    layout: str
    fmt: str
    values: dict[str, object]  # "table/row/column" -> int | Decimal | None
    single_other: bool
    broken: list[str] = field(default_factory=list)
    damage: set[str] = field(default_factory=set)
    unsure: set[str] = field(default_factory=set)  # runtogether: cells whose printed run splits more than one way


def agency_name(i: int) -> str:
    city = CITIES[i % len(CITIES)]
    county = COUNTIES[(i // len(CITIES)) % len(COUNTIES)]
    kind = (i // (len(CITIES) * len(COUNTIES))) % (len(AGENCY_TYPES) + len(TOWNS))
    if kind < len(AGENCY_TYPES):
        return f"{city}{county}{AGENCY_TYPES[kind]}"
    town = TOWNS[kind - len(AGENCY_TYPES)]
    return f"{city}{county}{town}{'办事处' if town.endswith('街道') else '人民政府'}"


def _split(rng: random.Random, total: int, parts: int, weights: list[float]) -> list[int]:
    """``total`` shared among ``parts`` at random, in proportion to ``weights`` on average."""
    raw = [w * rng.random() for w in weights]
    scale = sum(raw) or 1
    out = [int(total * x / scale) for x in raw]
    out[raw.index(max(raw))] += total - sum(out)
    return out


def requests_values(rng: random.Random, single_other: bool, layout: str) -> dict[str, int]:
    v: dict[str, int] = {}
    other_rows = ["other"] if layout == "2019" or single_other else [f"other.{k}" for k in OTHER]
    outcome_rows = (["granted", "partially_granted"] + [f"denied.{k}" for k in DENIED] + [f"unable.{k}" for k in UNABLE]
                    + [f"not_processed.{k}" for k in NOT_PROCESSED] + other_rows)
    weights = [30, 8] + [0.3] * 8 + [15, 4, 2] + [3, 2, 0.5, 0.5, 1] + [1] * len(other_rows)
    scale = rng.choice([0, 0, 2, 5, 20, 60, 300])
    for column in REQUEST_COLUMNS[:-1]:
        factor = 1 if column == "natural_person" else rng.choice([0, 0, 0, 0.05, 0.2])
        new = int(rng.random() * scale * factor * 2)
        carried = rng.choice([0, 0, 0, rng.randint(0, 3)]) if new else 0
        forward = rng.randint(0, min(3, new + carried)) if new + carried else 0
        processed = new + carried - forward
        v[f"new_received/{column}"], v[f"carried_over/{column}"] = new, carried
        v[f"carried_forward/{column}"], v[f"total_processed/{column}"] = forward, processed
        for row, n in zip(outcome_rows, _split(rng, processed, len(outcome_rows), weights), strict=True):
            v[f"{row}/{column}"] = n
    rows = {key.split("/")[0] for key in v}
    for row in rows:
        v[f"{row}/total"] = sum(v[f"{row}/{c}"] for c in REQUEST_COLUMNS[:-1])
    return {f"requests/{k}": n for k, n in v.items()}


def disclosure_values(rng: random.Random, layout: str) -> dict[str, object]:
    d: dict[str, object] = {}
    big = lambda: int(rng.lognormvariate(4, 2.2)) if rng.random() < 0.8 else 0  # noqa: E731
    if layout == "2021":
        for row, scale in (("rules", 1), ("normative_documents", 30)):
            issued, repealed = rng.randint(0, scale), rng.randint(0, scale // 2)
            d[f"{row}/issued"], d[f"{row}/repealed"] = issued, repealed
            d[f"{row}/in_force"] = issued + rng.randint(0, scale * 10)
        for row in ("licensing", "penalty", "coercion"):
            d[f"{row}/decisions"] = big()
        d["fees/fee_amount"] = Decimal(rng.randint(0, 5_000_000)) / 100 if rng.random() < 0.5 else 0
    else:
        for row, scale in (("rules", 1), ("normative_documents", 30)):
            made = rng.randint(0, scale)
            d[f"{row}/made"], d[f"{row}/published"] = made, made
            d[f"{row}/published_total"] = made + rng.randint(0, scale * 10)
        for row in ("licensing", "other_services", "penalty", "coercion", "fees"):
            d[f"{row}/prior_items"] = rng.randint(0, 700)
            d[f"{row}/items_change"] = rng.randint(-200, 400)
            if row != "fees":
                d[f"{row}/decisions"] = big()
        d["procurement/procurement_items"] = rng.randint(0, 300)
        d["procurement/procurement_amount"] = Decimal(rng.randint(0, 10**11)) / 100
    return {f"disclosure/{k}": n for k, n in d.items()}


def review_values(rng: random.Random, blank_review: bool) -> dict[str, object]:
    v: dict[str, object] = {}
    for row in REVIEW_ROWS:
        parts = [rng.choice([0, 0, 0, 1, 2, 5]) for _ in range(4)]
        for column, n in zip(REVIEW_COLUMNS[:-1], parts, strict=True):
            v[f"review_litigation/{row}/{column}"] = None if blank_review and row == "review" else n
        v[f"review_litigation/{row}/total"] = None if blank_review and row == "review" else sum(parts)
    return v


def broken_rules(v: dict[str, object], layout: str, single_other: bool) -> list[str]:
    """The identities these numbers break, worked out here independently of the loader."""
    broken = set()
    g = lambda k: v.get(k)  # noqa: E731
    other_rows = ["other"] if layout == "2019" or single_other else [f"other.{k}" for k in OTHER]
    outcome_rows = (["granted", "partially_granted"] + [f"denied.{k}" for k in DENIED] + [f"unable.{k}" for k in UNABLE]
                    + [f"not_processed.{k}" for k in NOT_PROCESSED] + other_rows)
    for c in REQUEST_COLUMNS:
        a = [g(f"requests/{r}/{c}") for r in ("new_received", "carried_over", "total_processed", "carried_forward")]
        if None not in a and a[0] + a[1] != a[2] + a[3]:
            broken.add("requests.balance")
        parts = [g(f"requests/{r}/{c}") for r in outcome_rows]
        if None not in parts and g(f"requests/total_processed/{c}") is not None \
                and sum(parts) != g(f"requests/total_processed/{c}"):
            broken.add("requests.outcomes_sum")
    for r in ["new_received", "carried_over", *outcome_rows, "total_processed", "carried_forward"]:
        parts = [g(f"requests/{r}/{c}") for c in REQUEST_COLUMNS]
        if None not in parts and sum(parts[:-1]) != parts[-1]:
            broken.add("requests.row_total")
    for r in REVIEW_ROWS:
        parts = [g(f"review_litigation/{r}/{c}") for c in REVIEW_COLUMNS]
        if None not in parts and sum(parts[:-1]) != parts[-1]:
            broken.add("review_litigation.row_total")
    return sorted(broken)


def make_report(i: int, rng: random.Random, formats: list[str]) -> Report:
    year = 2019 + i % 7
    layout = "2019" if year <= 2020 or rng.random() < 0.05 else "2021"
    fmt = formats[(i // 7) % len(formats)]
    single_other = layout == "2021" and rng.random() < 0.05
    blank_review = fmt not in ("spaced", "runtogether") and rng.random() < 0.1
    values = {**disclosure_values(rng, layout), **requests_values(rng, single_other, layout),
              **review_values(rng, blank_review)}
    if rng.random() < 0.08:  # break an identity on purpose
        key = rng.choice(["requests/new_received/total", "requests/carried_forward/natural_person",
                          "requests/granted/natural_person", "review_litigation/litigation_direct/total"])
        values[key] = (values[key] or 0) + rng.choice([1, 2, 10])
    damage = {d for d in ("split_label", "shift_left", "page_number", "typo", "half_width", "news", "comma_numbering")
              if rng.random() < 0.2}
    if fmt in SCAN_FORMATS:
        damage &= SCAN_DAMAGE
    report = Report(agency_name(i // 7), year, layout, fmt, values, single_other, damage=damage)
    report.broken = broken_rules(values, layout, single_other)
    return report


# ---- the printed grid: cells with spans, shared by every format -------------------------------

@dataclass
class C:
    text: str
    colspan: int = 1
    rowspan: int = 1
    key: str | None = None  # the value's "table/row/column"; None for a label


def fmt_value(v) -> str:
    if v is None:
        return ""
    if isinstance(v, Decimal):
        return f"{v:.2f}"
    return str(v)


def disclosure_grid(r: Report) -> list[list[C]]:
    v = lambda k: C(fmt_value(r.values[f"disclosure/{k}"]), key=f"disclosure/{k}")  # noqa: E731
    rows: list[list[C]] = []
    typo = "本年度止件数" if "typo" in r.damage else "本年废止件数"
    if r.layout == "2021":
        rows += [[C("第二十条第（一）项", 4)], [C("信息内容"), C("本年制发件数"), C(typo), C("现行有效件数")],
                 [C("规章"), v("rules/issued"), v("rules/repealed"), v("rules/in_force")],
                 [C("行政规范性文件"), v("normative_documents/issued"), v("normative_documents/repealed"),
                  v("normative_documents/in_force")]]
        for item, label, row_keys in (("五", "本年处理决定数量", ["licensing"]),
                                      ("六", "本年处理决定数量", ["penalty", "coercion"])):
            rows += [[C(f"第二十条第（{item}）项", 4)], [C("信息内容"), C(label, 3)]]
            names = {"licensing": "行政许可", "penalty": "行政处罚", "coercion": "行政强制"}
            rows += [[C(names[k]), C(fmt_value(r.values[f"disclosure/{k}/decisions"]), 3,
                                     key=f"disclosure/{k}/decisions")] for k in row_keys]
        rows += [[C("第二十条第（八）项", 4)], [C("信息内容"), C("本年收费金额（单位：万元）", 3)],
                 [C("行政事业性收费"), C(fmt_value(r.values["disclosure/fees/fee_amount"]), 3,
                                       key="disclosure/fees/fee_amount")]]
    else:
        rows += [[C("第二十条第（一）项", 4)],
                 [C("信息内容"), C("本年新制作数量"), C("本年新公开数量"), C("对外公开总数量")],
                 [C("规章"), v("rules/made"), v("rules/published"), v("rules/published_total")],
                 [C("规范性文件"), v("normative_documents/made"), v("normative_documents/published"),
                  v("normative_documents/published_total")]]
        names = {"licensing": "行政许可", "other_services": "其他对外管理服务事项", "penalty": "行政处罚",
                 "coercion": "行政强制"}
        for item, keys in (("五", ["licensing", "other_services"]), ("六", ["penalty", "coercion"])):
            rows += [[C(f"第二十条第（{item}）项", 4)],
                     [C("信息内容"), C("上一年项目数量"), C("本年增/减"), C("处理决定数量")]]
            rows += [[C(names[k]), v(f"{k}/prior_items"), v(f"{k}/items_change"), v(f"{k}/decisions")] for k in keys]
        rows += [[C("第二十条第（八）项", 4)], [C("信息内容"), C("上一年项目数量"), C("本年增/减"), C("")],
                 [C("行政事业性收费"), v("fees/prior_items"), v("fees/items_change"), C("")],
                 [C("第二十条第（九）项", 4)], [C("信息内容"), C("采购项目数量"), C("采购总金额"), C("")],
                 [C("政府集中采购"), v("procurement/procurement_items"), v("procurement/procurement_amount"), C("")]]
    return rows


REQUEST_LABELS = {
    "granted": "（一）予以公开", "partially_granted": "（二）部分公开（区分处理的，只计这一情形，不计其他情形）",
    **{f"denied.{k}": label for k, label in zip(DENIED, [
        "1.属于国家秘密", "2.其他法律行政法规禁止公开", "3.危及“三安全一稳定”", "4.保护第三方合法权益",
        "5.属于三类内部事务信息", "6.属于四类过程性信息", "7.属于行政执法案卷", "8.属于行政查询事项"], strict=True)},
    **{f"unable.{k}": label for k, label in zip(UNABLE, [
        "1.本机关不掌握相关政府信息", "2.没有现成信息需要另行制作", "3.补正后申请内容仍不明确"], strict=True)},
    **{f"not_processed.{k}": label for k, label in zip(NOT_PROCESSED, [
        "1.信访举报投诉类申请", "2.重复申请", "3.要求提供公开出版物", "4.无正当理由大量反复申请",
        "5.要求行政机关确认或重新出具已获取信息"], strict=True)},
    **{f"other.{k}": label for k, label in zip(OTHER, [
        "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
        "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请", "3.其他"], strict=True)},
}


def requests_grid(r: Report) -> list[list[C]]:
    def values(row: str) -> list[C]:
        return [C(fmt_value(r.values[f"requests/{row}/{c}"]), key=f"requests/{row}/{c}") for c in REQUEST_COLUMNS]

    def label(row: str) -> str:
        text = REQUEST_LABELS[row]
        if "half_width" in r.damage:
            text = text.replace("（", "(").replace("）", ")")
        if "comma_numbering" in r.damage:
            text = text.replace(".", "、", 1)
        return text

    grouped = [("（三）不予公开", [f"denied.{k}" for k in DENIED]), ("（四）无法提供", [f"unable.{k}" for k in UNABLE]),
               ("（五）不予处理", [f"not_processed.{k}" for k in NOT_PROCESSED])]
    single = r.layout == "2019" or r.single_other
    if not single:
        grouped.append(("（六）其他处理", [f"other.{k}" for k in OTHER]))
    outcome_rows = 2 + sum(len(rows) for _, rows in grouped) + (1 if single else 0) + 1
    grid = [[C("（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", 3, 3), C("申请人情况", 7)],
            [C("自然人", rowspan=2), C("法人或其他组织", 5), C("总计", rowspan=2)],
            [C("商业企业"), C("科研机构"), C("社会公益组织"), C("法律服务机构"), C("其他")],
            [C("一、本年新收政府信息公开申请数量", 3), *values("new_received")],
            [C("二、上年结转政府信息公开申请数量", 3), *values("carried_over")],
            [C("三、本年度办理结果", rowspan=outcome_rows), C(label("granted"), 2), *values("granted")],
            [C(label("partially_granted"), 2), *values("partially_granted")]]
    for group, rows in grouped:
        grid.append([C(group, rowspan=len(rows)), C(label(rows[0])), *values(rows[0])])
        grid += [[C(label(row)), *values(row)] for row in rows[1:]]
    if single:
        grid.append([C("（六）其他处理", 2), *values("other")])
    grid.append([C("（七）总计", 2), *values("total_processed")])
    grid.append([C("四、结转下年度继续办理", 3), *values("carried_forward")])
    return grid


def review_grid(r: Report) -> list[list[C]]:
    heads = ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]
    return [[C("行政复议", 5), C("行政诉讼", 10)],
            [*[C(h, rowspan=2) for h in heads], C("未经复议直接起诉", 5), C("复议后起诉", 5)],
            [C(h) for h in heads * 2],
            [C(fmt_value(r.values[f"review_litigation/{row}/{c}"]), key=f"review_litigation/{row}/{c}")
             for row in REVIEW_ROWS for c in REVIEW_COLUMNS]]


def flat(grid: list[list[C]]) -> list[list[str]]:
    """The grid with spans expanded: text at a merged cell's first position, "" after."""
    out, covered = [], set()
    for r, row in enumerate(grid):
        cells, col = [], 0
        for cell in row:
            while (r, col) in covered:
                cells.append("")
                col += 1
            cells += [cell.text] + [""] * (cell.colspan - 1)
            covered |= {(r + dr, col + dc) for dr in range(1, cell.rowspan) for dc in range(cell.colspan)}
            col += cell.colspan
        while (r, col) in covered:
            cells.append("")
            col += 1
        out.append(cells)
    return out


# ---- prose ---------------------------------------------------------------------------------

def prose(r: Report, rng: random.Random) -> dict[str, list[str]]:
    total = r.values["requests/new_received/total"]
    overview = [
        f"{r.year}年，{r.agency}坚持以习近平新时代中国特色社会主义思想为指导，认真贯彻落实《中华人民共和国政府信息公开条例》，"
        "持续深化政务公开，以公开促落实、强监管、优服务。",
        f"（一）主动公开情况。全年通过政府网站主动公开政府信息{rng.randint(50, 5000)}条。",
        f"（二）依申请公开情况。全年新收政府信息公开申请{fmt_value(total)}件，均在法定期限内答复。",
        "（三）政府信息管理情况。严格执行公开前保密审查制度，动态更新政府信息公开指南和目录。",
        "（四）政府信息公开平台建设情况。优化政府网站栏目设置，加强政务新媒体管理。",
        "（五）监督保障情况。将政务公开工作纳入绩效考核，主动接受社会监督。",
    ]
    if "news" in r.damage:
        overview[2:2] = [f"{r.agency}召开安全生产工作会议", f"{r.year}年6月{rng.randint(1, 28)}日",
                         "开展政务公开日活动", f"{r.year}年9月{rng.randint(1, 28)}日"]
    phone = f"0{rng.randint(100, 999)}-{rng.randint(10000000, 99999999)}"
    return {
        "intro": [f"本报告根据《中华人民共和国政府信息公开条例》编制。如对本报告有疑问，请与{r.agency}办公室联系"
                  f"（地址：{r.agency[:3]}人民路{rng.randint(1, 300)}号，邮编：{rng.randint(100000, 999999)}，"
                  f"电话：{phone}）。"],
        "一": overview,
        "五": ["一是信息公开的及时性有待提高。二是政策解读形式还不够丰富。",
               f"{r.year + 1}年，我们将进一步完善公开制度，提升公开质量。"],
        "六": [f"{r.year}年未收取信息处理费。"],
        "end": [r.agency, f"{r.year + 1}年{rng.randint(1, 3)}月{rng.randint(1, 28)}日"],
    }


HEADINGS = {"一": "一、总体情况", "二": "二、主动公开政府信息情况", "三": "三、收到和处理政府信息公开申请情况",
            "四": "四、政府信息公开行政复议、行政诉讼情况", "五": "五、存在的主要问题及改进情况",
            "六": "六、其他需要报告的事项"}


def title(r: Report, rng: random.Random) -> str:
    return rng.choice([f"{r.agency} {r.year} 年政府信息公开工作年度报告",
                       f"{r.agency}{r.year}年度政府信息公开工作年度报告",
                       f"{r.agency}{r.year}年政府信息公开工作年度报告"])


def outline(r: Report, rng: random.Random) -> list[tuple[str, object]]:
    """The report in order: ("p", text) paragraphs and ("t", grid) tables."""
    text = prose(r, rng)
    parts: list[tuple[str, object]] = [("p", title(r, rng)), *[("p", t) for t in text["intro"]]]
    parts += [("p", HEADINGS["一"]), *[("p", t) for t in text["一"]]]
    parts += [("p", HEADINGS["二"]), ("t", disclosure_grid(r))]
    parts += [("p", HEADINGS["三"]), ("t", requests_grid(r))]
    parts += [("p", HEADINGS["四"]), ("t", review_grid(r))]
    parts += [("p", HEADINGS["五"]), *[("p", t) for t in text["五"]]]
    parts += [("p", HEADINGS["六"]), *[("p", t) for t in text["六"]], *[("p", t) for t in text["end"]]]
    return parts


# ---- formats -------------------------------------------------------------------------------

def _damage_rows(r: Report, rows: list[list[str]], sep: str) -> list[str]:
    lines = []
    for cells in rows:
        if "shift_left" in r.damage and len(cells) == 10 and cells[0] == "" and cells[1] == "":
            cells = cells[2:] + ["", ""]  # leading tabs lost
        line = sep.join(cells)
        if "split_label" in r.damage and "要求提供公开出版物" in line and sep == "\t":
            lines += [line.replace("要求提供公开出版物", "要求提供公"), "\t\t开出版物" + "\t" * 7]
            continue
        lines.append(line)
        if "page_number" in r.damage and "保护第三方合法权益" in line:
            lines.append("— 3 —")
    return lines


def render_text(r: Report, rng: random.Random, sep: str = "\t") -> bytes:
    lines = []
    for kind, content in outline(r, rng):
        if kind == "p":
            lines += [content, ""]
        else:
            rows = flat(content)
            if sep == " ":
                rows = [[c for c in row if c] for row in rows]
            lines += _damage_rows(r, rows, sep) + [""]
    return "\n".join(lines).encode("utf-8")


def render_markdown(r: Report, rng: random.Random) -> bytes:
    lines = []
    for kind, content in outline(r, rng):
        if kind == "p":
            lines += [("## " if content in HEADINGS.values() else "") + content, ""]
        else:
            rows = flat(content)
            lines.append("| " + " | ".join(rows[0]) + " |")
            lines.append("|" + "---|" * len(rows[0]))
            lines += ["| " + " | ".join(row) + " |" for row in rows[1:]] + [""]
    return "\n".join(lines).encode("utf-8")


def render_html(r: Report, rng: random.Random) -> bytes:
    from html import escape

    body = []
    for kind, content in outline(r, rng):
        if kind == "p":
            body.append(f"<p>{escape(content)}</p>")
        else:
            rows = []
            for row in content:
                tds = "".join(f"<td colspan={c.colspan} rowspan={c.rowspan}>{escape(c.text)}</td>" for c in row)
                rows.append(f"<tr>{tds}</tr>")
            body.append(f"<table border='1'>{''.join(rows)}</table>")
    page = (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{escape(r.agency)}</title>"
            "<script>var nav = [1, 2, 3];</script></head><body><div class='nav'>首页 信息公开 政务服务</div>"
            f"<div class='article'>{''.join(body)}</div><div class='footer'>版权所有 网站地图</div></body></html>")
    return page.encode("utf-8")


def render_docx(r: Report, rng: random.Random) -> bytes:
    import docx

    document = docx.Document()
    for kind, content in outline(r, rng):
        if kind == "p":
            document.add_paragraph(content)
            continue
        rows = flat(content)
        width = len(rows[0])
        table = document.add_table(rows=len(rows), cols=width)
        grid = table._cells  # one lookup: table.cell() walks the whole table each time
        merges, covered = [], set()
        for ri, row in enumerate(content):
            col = 0
            for cell in row:
                while (ri, col) in covered:
                    col += 1
                grid[ri * width + col].text = cell.text
                if cell.colspan > 1 or cell.rowspan > 1:
                    merges.append((ri * width + col, (ri + cell.rowspan - 1) * width + col + cell.colspan - 1))
                covered |= {(ri + dr, col + dc) for dr in range(cell.rowspan) for dc in range(cell.colspan)}
                col += cell.colspan
        for first, last in merges:
            grid[first].merge(grid[last])
    fixed = datetime(r.year + 1, 1, 1)
    document.core_properties.created = document.core_properties.modified = fixed
    buffer = io.BytesIO()
    document.save(buffer)
    return _fixed_zip_dates(buffer.getvalue())


def _fixed_zip_dates(data: bytes) -> bytes:
    """The same archive with every entry dated 2020-01-01, so that a seed gives the same bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(zipfile.ZipInfo(info.filename, (2020, 1, 1, 0, 0, 0)), source.read(info.filename),
                            zipfile.ZIP_DEFLATED)
    return out.getvalue()


# ---- runtogether: a crawler's dump, the report on one line, cells with no separator ----------

_PART = {"int": re.compile(r"0|[1-9]\d*"), "money": re.compile(r"(?:0|[1-9]\d*)(?:\.\d+)?"),
         "signed": re.compile(r"-?(?:0|[1-9]\d*)")}


def _kind(key: str) -> str:
    column = key.rsplit("/", 1)[1]
    return "money" if column in ("fee_amount", "procurement_amount") else "signed" if column == "items_change" \
        else "int"


def split_ways(run: str, kinds: list[str], cap: int = 2) -> int:
    """How many ways (up to ``cap``) the printed run cuts into numbers of these kinds; a
    space is a cut. Worked out here, independently of the loader, for the goldens."""
    tokens = run.split()

    @cache
    def ways(t: int, pos: int, k: int) -> int:
        if t == len(tokens):
            return int(k == len(kinds))
        total = 0
        for end in range(pos + 1, len(tokens[t]) + 1):
            if k < len(kinds) and _PART[kinds[k]].fullmatch(tokens[t][pos:end]):
                total += ways(t + 1, 0, k + 1) if end == len(tokens[t]) else ways(t, end, k + 1)
                if total >= cap:
                    return cap
        return total

    return ways(0, 0, 0)


def _run_table(r: Report, grid: list[list[C]], rng: random.Random, space: float) -> str:
    """A table as a dump prints it: labels and values run together, a space between two
    values now and then; the cells of a run that splits more than one way are noted."""
    out = []
    for row in grid:
        run: list[C] = []
        for cell in [*row, C("")]:
            if cell.key is not None:
                if cell.text:
                    run.append(cell)
                continue
            if run:
                text = run[0].text + "".join((" " if rng.random() < space else "") + c.text for c in run[1:])
                if split_ways(text, [_kind(c.key) for c in run]) > 1:
                    r.unsure.update(c.key for c in run)
                out.append(text)
                run = []
            out.append(cell.text)
    return "".join(out)


def render_runtogether(r: Report, rng: random.Random) -> bytes:
    space = rng.choice([0.0, 0.0, 0.3, 0.7])
    spaced = {"review_litigation" if rule.startswith("review") else "requests" for rule in r.broken}
    body = []
    for kind, content in outline(r, rng):
        if kind == "p":
            body.append(content)
        else:
            table = next(c.key for row in content for c in row if c.key).split("/")[0]
            body.append(_run_table(r, content, rng, 1.0 if table in spaced else space))
    head = [f"标题: {body[0]}", f"发布时间: {r.year + 1}-01-{rng.randint(10, 28)} 16:43", "文号: ",
            f"发布机构: {r.agency}", "栏目: 政府信息公开年报", "=" * 20 + " 正文 " + "=" * 20]
    return "\n".join([*head, "".join(body[1:])]).encode("utf-8")


# ---- scans: the printed pages drawn with Pillow, then scanned (benchmarks/scan.py) -----------

FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")  # Debian's fonts-wqy-microhei
CLOSING = set("，。、；：？！）》」”’,.;:?!)%")  # never at the start of a line
OPENING = set("（《「“‘(")  # never at the end of one
COLUMN_WIDTHS = {4: [28, 24, 24, 24], 10: [7, 12, 26, *[55 / 7] * 7]}  # 二 and 三, in shares; 四 alike


@cache
def _font(px: int):
    from PIL import ImageFont

    if not FONT.exists():
        raise SystemExit(f"the scan formats draw their text in {FONT}: apt-get install fonts-wqy-microhei")
    return ImageFont.truetype(str(FONT), px, layout_engine=ImageFont.Layout.BASIC)  # Chinese needs no shaping


def _wrap(text: str, font, width: float, indent: float = 0) -> list[str]:
    """The text in lines no wider than ``width`` px (the first after ``indent``), broken
    between characters but not inside a run of digits or Latin letters; a line neither starts
    with closing punctuation nor ends with opening punctuation: what is next to it goes down
    with it, or if nothing can, a closing mark hangs past the end."""
    tokens = []
    for token in re.findall(r"[0-9A-Za-z.\-]+|.", text):
        tokens += list(token) if font.getlength(token) > width else [token]
    lines, line, used = [], [], indent
    for token in tokens:
        if line and used + font.getlength(token) > width:
            k = len(line)  # the line ends before line[k]
            while k > 0 and (line[k - 1][-1] in OPENING or (line[k] if k < len(line) else token)[0] in CLOSING):
                k -= 1
            if k or token not in CLOSING:  # else a punctuation mark with nothing to go down with it hangs
                k = k or len(line)
                lines.append("".join(line[:k]))
                line, used = line[k:], sum(font.getlength(t) for t in line[k:])
        line.append(token)
        used += font.getlength(token)
    return [*lines, "".join(line)]


class _Pages:
    """A4 sheets at ``dpi`` with a cursor ``y``: what is drawn goes on the last one."""

    def __init__(self, dpi: int, rng: random.Random):
        mm = dpi / 25.4
        self.width, self.height = round(210 * mm), round(297 * mm)
        self.left = round(rng.uniform(24, 31) * mm)
        self.right = self.width - round(rng.uniform(24, 31) * mm)
        self.top, self.bottom = round(rng.uniform(22, 30) * mm), self.height - round(rng.uniform(22, 30) * mm)
        self.sheets: list = []
        self.new()

    def new(self) -> None:
        from PIL import Image, ImageDraw

        self.sheets.append(Image.new("L", (self.width, self.height), 255))
        self.draw = ImageDraw.Draw(self.sheets[-1])
        self.y = self.top

    def room(self, height: float) -> None:
        """A new sheet unless ``height`` px fit below the cursor (or the sheet is empty)."""
        if self.y + height > self.bottom and self.y > self.top:
            self.new()


def _placed(grid: list[list[C]]) -> list[tuple[int, int, C]]:
    """(row, column, cell) for each cell of the grid, past the positions merged cells cover."""
    out, covered = [], set()
    for r, row in enumerate(grid):
        col = 0
        for cell in row:
            while (r, col) in covered:
                col += 1
            out.append((r, col, cell))
            covered |= {(r + dr, col + dc) for dr in range(cell.rowspan) for dc in range(cell.colspan)}
            col += cell.colspan
    return out


def _draw_table(pages: _Pages, grid: list[list[C]], font, line: int, shade: int, keep: bool) -> None:
    """The grid ruled with ``line`` px lines, merged cells drawn merged, the ``第二十条``
    rows filled with grey ``shade``. Where the page ends the table goes on on the next one,
    re-ruled, between any two rows (a merged cell cut keeps its text above the cut) or, with
    ``keep``, between rows no merged cell joins unless that leaves a third of the page empty."""
    cells = _placed(grid)
    ncols = sum(c.colspan for c in grid[0])
    shares = COLUMN_WIDTHS.get(ncols, [1] * ncols)
    width = pages.right - pages.left
    xs = [pages.left + round(width * sum(shares[:i]) / sum(shares)) for i in range(ncols + 1)]
    pad, lh = round(font.size * 0.35), round(font.size * 1.3)
    heights = [lh + 2 * pad] * len(grid)
    texts, need = {}, {}
    for r, c, cell in sorted(cells, key=lambda t: t[2].rowspan):
        texts[r, c] = _wrap(cell.text, font, xs[c + cell.colspan] - xs[c] - 2 * pad)
        need[r, c] = len(texts[r, c]) * lh + 2 * pad
        short = need[r, c] - sum(heights[r:r + cell.rowspan])
        for i in range(cell.rowspan) if short > 0 else ():
            heights[r + i] += -(-short // cell.rowspan)
    joined = {r for r, _, cell in cells for r in range(r + 1, r + cell.rowspan)}  # no break before these rows
    valued = {r for r, _, cell in cells if cell.key}
    a = 0
    while a < len(grid):
        room = pages.bottom - pages.y
        fits = [b for b in range(a + 1, len(grid) + 1) if sum(heights[a:b]) <= room]
        breaks = [b for b in fits if b not in joined]
        if not keep or room - sum(heights[a:breaks[-1] if breaks else a]) > (pages.bottom - pages.top) / 3:
            breaks = [b for b in fits if b not in joined or all(  # a merged cell cut keeps its text whole
                sum(heights[r:b]) >= need[r, c] for r, c, cell in cells if a <= r < b < r + cell.rowspan)]
        if not breaks and pages.y > pages.top:
            pages.new()
            continue
        b = breaks[-1] if breaks else fits[-1] if fits else a + 1  # a block taller than a page is cut anyway
        ys = [pages.y + sum(heights[a:i]) for i in range(a, b + 1)]
        for r, c, cell in cells:
            r0, r1 = max(r, a), min(r + cell.rowspan, b)
            if r0 >= r1:
                continue
            box = (xs[c], ys[r0 - a], xs[c + cell.colspan], ys[r1 - a])
            if shade < 255 and cell.key is None and cell.text.startswith("第二十条"):
                pages.draw.rectangle(box, fill=shade)
            for edge in ((0, 1, 2, 1), (0, 3, 2, 3), (0, 1, 0, 3), (2, 1, 2, 3)):
                pages.draw.line([box[i] for i in edge], fill=0, width=line)
            if r < a:  # a merged cell begun on the page before: its text is there
                continue
            lines = texts[r, c]
            top = (box[1] + box[3]) / 2 - len(lines) * lh / 2
            left_aligned = cell.key is None and r in valued
            for i, text in enumerate(lines):
                x = box[0] + pad if left_aligned else (box[0] + box[2] - font.getlength(text)) / 2
                pages.draw.text((x, top + (i + 0.5) * lh), text, font=font, fill=0, anchor="lm")
        pages.y = ys[-1]
        a = b
        if a < len(grid):
            pages.new()


def _draw_report(r: Report, rng: random.Random, dpi: int) -> list:
    """The report's printed pages, greyscale, ``dpi`` px to the inch, before scanning."""
    pt = dpi / 72
    body, table = _font(round(rng.choice([12, 14, 16]) * pt)), _font(round(rng.choice([9, 10.5, 12]) * pt))
    head = _font(round(rng.choice([18, 20, 22]) * pt))
    lh = round(body.size * rng.uniform(1.5, 1.8))
    line, shade, keep = rng.randint(1, 3), rng.choice([255, 255, 225, 210]), rng.random() < 0.5
    pages = _Pages(dpi, rng)
    parts = outline(r, rng)
    for n, (kind, content) in enumerate(parts):
        if kind == "t":
            _draw_table(pages, content, table, line, shade, keep)
            pages.y += lh / 2
            continue
        font, align = (head, "center") if n == 0 else (body, "right") if n >= len(parts) - 2 else (body, "indent")
        if content in HEADINGS.values():
            pages.room(4 * lh)  # a heading stays with what follows it
        indent = 2 * font.size if align == "indent" else 0
        width = pages.right - pages.left - (4 * font.size if align == "right" else 0)
        step = max(lh, round(font.size * 1.4))  # a title's lines are as far apart as its size needs
        for i, text in enumerate(_wrap(content, font, width, indent)):
            pages.room(step)
            x = {"center": (pages.left + pages.right - font.getlength(text)) / 2,
                 "right": pages.right - 2 * font.size - font.getlength(text)}.get(align, pages.left + indent * (i == 0))
            pages.draw.text((x, pages.y + step / 2), text, font=font, fill=0, anchor="lm")
            pages.y += step
        if n == 0:
            pages.y += lh
    if rng.random() < 0.7:  # page numbers in the foot
        from PIL import ImageDraw

        dash = rng.choice(["—", "-"])
        for i, sheet in enumerate(pages.sheets, 1):
            ImageDraw.Draw(sheet).text((pages.width / 2, (pages.bottom + pages.height) / 2), f"{dash} {i} {dash}",
                                       font=body, fill=0, anchor="mm")
    return pages.sheets


def _scan_module():
    try:
        from benchmarks import scan
    except ModuleNotFoundError:  # run as a script: benchmarks/ itself is on the path
        import scan
    return scan


def _scanned(r: Report, rng: random.Random, dpi: int) -> tuple[list, int]:
    """The printed pages as a scanner gives them, and the JPEG quality to store them at."""
    scan = _scan_module()
    sheets = _draw_report(r, rng, dpi)
    blur, quality = rng.uniform(0, 0.8), rng.randint(60, 90)
    return [scan.degrade(sheet, rng.uniform(-0.8, 0.8), blur, seed=rng.randrange(2**32)) for sheet in sheets], quality


def render_scan(r: Report, rng: random.Random) -> bytes:
    """An image-only PDF: the printed pages scanned at 150–300 dpi."""
    dpi = rng.randint(150, 300)
    pages, quality = _scanned(r, rng, dpi)
    return _scan_module().to_pdf(pages, dpi, quality)


def render_scanpng(r: Report, rng: random.Random) -> bytes:
    """One long PNG, the scanned pages one under the other at 150 dpi, as some sites publish a report."""
    from PIL import Image

    pages, quality = _scanned(r, rng, 150)
    tall = Image.new("L", (pages[0].width, sum(p.height for p in pages)), 255)
    for i, page in enumerate(pages):
        tall.paste(page, (0, i * page.height))
    buffer = io.BytesIO()
    _scan_module().jpeg_round_trip(tall, quality).save(buffer, "PNG", dpi=(150, 150))
    return buffer.getvalue()


RENDER = {"text": render_text, "markdown": render_markdown, "html": render_html, "docx": render_docx,
          "spaced": lambda r, rng: render_text(r, rng, " "), "runtogether": render_runtogether,
          "scan": render_scan, "scanpng": render_scanpng}


def _json(v):
    return float(v) if isinstance(v, Decimal) else v


def golden(r: Report, source: str) -> dict:
    """The truth; a cell printed in a run of digits that splits more than one way
    (``runtogether``) may be the truth or null, never another number."""
    return {"source": source, "agency_any_of": [r.agency], "year": r.year, "layout": r.layout,
            "cells": {k: {"any_of": [_json(v), None]} if k in r.unsure else _json(v)
                      for k, v in sorted(r.values.items())},
            "findings_at_least": r.broken}


def generate(n: int, out: Path, seed: int = 0, formats: list[str] | None = None, start: int = 0) -> list[Path]:
    """Reports ``start`` to ``start + n - 1`` (the same number is the same report, so a
    large corpus can be made and loaded in parts)."""
    formats = formats or FORMATS
    (out / "golden").mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(start, start + n):
        rng = random.Random(f"{seed}:{i}")
        r = make_report(i, rng, formats)
        name = f"{i:06d}_{r.year}_{r.fmt}.{SUFFIX[r.fmt]}"
        (out / name).write_bytes(RENDER[r.fmt](r, rng))
        (out / "golden" / f"{Path(name).stem}.json").write_text(json.dumps(golden(r, name), ensure_ascii=False),
                                                                encoding="utf-8")
        paths.append(out / name)
    return paths


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("n", type=int)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--start", type=int, default=0, help="number of the first report (to make a corpus in parts)")
    ap.add_argument("--formats", default=",".join(FORMATS),
                    help="comma-separated, from " + ", ".join(FORMATS + SCAN_FORMATS))
    args = ap.parse_args()
    formats = args.formats.split(",")
    unknown = set(formats) - set(FORMATS + SCAN_FORMATS)
    if unknown:
        raise SystemExit(f"unknown formats: {', '.join(sorted(unknown))}")
    generate(args.n, args.out, args.seed, formats, args.start)


if __name__ == "__main__":
    main()
