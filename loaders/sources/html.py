"""Web pages from government content systems: the report inside navigation.

The report's tables are the ones that print a table header of the national format;
the article is their lowest common ancestor (widened until it holds section 一), so
menus, scripts and footers around it are left out. Tables become exact grids with
rowspan and colspan expanded (covered positions hold ``SPAN``); ``<p>``, ``<br>`` and
``&nbsp;`` inside cells fold into the cell's text. The page title (its ``ArticleTitle``
meta, ``<h1>`` or ``<title>``) comes first, as the report's title line."""
from __future__ import annotations

import re

import lxml.html
from lxml import etree

from loaders.blocks import SPAN, Block, Prose, Row
from loaders.errors import LoadError
from loaders.limits import Budget, Limits, check_depth, span_of
from loaders.sources.pictures import Pictures

TABLE_HINTS = ("信息内容", "申请人情况", "本年新收", "行政复议")
BLOCK_TAGS = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "section", "article", "blockquote",
              "center", "dd", "dt", "dl", "pre", "address", "header", "footer", "main", "figure", "figcaption", "tr",
              "td", "th", "caption", "form", "hr"}
SKIP_TAGS = {"script", "style", "noscript", "iframe", "select", "button", "input", "textarea", "svg", "head",
             "object", "embed", "template"}
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")


APART_TAGS = BLOCK_TAGS | {"br", "sup", "sub"}  # their text stands apart: ``969<sup>1</sup>`` is not 9691


def _text(el) -> str:
    """An element's printed text, white space folded; the text of a block, a line break,
    a superscript or a subscript stands apart from its neighbours. Comments print nothing."""
    parts = []
    for event, node in etree.iterwalk(el, events=("start", "end", "comment", "pi")):
        if event in ("comment", "pi"):  # one event each: nothing printed but what follows it
            parts.append(node.tail or "")
            continue
        apart = node.tag.lower() in APART_TAGS if isinstance(node.tag, str) else False
        if event == "start":
            parts += [" "] * apart + [node.text or ""]
        else:
            parts += [" "] * apart + [node.tail or ""] * (node is not el)
    return " ".join("".join(parts).split())


def _title(root) -> str | None:
    for xpath in ('//meta[@name="ArticleTitle"]/@content', "//h1", "//title"):
        found = root.xpath(xpath)
        if found:
            text = found[0] if isinstance(found[0], str) else _text(found[0])
            text = re.split(r"[_|－—-]{1}(?=[^_|]*$)", text)[0] if xpath == "//title" else text
            if text.strip():
                return text.strip()
    return None


def _is_report_table(table) -> bool:
    text = "".join(table.itertext())
    return any(hint in text for hint in TABLE_HINTS) and not table.xpath(".//table")


def _article(root, tables):
    if not tables:
        return root.find("body") if root.find("body") is not None else root
    chains = [list(t.iterancestors())[::-1] for t in tables]
    common = None
    for nodes in zip(*chains, strict=False):
        if all(n is nodes[0] for n in nodes):
            common = nodes[0]
        else:
            break
    article = common if common is not None else root
    while "总体情况" not in "".join(article.itertext()) and article.getparent() is not None:
        article = article.getparent()
    return article


def grid(table, budget: Budget | None = None, where: str = "table") -> list[list[str]]:
    """The table's cells with spans expanded: a merged cell's text at its first
    position, ``SPAN`` at the others. Each cell's span area is checked against the
    limits before it is expanded, and the table's rows and positions are counted."""
    budget = budget or Budget(Limits())
    rows, covered = [], set()
    for r, tr in enumerate(table.xpath("./tr|./thead/tr|./tbody/tr|./tfoot/tr")):
        row, col = [], 0
        for td in tr.xpath("./td|./th"):
            while (r, col) in covered:
                row.append(SPAN)
                col += 1
            rowspan, colspan = span_of(td.get("rowspan", "1")), span_of(td.get("colspan", "1"))
            budget.span(rowspan, colspan, f"{where}, row {r + 1}")
            row += [_text(td)] + [SPAN] * (colspan - 1)
            covered.update((r + dr, col + dc) for dr in range(1, rowspan) for dc in range(colspan))
            col += colspan
        while (r, col) in covered:
            row.append(SPAN)
            col += 1
        budget.row(0, f"{where}, row {r + 1}")  # its positions were counted by span()
        rows.append((tr.sourceline, row))
    return rows


class _Walker:
    def __init__(self, budget: Budget, pictures: Pictures | None = None):
        self.budget = budget
        self.pictures = pictures
        self.images = 0
        self.blocks: list[Block] = []
        self.buffer: list[str] = []
        self.line = 0
        self.tables = 0

    def flush(self, node=None) -> None:
        text = " ".join("".join(self.buffer).split())
        self.buffer = []
        if text:
            self.line += 1
            where = f"paragraph {self.line}" + (f" (line {node.sourceline})" if node is not None else "")
            self.blocks.append(Prose(text, self.line, where))

    def table(self, table) -> None:
        self.tables += 1
        for r, (sourceline, cells) in enumerate(grid(table, self.budget, f"table {self.tables}"), start=1):
            if any(c and c != SPAN for c in cells):
                self.line += 1
                self.blocks.append(Row(tuple(cells), self.line, f"table {self.tables}, row {r} (line {sourceline})",
                                       exact=True))

    def visit(self, node) -> None:
        tag = node.tag if isinstance(node.tag, str) else ""
        if not tag or tag in SKIP_TAGS:
            pass
        elif tag == "table" and _is_report_table(node):
            self.flush(node)
            self.table(node)
        elif tag == "br":
            self.flush(node)
        elif tag == "img" and self.pictures is not None:  # a table published as a picture: read by OCR
            self.flush(node)
            self.images += 1
            where = f"image {self.images} (line {node.sourceline})"
            read = self.pictures.linked(node.get("src") or "", where, self.line + 1)
            self.blocks += read
            self.line += len(read)
        elif tag in BLOCK_TAGS or tag == "table":
            self.flush(node)
            self.buffer.append(node.text or "")
            for child in node:
                self.visit(child)
            self.flush(node)
        else:
            self.buffer.append(node.text or "")
            for child in node:
                self.visit(child)
        self.buffer.append(node.tail or "")


def read_html(text: str, limits: Limits | None = None, pictures: Pictures | None = None) -> list[Block]:
    """A web page's report: its article's text and tables, and (given ``pictures``) the
    pictures in it read by OCR where they stand."""
    limits = limits or Limits()
    try:
        root = lxml.html.fromstring(_XML_DECLARATION.sub("", text))
    except (etree.LxmlError, ValueError) as e:
        raise LoadError(f"not a readable HTML page: {e}", "html") from None
    if not isinstance(root.tag, str):  # a comment or processing instruction alone
        raise LoadError("not a readable HTML page: no elements", "html")
    check_depth(root, limits, "html")
    tables = [t for t in root.iter("table") if _is_report_table(t)]
    walker = _Walker(Budget(limits), pictures)
    title = _title(root)
    if title:
        walker.blocks.append(Prose(title, 0, "page title"))
    walker.visit(_article(root, tables))
    walker.flush()
    return walker.blocks
