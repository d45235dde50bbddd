"""What exact numbers cost on SQLite: the same values as a binary float (the REAL
affinity of the old DECIMAL(24,6) column) and as exact text (``models/decimals.py``),
summed, sorted and filtered.

    python benchmarks/exact_numbers.py [--rows 1000000] [--runs 5] [--amounts 0.1] [--postgres URL]

The values are like a report's: small counts, and a share (``--amounts``, default one
in ten) of amounts with two decimals. Prints the median of ``--runs`` runs of each query as a Markdown table
row: before (float), after (exact), and the ratio. With ``--postgres``, the same sums
on NUMERIC(24,6) (before) and NUMERIC (after)."""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

def queries(old, new) -> list[tuple[str, object, object]]:
    """(name, the query on the float column, the same on the exact one), as the API builds them."""
    from peewee import fn

    from models.fields import exact_sum

    return [
        ("sum of all values", old.select(fn.SUM(old.value)), new.select(exact_sum(new.value))),
        ("sum by 1,000 groups", old.select(old.grp, fn.SUM(old.value)).group_by(old.grp),
         new.select(new.grp, exact_sum(new.value)).group_by(new.grp)),
        ("first 100 by value", old.select(old.value).order_by(old.value.desc(nulls="LAST")).limit(100),
         new.select(new.value).order_by(new.value.desc(nulls="LAST")).limit(100)),
        ("count of value ≥ 500", old.select(fn.COUNT(old.id)).where(old.value >= 500),
         new.select(fn.COUNT(new.id)).where(new.value >= 500)),
    ]


def values(rows: int, amounts: float) -> list[tuple[int, Decimal]]:
    rng = random.Random(1)
    return [(i % 1000, Decimal(rng.randrange(0, 1000)) if rng.random() >= amounts
             else Decimal(rng.randrange(0, 10**9)).scaleb(-2)) for i in range(rows)]


def timed(query, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        list(query.tuples())
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--amounts", type=float, default=0.1, help="share of values that are amounts with decimals")
    ap.add_argument("--postgres", help="also time the sums on this PostgreSQL database (tables made and dropped)")
    args = ap.parse_args()

    from peewee import DecimalField, IntegerField

    from models.base import BaseModel
    from models.db import database, make_database
    from models.fields import ExactDecimalField

    class Old(BaseModel):
        grp = IntegerField()
        value = DecimalField(max_digits=24, decimal_places=6, auto_round=False)

    class New(BaseModel):
        grp = IntegerField()
        value = ExactDecimalField()

    data = values(args.rows, args.amounts)
    exact = sum((v for _, v in data), Decimal(0))
    with tempfile.TemporaryDirectory() as folder:
        db = make_database(f"sqlite:///{folder}/bench.sqlite3")
        database.initialize(db)
        db.connect()
        db.create_tables([Old, New])
        with db.atomic():
            db.cursor().executemany('INSERT INTO "old" (grp, value) VALUES (?, ?)', [(g, float(v)) for g, v in data])
            db.cursor().executemany('INSERT INTO "new" (grp, value) VALUES (?, ?)', data)
        cases = queries(Old, New)
        float_sum, exact_sum = cases[0][1].scalar(), cases[0][2].scalar()
        print(f"{args.rows:,} values; exact sum {exact}; SQLite's float SUM {float_sum!r}; exact_sum {exact_sum}")
        assert exact_sum == exact
        print("\n| SQLite query | float (ms) | exact (ms) | ratio |\n| --- | --- | --- | --- |")
        for name, before, after in cases:
            b, a = timed(before, args.runs), timed(after, args.runs)
            print(f"| {name} | {b:.1f} | {a:.1f} | {a / b:.1f} × |")
        db.close()
    if args.postgres:
        pg = make_database(args.postgres)
        database.initialize(pg)
        pg.connect()
        from psycopg2.extras import execute_values

        pg.drop_tables([Old, New])
        pg.create_tables([Old, New])
        for table in ("old", "new"):
            execute_values(pg.cursor(), f'INSERT INTO "{table}" (grp, value) VALUES %s', data, page_size=10_000)
        print("\n| PostgreSQL query | NUMERIC(24,6) (ms) | NUMERIC (ms) | ratio |\n| --- | --- | --- | --- |")
        for name, before, after in queries(Old, New):
            b, a = timed(before, args.runs), timed(after, args.runs)
            print(f"| {name} | {b:.1f} | {a:.1f} | {a / b:.1f} × |")
        pg.drop_tables([Old, New])
        pg.close()

if __name__ == "__main__":
    main()
