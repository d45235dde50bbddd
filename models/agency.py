import re
import unicodedata
from datetime import UTC, datetime

from peewee import AutoField, CharField, DateTimeField

from models.base import BaseModel


def utcnow():
    return datetime.now(UTC).replace(tzinfo=None)


# A place name: two or more characters that are not those of an agency's own name
# (政府, 局, 委员会 …), then an administrative unit.
_PLACE = re.compile(
    r"[^\W\d_政府局厅委办会院部署所站处科室总心]{2,10}?"
    r"(?:特别行政区|自治区|自治州|自治县|自治旗|省|市|地区|盟|区|县|旗|镇|乡|街道)"
)


def name_key(name: str) -> str:
    """A name as the loader reads agencies' names from titles: width folded (NFKC), no
    white space; so that a name typed by a person matches the one parsed."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", name))


def region_of(name: str) -> str | None:
    """The administrative divisions an agency's name starts with, e.g. 淮安市洪泽区 for
    淮安市洪泽区人民政府 or 晋江市 for 晋江市城市管理局; None for a name that starts with
    no place (国家税务总局…). Read from the name alone: no gazetteer is consulted."""
    region, rest = "", name
    while m := _PLACE.match(rest):
        region, rest = region + m[0], rest[m.end():]
    return region or None


class Agency(BaseModel):
    """A publishing agency, known by the name its reports print."""

    id = AutoField()
    name = CharField(max_length=200, unique=True)
    region = CharField(max_length=100, null=True, index=True)
    created_at = DateTimeField(default=utcnow)
