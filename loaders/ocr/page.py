"""Read one page image into the items a source lays out: table rows and text lines.

The page is levelled (``grid.deskew``), its ruled tables found (``grid.find_tables``)
and its text lines detected once. Each table cell is then read on its own:

* no ink inside its borders: printed blank;
* ink: the detected lines inside it, each cropped to the cell and read, joined in
  reading order; ink where no line was detected is read as one crop of the ink. A cell
  is never given text read outside it, and a cell that reads nothing never moves its
  neighbours: its position is fixed by the grid;
* a cell whose text prints no Chinese (a number, a placeholder) and was read with a
  confidence under ``min_confidence``, or whose ink read as nothing, holds ``UNREAD``:
  the cell is null with an ``ocr.low_confidence`` finding that gives what was read.

Text outside the tables is grouped into lines by height and read box by box. Every
box is given in the pixels of the page as it came in (before levelling)."""
from __future__ import annotations

import cv2
import numpy as np

from loaders.blocks import SPAN, UNREAD, OcrRead, PageBox, PageItem, is_page_number
from loaders.ocr import min_confidence
from loaders.ocr.engine import Engine, TextBox
from loaders.ocr.grid import Table, binarise, deskew, find_tables
from loaders.values import NUMBER, PLACEHOLDER, TEXT, has_digits, read_value

DETECT_SIDE = 1400  # text lines are found on the page scaled to this long side (4-8x faster than at 200 dpi,
                    # the same lines found); each line is then read from the full-resolution page


class _Page:
    def __init__(self, gray: np.ndarray, number: int, engine: Engine):
        self.number, self.engine = number, engine
        self.height, self.width = gray.shape[:2]
        self.level, matrix = deskew(gray)
        self.back = None if matrix is None else cv2.invertAffineTransform(matrix)
        self.ink = binarise(self.level)
        self.margin = max(3, round(min(self.height, self.width) / 400))  # a rule's width and a little more

    def box(self, x0: float, y0: float, x1: float, y1: float) -> PageBox:
        """A box of the level page in the pixels of the page as it came in."""
        corners = np.array([[x0, y0], [x1, y0], [x0, y1], [x1, y1]], dtype=np.float64)
        if self.back is not None:
            corners = corners @ self.back[:, :2].T + self.back[:, 2]
        (a, b), (c, d) = corners.min(axis=0), corners.max(axis=0)
        clip = lambda v, hi: int(min(max(round(v), 0), hi))  # noqa: E731
        return PageBox(self.number, clip(a, self.width), clip(b, self.height), clip(c, self.width),
                       clip(d, self.height), self.width, self.height)

    def crop(self, x0: int, y0: int, x1: int, y1: int) -> np.ndarray:
        return self.level[max(0, y0):y1, max(0, x0):x1]


