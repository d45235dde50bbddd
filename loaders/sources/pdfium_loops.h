/* The C page loops' interface (loaders/sources/pdfium_loops.c): included by the C file
   and read by cffi's cdef in pdfium_build.py, so it is written once. No preprocessor
   lines here: cffi's cdef does not take them (the C file includes <stdint.h> first). */
typedef struct {
    int (*FPDFText_GetLooseCharBox)(uintptr_t, int, float *);
    int (*FPDFText_GetMatrix)(uintptr_t, int, float *);
    double (*FPDFText_GetFontSize)(uintptr_t, int);
    int (*FPDFText_IsGenerated)(uintptr_t, int);
    int (*FPDFText_GetCharOrigin)(uintptr_t, int, double *, double *);
    uintptr_t (*FPDFText_GetTextObject)(uintptr_t, int);
    uintptr_t (*FPDFTextObj_GetFont)(uintptr_t);
    int (*FPDFFont_GetGlyphWidth)(uintptr_t, uint32_t, float, float *);
    int (*FPDFPage_CountObjects)(uintptr_t);
    uintptr_t (*FPDFPage_GetObject)(uintptr_t, int);
    int (*FPDFFormObj_CountObjects)(uintptr_t);
    uintptr_t (*FPDFFormObj_GetObject)(uintptr_t, unsigned long);
    int (*FPDFPageObj_GetType)(uintptr_t);
    int (*FPDFPageObj_GetMatrix)(uintptr_t, float *);
    int (*FPDFPath_CountSegments)(uintptr_t);
    uintptr_t (*FPDFPath_GetPathSegment)(uintptr_t, int);
    int (*FPDFPathSegment_GetType)(uintptr_t);
    int (*FPDFPathSegment_GetPoint)(uintptr_t, float *, float *);
    int (*FPDFPathSegment_GetClose)(uintptr_t);
    int (*FPDFPath_GetDrawMode)(uintptr_t, int *, int *);
    int (*FPDFImageObj_GetImagePixelSize)(uintptr_t, unsigned int *, unsigned int *);
} ogi_fns;

typedef struct {
    double *v;       /* the values */
    size_t n, cap;
} ogi_list;

typedef struct {
    ogi_list lines;  /* 6 a line: x0, top, x1, bottom, width, height */
    ogi_list rects;  /* 6 a rectangle */
    ogi_list curves; /* a curve: its number of points, then x, top of each */
    ogi_list images; /* 9 an image: its matrix (6), whether its pixel size is known, across, down */
    void *texts;     /* the text objects of the page's characters */
} ogi_objects_out;

int ogi_chars(const ogi_fns *f, uintptr_t tp, int n, const unsigned char *maybe_space, double height,
              int vertical, double v0, double v1, double *out, int *index, ogi_objects_out *objects);
int ogi_objects(const ogi_fns *f, uintptr_t page, double height, ogi_objects_out *out);
void ogi_free(ogi_objects_out *out);
double ogi_round4(double x);  /* round(x, 4), as the loops round (for the tests) */
