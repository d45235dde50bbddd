from peewee import AutoField, CharField, ForeignKeyField, TextField

from models.base import BaseModel
from models.fields import ExactDecimalField
from models.report import Report


class Cell(BaseModel):
    """One (table, row, column) value of a report, keyed by codebook keys.

    ``value`` is the number as printed, exactly (null when blank, a placeholder, ambiguous,
    missing or invalid: ``status`` says which); ``raw`` is the printed text; ``location`` says where
    it was read. A cell read by OCR from a page image has ``confidence`` (the engine's,
    0–1 to three places; null where there was nothing to read) and ``box`` (where on the
    page image it was read: ``"page x0 y0 x1 y1 width height"``, pixels of the page as it
    was read, ``loaders.blocks.PageBox``); both are null for a cell read from text."""

    id = AutoField()
    # Indexed by the unique (report, table, row, column) index below, which starts with it.
    report = ForeignKeyField(Report, backref="cells", on_delete="CASCADE", index=False)
    table_key = CharField(max_length=32)
    row_key = CharField(max_length=64)
    column_key = CharField(max_length=64)
    value = ExactDecimalField(null=True)  # exact: at most 15 digits before the point, 10 after
    raw = TextField(null=True)
    status = CharField(max_length=16)
    note = TextField(null=True)
    location = CharField(max_length=100, null=True)
    confidence = ExactDecimalField(integer_digits=1, fraction_digits=3, null=True)  # OCR's, 0–1
    box = CharField(max_length=64, null=True)  # OCR: "page x0 y0 x1 y1 width height" in pixels

    class Meta:
        # One index only. Queries select reports first (year, agency, layout), then seek
        # their cells by this prefix. A second index on (table, row, column) tripled the
        # cost of storing a report (its entries land all over the B-tree; see
        # benchmarks/README.md) and is left to the national-scale work.
        indexes = ((("report", "table_key", "row_key", "column_key"), True),)