def _detect(engine: Engine, level: np.ndarray) -> list[TextBox]:
    """The page's text lines, found on a smaller copy, in the page's pixels (a pixel wider)."""
    scale = min(1.0, DETECT_SIDE / max(level.shape[:2]))
    if scale == 1.0:
        return engine.detect(level)
    small = cv2.resize(level, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    back = lambda v, up: int(np.ceil(v / scale)) + (1 if up else -1)  # noqa: E731
    return [TextBox(max(0, back(b.x0, False)), max(0, back(b.y0, False)), back(b.x1, True), back(b.y1, True))
            for b in engine.detect(small)]


def _inside(box: TextBox, area: tuple[int, int, int, int]) -> bool:
    x, y = box.centre
    return area[0] <= x <= area[2] and area[1] <= y <= area[3]


def _lines(boxes: list[TextBox]) -> list[list[TextBox]]:
    """Boxes grouped into printed lines (by vertical overlap), each left to right."""
    lines: list[list[TextBox]] = []
    for box in sorted(boxes, key=lambda b: (b.y0 + b.y1) / 2):
        line = lines[-1] if lines else None
        if line and (box.y0 + box.y1) / 2 <= max(b.y1 for b in line) and \
                (box.y0 + box.y1) / 2 >= min(b.y0 for b in line):
            line.append(box)
        else:
            lines.append([box])
    return [sorted(line, key=lambda b: b.x0) for line in lines]


def _upright(crop: np.ndarray, char_height: float) -> np.ndarray:
    """A crop of text printed top to bottom (a vertical label), turned to read left to right."""
    h, w = crop.shape[:2]
    return np.rot90(crop) if h >= 1.5 * w and h >= 1.8 * char_height else crop


def _strokes_removed(ink: np.ndarray) -> np.ndarray:
    """A cell's ink without what is left of its borders: a long stroke (across most of
    the cell) that touches the edge of the cell's inside. A stroke in the middle (a tall
    ``1``) is ink: only a rule reaches the edge once the borders are inset."""
    h, w = ink.shape[:2]
    across = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (max(3, w * 3 // 5), 1)))
    down = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, max(3, h * 4 // 5))))
    strokes = cv2.bitwise_or(across, down)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(strokes)
    border = np.zeros_like(ink)
    for k in range(1, count):
        x, y, sw, sh = stats[k][:4]
        if x <= 1 or y <= 1 or x + sw >= w - 1 or y + sh >= h - 1:
            border[labels == k] = 255
    return cv2.subtract(ink, border)


def _cell_reads(page: _Page, table: Table, boxes: list[TextBox], char_height: float):
    """(cell, crops) for each cell of a table: what to read inside it (None: printed blank)."""
    m = page.margin
    for cell in table.cells:
        x0, y0, x1, y1 = cell.box
        interior = (x0 + m, y0 + m, x1 - m, y1 - m)
        if interior[2] <= interior[0] or interior[3] <= interior[1]:
            yield cell, None, []
            continue
        ink = _strokes_removed(page.ink[interior[1]:interior[3], interior[0]:interior[2]])
        found = cv2.findNonZero(ink)
        if found is None or len(found) < max(4, m * m):
            yield cell, None, []  # printed blank
            continue
        bx, by, bw, bh = cv2.boundingRect(found)
        left, top = interior[0] + bx, interior[1] + by
        ink_crop = _upright(page.crop(left - m, top - m, left + bw + m, top + bh + m), char_height)
        # a small glyph (a table's 9 pt at 150 dpi) read again at twice its size
        larger = [cv2.resize(ink_crop, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)] if bh < 24 else []

        def around(b: TextBox, p: int, edge: tuple[int, int, int, int] = cell.box) -> np.ndarray:
            """A detected line, with white around it, inside the cell's borders."""
            return _upright(page.crop(max(b.x0 - p, edge[0] + 1), max(b.y0 - p, edge[1] + 1),
                                      min(b.x1 + p, edge[2] - 1), min(b.y1 + p, edge[3] - 1)), char_height)

        inside = [b for b in boxes if _inside(b, interior)]
        if not inside:  # ink the detector missed: read the ink itself
            yield cell, [ink_crop], [around(TextBox(left, top, left + bw, top + bh), 2 * m), *larger]
        elif len(inside) == 1:
            yield cell, [around(inside[0], 2)], [around(inside[0], 2 * m), ink_crop, *larger]
        else:
            yield cell, [around(b, 2) for line in _lines(inside) for b in line], []


RING = set("。.．·oOｏＯ〇○°")  # what a small 0 is read as, alone in a cell: never a value, often a 0


def _unsure(text: str, confidence: float, threshold: float) -> bool:
    """A read that cannot be taken as it is: nothing, a lone ring or dot (a small ``0``
    read at low resolution), or one that prints a value or a digit (``8``, ``8件``,
    ``-``) under the threshold. Text without digits (a label) is matched against the
    codebook's labels, not taken as a value."""
    return (not text or text in RING
            or ((read_value(text).kind != TEXT or has_digits(text)) and confidence < threshold))


def _cell_text(reads: list[tuple[str, float]], second: list[tuple[str, float]],
               threshold: float) -> tuple[str, str, float | None, str | None]:
    """(cell text, text read, confidence, why unread) of a cell's line reads, and of the
    second opinion asked when they were unsure (other crops of the same ink): a number
    is taken when every read gives the same text and one of them is sure of it."""
    text = "".join(t for t, _ in reads).strip()
    confidence = min(c for _, c in reads)
    if not _unsure(text, confidence, threshold):
        return text, text, confidence, None
    if second:  # the reads that give a value (a dot or a ring read as 。 or o is no opinion on which)
        every = [(text, confidence), *((t.strip(), c) for t, c in second)]
        values = [(t, c) for t, c in every if read_value(t).kind in (NUMBER, PLACEHOLDER)]
        texts = {t for t, _ in values}
        best = max((c for _, c in values), default=0.0)
        if len(texts) == 1 and best >= threshold:
            taken = texts.pop()
            return taken, taken, best, None
        if len(texts) > 1:
            shown = ", ".join(f"{t!r} ({c:.3f})" for t, c in every)
            return UNREAD, text, confidence, f"read differently from the same ink: {shown}"
    if not text:
        return UNREAD, "", confidence, "ink that OCR read as nothing"
    if confidence >= threshold:  # a lone ring or dot, which no other read made a value of
        return UNREAD, text, confidence, f"read as {text!r} (confidence {confidence:.3f}), a ring or dot, not a value"
    return UNREAD, text, confidence, f"read as {text!r} with confidence {confidence:.3f} (under {threshold})"


def read_page(gray: np.ndarray, number: int, engine: Engine, threshold: float | None = None,
              label: str = "page") -> list[PageItem]:
    """The table rows and text lines of one page image (greyscale), top to bottom; they
    are located as ``{label} {number}, …`` (a page, or a document's picture)."""
    threshold = min_confidence() if threshold is None else threshold
    if min(gray.shape[:2]) < 16:  # a sliver: no line of text fits in it
        return []
    page = _Page(gray, number, engine)
    tables = find_tables(page.level, page.ink)
    boxes = _detect(engine, page.level)
    heights = sorted(b.y1 - b.y0 for b in boxes)
    char_height = heights[len(heights) // 2] if heights else 20
    items: list[PageItem] = []

    plan = [(t, cell, crops, alternates) for t, table in enumerate(tables, start=1)
            for cell, crops, alternates in _cell_reads(page, table, boxes, char_height)]
    outside = [b for b in boxes if not any(_inside(b, t.box) for t in tables)]
    lines = _lines(outside)
    first = {id(cell): engine.read(crops) for _, cell, crops, _ in plan if crops}
    second = {id(cell): engine.read(alternates) for _, cell, crops, alternates in plan
              if crops and alternates and _unsure(first[id(cell)][0][0].strip(), first[id(cell)][0][1], threshold)}
    pad = page.margin
    line_reads = iter(engine.read([page.crop(b.x0 - pad, b.y0 - pad, b.x1 + pad, b.y1 + pad)
                                   for line in lines for b in line]))

    for t, table in enumerate(tables, start=1):
        grid: list[list[tuple[str, OcrRead | None]]] = [[(SPAN, None)] * (len(table.xs) - 1)
                                                         for _ in range(len(table.ys) - 1)]
        for tt, cell, crops, _ in plan:
            if tt != t:
                continue
            where = page.box(*cell.box)
            if crops is None:
                grid[cell.row][cell.column] = ("", OcrRead("", None, where))
                continue
            text, read, confidence, why = _cell_text(first[id(cell)], second.get(id(cell), []), threshold)
            grid[cell.row][cell.column] = (text, OcrRead(read, confidence, where, why))
        for r, row in enumerate(grid, start=1):
            cells = tuple(text for text, _ in row)
            filled = [c for c in cells if c and c != SPAN]
            if not filled:
                continue
            top = table.ys[r - 1]
            where = f"{label} {number}, table {t}, row {r} (OCR)"
            if len(filled) == 1 and filled[0] != UNREAD:  # a framed line of prose
                items.append(PageItem(top, table.xs[-1] - table.xs[0], where, filled[0]))
            else:
                items.append(PageItem(top, table.xs[-1] - table.xs[0], where, cells, tuple(o for _, o in row)))

    for k, line in enumerate(lines, start=1):
        reads = [next(line_reads) for _ in line]
        text = ""
        for b, ((part, _), prev) in enumerate(zip(reads, [None, *line[:-1]], strict=True)):
            gap = line[b].x0 - prev.x1 if prev else 0
            text += (" " if prev and gap > 0.5 * char_height else "") + part
        text = text.strip()
        if text and not is_page_number(text):
            box = page.box(min(b.x0 for b in line), min(b.y0 for b in line), max(b.x1 for b in line),
                           max(b.y1 for b in line))
            read = OcrRead(text, min(c for _, c in reads), box)  # a row printed without rules is gated by it
            items.append(PageItem(line[0].y0, line[-1].x1 - line[0].x0, f"{label} {number}, line {k} (OCR)", text,
                                  read))
    return sorted(items, key=lambda item: item.top)
