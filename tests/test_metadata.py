from datetime import date

import pytest

from loaders.blocks import Prose
from loaders.document import parse_file
from loaders.errors import LoadError
from loaders.metadata import parse_date, read_title
from tests.conftest import seed


def prose(*lines):
    return [Prose(text, n) for n, text in enumerate(lines, start=1)]


@pytest.mark.parametrize("line, agency, year", [
    ("晋江市城市管理局 2023 年政府信息公开工作年度报告", "晋江市城市管理局", 2023),
    ("晋江市西园街道 2023 年政府信息公开 工作年度报告", "晋江市西园街道", 2023),
    ("# 晋江市人民政府 2020 年政府信息公开工作年度报告", "晋江市人民政府", 2020),
    ("平潭综合实验区2024年度政府信息公开工作年度报告", "平潭综合实验区", 2024),
    ("2022年度晋江市教育局政府信息公开工作年度报告", "晋江市教育局", 2022),
    ("晋江市财政局关于2021年政府信息公开工作年度报告", "晋江市财政局", 2021),
])
def test_title(line, agency, year):
    assert read_title(prose("某某文件", line))[:2] == (agency, year)


def test_title_without_agency_takes_the_letterhead():
    assert read_title(prose("晋江市城市管理局文件", "2023年政府信息公开工作年度报告"))[:2] == ("晋江市城市管理局", 2023)


def test_no_title_is_an_error_that_says_why():
    with pytest.raises(LoadError, match="no title line"):
        read_title(prose("关于做好安全生产工作的通知"))


@pytest.mark.parametrize("text, day", [
    ("2024年1月18日", date(2024, 1, 18)),
    ("2023年1月3号", date(2023, 1, 3)),
    ("2024年1月18日印发", date(2024, 1, 18)),
    ("二〇二四年一月十八日", date(2024, 1, 18)),
    ("二〇二三年十二月三十一日", date(2023, 12, 31)),
    ("2024年2月30日", None),
    ("联系电话：85659620", None),
])
def test_dates(text, day):
    assert parse_date(text) == day


def test_seed_metadata():
    m = parse_file(seed("000")).metadata
    assert (m.document_number, m.contact_phone, m.contact_postcode) == ("晋城管〔2024〕9号", "0595-85697500", "362200")
    assert m.contact_address == "晋江市世纪大道电信大楼三楼"
    assert m.contact_email == "jjsxzzfj@126com"  # as printed, missing dot and all
    m = parse_file(seed("001")).metadata
    assert (m.published_on, m.contact_email, m.contact_phone) == (date(2023, 1, 3), "spzxwork@126.com", "85659620")
    # seed 002 lists website news with dates inside section 一: the signing date comes from the end
    assert parse_file(seed("002")).metadata.published_on == date(2024, 1, 18)
    assert parse_file(seed("004")).metadata.published_on is None
