import hashlib
import secrets

from peewee import AutoField, CharField, DateTimeField

from models.agency import utcnow
from models.base import BaseModel


class ApiKey(BaseModel):
    """A key for the write API. Only its SHA-256 is stored; the key is shown once."""

    id = AutoField()
    name = CharField(max_length=100)
    prefix = CharField(max_length=16)  # the key's first characters, to tell keys apart
    digest = CharField(max_length=64, unique=True)
    created_at = DateTimeField(default=utcnow)
    revoked_at = DateTimeField(null=True)

    @staticmethod
    def digest_of(key: str) -> str:
        return hashlib.sha256(key.encode("utf-8")).hexdigest()

    @classmethod
    def issue(cls, name: str) -> tuple["ApiKey", str]:
        """A new key: (its record, the key itself, to be given once)."""
        key = "ogi_" + secrets.token_urlsafe(32)
        return cls.create(name=name, prefix=key[:12], digest=cls.digest_of(key)), key

    @classmethod
    def find(cls, key: str) -> "ApiKey | None":
        """The live key for this secret, or None (unknown or revoked)."""
        return cls.get_or_none(cls.digest == cls.digest_of(key), cls.revoked_at.is_null())
