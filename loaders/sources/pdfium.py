"""A PDF page's characters, ruling lines and images read with PDFium (pypdfium2), in
pdfplumber's coordinates (points from the page's top left), as pdfminer would give them.

Characters come from PDFium's text page: each one's loose box gives its left, right
and baseline-descent edge, exactly pdfminer's ``x0``, ``x1`` and ``bottom``; its top
is the bottom less the font size in page space (pdfminer's box is one em high).
Characters PDFium adds itself (spaces and line breaks it infers) are left out.
Drawn paths are split into subpaths and named as pdfminer names them: a line (``m l``),
a rectangle (``m l l l h`` with square corners, as ``re`` draws), otherwise a curve.
Images are the page's image objects, their box the unit square under their matrix.
Objects inside form XObjects are read with the form's matrix.

``read_page`` answers None for a page whose geometry it cannot promise to be
pdfminer's: a rotated page, a media box not at the origin or a crop box inside it,
characters that are rotated, mirrored or of no size. Such a page is read by pdfplumber."""
from __future__ import annotations

import ctypes
from dataclasses import dataclass, field

import pypdfium2 as pdfium
import pypdfium2.raw as R

DIGITS = 4  # PDFium computes in single precision; pdfminer's values are decimal inputs in double


@dataclass
class PageContent:
    width: float
    height: float
    chars: list[tuple] = field(default_factory=list)  # (x0, top, x1, bottom, text, upright)
    lines: list[tuple] = field(default_factory=list)  # (x0, top, x1, bottom, width, height)
    rects: list[tuple] = field(default_factory=list)
    curves: list[list[tuple]] = field(default_factory=list)  # points (x, top)
    images: list[tuple] = field(default_factory=list)  # (x0, top, x1, bottom, (pixels across, down))


class _C:
    """PDFium's functions called per character and per path segment, with plain
    addresses for handles: a third cheaper a call than through their general wrappers."""

    def __init__(self):
        vp, i, d = ctypes.c_void_p, ctypes.c_int, ctypes.c_double

        def fn(name, restype, *args):
            return ctypes.CFUNCTYPE(restype, *args)(ctypes.cast(getattr(R, name), vp).value)

        self.box = fn("FPDFText_GetLooseCharBox", i, vp, i, vp)
        self.matrix = fn("FPDFText_GetMatrix", i, vp, i, vp)
        self.size = fn("FPDFText_GetFontSize", d, vp, i)
        self.generated = fn("FPDFText_IsGenerated", i, vp, i)
        self.origin = fn("FPDFText_GetCharOrigin", i, vp, i, vp, vp)
        self.text_object = fn("FPDFText_GetTextObject", vp, vp, i)
        self.font = fn("FPDFTextObj_GetFont", vp, vp)
        self.count_objects = fn("FPDFPage_CountObjects", i, vp)
        self.get_object = fn("FPDFPage_GetObject", vp, vp, i)
        self.count_form = fn("FPDFFormObj_CountObjects", i, vp)
        self.get_form = fn("FPDFFormObj_GetObject", vp, vp, ctypes.c_ulong)
        self.kind = fn("FPDFPageObj_GetType", i, vp)
        self.object_matrix = fn("FPDFPageObj_GetMatrix", i, vp, vp)
        self.segments = fn("FPDFPath_CountSegments", i, vp)
        self.segment = fn("FPDFPath_GetPathSegment", vp, vp, i)
        self.segment_kind = fn("FPDFPathSegment_GetType", i, vp)
        self.point = fn("FPDFPathSegment_GetPoint", i, vp, vp, vp)
        self.closes = fn("FPDFPathSegment_GetClose", i, vp)
        self.draw_mode = fn("FPDFPath_GetDrawMode", i, vp, vp, vp)
        self.pixels = fn("FPDFImageObj_GetImagePixelSize", i, vp, vp, vp)
        self.glyph_width = fn("FPDFFont_GetGlyphWidth", i, vp, ctypes.c_uint32, ctypes.c_float, vp)


_c: _C | None = None


def _calls() -> _C:
    global _c
    if _c is None:
        _c = _C()
    return _c


def _address(handle) -> int:
    return ctypes.cast(handle, ctypes.c_void_p).value or 0


def _then(inner: tuple, outer: tuple) -> tuple:
    """The matrix applying ``inner`` and then ``outer``."""
    a, b, c, d, e, f = inner
    A, B, C, D, E, F = outer
    return (a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D, e * A + f * C + E, e * B + f * D + F)


