"""Text extracted from reports: tab-separated rows and markdown pipe tables.

Both can appear in one file. Separator rows (``|---|---|``, ``-----\t---``) are
dropped; ``<br>`` inside a cell joins its parts; markdown emphasis and heading marks
are removed from prose."""
from __future__ import annotations

import re

from loaders.blocks import SPAN, Block, Prose, Row, is_page_number
from loaders.limits import Budget, Limits

_SEPARATOR_CELL = re.compile(r"^:?-{2,}:?$")
_BR = re.compile(r"<br\s*/?>", re.I)
_HEADING = re.compile(r"^\s*#{1,6}\s*")
_EMPHASIS = re.compile(r"\*\*|__")


def _clean_cell(cell: str) -> str:
    return _BR.sub("", cell).replace(SPAN, "").strip()


def _is_separator(cells: list[str]) -> bool:
    return any(cells) and all(not c or _SEPARATOR_CELL.match(c) for c in cells)


def _cleaned(parts: list[str], line: str) -> list[str]:
    """``_clean_cell`` of each part; only stripped when the line holds no ``<`` nor ``SPAN``."""
    if "<" in line or SPAN in line:
        return [_clean_cell(c) for c in parts]
    return [c.strip() for c in parts]


def split_line(line: str) -> list[str] | None:
    """The cells of a table line, or None when the line is prose."""
    stripped = line.strip()
    if stripped.startswith("|") and stripped.endswith("|") and len(stripped) > 1:
        return _cleaned(stripped[1:-1].split("|"), stripped)
    if "\t" in line:
        return _cleaned(line.rstrip("\r\n").split("\t"), line)
    return None


# A crawler's dump starts with the page's fields, one a line (``标题: …``, ``发布时间: …``):
# the title line is the title, without its field name.
_DUMP_TITLE = re.compile(r"^\s*标题\s*[:：]\s*")
DUMP_HEADER = 12  # lines


def read_blocks(text: str, limits: Limits | None = None) -> list[Block]:
    blocks: list[Block] = []
    budget = Budget(limits or Limits())
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        cells = split_line(line)
        if cells is None:
            if number <= DUMP_HEADER:
                line = _DUMP_TITLE.sub("", line)
            if "#" in line:
                line = _HEADING.sub("", line)
            if "*" in line or "_" in line:
                line = _EMPHASIS.sub("", line)
            prose = line.strip()
            if prose and not is_page_number(prose):
                blocks.append(Prose(prose, number))
        elif any(cells) and not ("-" in line and _is_separator(cells)):  # a separator cell prints "--"
            budget.row(len(cells), f"line {number}")
            blocks.append(Row(tuple(cells), number))
    return blocks
