/* The PDFium engine's page loops (loaders/sources/pdfium.py's _chars and _objects, with
   _steps, _subpaths and _paint), in C: the same PDFium calls, the same double arithmetic
   in the same order (compiled with -ffp-contract=off), Python's min/max and round(v, 4). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pdfium_loops.h"

/* PDFium's segment types and page object types (fpdf_edit.h) */
#define LINETO 0
#define BEZIERTO 1
#define MOVETO 2
#define OBJ_PATH 2
#define OBJ_IMAGE 3
#define OBJ_FORM 5
#define DIGITS_SCALE 10000.0

/* ---- the text objects met by the characters: an open-addressing table ---- */

typedef struct {
    uintptr_t key; /* 0: empty (a character of no text object is refused before it is kept) */
    double high;   /* the font size in page space: size * d */
    int upright_column;
    double size, a, d;
} ogi_slot;

typedef struct {
    ogi_slot *slots;
    size_t mask;
    int bits;
} ogi_table;

static size_t ogi_hash(const ogi_table *t, uintptr_t key) {
    return (size_t)(((uint64_t)key * 11400714819323198485ull) >> (64 - t->bits)) & t->mask;
}

static ogi_slot *ogi_find(const ogi_table *t, uintptr_t key) {
    size_t i = ogi_hash(t, key);
    for (;;) {
        ogi_slot *s = &t->slots[i];
        if (s->key == key || s->key == 0) return s;
        i = (i + 1) & t->mask;
    }
}

static void ogi_table_free(void *p) {
    ogi_table *t = (ogi_table *)p;
    if (t) {
        free(t->slots);
        free(t);
    }
}

/* ---- growing lists of doubles ---- */

static int ogi_push(ogi_list *l, double v) {
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 64;
        double *v2 = (double *)realloc(l->v, cap * sizeof(double));
        if (!v2) return 0;
        l->v = v2;
        l->cap = cap;
    }
    l->v[l->n++] = v;
    return 1;
}

void ogi_free(ogi_objects_out *out) {
    free(out->lines.v);
    free(out->rects.v);
    free(out->curves.v);
    free(out->images.v);
    ogi_table_free(out->texts);
    memset(out, 0, sizeof(*out));
}

/* ---- Python's semantics ---- */

static double py_min(double a, double b) { return b < a ? b : a; } /* min(a, b) */
static double py_max(double a, double b) { return b > a ? b : a; } /* max(a, b) */

/* round(x, 4) as Python's float.__round__: the decimal nearest to x's exact value at 4
   places (ties to even), then the double nearest to that decimal. Where x * 10^4 is far
   from a tie, its nearest integer r is that decimal's digits and r / 10^4 (one correctly
   rounded division of exact operands) the double; otherwise glibc's exact printf and strtod. */
static double py_round4(double x) {
    if (!isfinite(x)) return x;
    double y = x * DIGITS_SCALE;
    double ay = fabs(y);
    if (ay < 1125899906842624.0) { /* 2^50 */
        double fl = floor(y);
        double frac = y - fl; /* exact: y and floor(y) are within a binade */
        double margin = ay * 1.7763568394002505e-15 + 1e-300; /* 8 ulps of y, and then some */
        if (fabs(frac - 0.5) > margin) {
            double r = frac < 0.5 ? fl : fl + 1.0;
            if (r == 0.0) r = copysign(0.0, x);
            return r / DIGITS_SCALE;
        }
    }
    char buffer[400];
    snprintf(buffer, sizeof buffer, "%.4f", x);
    return strtod(buffer, NULL);
}

double ogi_round4(double x) { return py_round4(x); }

/* ---- characters ---- */

static int ogi_is_vertical(const ogi_fns *f, uintptr_t text_object) {
    uintptr_t font = f->FPDFTextObj_GetFont(text_object);
    float width = 0.0f;
    return font && f->FPDFFont_GetGlyphWidth(font, 1, 1000.0f, &width) && width < 0;
}

/* The characters kept (not PDFium's own spaces): their x0, top, x1, bottom in ``out``
   (4 each) and their index in ``index``; the number kept, -1 where the page must be read
   by pdfplumber (rotated, mirrored or sizeless text), -2 out of memory. The text objects
   met are left in ``objects->texts`` for ogi_objects. */