def _chars(page, height: float, vertical: tuple[float, float] | None) -> list[tuple] | None:
    textpage = page.get_textpage()
    try:
        n = R.FPDFText_CountChars(textpage.raw)
        if n <= 0:
            return []
        buffer = (ctypes.c_ushort * (n + 1))()
        R.FPDFText_GetText(textpage.raw, 0, n, buffer)
        text = bytes(memoryview(buffer))[: 2 * n].decode("utf-16-le", errors="surrogatepass")
        if len(text) != n:
            text = "".join(chr(R.FPDFText_GetUnicode(textpage.raw, i)) for i in range(n))
        C = _calls()
        tp = _address(textpage.raw)
        box, m = R.FS_RECTF(), R.FS_MATRIX()
        box_at, m_at = ctypes.addressof(box), ctypes.addressof(m)
        ox, oy = ctypes.c_double(), ctypes.c_double()
        ox_at, oy_at = ctypes.addressof(ox), ctypes.addressof(oy)
        get_box, text_object, generated = C.box, C.text_object, C.generated
        out: list[tuple] = []
        fonts: dict = {}
        objects: dict = {}  # a text object's characters share its scale and font size
        for i, ch in enumerate(text):
            if (ch.isspace() or ch == "\x00") and generated(tp, i) != 0:
                continue
            obj = text_object(tp, i)
            scale = objects.get(obj)
            if scale is None:
                if not C.matrix(tp, i, m_at):
                    return None
                size = C.size(tp, i)
                if m.b or m.c or m.a <= 0 or m.d <= 0 or size <= 0 or not obj:
                    return None  # rotated, mirrored or sizeless: pdfplumber reads the page
                scale = objects[obj] = (size, m.a, m.d, vertical is not None and _is_vertical(C, obj, fonts))
            if not get_box(tp, i, box_at):
                return None
            size, a, d, upright_column = scale
            if upright_column:
                # pdfminer's box of a vertical glyph: half an em left of the origin, one em
                # wide; from the origin's height (DW2) down by the advance
                C.origin(tp, i, ox_at, oy_at)
                high = (1000 - vertical[0]) * size * 0.001
                x0, y1 = ox.value - a * size * 0.5, oy.value + d * high
                x1, y0 = x0 + a * size, oy.value + d * (high + vertical[1] * size * 0.001)
                out.append((x0, height - y1, x1, height - y0, ch, True))
                continue
            bottom = height - box.bottom
            out.append((box.left, bottom - size * d, box.right, bottom, ch, True))
        return out
    finally:
        textpage.close()


def _is_vertical(C: _C, text_object: int, fonts: dict) -> bool:
    """Whether the text object's font writes vertically (its glyphs advance downwards)."""
    font = C.font(text_object)
    if font not in fonts:
        width = ctypes.c_float()
        fonts[font] = bool(font) and bool(C.glyph_width(font, 1, 1000.0, ctypes.addressof(width))) and width.value < 0
    return fonts[font]


def _subpaths(C: _C, obj: int, matrix: tuple) -> list[tuple[str, list[tuple[float, float]]]]:
    """The path's subpaths as pdfminer sees them: the shape (m, l, c, h) and one point per step."""
    a, b, c, d, e, f = matrix
    x, y = ctypes.c_float(), ctypes.c_float()
    x_at, y_at = ctypes.addressof(x), ctypes.addressof(y)
    steps = []
    for j in range(C.segments(obj)):
        segment = C.segment(obj, j)
        C.point(segment, x_at, y_at)
        steps.append((C.segment_kind(segment), x.value, y.value, segment))
    out: list[tuple[str, list]] = []
    shape, points = "", []
    last = len(steps) - 1
    for j, (kind, px, py, segment) in enumerate(steps):
        point = (round(a * px + c * py + e, DIGITS), round(b * px + d * py + f, DIGITS))
        if kind == R.FPDF_SEGMENT_MOVETO:
            if shape:
                out.append((shape, points))
            shape, points = "m", [point]
            continue
        if not shape:  # a path must begin with m
            continue
        shape += "b" if kind == R.FPDF_SEGMENT_BEZIERTO else "l"  # b: one of a curve's three points
        points.append(point)
        # PDFium marks a subpath's closing ("h") on its last point
        if (j == last or steps[j + 1][0] == R.FPDF_SEGMENT_MOVETO) and C.closes(segment):
            if shape.endswith("l") and point == points[0]:
                shape = shape[:-1] + "h"
            else:
                shape += "h"
                points.append(points[0])
    if shape:
        out.append((shape, points))
    if not any("b" in s for s, _ in out):
        return out
    # a curve is three "b" steps (two control points, then the end): one "c" with its end point
    merged = []
    for shape, points in out:
        s, p, k = "", [], 0
        while k < len(shape):
            if shape.startswith("bbb", k):
                s += "c"
                p.append(points[k + 2])
                k += 3
            else:
                s += shape[k]
                p.append(points[k])
                k += 1
        merged.append((s, p))
    return merged


