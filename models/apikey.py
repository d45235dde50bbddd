"""API keys, and what each may write: its scope (agencies, regions, or everything)."""
from __future__ import annotations

import hashlib
import json
import re
import secrets
from dataclasses import dataclass

from peewee import AutoField, CharField, DateTimeField, TextField

from models.agency import name_key, region_of, utcnow
from models.base import BaseModel

# What a key looks like ("ogi_" and 43 URL-safe characters): to find one where no key belongs.
KEY_PATTERN = re.compile(r"ogi_[A-Za-z0-9_-]{16,}")


class ScopeError(ValueError):
    """A scope that cannot be given: why, in one line."""


@dataclass(frozen=True)
class Scope:
    """What a key may write: every report (``admin``), or the reports of the agencies
    named (matched by name, exactly) and of the agencies in the regions named (an
    agency's region is read from its name, ``region_of``; a region covers the ones
    inside it: 淮安市 covers 淮安市洪泽区). No agency and no region: nothing."""

    admin: bool = False
    agencies: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()

    @classmethod
    def make(cls, agencies=(), regions=(), admin: bool = False) -> Scope:
        """A scope from names given by a person, checked: ScopeError says what is wrong."""
        agencies = tuple(dict.fromkeys(name_key(a) for a in agencies))
        regions = tuple(dict.fromkeys(name_key(r) for r in regions))
        for a in agencies:
            if not a or len(a) > 200:
                raise ScopeError(f"agency {a!r}: an agency's name as its reports print it (1 to 200 characters)")
        for r in regions:
            if region_of(r) != r:
                raise ScopeError(f"region {r!r}: not a region as agencies' names start with one "
                                 "(e.g. 淮安市 or 淮安市洪泽区)")
        if not (admin or agencies or regions):
            raise ScopeError("a key needs a scope: --agency NAME, --region NAME or --admin")
        return cls(admin, agencies, regions)

    @classmethod
    def loads(cls, text: str | None) -> Scope:
        if not text:
            return cls()  # a key from before scopes: nothing until an operator gives it one
        data = json.loads(text)
        return cls(bool(data.get("admin")), tuple(data.get("agencies", ())), tuple(data.get("regions", ())))

    def dumps(self) -> str:
        return json.dumps({"admin": self.admin, "agencies": list(self.agencies), "regions": list(self.regions)},
                          ensure_ascii=False)

    @property
    def empty(self) -> bool:
        """A key that may write nothing (one made before scopes, until it is scoped)."""
        return not (self.admin or self.agencies or self.regions)

    def covers(self, agency_name: str) -> bool:
        agency_name = name_key(agency_name)
        if self.admin or agency_name in self.agencies:
            return True
        region = region_of(agency_name) or ""
        return any(region == r or region.startswith(r) for r in self.regions)

    def describe(self) -> str:
        if self.admin:
            return "admin (every agency)"
        parts = ([f"agencies {', '.join(self.agencies)}"] if self.agencies else []) + (
            [f"regions {', '.join(self.regions)}"] if self.regions else [])
        return "; ".join(parts) or "nothing (no scope yet: ogi keys scope)"


class ApiKey(BaseModel):
    """A key for the write API. Only its SHA-256 is stored; the key is shown once."""

    id = AutoField()
    name = CharField(max_length=100)
    prefix = CharField(max_length=16)  # the key's first characters, to tell keys apart
    digest = CharField(max_length=64, unique=True)
    created_at = DateTimeField(default=utcnow)
    revoked_at = DateTimeField(null=True)
    scope = TextField(null=True)  # Scope as JSON; null (keys from before version 7): may write nothing

    @property
    def scoped(self) -> Scope:
        return Scope.loads(self.scope)

    @property
    def label(self) -> str:
        """How the key is named in logs and history: never its secret, nor part of it."""
        return f"key {self.id} ({self.name})"

    @staticmethod
    def digest_of(key: str) -> str:
        return hashlib.sha256(key.encode("utf-8")).hexdigest()

    @classmethod
    def issue(cls, name: str, scope: Scope) -> tuple[ApiKey, str]:
        """A new key with its scope: (its record, the key itself, to be given once)."""
        key = "ogi_" + secrets.token_urlsafe(32)
        return cls.create(name=name, prefix=key[:12], digest=cls.digest_of(key), scope=scope.dumps()), key

    @classmethod
    def find(cls, key: str) -> ApiKey | None:
        """The live key for this secret, or None (unknown or revoked)."""
        return cls.get_or_none(cls.digest == cls.digest_of(key), cls.revoked_at.is_null())
