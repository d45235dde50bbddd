"""The ruled grid of a page image: its skew, and each table's cells by geometry.

A scanned table is found from its ruled lines, not from where text happens to be:
horizontal and vertical strokes are picked out of the binarised page with long thin
morphological kernels, their positions clustered into the grid's lines, and each
cell of that grid kept or merged with its neighbour by whether the border between
them is printed (a merged header cell has no inner border). A cell is then a
rectangle of the page; whatever is read inside it belongs to it and nothing else.

All functions are pure: a greyscale ``numpy`` array in, geometry out."""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

MAX_SKEW = 5.0  # degrees: a page tilted further is read as it is (its lines then break up)
BORDER = 0.7  # share of a border's length that must be dark for it to count as printed


def binarise(gray: np.ndarray) -> np.ndarray:
    """Ink as 255 on 0, robust to a grey or uneven scan background."""
    return cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 31, 15)


def _strokes(ink: np.ndarray, length: int, horizontal: bool) -> np.ndarray:
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (length, 1) if horizontal else (1, length))
    return cv2.morphologyEx(ink, cv2.MORPH_OPEN, kernel)


def _sharpness(ink: np.ndarray, angle: float) -> float:
    """How sharply the rows of ``ink`` turned by ``angle`` separate (the variance of the
    row sums: highest when rules and text lines lie level)."""
    turned = cv2.warpAffine(ink, rotation(ink.shape[:2], angle), (ink.shape[1], ink.shape[0]),
                            flags=cv2.INTER_NEAREST, borderValue=0)
    return float(np.var(turned.sum(axis=1, dtype=np.float64)))


def skew_angle(gray: np.ndarray) -> float:
    """The page's tilt in degrees (positive: clockwise; ``rotation`` by it levels the
    page): the angle at which its rows of ink are sharpest, searched coarse to fine on
    a copy of the page about 1000 pixels wide."""
    scale = min(1.0, 1000 / gray.shape[1])
    ink = binarise(cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else gray)
    if not np.count_nonzero(ink):
        return 0.0
    best = 0.0
    for step, reach in ((0.5, MAX_SKEW), (0.1, 0.5), (0.02, 0.1)):
        candidates = np.arange(best - reach, best + reach + step / 2, step)
        best = max(candidates, key=lambda a: _sharpness(ink, float(a)))
    return float(best)


def rotation(shape: tuple[int, int], angle: float) -> np.ndarray:
    """The affine matrix that turns a page of ``shape`` by ``angle`` degrees about its centre."""
    h, w = shape
    return cv2.getRotationMatrix2D((w / 2, h / 2), -angle, 1.0)


