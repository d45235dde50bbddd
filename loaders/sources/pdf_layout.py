"""Ruled tables and text lines of a PDF page from its characters and ruling lines:
pdfplumber's algorithms with its default settings, on plain tuples.

The PDFium engine (``loaders.sources.pdfium``) reads a page's characters, lines,
rectangles and curves with their boxes in pdfplumber's coordinates (points from the
page's top left); these functions then find what pdfplumber finds: edges snapped
(3 pt) and joined (3 pt), edges shorter than 3 pt dropped, intersections (3 pt),
the smallest cells those describe, tables of cells sharing corners; a table's rows
and each cell's text (words split at gaps over 3 pt, lines clustered within 3 pt);
and the text lines of the characters outside the tables. Each step follows
pdfplumber 0.11's code step by step (its order of sorting, clustering and
averaging), so the same geometry gives the same tables and the same text. (pdfplumber
is MIT-licensed, © Jeremy Singer-Vine; tests/test_pdf_engines.py holds the two engines
to the same blocks, so a pdfplumber upgrade that changes them is seen.)

A character is ``(x0, top, x1, bottom, text, upright)``; an edge is a tuple
``(orientation, x0, top, x1, bottom, width, height)`` as pdfplumber keeps it."""
from __future__ import annotations

import math
import re
from bisect import bisect_left, bisect_right
from itertools import groupby
from operator import itemgetter

SNAP = JOIN = 3  # pdfplumber's snap_tolerance, join_tolerance
EDGE_MIN, EDGE_PREFILTER = 3, 1  # edge_min_length, edge_min_length_prefilter
INTERSECT = 3  # intersection_tolerance
X_TOL = Y_TOL = 3  # text x_tolerance, y_tolerance
LIGATURES = {"ﬀ": "ff", "ﬃ": "ffi", "ﬄ": "ffl", "ﬁ": "fi", "ﬂ": "fl", "ﬆ": "st", "ﬅ": "st"}
_SPACE_OR_LIGATURE = re.compile("[\\s" + "".join(LIGATURES) + "]")  # \s is str.isspace's

X0, TOP, X1, BOTTOM, TEXT, UPRIGHT = range(6)
ORIENT, EX0, ETOP, EX1, EBOTTOM, EWIDTH, EHEIGHT = range(7)


# --- clustering (pdfplumber.utils.clustering) ---

def _cluster_ids(values, tolerance: float) -> dict:
    """Each distinct value's cluster: sorted values, a new cluster past ``tolerance`` from the last."""
    ids, cluster, last = {}, 0, None
    for x in sorted(set(values)):
        if last is not None and not x <= last + tolerance:
            cluster += 1
        ids[x] = cluster
        last = x
    return ids


def cluster(objects: list, key, tolerance: float, preserve_order: bool = False) -> list[list]:
    keys = [key(o) for o in objects]
    ids = _cluster_ids(keys, tolerance)
    tagged = [(ids[k], o) for k, o in zip(keys, objects, strict=True)]
    if not preserve_order:
        tagged.sort(key=itemgetter(0))
    groups: list[list] = []
    current = None
    for i, o in tagged:
        if groups and i == current:
            groups[-1].append(o)
        else:
            groups.append([o])
            current = i
    return groups


# --- edges (pdfplumber.utils.geometry, pdfplumber.table) ---

def line_edge(x0: float, top: float, x1: float, bottom: float, width: float, height: float) -> tuple:
    return ("h" if top == bottom else "v", x0, top, x1, bottom, width, height)


def rect_edges(x0: float, top: float, x1: float, bottom: float, width: float, height: float) -> list[tuple]:
    # as pdfplumber's rect_to_edges: the bottom edge keeps the rectangle's bottom, its top is top + height
    return [("h", x0, top, x1, top, width, 0), ("h", x0, top + height, x1, bottom, width, 0),
            ("v", x0, top, x0, bottom, 0, height), ("v", x1, top, x1, bottom, 0, height)]


def curve_edges(points: list[tuple[float, float]]) -> list[tuple]:
    out = []
    for (ax, ay), (bx, by) in zip(points, points[1:], strict=False):
        orientation = "v" if ax == bx else ("h" if ay == by else None)
        out.append((orientation, min(ax, bx), min(ay, by), max(ax, bx), max(ay, by), abs(ax - bx), abs(ay - by)))
    return out