int ogi_chars(const ogi_fns *f, uintptr_t tp, int n, const unsigned char *maybe_space, double height,
              int vertical, double v0, double v1, double *out, int *index, ogi_objects_out *objects) {
    ogi_table *t = (ogi_table *)calloc(1, sizeof(ogi_table));
    if (!t) return -2;
    int bits = 4;
    while (((size_t)1 << bits) < 2 * (size_t)n + 2) bits++;
    t->bits = bits;
    t->mask = ((size_t)1 << bits) - 1;
    t->slots = (ogi_slot *)calloc((size_t)1 << bits, sizeof(ogi_slot));
    if (!t->slots) {
        free(t);
        return -2;
    }
    ogi_table_free(objects->texts);
    objects->texts = t;
    float box[4], m[6];
    int k = 0;
    for (int i = 0; i < n; i++) {
        if (maybe_space[i] && f->FPDFText_IsGenerated(tp, i) != 0) continue;
        uintptr_t obj = f->FPDFText_GetTextObject(tp, i);
        ogi_slot *s = obj ? ogi_find(t, obj) : NULL;
        if (!s || s->key == 0) {
            if (!f->FPDFText_GetMatrix(tp, i, m)) return -1;
            double size = f->FPDFText_GetFontSize(tp, i);
            double a = m[0], b = m[1], c = m[2], d = m[3];
            if (b != 0 || c != 0 || a <= 0 || d <= 0 || size <= 0 || !obj) return -1;
            s->key = obj;
            s->high = size * d;
            s->upright_column = vertical && ogi_is_vertical(f, obj);
            s->size = size;
            s->a = a;
            s->d = d;
        }
        if (!f->FPDFText_GetLooseCharBox(tp, i, box)) return -1;
        double *o = out + 4 * (size_t)k;
        index[k++] = i;
        if (s->upright_column) {
            double size = s->size, a = s->a, d = s->d;
            double origin[2] = {0.0, 0.0};
            f->FPDFText_GetCharOrigin(tp, i, origin, origin + 1);
            double ox = origin[0], oy = origin[1];
            double above = (1000 - v0) * size * 0.001;
            double x0 = ox - a * size * 0.5, y1 = oy + d * above;
            double x1 = x0 + a * size, y0 = oy + d * (above + v1 * size * 0.001);
            o[0] = x0;
            o[1] = height - y1;
            o[2] = x1;
            o[3] = height - y0;
            continue;
        }
        double bottom = height - (double)box[3];
        o[0] = box[0];
        o[1] = bottom - s->high;
        o[2] = box[2];
        o[3] = bottom;
    }
    return k;
}

/* ---- paths and images ---- */

typedef struct {
    char *shape;
    double *x, *y;
    size_t n;
} ogi_sub;

/* One painted subpath as pdfminer's converter names it (pdfium.py's _paint). */
static int ogi_paint(ogi_objects_out *out, double h, ogi_sub *p) {
    char *shape = p->shape;
    double *X = p->x, *Y = p->y;
    size_t n = p->n;
    if (n > 3 && shape[n - 2] == 'l' && shape[n - 1] == 'h' && X[n - 2] == X[0] && Y[n - 2] == Y[0]) {
        shape[n - 2] = 'h';
        n -= 1;
    }
    if ((n == 2 && memcmp(shape, "ml", 2) == 0) || (n == 3 && memcmp(shape, "mlh", 3) == 0)) {
        double x0 = py_min(X[0], X[1]), x1 = py_max(X[0], X[1]), y0 = py_min(Y[0], Y[1]), y1 = py_max(Y[0], Y[1]);
        ogi_list *l = &out->lines;
        return ogi_push(l, x0) && ogi_push(l, h - y1) && ogi_push(l, x1) && ogi_push(l, h - y0) &&
               ogi_push(l, x1 - x0) && ogi_push(l, y1 - y0);
    }
    if (n == 5 && (memcmp(shape, "mlllh", 5) == 0 || memcmp(shape, "mllll", 5) == 0)) {
        int square = (X[0] == X[1] && Y[1] == Y[2] && X[2] == X[3] && Y[3] == Y[0]) ||
                     (Y[0] == Y[1] && X[1] == X[2] && Y[2] == Y[3] && X[3] == X[0]);
        if (X[0] == X[4] && Y[0] == Y[4] && square) {
            double x0 = py_min(X[0], X[2]), x1 = py_max(X[0], X[2]), y0 = py_min(Y[0], Y[2]),
                   y1 = py_max(Y[0], Y[2]);
            ogi_list *l = &out->rects;
            return ogi_push(l, x0) && ogi_push(l, h - y1) && ogi_push(l, x1) && ogi_push(l, h - y0) &&
                   ogi_push(l, x1 - x0) && ogi_push(l, y1 - y0);
        }
    }
    ogi_list *l = &out->curves;
    if (!ogi_push(l, (double)n)) return 0;
    for (size_t j = 0; j < n; j++)
        if (!ogi_push(l, X[j]) || !ogi_push(l, h - Y[j])) return 0;
    return 1;
}

