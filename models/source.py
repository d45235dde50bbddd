from peewee import BlobField, CharField, IntegerField

from models.base import BaseModel


class SourceFile(BaseModel):
    """The original bytes of a loaded file, stored once per content (sha256)."""

    sha256 = CharField(max_length=64, primary_key=True)
    size = IntegerField()
    content = BlobField()
