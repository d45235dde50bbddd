from datetime import UTC, datetime

from peewee import AutoField, CharField, DateTimeField

from models.base import BaseModel


def utcnow():
    return datetime.now(UTC).replace(tzinfo=None)


class Agency(BaseModel):
    """A publishing agency, known by the name its reports print."""

    id = AutoField()
    name = CharField(max_length=200, unique=True)
    created_at = DateTimeField(default=utcnow)