def _snap(edges: list[tuple], at: int, tolerance: float) -> list[tuple]:
    """Edges clustered by their position (``at``), each moved to its cluster's mean:
    clusters in order of position, each in the edges' order (pdfplumber's snap_objects)."""
    if not edges:
        return []
    ids = _cluster_ids([e[at] for e in edges], tolerance)
    groups: list[list] = [[] for _ in range(len(set(ids.values())))]
    for e in edges:
        groups[ids[e[at]]].append(e)
    out = []
    append = out.append
    for group in groups:
        average = sum(e[at] for e in group) / len(group)
        if at == EX0:
            for o, x0, top, x1, bottom, w, h in group:
                shift = average - x0
                append((o, x0 + shift, top, x1 + shift, bottom, w, h))
        else:
            for o, x0, top, x1, bottom, w, h in group:
                shift = average - top
                append((o, x0, top + shift, x1, bottom + shift, w, h))
    return out


def _join(edges: list[tuple], orientation: str, tolerance: float) -> list[tuple]:
    """Edges on one line, sorted along it, joined where they overlap or come within ``tolerance``."""
    if len(edges) == 1:
        return edges
    low, high = (EX0, EX1) if orientation == "h" else (ETOP, EBOTTOM)
    ordered = sorted(edges, key=itemgetter(low))
    last = ordered[0]
    joined = []
    for e in ordered[1:]:
        if e[low] <= last[high] + tolerance:
            if e[high] > last[high]:
                o, x0, top, x1, bottom, w, h = last
                if orientation == "h":
                    last = (o, x0, top, e[EX1], bottom, e[EX1] - x0, h)
                else:
                    last = (o, x0, top, x1, e[EBOTTOM], w, h + (e[EBOTTOM] - bottom))
        else:
            joined.append(last)
            last = e
    joined.append(last)
    return joined


def table_edges(edges: list) -> list[tuple]:
    """The page's edges as the lines strategy takes them: long enough, snapped, joined
    (horizontal ones by height, then vertical ones by place, as pdfplumber orders them)."""
    vertical = [e for e in edges if e[ORIENT] == "v" and e[EHEIGHT] >= EDGE_PREFILTER]
    horizontal = [e for e in edges if e[ORIENT] == "h" and e[EWIDTH] >= EDGE_PREFILTER]
    merged = []
    for snapped, at, orientation in ((_snap(horizontal, ETOP, SNAP), ETOP, "h"),
                                     (_snap(vertical, EX0, SNAP), EX0, "v")):
        snapped.sort(key=itemgetter(at))
        for _, items in groupby(snapped, key=itemgetter(at)):
            merged.extend(_join(list(items), orientation, JOIN))
    return [e for e in merged if (e[EHEIGHT] if e[ORIENT] == "v" else e[EWIDTH]) >= EDGE_MIN]


# --- cells and tables ---

def _finite(edges: list[tuple]) -> bool:
    return all(math.isfinite(v) for e in edges for v in e[1:5])


def intersections(edges: list[tuple]) -> dict:
    """Where a vertical edge meets a horizontal one (within 3 pt): the point (the
    vertical's place, the horizontal's height) and the edges meeting there, as two bit
    sets (a bit per distinct box of a vertical edge, a bit per distinct box of a horizontal one)."""
    vertical = sorted((e for e in edges if e[ORIENT] == "v"), key=itemgetter(EX0, ETOP))
    horizontal = sorted((e for e in edges if e[ORIENT] == "h"), key=itemgetter(ETOP, EX0))
    windowed = _finite(edges)
    tops = [h[ETOP] for h in horizontal]
    v_bits: dict = {}
    h_bits: dict = {}
    for h in horizontal:
        h_bits.setdefault((h[EX0], h[ETOP], h[EX1], h[EBOTTOM]), 1 << len(h_bits))
    found: dict = {}
    for v in vertical:
        vx, vtop, vbottom = v[EX0], v[ETOP], v[EBOTTOM]
        if windowed:  # the horizontals near enough in height, with a margin over rounding
            near = horizontal[bisect_left(tops, vtop - INTERSECT - 1 - abs(vtop) * 1e-9):
                              bisect_right(tops, vbottom + INTERSECT + 1 + abs(vbottom) * 1e-9)]
        else:
            near = horizontal
        vbit = None
        for h in near:
            htop = h[ETOP]
            if (vtop <= htop + INTERSECT and vbottom >= htop - INTERSECT
                    and h[EX0] - INTERSECT <= vx <= h[EX1] + INTERSECT):
                if vbit is None:
                    vbit = v_bits.setdefault((vx, vtop, v[EX1], vbottom), 1 << len(v_bits))
                hbit = h_bits[(h[EX0], htop, h[EX1], h[EBOTTOM])]
                at = found.get((vx, htop))
                if at is None:
                    found[(vx, htop)] = [vbit, hbit]
                else:
                    at[0] |= vbit
                    at[1] |= hbit
    return found