def deskew(gray: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """The page turned level, and the matrix that did it (None when it was level)."""
    angle = skew_angle(gray)
    if abs(angle) < 0.05:
        return gray, None
    matrix = rotation(gray.shape[:2], angle)
    level = cv2.warpAffine(gray, matrix, (gray.shape[1], gray.shape[0]), flags=cv2.INTER_CUBIC,
                           borderMode=cv2.BORDER_CONSTANT, borderValue=255)
    return level, matrix


@dataclass(frozen=True)
class Cell:
    row: int
    column: int
    rows: int  # rows spanned
    columns: int  # columns spanned
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 in pixels, borders included


@dataclass(frozen=True)
class Table:
    ys: tuple[int, ...]  # the horizontal rules, top to bottom
    xs: tuple[int, ...]  # the vertical rules, left to right
    cells: tuple[Cell, ...]  # each merged region once, at its top-left grid position

    @property
    def box(self) -> tuple[int, int, int, int]:
        return self.xs[0], self.ys[0], self.xs[-1], self.ys[-1]


def _positions(profile: np.ndarray, minimum: float) -> list[int]:
    """The centres of the runs of ``profile`` at or above ``minimum``."""
    out, start = [], None
    for i, value in enumerate(np.append(profile, 0)):
        if value >= minimum and start is None:
            start = i
        elif value < minimum and start is not None:
            out.append((start + i - 1) // 2)
            start = None
    return out


def _coverage(mask: np.ndarray, fixed: int, start: int, end: int, horizontal: bool, reach: int = 3) -> float:
    """The share of the segment from ``start`` to ``end`` at ``fixed`` (± ``reach``) that is dark."""
    if end - start <= 0:
        return 0.0
    band = (mask[max(0, fixed - reach):fixed + reach + 1, start:end] if horizontal
            else mask[start:end, max(0, fixed - reach):fixed + reach + 1])
    if band.size == 0:
        return 0.0
    return float(np.count_nonzero(band.max(axis=0 if horizontal else 1))) / (end - start)


def _table(ink: np.ndarray, across: np.ndarray, box: tuple[int, int, int, int], min_gap: int) -> Table | None:
    x0, y0, x1, y1 = box
    ys = _positions(across[y0:y1 + 1, x0:x1 + 1].sum(axis=1) / 255, 0.25 * (x1 - x0))
    ys = [y + y0 for y in ys]
    ys = [y for i, y in enumerate(ys) if i == 0 or y - ys[i - 1] >= min_gap]
    if len(ys) < 2:
        return None
    # a vertical rule crosses a whole row: longer than any digit or stroke of a character
    # (the rows' median height: one short row, a double rule, must not make digits rules)
    heights = sorted(b - a for a, b in zip(ys, ys[1:], strict=False))
    shortest = heights[len(heights) // 2]
    down = np.zeros_like(ink)
    down[y0:y1 + 1, x0:x1 + 1] = _strokes(ink[y0:y1 + 1, x0:x1 + 1], max(6, int(0.75 * shortest)), horizontal=False)
    xs = _positions(down[y0:y1 + 1, x0:x1 + 1].sum(axis=0) / 255, 0.75 * shortest)
    xs = [x + x0 for x in xs]
    xs = [x for i, x in enumerate(xs) if i == 0 or x - xs[i - 1] >= min_gap // 2]
    if len(xs) < 2:
        return None
    rows, columns = len(ys) - 1, len(xs) - 1
    # which borders between neighbouring grid positions are printed
    right = [[_coverage(down, xs[j + 1], ys[i] + 3, ys[i + 1] - 2, horizontal=False) >= BORDER
              for j in range(columns - 1)] for i in range(rows)]
    below = [[_coverage(across, ys[i + 1], xs[j] + 3, xs[j + 1] - 2, horizontal=True) >= BORDER
              for j in range(columns)] for i in range(rows - 1)]
    owner = [[-1] * columns for _ in range(rows)]
    cells = []
    for i in range(rows):
        for j in range(columns):
            if owner[i][j] >= 0:
                continue
            width = 1
            while j + width < columns and not right[i][j + width - 1] and owner[i][j + width] < 0:
                width += 1
            height = 1
            while i + height < rows and all(not below[i + height - 1][k] for k in range(j, j + width)) \
                    and all(owner[i + height][k] < 0 for k in range(j, j + width)):
                height += 1
            for a in range(i, i + height):
                for b in range(j, j + width):
                    owner[a][b] = len(cells)
            cells.append(Cell(i, j, height, width, (xs[j], ys[i], xs[j + width], ys[i + height])))
    return Table(tuple(ys), tuple(xs), tuple(cells))


def find_tables(gray: np.ndarray, ink: np.ndarray | None = None) -> list[Table]:
    """The ruled tables of a level page, top to bottom."""
    ink = binarise(gray) if ink is None else ink
    h, w = gray.shape[:2]
    across = _strokes(ink, max(20, w // 25), horizontal=True)
    min_gap = max(8, h // 120)  # the least height of a row: lines closer are one thick rule
    down = _strokes(ink, max(10, min_gap), horizontal=False)  # enough to join a table's rules into one region
    rules = cv2.bitwise_or(across, down)
    count, _, stats, _ = cv2.connectedComponentsWithStats(cv2.dilate(rules, np.ones((3, 3), np.uint8)))
    tables = []
    for k in range(1, count):
        x, y, bw, bh = stats[k][:4]
        if bw < w // 5 or bh < min_gap * 2:
            continue
        table = _table(ink, across, (x, y, x + bw - 1, y + bh - 1), min_gap)
        if table is not None and len(table.cells) > 1:
            tables.append(table)
    return sorted(tables, key=lambda t: t.ys[0])
