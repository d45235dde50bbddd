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

PDFium is called through cffi (ABI mode, over the function addresses pypdfium2 loaded;
handles are plain integers). A path's segments are copied in one read from PDFium's
point array (``FPDFPath_GetPathSegment`` points into it), a layout checked once against
PDFium's own answers and per path by its last segment's address; otherwise they are
asked one by one.

Those loops also run in C (``pdfium_loops.c``, built at install into ``_pdfium_loops``
by cffi's API mode, PDFium's functions passed as pointers): one call a page for the
characters and one for the paths and images, the same calls and arithmetic, held equal
to the Python loops by the tests. Where the module is not built, the Python loops run.

``read_page`` answers None for a page whose geometry it cannot promise to be
pdfminer's: a rotated page, a media box not at the origin or a crop box inside it,
characters that are rotated, mirrored or of no size. Such a page is read by pdfplumber."""
from __future__ import annotations

import ctypes
import struct
from dataclasses import dataclass, field
from itertools import repeat

import cffi
import pypdfium2 as pdfium
import pypdfium2.raw as R
from pypdfium2 import PdfiumError

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


_FFI = cffi.FFI()

# PDFium's functions the loops call, each a C type over plain addresses (handles are
# integers): called through cffi, about half ctypes' cost a call
_SIGNATURES = {
    "FPDFText_LoadPage": "uintptr_t(uintptr_t)",
    "FPDFText_ClosePage": "void(uintptr_t)",
    "FPDFText_CountChars": "int(uintptr_t)",
    "FPDFText_GetText": "int(uintptr_t, int, int, unsigned short *)",
    "FPDFText_GetLooseCharBox": "int(uintptr_t, int, float *)",  # FS_RECTF: left, top, right, bottom
    "FPDFText_GetMatrix": "int(uintptr_t, int, float *)",  # FS_MATRIX: a, b, c, d, e, f
    "FPDFText_GetFontSize": "double(uintptr_t, int)",
    "FPDFText_IsGenerated": "int(uintptr_t, int)",
    "FPDFText_GetCharOrigin": "int(uintptr_t, int, double *, double *)",
    "FPDFText_GetUnicode": "unsigned int(uintptr_t, int)",
    "FPDFText_GetTextObject": "uintptr_t(uintptr_t, int)",
    "FPDFTextObj_GetFont": "uintptr_t(uintptr_t)",
    "FPDFPage_CountObjects": "int(uintptr_t)",
    "FPDFPage_GetObject": "uintptr_t(uintptr_t, int)",
    "FPDFFormObj_CountObjects": "int(uintptr_t)",
    "FPDFFormObj_GetObject": "uintptr_t(uintptr_t, unsigned long)",
    "FPDFPageObj_GetType": "int(uintptr_t)",
    "FPDFPageObj_GetMatrix": "int(uintptr_t, float *)",  # FS_MATRIX: a, b, c, d, e, f
    "FPDFPath_CountSegments": "int(uintptr_t)",
    "FPDFPath_GetPathSegment": "uintptr_t(uintptr_t, int)",
    "FPDFPathSegment_GetType": "int(uintptr_t)",
    "FPDFPathSegment_GetPoint": "int(uintptr_t, float *, float *)",
    "FPDFPathSegment_GetClose": "int(uintptr_t)",
    "FPDFPath_GetDrawMode": "int(uintptr_t, int *, int *)",
    "FPDFImageObj_GetImagePixelSize": "int(uintptr_t, unsigned int *, unsigned int *)",
    "FPDFFont_GetGlyphWidth": "int(uintptr_t, uint32_t, float, float *)",
}


class _C:
    """PDFium's functions called per character, per page object and per path segment:
    the addresses pypdfium2 loaded, typed for cffi, with plain integers for handles."""

    def __init__(self):
        for name, signature in _SIGNATURES.items():
            address = ctypes.cast(getattr(R, name), ctypes.c_void_p).value
            kind = signature.replace("(", "(*)(", 1)
            setattr(self, name, _FFI.cast(kind, address))


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
def _chars(C: _C, page: int, height: float, vertical: tuple[float, float] | None) -> tuple[list, set] | None:
    """The page's characters, and the text objects they belong to."""
    tp = C.FPDFText_LoadPage(page)
    if not tp:
        raise PdfiumError("Failed to load text page.")
    try:
        n = C.FPDFText_CountChars(tp)
        if n <= 0:
            return [], set()
        buffer = _FFI.new("unsigned short[]", n + 1)
        C.FPDFText_GetText(tp, 0, n, buffer)
        text = _FFI.buffer(buffer)[: 2 * n].decode("utf-16-le", errors="surrogatepass")
        if len(text) != n:
            text = "".join(chr(C.FPDFText_GetUnicode(tp, i)) for i in range(n))
        box, m = _FFI.new("float[4]"), _FFI.new("float[6]")
        box_, m_ = memoryview(_FFI.buffer(box)).cast("f"), memoryview(_FFI.buffer(m)).cast("f")  # read at C speed
        get_box, text_object, generated = C.FPDFText_GetLooseCharBox, C.FPDFText_GetTextObject, C.FPDFText_IsGenerated
        out: list[tuple] = []
        append = out.append
        fonts: dict = {}
        objects: dict = {}  # a text object's characters share its scale and font size
        spacey = {ch for ch in set(text) if ch.isspace() or ch == "\x00"}  # PDFium may have added these
        for i, ch in enumerate(text):
            if ch in spacey and generated(tp, i) != 0:
                continue
            obj = text_object(tp, i)
            scale = objects.get(obj)
            if scale is None:
                if not C.FPDFText_GetMatrix(tp, i, m):
                    return None
                size = C.FPDFText_GetFontSize(tp, i)
                a, b, c, d = m_[0], m_[1], m_[2], m_[3]
                if b or c or a <= 0 or d <= 0 or size <= 0 or not obj:
                    return None  # rotated, mirrored or sizeless: pdfplumber reads the page
                scale = objects[obj] = (size * d, vertical is not None and _is_vertical(C, obj, fonts) and (size, a, d))
            if not get_box(tp, i, box):
                return None
            high, upright_column = scale
            if upright_column:
                # pdfminer's box of a vertical glyph: half an em left of the origin, one em
                # wide; from the origin's height (DW2) down by the advance
                size, a, d = upright_column
                origin = _FFI.new("double[2]")
                C.FPDFText_GetCharOrigin(tp, i, origin, origin + 1)
                ox, oy = origin[0], origin[1]
                above = (1000 - vertical[0]) * size * 0.001
                x0, y1 = ox - a * size * 0.5, oy + d * above
                x1, y0 = x0 + a * size, oy + d * (above + vertical[1] * size * 0.001)
                append((x0, height - y1, x1, height - y0, ch, True))
                continue
            bottom = height - box_[3]
            append((box_[0], bottom - high, box_[2], bottom, ch, True))
        return out, set(objects)
    finally:
        C.FPDFText_ClosePage(tp)


