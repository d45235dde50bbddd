from peewee import AutoField, CharField, ForeignKeyField, SmallIntegerField, TextField

from models.base import BaseModel
from models.report import Report


class Section(BaseModel):
    """A numbered section of a report (一 to 六) with its prose."""

    id = AutoField()
    report = ForeignKeyField(Report, backref="sections", on_delete="CASCADE")
    number = SmallIntegerField()
    title = CharField(max_length=200)
    text = TextField()

    class Meta:
        indexes = ((("report", "number"), True),)