def cells(found: dict) -> list[tuple]:
    """The smallest cell with its top-left corner at each intersection (pdfplumber's
    order): down its column to a point one of its vertical edges reaches, along its row
    to one one of its horizontal edges reaches, and the corner they meet at joined to both."""
    points = sorted(found)
    columns: dict = {}
    rows: dict = {}
    below: dict = {}
    right: dict = {}
    for p in points:  # sorted: each point's column below it and row right of it follow it
        columns.setdefault(p[0], []).append(p)
        rows.setdefault(p[1], []).append(p)
    for column in columns.values():
        for k, p in enumerate(column):
            below[p] = column[k + 1:]
    for row in rows.values():
        for k, p in enumerate(row):
            right[p] = row[k + 1:]
    out = []
    for pt in points[:-1]:
        downs, acrosses = found[pt]
        for b in below[pt]:
            if not downs & found[b][0]:
                continue
            across_b = found[b][1]
            cell = None
            for r in right[pt]:
                at_r = found[r]
                if not acrosses & at_r[1]:
                    continue
                corner = found.get((r[0], b[1]))
                if corner is not None and corner[0] & at_r[0] and corner[1] & across_b:
                    cell = (pt[0], pt[1], r[0], b[1])
                    break
            if cell:
                out.append(cell)
                break
    return out


def tables_of(cell_list: list[tuple]) -> list[list[tuple]]:
    """Cells grouped into tables of cells that share a corner, top to bottom (pdfplumber's
    cells_to_tables: each table all the cells reached from its first one through shared corners)."""
    corners = [((x0, top), (x0, bottom), (x1, top), (x1, bottom)) for x0, top, x1, bottom in cell_list]
    at_corner: dict = {}
    for k, four in enumerate(corners):
        for corner in four:
            sharing = at_corner.get(corner)
            if sharing is None:
                at_corner[corner] = [k]
            else:
                sharing.append(k)
    table_of = [-1] * len(cell_list)
    tables = []
    for seed in range(len(cell_list)):
        if table_of[seed] >= 0:
            continue
        number = len(tables)
        table_of[seed] = number
        members, todo = [seed], [seed]
        while todo:
            for corner in corners[todo.pop()]:
                for k in at_corner[corner]:
                    if table_of[k] < 0:
                        table_of[k] = number
                        members.append(k)
                        todo.append(k)
        members.sort()
        tables.append([cell_list[k] for k in members])
    tables.sort(key=lambda t: min((c[1], c[0]) for c in t))
    return [t for t in tables if len(t) > 1]