def _is_vertical(C: _C, text_object: int, fonts: dict) -> bool:
    """Whether the text object's font writes vertically (its glyphs advance downwards)."""
    font = C.FPDFTextObj_GetFont(text_object)
    if font not in fonts:
        width = _FFI.new("float *")
        fonts[font] = bool(font) and bool(C.FPDFFont_GetGlyphWidth(font, 1, 1000.0, width)) and width[0] < 0
    return fonts[font]


MOVETO, LINETO, BEZIERTO = R.FPDF_SEGMENT_MOVETO, R.FPDF_SEGMENT_LINETO, R.FPDF_SEGMENT_BEZIERTO
TEXT, PATH, IMAGE, FORM = R.FPDF_PAGEOBJ_TEXT, R.FPDF_PAGEOBJ_PATH, R.FPDF_PAGEOBJ_IMAGE, R.FPDF_PAGEOBJ_FORM


_SEGMENT = struct.Struct("=ffBB2x")  # PDFium's CFX_Path::Point: x, y, type, closes (and padding)


def _segments_in_memory() -> bool:
    """Whether a path's segments can be read as one array (``_SEGMENT`` each, in the
    order FPDFPath_GetPathSegment counts them, their types FPDFPathSegment_GetType's):
    tried once on a path of every kind of segment, against PDFium's own answers."""
    C = _calls()
    path = R.FPDFPageObj_CreateNewPath(1.5, 2.25)
    try:
        R.FPDFPath_LineTo(path, 3.5, -4.0)
        R.FPDFPath_BezierTo(path, 5.0, 6.0, 7.25, 8.0, 9.0, 10.5)
        R.FPDFPath_Close(path)
        R.FPDFPath_MoveTo(path, 11.0, 12.0)
        R.FPDFPath_LineTo(path, 13.0, 14.0)
        obj = _address(path)
        n = C.FPDFPath_CountSegments(obj)
        first = C.FPDFPath_GetPathSegment(obj, 0)
        xy = _FFI.new("float[2]")
        told = []
        for j in range(n):
            segment = C.FPDFPath_GetPathSegment(obj, j)
            if segment != first + j * _SEGMENT.size:
                return False
            C.FPDFPathSegment_GetPoint(segment, xy, xy + 1)
            told.append((xy[0], xy[1], C.FPDFPathSegment_GetType(segment), C.FPDFPathSegment_GetClose(segment)))
        read = list(_SEGMENT.iter_unpack(_FFI.buffer(_FFI.cast("char *", first), n * _SEGMENT.size)))
        kinds = {R.FPDF_SEGMENT_MOVETO, R.FPDF_SEGMENT_LINETO, R.FPDF_SEGMENT_BEZIERTO}
        return n == 7 and read == told and {t[2] for t in told} == kinds and any(t[3] for t in told)
    finally:
        R.FPDFPageObj_Destroy(path)


