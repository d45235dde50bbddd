"""The PDFium engine's page loops in C (cffi API mode), built at ``pip install`` by
setuptools (``cffi_modules`` in setup.py) into ``loaders.sources._pdfium_loops``.

PDFium's headers are not shipped by pypdfium2, so the C functions take PDFium's
functions as pointers (``ogi_fns``, filled from the addresses pypdfium2 loaded) and
handles as plain integers. ``ogi_chars`` reads a text page's characters and
``ogi_objects`` a page's paths and images into flat arrays, one call a page each,
doing exactly what ``loaders.sources.pdfium``'s Python loops do (the same calls, the
same double arithmetic in the same order; built with ``-ffp-contract=off`` so that no
multiply-add is fused). Where the module is not built, the Python loops run."""
from __future__ import annotations

from pathlib import Path

import cffi

HERE = Path(__file__).resolve().parent
CDEF = (HERE / "pdfium_loops.h").read_text(encoding="utf-8")  # the declarations, shared with the C file
SOURCE = (HERE / "pdfium_loops.c").read_text(encoding="utf-8")

ffibuilder = cffi.FFI()
ffibuilder.cdef(CDEF)
ffibuilder.set_source("loaders.sources._pdfium_loops", SOURCE, include_dirs=[str(HERE)],
                      extra_compile_args=["-O2", "-ffp-contract=off"], libraries=["m"])

if __name__ == "__main__":
    ffibuilder.compile(verbose=True)
