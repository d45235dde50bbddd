from peewee import (
    AutoField,
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    SmallIntegerField,
    TextField,
)

from models.agency import Agency, utcnow
from models.base import BaseModel
from models.source import SourceFile


class Report(BaseModel):
    """One annual report of one agency: one row per (agency, year, revision).

    Loading a different file for the same agency and year adds a revision and marks
    it current; earlier revisions are kept."""

    id = AutoField()
    agency = ForeignKeyField(Agency, backref="reports", on_delete="CASCADE")
    year = SmallIntegerField()
    layout = CharField(max_length=4)
    revision = IntegerField(default=1)
    is_current = BooleanField(default=True)
    title = TextField(null=True)
    document_number = CharField(max_length=100, null=True)
    published_on = DateField(null=True)
    contact_phone = CharField(max_length=100, null=True)
    contact_address = TextField(null=True)
    contact_email = CharField(max_length=200, null=True)
    contact_postcode = CharField(max_length=10, null=True)
    source_name = TextField()
    source_format = CharField(max_length=16)
    source_encoding = CharField(max_length=32, null=True)
    source = ForeignKeyField(SourceFile, column_name="sha256", field="sha256", backref="reports")
    parser_version = CharField(max_length=16)
    loaded_at = DateTimeField(default=utcnow)
    retracted_at = DateTimeField(null=True)  # withdrawn through the API; kept, never current

    class Meta:
        indexes = (
            (("agency", "year", "revision"), True),
            (("year", "is_current"), False),
        )