_in_memory: bool | None = None
_ARRAYS: dict = {}  # the ctypes type of n segments' bytes


def _steps(C: _C, obj: int, xy) -> tuple[list[float], list[float], bytes, bytes]:
    """The path's segments: their x and y, their types and whether each closes its subpath."""
    global _in_memory
    n = C.FPDFPath_CountSegments(obj)
    if n <= 0:
        return [], [], b"", b""
    if _in_memory is None:
        _in_memory = _segments_in_memory()
    if _in_memory:
        first = C.FPDFPath_GetPathSegment(obj, 0)
        # one array, as the self-test found: checked for this path by its last segment's address
        if first and C.FPDFPath_GetPathSegment(obj, n - 1) == first + (n - 1) * _SEGMENT.size:
            array = _ARRAYS.get(n)
            if array is None:
                array = _ARRAYS[n] = ctypes.c_char * (n * _SEGMENT.size)
            raw = array.from_address(first).raw
            floats = memoryview(raw).cast("f")
            return floats[0::3].tolist(), floats[1::3].tolist(), raw[8::12], raw[9::12]
    get_segment, get_point = C.FPDFPath_GetPathSegment, C.FPDFPathSegment_GetPoint
    get_kind, closes = C.FPDFPathSegment_GetType, C.FPDFPathSegment_GetClose
    xs, ys, kinds, closing = [], [], bytearray(), bytearray()
    for j in range(n):
        segment = get_segment(obj, j)
        get_point(segment, xy, xy + 1)
        xs.append(xy[0])
        ys.append(xy[1])
        kinds.append(get_kind(segment) & 0xFF)
        closing.append(1 if closes(segment) else 0)
    return xs, ys, bytes(kinds), bytes(closing)


