"""Reading a dashboard request's window (``from``, ``to``, ``tz``, filters) strictly: a bad
value is a 400 that names it, never a silently different window."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.http import QueryDict

from supportbot.analytics.metrics import Window

MAX_FILTER_CHARS = 64


class BadParameter(ValueError):
    def __init__(self, name: str, problem: str) -> None:
        super().__init__(f"{name}: {problem}")
        self.name = name


def parse_zone(value: str | None) -> ZoneInfo:
    name = value or settings.SUPPORTBOT["DASHBOARD_TZ"]
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise BadParameter("tz", f"unknown time zone {name!r}") from None


def parse_moment(name: str, value: str | None, tz: ZoneInfo) -> datetime | None:
    """ISO 8601: a date is that day's midnight in ``tz``; a time without an offset is in
    ``tz``; one with an offset is taken as it is."""
    if not value:
        return None
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), time(0), tzinfo=tz)
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise BadParameter(name, f"not an ISO 8601 date or time: {value!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


def parse_window(query: QueryDict) -> Window:
    tz = parse_zone(query.get("tz"))
    start = parse_moment("from", query.get("from"), tz)
    end = parse_moment("to", query.get("to"), tz)
    if start is not None and end is not None and start >= end:
        raise BadParameter("to", "must be later than from")
    filters = {}
    for name in ("language", "variant", "arm"):
        value = query.get(name, "")
        if len(value) > MAX_FILTER_CHARS:
            raise BadParameter(name, "too long")
        filters[name] = value
    return Window(start=start, end=end, tz=tz, **filters)


def parse_int(query: QueryDict, name: str, default: int, *, low: int, high: int) -> int:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadParameter(name, f"not a whole number: {raw!r}") from None
    if not low <= value <= high:
        raise BadParameter(name, f"must be between {low} and {high}")
    return value
