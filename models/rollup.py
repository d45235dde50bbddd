from peewee import CharField, IntegerField, SmallIntegerField

from models.base import BaseModel
from models.decimals import SUM_INTEGER_DIGITS
from models.fields import ExactDecimalField


class CellRollup(BaseModel):
    """Cells of current revisions summed by (year, layout, table, row, column).

    Derived from ``cell``, never the source of truth: kept up to date by every store
    (a new current revision adds its cells, the one it replaces is taken away) and
    rebuilt from the cells by ``rebuild_rollups``. National aggregates read it."""

    year = SmallIntegerField()
    layout = CharField(max_length=4)
    table_key = CharField(max_length=32)
    row_key = CharField(max_length=64)
    column_key = CharField(max_length=64)
    cells = IntegerField(default=0)
    values = IntegerField(default=0)  # cells with a value
    total = ExactDecimalField(SUM_INTEGER_DIGITS, default=0)  # exact sum of the values

    class Meta:
        table_name = "cell_rollup"
        indexes = ((("year", "layout", "table_key", "row_key", "column_key"), True),)
