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


def split_sections(blocks: list[Block]) -> tuple[list[Block], dict[int, Section]]:
    """The blocks before the first heading (title, letterhead …) and each section found."""
    preamble: list[Block] = []
    sections: dict[int, Section] = {}
    current: Section | None = None
    for block in blocks:
        found = heading(block)
        if found and found[0] > (current.number if current else 0):
            current = Section(found[0], found[1], block.line)
            sections[current.number] = current
        elif current is None:
            preamble.append(block)
        else:
            current.blocks.append(block)
    return preamble, sections