/* A subpath's curves (three "b" steps: two control points and the end) as one "c" step
   with its end point, then painted (pdfium.py's _subpaths, last part, and _paint). */
static int ogi_merge_paint(ogi_objects_out *out, double h, ogi_sub *p) {
    size_t w = 0, k = 0;
    while (k < p->n) {
        if (k + 2 < p->n && p->shape[k] == 'b' && p->shape[k + 1] == 'b' && p->shape[k + 2] == 'b') {
            p->shape[w] = 'c';
            p->x[w] = p->x[k + 2];
            p->y[w] = p->y[k + 2];
            k += 3;
        } else {
            p->shape[w] = p->shape[k];
            p->x[w] = p->x[k];
            p->y[w] = p->y[k];
            k += 1;
        }
        w++;
    }
    p->n = w;
    return ogi_paint(out, h, p);
}

/* A path's subpaths as pdfminer sees them, each painted (pdfium.py's _steps and _subpaths). */
static int ogi_path(const ogi_fns *f, ogi_objects_out *out, double h, uintptr_t obj, const double *mt,
                    float *xy) {
    int n = f->FPDFPath_CountSegments(obj);
    if (n <= 0) return 1;
    size_t cap = 2 * (size_t)n + 2;
    double *every = (double *)malloc(sizeof(double) * 2 * (size_t)n);
    unsigned char *kinds = (unsigned char *)malloc((size_t)n), *closing = (unsigned char *)malloc((size_t)n);
    char *shape = (char *)malloc(cap);
    double *px = (double *)malloc(sizeof(double) * cap), *py = (double *)malloc(sizeof(double) * cap);
    int ok = every && kinds && closing && shape && px && py;
    if (!ok) goto done;
    double a = mt[0], b = mt[1], c = mt[2], d = mt[3], e = mt[4], ff = mt[5];
    int lines = 0;
    for (int j = 0; j < n; j++) {
        uintptr_t segment = f->FPDFPath_GetPathSegment(obj, j);
        f->FPDFPathSegment_GetPoint(segment, xy, xy + 1);
        double sx = xy[0], sy = xy[1];
        kinds[j] = (unsigned char)(f->FPDFPathSegment_GetType(segment) & 0xFF);
        closing[j] = f->FPDFPathSegment_GetClose(segment) ? 1 : 0;
        lines += kinds[j] == LINETO;
        every[2 * j] = py_round4(a * sx + c * sy + e);
        every[2 * j + 1] = py_round4(b * sx + d * sy + ff);
    }
    ogi_sub sub = {shape, px, py, 0};
    if (kinds[0] == MOVETO && lines == n - 1) {
        /* one subpath of straight lines (a rule, a rectangle) */
        shape[0] = 'm';
        for (int j = 0; j < n; j++) {
            if (j) shape[j] = 'l';
            px[j] = every[2 * j];
            py[j] = every[2 * j + 1];
        }
        sub.n = (size_t)n;
        if (n > 1 && closing[n - 1]) {
            if (px[n - 1] == px[0] && py[n - 1] == py[0]) {
                shape[n - 1] = 'h';
            } else {
                shape[n] = 'h';
                px[n] = px[0];
                py[n] = py[0];
                sub.n = (size_t)n + 1;
            }
        }
        ok = ogi_paint(out, h, &sub);
        goto done;
    }
    int last = n - 1;
    for (int j = 0; j < n; j++) {
        int kind = kinds[j];
        double x = every[2 * j], y = every[2 * j + 1];
        if (kind == MOVETO) {
            if (sub.n && !(ok = ogi_merge_paint(out, h, &sub))) goto done;
            shape[0] = 'm';
            px[0] = x;
            py[0] = y;
            sub.n = 1;
            continue;
        }
        if (!sub.n) continue; /* a path must begin with m */
        shape[sub.n] = kind == BEZIERTO ? 'b' : 'l';
        px[sub.n] = x;
        py[sub.n] = y;
        sub.n++;
        if (closing[j] && (j == last || kinds[j + 1] == MOVETO)) {
            if (shape[sub.n - 1] == 'l' && x == px[0] && y == py[0]) {
                shape[sub.n - 1] = 'h';
            } else {
                shape[sub.n] = 'h';
                px[sub.n] = px[0];
                py[sub.n] = py[0];
                sub.n++;
            }
        }
    }
    if (sub.n) ok = ogi_merge_paint(out, h, &sub);
done:
    free(every);
    free(kinds);
    free(closing);
    free(shape);
    free(px);
    free(py);
    return ok;
}