class Table:
    """A table's cells, its box, and its rows: each row's box and its cells (None
    where a merged cell covers the position)."""

    def __init__(self, table_cells: list[tuple]):
        self.cells = table_cells
        self.bbox = (min(c[0] for c in table_cells), min(c[1] for c in table_cells),
                     max(c[2] for c in table_cells), max(c[3] for c in table_cells))
        xs = sorted({c[0] for c in table_cells})
        self.rows = []
        for _, row_cells in groupby(sorted(table_cells, key=itemgetter(1, 0)), itemgetter(1)):
            at = {c[0]: c for c in row_cells}
            row = [at.get(x) for x in xs]
            filled = [c for c in row if c]
            box = (min(c[0] for c in filled), min(c[1] for c in filled),
                   max(c[2] for c in filled), max(c[3] for c in filled))
            self.rows.append((box, row))

    def extract(self, chars: list[tuple], index: CharIndex | None = None) -> list[list[str | None]]:
        index = index or CharIndex(chars)
        out = []
        for box, row in self.rows:
            in_row = index.across(box)  # (centre across, centre down, position, char), by centre across
            if index.ordered:
                lefts = [t[0] for t in in_row]
            texts: list[str | None] = []
            for cell in row:
                if cell is None:
                    texts.append(None)
                    continue
                x0, top, x1, bottom = cell
                if index.ordered:  # those centred from x0 up to x1
                    near = in_row[bisect_left(lefts, x0):bisect_left(lefts, x1)]
                    mine = [(i, c) for h, v, i, c in near if top <= v < bottom]
                else:
                    mine = [(i, c) for h, v, i, c in in_row if x0 <= h < x1 and top <= v < bottom]
                mine.sort()  # page order (positions are distinct)
                texts.append(extract_text([c for _, c in mine]) if mine else "")
            out.append(texts)
        return out


class CharIndex:
    """A page's characters by the height of their centres: those centred in a box, in page order."""

    def __init__(self, chars: list[tuple]):
        self.chars = chars
        centres = [((c[X0] + c[X1]) / 2, (c[TOP] + c[BOTTOM]) / 2, c, i) for i, c in enumerate(chars)]
        centres.sort(key=itemgetter(1))
        self.centres = centres
        heights = [v for _, v, _, _ in centres]
        # a centre that is not a number (NaN) leaves no order to search: every box looks at all
        self.ordered = not any(map(math.isnan, heights)) and not any(map(math.isnan, [t[0] for t in centres]))
        self.heights = heights if self.ordered else None

    def across(self, box: tuple) -> list[tuple]:
        """(centre across, centre down, position, char) of the characters centred in
        ``box`` (``x0 <= centre < x1``, ``top <= centre < bottom``), by their centre across."""
        x0, top, x1, bottom = box
        found = [(h, v, i, c) for h, v, c, i in self._near(top, bottom, False) if x0 <= h < x1 and top <= v < bottom]
        found.sort(key=itemgetter(0))
        return found

    def _near(self, top: float, bottom: float, inclusive: bool) -> list[tuple]:
        if self.heights is None:
            return self.centres
        high = bisect_right(self.heights, bottom) if inclusive else bisect_left(self.heights, bottom)
        return self.centres[bisect_left(self.heights, top):high]

    def centred(self, box: tuple) -> list[tuple]:
        """(char, its centre across, its centre down) of the characters centred in ``box``
        (``x0 <= centre < x1``, ``top <= centre < bottom``), in page order."""
        x0, top, x1, bottom = box
        found = [(i, c, h, v) for h, v, c, i in self._near(top, bottom, False) if x0 <= h < x1 and top <= v < bottom]
        found.sort(key=itemgetter(0))
        return [(c, h, v) for _, c, h, v in found]

    def within(self, box: tuple) -> list[tuple]:
        return [c for c, _, _ in self.centred(box)]

    def inside(self, box: tuple) -> list[int]:
        """The positions of the characters centred in ``box``, edges included."""
        x0, top, x1, bottom = box
        return [i for h, v, _, i in self._near(top, bottom, True) if x0 <= h <= x1 and top <= v <= bottom]


def find_tables(edges: list) -> list[Table]:
    return [Table(t) for t in tables_of(cells(intersections(table_edges(edges))))]


# --- words and text (pdfplumber.utils.text, default settings) ---

_X0, _TOP_BOTTOM = itemgetter(X0), itemgetter(TOP, BOTTOM)  # a line's order, a column's


def _word_chars(chars: list[tuple]) -> list[list[tuple]]:
    """Each word's characters, in pdfplumber's order of words."""
    out = []
    for upright, group in groupby(chars, key=itemgetter(UPRIGHT)):
        group = list(group)
        if upright:
            lines = cluster(group, itemgetter(TOP), Y_TOL)
            sort, a, b, ay = _X0, X0, X1, TOP
        else:
            lines = cluster(group, itemgetter(X0), X_TOL)
            sort, a, b, ay = _TOP_BOTTOM, TOP, BOTTOM, X0
        for line in lines:
            word: list[tuple] = []
            for c in sorted(line, key=sort):
                text = c[TEXT]
                if text.isspace():
                    if word:
                        out.append(word)
                    word = []
                elif text == "":  # pdfplumber's split_at_punctuation="" holds the empty string
                    if word:
                        out.append(word)
                    out.append([c])
                    word = []
                elif word and (c[a] < word[-1][a] or c[a] > word[-1][b] + X_TOL or abs(c[ay] - word[-1][ay]) > Y_TOL):
                    out.append(word)
                    word = [c]
                else:
                    word.append(c)
            if word:
                out.append(word)
    return out