def _subpaths(C: _C, obj: int, matrix: tuple, xy, rounding: dict) -> list[tuple[str, list[tuple[float, float]]]]:
    """The path's subpaths as pdfminer sees them: the shape (m, l, c, h) and one point per step
    (``rounding``: the page's coordinates rounded so far)."""
    a, b, c, d, e, f = matrix
    xs, ys, kinds, closing = _steps(C, obj, xy)
    if not xs:
        return []
    # round(v, DIGITS) of each coordinate: a page repeats its coordinates (cells share
    # their edges) and rounding to digits is slow, so each distinct value is rounded once;
    # zeros (0.0 and -0.0 are one key but round apart) and NaN are never kept
    every = []
    get = rounding.get
    for px, py in zip(xs, ys, strict=True):
        x, y = a * px + c * py + e, b * px + d * py + f
        rx = get(x)
        if rx is None:
            rx = round(x, DIGITS)
            if x and x == x:
                rounding[x] = rx
        ry = get(y)
        if ry is None:
            ry = round(y, DIGITS)
            if y and y == y:
                rounding[y] = ry
        every.append((rx, ry))
    if kinds[0] == MOVETO and kinds.count(LINETO) == len(kinds) - 1:
        # one subpath of straight lines (a rule, a rectangle): the general steps below, at once
        shape = "m" + "l" * (len(every) - 1)
        if len(every) > 1 and closing[-1]:
            if every[-1] == every[0]:
                shape = shape[:-1] + "h"
            else:
                shape += "h"
                every.append(every[0])
        return [(shape, every)]
    out: list[tuple[str, list]] = []
    shape, points = "", []
    last = len(every) - 1
    for j, point in enumerate(every):
        kind = kinds[j]
        if kind == MOVETO:
            if shape:
                out.append((shape, points))
            shape, points = "m", [point]
            continue
        if not shape:  # a path must begin with m
            continue
        shape += "b" if kind == BEZIERTO else "l"  # b: one of a curve's three points
        points.append(point)
        # PDFium marks a subpath's closing ("h") on its last point
        if closing[j] and (j == last or kinds[j + 1] == MOVETO):
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


