from peewee import AutoField, CharField, DecimalField, ForeignKeyField, TextField

from models.base import BaseModel
from models.report import Report


class Finding(BaseModel):
    """Something a report's printed numbers break (an identity), or something the
    loader could not read (a ``parse.*`` or ``completeness.*`` rule)."""

    id = AutoField()
    report = ForeignKeyField(Report, backref="findings", on_delete="CASCADE")
    rule = CharField(max_length=64, index=True)
    table_key = CharField(max_length=32, null=True)
    row_key = CharField(max_length=64, null=True)
    column_key = CharField(max_length=64, null=True)
    cells = TextField(default="[]")  # JSON list of "table/row/column"
    expected = DecimalField(max_digits=24, decimal_places=6, null=True, auto_round=False)
    printed = DecimalField(max_digits=24, decimal_places=6, null=True, auto_round=False)
    message = TextField()
    location = CharField(max_length=100, null=True)