def _paint(content: PageContent, shape: str, points: list[tuple[float, float]]) -> None:
    """One painted subpath as pdfminer's converter names it (paint_path)."""
    h = content.height
    if len(shape) > 3 and shape.endswith("lh") and points[-2] == points[0]:
        shape = shape[:-2] + "h"
        points = points[:-1]
    if shape in ("ml", "mlh"):
        (x0, y0), (x1, y1) = points[0], points[1]
        x0, x1, y0, y1 = min(x0, x1), max(x0, x1), min(y0, y1), max(y0, y1)
        content.lines.append((x0, h - y1, x1, h - y0, x1 - x0, y1 - y0))
        return
    if shape in ("mlllh", "mllll"):
        (x0, y0), (x1, y1), (x2, y2), (x3, y3), _ = points
        square = (x0 == x1 and y1 == y2 and x2 == x3 and y3 == y0) or (y0 == y1 and x1 == x2 and y2 == y3 and x3 == x0)
        if points[0] == points[4] and square:
            (x0, y0), (x1, y1) = points[0], points[2]
            x0, x1, y0, y1 = min(x0, x1), max(x0, x1), min(y0, y1), max(y0, y1)
            content.rects.append((x0, h - y1, x1, h - y0, x1 - x0, y1 - y0))
            return
    content.curves.append([(x, h - y) for x, y in points])


def _objects(C: _C, content: PageContent, owner: int, outer: tuple | None) -> None:
    h = content.height
    count, get = (C.count_objects, C.get_object) if outer is None else (C.count_form, C.get_form)
    m = R.FS_MATRIX()
    m_at = ctypes.addressof(m)
    for i in range(count(owner)):
        obj = get(owner, i)
        kind = C.kind(obj)
        if kind not in (R.FPDF_PAGEOBJ_PATH, R.FPDF_PAGEOBJ_IMAGE, R.FPDF_PAGEOBJ_FORM):
            continue
        matrix = (m.a, m.b, m.c, m.d, m.e, m.f) if C.object_matrix(obj, m_at) else (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
        if outer is not None:
            matrix = _then(matrix, outer)
        if kind == R.FPDF_PAGEOBJ_FORM:
            _objects(C, content, obj, matrix)
        elif kind == R.FPDF_PAGEOBJ_PATH:
            fill, stroke = ctypes.c_int(), ctypes.c_int()
            if C.draw_mode(obj, ctypes.addressof(fill), ctypes.addressof(stroke)) and not (fill.value or stroke.value):
                continue  # neither filled nor stroked ("n"): pdfminer paints nothing
            for shape, points in _subpaths(C, obj, matrix):
                _paint(content, shape, points)
        else:
            a, b, c, d, e, f = matrix
            xs = [round(e + a * u + c * v, DIGITS) for u, v in ((0, 0), (1, 0), (0, 1), (1, 1))]
            ys = [round(f + b * u + d * v, DIGITS) for u, v in ((0, 0), (1, 0), (0, 1), (1, 1))]
            across, down = ctypes.c_uint(), ctypes.c_uint()
            pixels = C.pixels(obj, ctypes.addressof(across), ctypes.addressof(down))
            content.images.append((min(xs), h - max(ys), max(xs), h - min(ys),
                                   (across.value, down.value) if pixels else None))


def read_page(page: pdfium.PdfPage, vertical: tuple[float, float] | None = None) -> PageContent | None:
    """The page's content, or None where it could differ from pdfminer's reading;
    ``vertical``: the DW2 metrics of the page's vertical-writing fonts, if it has any."""
    if page.get_rotation() % 360:
        return None
    media = page.get_mediabox()
    if media[0] or media[1] or tuple(page.get_cropbox()) != tuple(media):
        return None
    width, height = media[2] - media[0], media[3] - media[1]
    content = PageContent(width, height)
    chars = _chars(page, height, vertical)
    if chars is None:
        return None
    content.chars = chars
    _objects(_calls(), content, _address(page.raw), None)
    return content