def _objects(C: _C, content: PageContent, owner: int, outer: tuple | None, texts: set, rounding: dict) -> None:
    """The paths and images of the page (or of a form, ``outer`` its matrix); ``texts``:
    the text objects already known, passed over without asking their type."""
    h = content.height
    if outer is None:
        count, get = C.FPDFPage_CountObjects, C.FPDFPage_GetObject
    else:
        count, get = C.FPDFFormObj_CountObjects, C.FPDFFormObj_GetObject
    kind_of, matrix_of = C.FPDFPageObj_GetType, C.FPDFPageObj_GetMatrix
    m = _FFI.new("float[6]")
    m_ = memoryview(_FFI.buffer(m)).cast("f")
    ints, floats = _FFI.new("unsigned int[2]"), _FFI.new("float[2]")
    modes = _FFI.new("int[2]")
    for i in range(count(owner)):
        obj = get(owner, i)
        if obj in texts:
            continue
        kind = kind_of(obj)
        if kind != PATH and kind != IMAGE and kind != FORM:
            continue
        matrix = tuple(m_.tolist()) if matrix_of(obj, m) else (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
        if outer is not None:
            matrix = _then(matrix, outer)
        if kind == FORM:
            _objects(C, content, obj, matrix, texts, rounding)
        elif kind == PATH:
            if C.FPDFPath_GetDrawMode(obj, modes, modes + 1) and not (modes[0] or modes[1]):
                continue  # neither filled nor stroked ("n"): pdfminer paints nothing
            for shape, points in _subpaths(C, obj, matrix, floats, rounding):
                _paint(content, shape, points)
        else:
            a, b, c, d, e, f = matrix
            xs = [round(e + a * u + c * v, DIGITS) for u, v in ((0, 0), (1, 0), (0, 1), (1, 1))]
            ys = [round(f + b * u + d * v, DIGITS) for u, v in ((0, 0), (1, 0), (0, 1), (1, 1))]
            pixels = C.FPDFImageObj_GetImagePixelSize(obj, ints, ints + 1)
            content.images.append((min(xs), h - max(ys), max(xs), h - min(ys),
                                   (ints[0], ints[1]) if pixels else None))


try:  # the loops in C, built at install (pdfium_build.py); without them, the Python loops above
    from loaders.sources._pdfium_loops import ffi as _NFFI
    from loaders.sources._pdfium_loops import lib as _NLIB
except ImportError:  # pragma: no cover - an install that could not compile
    _NFFI = _NLIB = None

NATIVE = _NLIB is not None  # whether read_page uses the C loops (tests set it to compare both)
_fns = None


def _native_fns():
    """PDFium's functions for the C loops: the addresses pypdfium2 loaded."""
    global _fns
    if _fns is None:
        fns = _NFFI.new("ogi_fns *")
        for name in _NFFI.typeof("ogi_fns").fields:
            address = ctypes.cast(getattr(R, name[0]), ctypes.c_void_p).value
            setattr(fns, name[0], _NFFI.cast(_NFFI.typeof(getattr(fns, name[0])), address))
        _fns = fns
    return _fns


def _doubles(values) -> list:
    return memoryview(_NFFI.buffer(values.v, 8 * values.n)).cast("d").tolist() if values.n else []


def _native_read(C: _C, content: PageContent, page: int, vertical: tuple[float, float] | None) -> bool | None:
    """The page's characters, paths and images read by the C loops (the same as
    ``_chars`` and ``_objects``); False where the page must be read by pdfplumber, None
    where the Python loops must read it."""
    fns, lib, height = _native_fns(), _NLIB, content.height
    out = _NFFI.new("ogi_objects_out *")
    try:
        tp = C.FPDFText_LoadPage(page)
        if not tp:
            raise PdfiumError("Failed to load text page.")
        try:
            n = C.FPDFText_CountChars(tp)
            if n > 0:
                buffer = _FFI.new("unsigned short[]", n + 1)
                C.FPDFText_GetText(tp, 0, n, buffer)
                text = _FFI.buffer(buffer)[: 2 * n].decode("utf-16-le", errors="surrogatepass")
                if len(text) != n:
                    text = "".join(chr(C.FPDFText_GetUnicode(tp, i)) for i in range(n))
                maybe_space = bytearray(n)  # PDFium may have added these
                for ch in {ch for ch in set(text) if ch.isspace() or ch == "\x00"}:
                    at = text.find(ch)
                    while at >= 0:
                        maybe_space[at] = 1
                        at = text.find(ch, at + 1)
                boxes, index = _NFFI.new("double[]", 4 * n), _NFFI.new("int[]", n)
                v0, v1 = vertical if vertical is not None else (0.0, 0.0)
                k = lib.ogi_chars(fns, tp, n, _NFFI.from_buffer(maybe_space), height, vertical is not None, v0, v1,
                                  boxes, index, out)
                if k == -2:
                    raise MemoryError
                if k < 0:
                    return False
                values = memoryview(_NFFI.buffer(boxes, 32 * k)).cast("d")
                kept = list(text) if k == n else [text[i] for i in _NFFI.unpack(index, k)]
                content.chars = list(zip(values[0::4].tolist(), values[1::4].tolist(), values[2::4].tolist(),
                                         values[3::4].tolist(), kept, repeat(True, k), strict=True))
        finally:
            C.FPDFText_ClosePage(tp)
        found = lib.ogi_objects(fns, page, height, out)
        if found == -2:
            raise MemoryError
        if found < 0:  # forms nested deeper than the C loop follows (PDFium parses 40): the Python loops
            return None
        six = _doubles(out.lines)
        content.lines = list(zip(*[iter(six)] * 6, strict=False))  # six at a time
        six = _doubles(out.rects)
        content.rects = list(zip(*[iter(six)] * 6, strict=False))  # six at a time
        flat, at = _doubles(out.curves), 0
        while at < len(flat):
            count = int(flat[at])
            points = flat[at + 1: at + 1 + 2 * count]
            content.curves.append(list(zip(points[0::2], points[1::2], strict=True)))
            at += 1 + 2 * count
        flat = _doubles(out.images)
        for at in range(0, len(flat), 9):
            a, b, c, d, e, f, known, across, down = flat[at: at + 9]
            xs = [round(e + a * u + c * v, DIGITS) for u, v in ((0, 0), (1, 0), (0, 1), (1, 1))]
            ys = [round(f + b * u + d * v, DIGITS) for u, v in ((0, 0), (1, 0), (0, 1), (1, 1))]
            content.images.append((min(xs), height - max(ys), max(xs), height - min(ys),
                                   (int(across), int(down)) if known else None))
        return True
    finally:
        lib.ogi_free(out)


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
    C = _calls()
    address = _address(page.raw)
    if NATIVE:
        done = _native_read(C, content, address, vertical)
        if done is not None:
            return content if done else None
        content = PageContent(width, height)
    found = _chars(C, address, height, vertical)
    if found is None:
        return None
    content.chars, texts = found
    _objects(C, content, address, None, texts, {})
    return content
