"""Read the agency, year, title, document number, signing date and contact details.

The title (``晋江市城市管理局 2023 年政府信息公开工作年度报告``) gives the agency and
year. The document number (``晋城管〔2024〕9号``) is a line of its own before section
一: the prose there cites other documents' numbers. The signing date is the first
date line from section 六 on; contacts are the first phone, address, e-mail and
postcode the prose prints, kept as printed."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from loaders.blocks import Block, Prose, text_of
from loaders.errors import LoadError
from loaders.labels import fold

_TITLE = re.compile(r"^(?P<before>.*?)(?P<year>(?:19|20)\d{2})年度?(?:的)?(?P<after>.*?)信息公开(?:工作)?年度?报告")
_NAME_LINE = re.compile(r"^[\u4e00-\u9fff（）()]{3,40}$")  # a line that is only a name
_LETTERHEAD = re.compile(r"^(?P<agency>.+?)文件$")
_DOCNO = re.compile(r"[\u4e00-\u9fff]{1,12}[(\[〔［【]\s*(?:19|20)\d{2}\s*[)\]〕］】]\s*\d{1,4}\s*号")
_DATE = re.compile(r"^(?P<y>(?:19|20)\d{2}|[〇零一二三四五六七八九○]{4})年(?P<m>\d{1,2}|[一二三四五六七八九十]{1,2})月"
                   r"(?P<d>\d{1,2}|[一二三四五六七八九十]{1,3})[日号]")
_PHONE = re.compile(r"(?:联系)?电话[:：]\s*(?P<v>[0-9][0-9\-—–－ ()（）]{4,30}[0-9])")
_ADDRESS = re.compile(r"(?:联系|通信|通讯|办公)?地址[:：]\s*(?P<v>[^；;。，,\n（(]{4,80}?)"
                      r"(?=[；;。，,\n（(]|联系电话|电话|邮编|邮政编码|传真|电子邮箱|邮箱|$)")
_EMAIL = re.compile(r"(?:电子)?(?:邮箱|邮件|E-?mail)[:：]\s*(?P<v>[A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9.\-]{1,120})"
                    r"(?![A-Za-z0-9.\-])", re.I)  # an address's parts are at most 64 and 120 characters long
MAX_AGENCY_NAME = 100  # characters: the longest real names are about 40
_POSTCODE = re.compile(r"邮(?:政)?编(?:码)?[:：]?\s*(?P<v>\d{6})")
_CN_DIGITS = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {"零": 0, "○": 0}


@dataclass
class Metadata:
    agency: str
    year: int
    title: str
    document_number: str | None = None
    published_on: date | None = None
    contact_phone: str | None = None
    contact_address: str | None = None
    contact_email: str | None = None
    contact_postcode: str | None = None


def _lines(blocks: list[Block]) -> list[tuple[str, Block]]:
    return [(text_of(b), b) for b in blocks]


def read_title(preamble: list[Block]) -> tuple[str, int, str]:
    """(agency, year, title) from the report's title line, before section 一. A title
    broken after the agency (``淮安市洪泽区人民政府`` / ``2024年政府信息公开…``) takes
    the agency from the line above it; one with no agency at all, from the letterhead. A
    title wrapped onto a second line anywhere else is read joined."""
    letterhead = previous = None
    lines = _lines(preamble)
    for i, (text, block) in enumerate(lines):
        compact = fold(text).strip("#《》")
        if letterhead is None and (m := _LETTERHEAD.match(compact)):
            letterhead = m["agency"]
        m = _TITLE.match(compact)
        if not m and i + 1 < len(lines) and "年" in compact:  # a title wrapped anywhere (``…工`` / ``作年度报告``)
            joined = fold(text + lines[i + 1][0]).strip("#《》")
            if m := _TITLE.match(joined):
                text = text + lines[i + 1][0]
        if m:
            agency = _title_agency(m["before"], m["after"]) or previous or letterhead
            if not agency:
                raise LoadError("the title names no agency", block.location)
            if len(agency) > MAX_AGENCY_NAME:
                raise LoadError(f"the agency's name read from the title is {len(agency)} characters long: no "
                                f"agency's is over {MAX_AGENCY_NAME}", block.location)
            title = text.strip("# ") if agency != previous else f"{previous}{text.strip('# ')}"
            return agency, int(m["year"]), title
        previous = compact if _NAME_LINE.match(compact) and not _LETTERHEAD.match(compact) else None
    raise LoadError("no title line (…年政府信息公开工作年度报告) before section 一: "
                    "cannot tell the agency and year", "title")


def _title_agency(before: str, after: str) -> str:
    """The agency of a title: before the year (``XX局2023年政府信息公开…``), or after it
    (``2023年度XX局政府信息公开…``), where a trailing 政府 belongs to 政府信息公开 unless
    it ends 人民政府."""
    agency = re.sub(r"关于$", "", before.strip(":："))
    if agency:
        return agency
    if after.endswith("政府") and not after.endswith("人民政府"):
        after = after[:-2]
    return after


def _cn_number(text: str) -> int:
    if text.isdigit():
        return int(text)
    if len(text) == 4 and all(c in _CN_DIGITS for c in text):
        return int("".join(str(_CN_DIGITS[c]) for c in text))
    if "十" in text:
        tens, _, ones = text.partition("十")
        return (_CN_DIGITS.get(tens, 1) if tens else 1) * 10 + (_CN_DIGITS.get(ones, 0) if ones else 0)
    return _CN_DIGITS[text]


def parse_date(text: str) -> date | None:
    m = _DATE.match(fold(text))
    if not m:
        return None
    try:
        return date(_cn_number(m["y"]), _cn_number(m["m"]), _cn_number(m["d"]))
    except (ValueError, KeyError):
        return None


def read_metadata(preamble: list[Block], tail: list[Block], prose: list[Block]) -> Metadata:
    """``tail``: the blocks of section 六 and after; ``prose``: every block, for contacts."""
    agency, year, title = read_title(preamble)
    meta = Metadata(agency, year, title)
    for text, _ in _lines(preamble):
        if m := _DOCNO.fullmatch(fold(text).replace("(", "〔").replace(")", "〕")):
            meta.document_number = m[0]  # a line of its own: the prose cites other documents
            break
    for text, _ in _lines(tail):
        if len(fold(text)) <= 20 and (d := parse_date(text)):
            meta.published_on = d
            break
    text = "\n".join(b.text for b in prose if isinstance(b, Prose))  # (text_of a Prose is its text)
    for attr, pattern in (("contact_phone", _PHONE), ("contact_address", _ADDRESS),
                          ("contact_email", _EMAIL), ("contact_postcode", _POSTCODE)):
        if m := pattern.search(text):
            setattr(meta, attr, m["v"].strip())
    return meta
