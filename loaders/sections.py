"""Find the six numbered sections (一 to 六) of a report.

A heading is a short line that starts with the section's numeral and names its
subject (``二、主动公开政府信息情况``). Requiring the subject keeps the table rows
``一、本年新收……`` and prose like ``二是……`` from being taken for headings, and
numerals must increase, so a stray early numeral cannot reopen a section."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from loaders.blocks import SPAN, Block, Prose, Row
from loaders.labels import fold

NUMERALS = "一二三四五六"
SUBJECTS = {
    1: ("总体情况", "概述", "基本情况"),
    2: ("主动公开",),
    3: ("收到和处理", "依申请", "申请情况"),
    4: ("行政复议", "行政诉讼"),
    5: ("存在的主要问题", "存在问题", "主要问题", "改进"),
    6: ("其他需要报告", "其他事项", "其他需要说明"),
}
_HEADING = re.compile(r"^([一二三四五六])[、.．]\s*(.+)$")
MAX_HEADING = 40


@dataclass
class Section:
    number: int
    title: str
    line: int
    blocks: list[Block] = field(default_factory=list)

    @property
    def rows(self) -> list[Row]:
        return [b for b in self.blocks if isinstance(b, Row)]

    def frozen(self) -> SectionText:
        return SectionText(self.number, self.title, self.line, self.text)

    @property
    def text(self) -> str:
        return "\n".join(b.text if isinstance(b, Prose) else b.printed for b in self.blocks)


@dataclass(frozen=True)
class SectionText:
    """A section's title and prose without its blocks: what is stored."""

    number: int
    title: str
    line: int
    text: str


def heading(block: Block) -> tuple[int, str] | None:
    """(number, title) when the block is a section heading."""
    if isinstance(block, Row):
        cells = [c for c in block.cells if c and c != SPAN]
        if len(cells) != 1:
            return None
        text = cells[0]
    else:
        text = block.text
    text = fold(text).rstrip("。.:：")
    m = _HEADING.match(text)
    if not m or len(text) > MAX_HEADING:
        return None
    number = NUMERALS.index(m[1]) + 1
    if any(word in m[2] for word in SUBJECTS[number]):
        return number, m[2]
    return None


# A heading inside a line (a crawler's dump of a page: the whole report on a line or
# two) stands after a space, a full stop, a closing bracket or a table's last digit.
LONG_LINE = 200
_INLINE = re.compile(r"(?<![^\s。！？!?)）\d])[一二三四五六][、.．]")
_TITLE_END = re.compile(r"情况|事项|附表")
_TITLE_STOP = re.compile(r"[\s\d(（【\[。，,；;：:]")


def _inline_title(text: str) -> str | None:
    """The heading at the start of ``text`` (``二、主动公开政府信息情况第二十条…``), or None."""
    stop = _TITLE_STOP.search(text, 2)
    region = text[:stop.start() if stop else len(text)][:MAX_HEADING]
    end = _TITLE_END.search(region, 2)
    candidate = region[:end.end()] if end else region
    return candidate if heading(Prose(candidate, 0)) else None


def inline_headings(blocks: list[Block]) -> list[Block]:
    """Long prose lines cut where a section heading stands inside them, so that each
    heading starts a block of its own (the line number stays the line's)."""
    out: list[Block] = []
    for block in blocks:
        if not isinstance(block, Prose) or len(block.text) < LONG_LINE:
            out.append(block)
            continue
        text, start = block.text, 0
        for m in _INLINE.finditer(text):
            title = _inline_title(text[m.start():]) if m.start() >= start else None
            if title is None:
                continue
            if text[start:m.start()].strip():
                out.append(Prose(text[start:m.start()].strip(), block.line, block.where))
            out.append(Prose(title, block.line, block.where))
            start = m.start() + len(title)
        if text[start:].strip():
            out.append(Prose(text[start:].strip(), block.line, block.where))
    return out


BROKEN_PART = 20  # characters: a heading's continuation on the next line is short


def _joined(blocks: list[Block], i: int, test) -> tuple[str, int] | None:
    """A heading or title broken over two or three short lines: the lines joined and how
    many were used, when the first alone is not one and the joined text is."""
    first = blocks[i]
    if not isinstance(first, Prose) or len(first.text) > MAX_HEADING or test(first.text) \
            or re.search(r"\d", first.text[2:]):
        return None  # a row with values (四、结转下年度继续办理 0 0 0) is no broken heading
    text = first.text
    for used in (2, 3):
        following = blocks[i + used - 1] if i + used - 1 < len(blocks) else None
        if not isinstance(following, Prose) or len(following.text) > BROKEN_PART \
                or _HEADING.match(fold(following.text)) or _APPENDIX.match(fold(following.text)):
            return None
        text += following.text
        if test(text):
            return text, used
    return None


def join_broken_headings(blocks: list[Block]) -> list[Block]:
    """Section headings and appendix table titles broken over two or three lines, joined."""
    out: list[Block] = []
    i = 0
    while i < len(blocks):
        text = fold(blocks[i].text) if isinstance(blocks[i], Prose) else ""
        found = None
        if _HEADING.match(text):
            found = _joined(blocks, i, lambda t: bool(heading(Prose(t, 0))))
        elif _APPENDIX.match(text):
            found = _joined(blocks, i, lambda t: bool(appendix_title(t)))
        if found:
            out.append(Prose(found[0], blocks[i].line, blocks[i].where))
            i += found[1]
        else:
            out.append(blocks[i])
            i += 1
    return out


# Tables given as appendices after the prose (``表一 主动公开政府信息情况``, ``附表2：…``),
# as some governments print them, each under its own title naming its subject.
_APPENDIX = re.compile(r"^(?:附件\d*[:：]?)?附?表([一二三123])[、.．:：]?(.*)$")
_TABLE_SUBJECTS = {2: ("主动公开",), 3: ("收到和处理", "依申请", "申请情况"), 4: ("行政复议", "行政诉讼")}


def appendix_title(text: str) -> int | None:
    """The section (2, 3 or 4) whose table an appendix title introduces, or None."""
    text = fold(text).rstrip("。.:：")
    m = _APPENDIX.match(text)
    if not m or len(text) > MAX_HEADING:
        return None
    found = [n for n, words in _TABLE_SUBJECTS.items() if any(w in m[2] for w in words)]
    return found[0] if len(found) == 1 else None


def split_sections(blocks: list[Block]) -> tuple[list[Block], dict[int, Section]]:
    """The blocks before the first heading (title, letterhead …) and each section found,
    also where a heading stands inside a long line (``inline_headings``) or is broken
    over lines. A table given as an appendix (``表二 收到和处理政府信息公开申请情况``)
    goes to the section of its subject, wherever it stands."""
    blocks = join_broken_headings(inline_headings(blocks))
    preamble: list[Block] = []
    sections: dict[int, Section] = {}
    current: Section | None = None
    target: Section | None = None  # where blocks go: the current section, or an appendix's
    for block in blocks:
        found = heading(block)
        appendix = appendix_title(block.text) if isinstance(block, Prose) and current else None
        if found and found[0] > (current.number if current else 0):
            current = target = Section(found[0], found[1], block.line)
            sections[current.number] = current
        elif appendix:
            target = sections.setdefault(appendix, Section(appendix, block.text, block.line))
        elif target is None:
            preamble.append(block)
        else:
            target.blocks.append(block)
    return preamble, dict(sorted(sections.items()))