def _words(chars: list[tuple]) -> list[tuple[tuple, list[tuple]]]:
    """(word, its chars) in pdfplumber's order; a word is (x0, top, x1, bottom, text)."""
    return [_merge(word) for word in _word_chars(chars)]


def _text(chars: list[tuple]) -> str:
    return "".join([LIGATURES.get(c[TEXT], c[TEXT] or "") for c in chars])


def _merge(chars: list[tuple]) -> tuple[tuple, list[tuple]]:
    return ((min(c[X0] for c in chars), min(c[TOP] for c in chars), max(c[X1] for c in chars),
             max(c[BOTTOM] for c in chars), _text(chars)), chars)


def extract_text(chars: list[tuple]) -> str:
    """A cell's text: words joined by spaces, lines by newlines (pdfplumber's extract_text)."""
    top = chars[0][TOP]
    for c in chars:
        if c[TOP] != top or not c[UPRIGHT]:
            break
    else:
        return _one_line(chars)
    # a word's text and top are all its line and place in it take
    words = [(min(c[TOP] for c in word), _text(word)) for word in _word_chars(chars)]
    return "\n".join(" ".join(w[1] for w in line) for line in cluster(words, itemgetter(0), Y_TOL))


def _one_line(chars: list[tuple]) -> str:
    """The text of upright characters on one height: what ``extract_text`` gives them, faster."""
    if len(chars) == 1:
        text = chars[0][TEXT]
        return "" if text.isspace() or text == "" else LIGATURES.get(text, text)
    ordered = sorted(chars, key=_X0)
    texts = [c[TEXT] for c in ordered]
    joined = "".join(texts)
    if ("" not in texts and not _SPACE_OR_LIGATURE.search(joined)
            and not any(b[X0] < a[X0] or b[X0] > a[X1] + X_TOL for a, b in zip(ordered, ordered[1:], strict=False))):
        return joined  # no space, empty text or ligature, no gap: one word
    words: list[str] = []
    word: list[str] = []
    last = None
    for c in ordered:
        text = c[TEXT]
        if text.isspace():
            if word:
                words.append("".join(word))
            word, last = [], None
        elif text == "":
            if word:
                words.append("".join(word))
            words.append("")
            word, last = [], None
        else:
            if last is not None and (c[X0] < last[X0] or c[X0] > last[X1] + X_TOL):
                words.append("".join(word))
                word = []
            word.append(LIGATURES.get(text, text))
            last = c
    if word:
        words.append("".join(word))
    return " ".join(words)


_LINE = re.compile(r" *([^\n]+?) *(\n|$)")


def text_lines(chars: list[tuple]) -> list[tuple[float, float, float, float, str]]:
    """The text lines of some characters (pdfplumber's extract_text_lines):
    (x0, top, x1, bottom, text) each."""
    tuples = _words(chars)
    if not tuples:
        return []
    letters: list[str] = []
    owners: list[tuple | None] = []
    for i, line in enumerate(cluster(tuples, lambda t: t[0][1], Y_TOL, preserve_order=True)):
        if i:
            letters.append("\n")
            owners.append(None)
        for k, (_, word_chars) in enumerate(line):
            if k:
                letters.append(" ")
                owners.append(None)
            for c in word_chars:
                for letter in LIGATURES.get(c[TEXT], c[TEXT]):
                    letters.append(letter)
                    owners.append(c)
    text = "".join(letters)
    out = []
    for m in _LINE.finditer(text):
        if not m.group(1).strip():
            continue
        mine = [c for c in owners[m.start(1):m.end(1)] if c is not None]
        out.append((min(c[X0] for c in mine), min(c[TOP] for c in mine), max(c[X1] for c in mine),
                    max(c[BOTTOM] for c in mine), m.group(1)))
    return out
