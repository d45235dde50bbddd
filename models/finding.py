from peewee import AutoField, CharField, ForeignKeyField, TextField

from models.base import BaseModel
from models.decimals import SUM_INTEGER_DIGITS
from models.fields import ExactDecimalField
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
    expected = ExactDecimalField(SUM_INTEGER_DIGITS, null=True)  # a side may be a sum of values
    printed = ExactDecimalField(SUM_INTEGER_DIGITS, null=True)
    message = TextField()
    location = CharField(max_length=100, null=True)