static int ogi_walk(const ogi_fns *f, ogi_objects_out *out, double h, uintptr_t owner, const double *outer,
                    int depth) {
    const ogi_table *texts = (const ogi_table *)out->texts;
    float m[6] = {0, 0, 0, 0, 0, 0}, xy[2] = {0, 0};
    unsigned int ints[2] = {0, 0};
    int modes[2] = {0, 0};
    int count = outer ? f->FPDFFormObj_CountObjects(owner) : f->FPDFPage_CountObjects(owner);
    for (int i = 0; i < count; i++) {
        uintptr_t obj = outer ? f->FPDFFormObj_GetObject(owner, (unsigned long)i) : f->FPDFPage_GetObject(owner, i);
        if (texts && obj && ogi_find(texts, obj)->key == obj) continue;
        int kind = f->FPDFPageObj_GetType(obj);
        if (kind != OBJ_PATH && kind != OBJ_IMAGE && kind != OBJ_FORM) continue;
        double mt[6] = {1.0, 0.0, 0.0, 1.0, 0.0, 0.0};
        if (f->FPDFPageObj_GetMatrix(obj, m))
            for (int j = 0; j < 6; j++) mt[j] = m[j];
        if (outer) {
            double a = mt[0], b = mt[1], c = mt[2], d = mt[3], e = mt[4], ff = mt[5];
            double A = outer[0], B = outer[1], C = outer[2], D = outer[3], E = outer[4], F = outer[5];
            mt[0] = a * A + b * C;
            mt[1] = a * B + b * D;
            mt[2] = c * A + d * C;
            mt[3] = c * B + d * D;
            mt[4] = e * A + ff * C + E;
            mt[5] = e * B + ff * D + F;
        }
        if (kind == OBJ_FORM) {
            if (depth > 64) return -1; /* deeper than Python's loop would go without trouble: its path */
            int r = ogi_walk(f, out, h, obj, mt, depth + 1);
            if (r != 1) return r;
        } else if (kind == OBJ_PATH) {
            if (f->FPDFPath_GetDrawMode(obj, modes, modes + 1) && !(modes[0] || modes[1])) continue;
            if (!ogi_path(f, out, h, obj, mt, xy)) return -2;
        } else {
            int pixels = f->FPDFImageObj_GetImagePixelSize(obj, ints, ints + 1);
            ogi_list *l = &out->images;
            for (int j = 0; j < 6; j++)
                if (!ogi_push(l, mt[j])) return -2;
            if (!ogi_push(l, pixels ? 1.0 : 0.0) || !ogi_push(l, (double)ints[0]) || !ogi_push(l, (double)ints[1]))
                return -2;
        }
    }
    return 1;
}

/* The page's paths and images (of its forms too) into ``out``: 1, or -1 where the
   Python loop must read the page, -2 out of memory. */
int ogi_objects(const ogi_fns *f, uintptr_t page, double height, ogi_objects_out *out) {
    return ogi_walk(f, out, height, page, NULL, 0);
}
