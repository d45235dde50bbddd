# Metadata and dependencies live in setup.cfg; this only adds the PDFium engine's page
# loops in C (loaders/sources/pdfium_build.py, cffi API mode), built at install.
from setuptools import setup

setup(cffi_modules=["loaders/sources/pdfium_build.py:ffibuilder"])
