"""Records as pandas DataFrames (the extra ``ogi-client[pandas]``).

Exact numbers stay exact: the number columns of the API (``value``, ``confidence``,
``expected``, ``printed``, ``numerator``, ``denominator``, ``requests_*`` …) are
columns of ``decimal.Decimal`` objects (dtype ``object``; None where null), never
float64. pandas has no decimal dtype of its own; ``Decimal`` objects add up, compare
and sort exactly (``frame.value.sum()`` is exact), and ``frame.value.astype(float)``
is one call away for a chart. Whole-number columns (ids, years, counts) are int64, or
the nullable Int64 where a value is null; text columns are strings.

Nested objects become dotted columns (``headline.requests_received``), as the CSV
names them; a cell's ``box`` (where OCR read it) becomes its text form ``page x0 y0 x1
y1 width height``, as the CSV and Parquet files give it: the frame and the CSV agree."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas

DECIMAL_COLUMNS = frozenset({
    "value", "confidence", "expected", "printed", "numerator", "denominator",
    "requests_received", "requests_handled", "requests_withheld", "reconsideration_total", "litigation_total",
})
CELL_COLUMNS = ["report_id", "agency_id", "agency_name", "region", "year", "layout", "table", "row", "column",
                "value", "status", "raw", "note", "location", "confidence", "box"]
BOX_FIELDS = ("page", "x0", "y0", "x1", "y1", "width", "height")


def _pandas():
    try:
        import pandas
    except ImportError as error:  # pragma: no cover - depends on the install
        raise ImportError("DataFrames need pandas: pip install 'ogi-client[pandas]'") from error
    return pandas


def box_text(box: Mapping[str, Any] | None) -> str | None:
    """A page box as its text form (CSV, Parquet): ``page x0 y0 x1 y1 width height``."""
    if not box:
        return None
    return " ".join(str(box[name]) for name in BOX_FIELDS)


def exact(value: Any) -> Decimal | None:
    """A number of the API as a Decimal (an int is exact as one too)."""
    if value is None or isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise TypeError(f"not a number: {value!r}")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, str):
        return Decimal(value) if value else None
    raise TypeError(f"not an exact number: {value!r}")


def flat(record: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """A record with its nested objects as dotted columns (``headline.requests_received``),
    as the API's CSV names them; a cell's ``box`` as its text."""
    out: dict[str, Any] = {}
    for name, value in record.items():
        if name == "box" and not prefix:
            out[name] = box_text(value)
        elif isinstance(value, Mapping):
            out.update(flat(value, f"{prefix}{name}."))
        else:
            out[prefix + name] = value
    return out


def to_dataframe(records: Iterable[Mapping[str, Any]], columns: list[str] | None = None) -> pandas.DataFrame:
    """Records (of any list of the API) as a DataFrame: a column per field, in the
    records' order (or ``columns``), nested objects as dotted columns, numbers exact
    (see the module's description)."""
    pd = _pandas()
    records = [flat(record) for record in records]
    if columns is None:
        columns = []
        for record in records:
            columns += [name for name in record if name not in columns]
    data = {name: _column(pd, name, [record.get(name) for record in records]) for name in columns}
    return pd.DataFrame(data, columns=columns, index=pd.RangeIndex(len(records)))


def cells_frame(records: Iterable[Mapping[str, Any]]) -> pandas.DataFrame:
    """Cells as a DataFrame with the columns of the cells CSV, in its order (the
    records' own), ``value`` and ``confidence`` Decimal, ``box`` as text."""
    records = list(records)
    return to_dataframe(records, None if records else list(CELL_COLUMNS))


def _column(pd, name: str, values: list[Any]):
    numbers = all(v is None or isinstance(v, int | Decimal) and not isinstance(v, bool) for v in values)
    if name.rsplit(".", 1)[-1] in DECIMAL_COLUMNS and numbers:
        return pd.Series([exact(v) for v in values], dtype=object)
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, bool) for v in present):
        return pd.Series(values, dtype="boolean" if len(present) < len(values) else bool)
    if present and all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return pd.Series(values, dtype="Int64" if len(present) < len(values) else "int64")
    if any(isinstance(v, Decimal) for v in present):
        return pd.Series(values, dtype=object)  # never let pandas make floats of them
    return pd.Series(values)
