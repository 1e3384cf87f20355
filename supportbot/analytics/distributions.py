"""Mean and percentiles of one column, computed by the database where it can.

Percentiles interpolate linearly between the two nearest values (PostgreSQL's
``percentile_cont``, numpy's default): with n = 1 every percentile is the value; with n = 2,
p50 is their mean and p90 lies 90 % of the way from the lower to the higher. SQLite has no
such aggregate, so there the values are read (one column) and interpolated the same way.
"""

from __future__ import annotations

import math

from django.db import connections, transaction
from django.db.models import Aggregate, Avg, Count, FloatField, Q, QuerySet

PERCENTILES = {"p50": 0.5, "p90": 0.9}
SORT_MEMORY = "64MB"  # per sort, for the summary's transaction only


class PercentileCont(Aggregate):
    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression: str, fraction: float, **extra) -> None:
        if not 0 <= fraction <= 1:
            raise ValueError("a percentile is a fraction between 0 and 1")
        super().__init__(expression, fraction=repr(float(fraction)), **extra)


def percentile(sorted_values: list[float], fraction: float) -> float | None:
    """Linear interpolation between closest ranks (``percentile_cont``)."""
    if not sorted_values:
        return None
    position = fraction * (len(sorted_values) - 1)
    low = math.floor(position)
    high = min(low + 1, len(sorted_values) - 1)
    weight = position - low
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * weight


def _rounded(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def _shaped(found: dict, digits: int) -> dict:
    return {
        "mean": _rounded(found["mean"], digits),
        **{name: _rounded(found[name], digits) for name in PERCENTILES},
        "n": found["n"],
    }


def distributions(
    queryset: QuerySet, specs: dict[str, tuple[str, Q | None]], *, digits: int = 3
) -> dict[str, dict]:
    """Several ``{"mean", "p50", "p90", "n"}`` over one table: ``specs`` maps a name to a
    column and the rows it covers (None: all). On PostgreSQL one query computes them all
    (``FILTER (WHERE ...)``), so a large table is read once; elsewhere each reads its
    column. Null values are left out."""
    if connections[queryset.db].vendor == "postgresql":
        aggregates = {}
        for name, (column, condition) in specs.items():
            where = {"filter": condition} if condition is not None else {}
            aggregates[f"{name}__n"] = Count(column, **where)
            aggregates[f"{name}__mean"] = Avg(column, **where)
            for label, q in PERCENTILES.items():
                aggregates[f"{name}__{label}"] = PercentileCont(column, q, **where)
        with transaction.atomic(using=queryset.db):
            # Each percentile sorts its column; with the default 4 MB a year of replies spills
            # to disk (bench/dashboard.py, 1M conversations: percentiles 2.1 s -> 1.8 s).
            with connections[queryset.db].cursor() as cursor:
                cursor.execute("SET LOCAL work_mem = %s", [SORT_MEMORY])
            found = queryset.aggregate(**aggregates)
        return {
            name: _shaped({k: found[f"{name}__{k}"] for k in ("n", "mean", *PERCENTILES)}, digits)
            for name in specs
        }
    result = {}
    for name, (column, condition) in specs.items():
        rows = queryset.filter(**{f"{column}__isnull": False})
        if condition is not None:
            rows = rows.filter(condition)
        values = sorted(rows.values_list(column, flat=True))
        found = {
            "n": len(values),
            "mean": math.fsum(values) / len(values) if values else None,
            **{label: percentile(values, q) for label, q in PERCENTILES.items()},
        }
        result[name] = _shaped(found, digits)
    return result
