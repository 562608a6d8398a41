"""Timestamps of access logs → (epoch seconds, UTC offset in minutes), cached per distinct string.

A busy log repeats the same second many times, so the cache turns most parses into one dict lookup.
"""

from __future__ import annotations

import calendar
import math
from collections.abc import Callable
from datetime import datetime

_MONTHS = {
    m: i
    for i, m in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}
_CACHE_MAX = 8192
# Timestamps outside 1970..9999 (less a day, for any UTC offset) are not requests we can place:
# `datetime` cannot show them, and every later `fromtimestamp` would raise on them.
MAX_EPOCH = 253402300800.0 - 86400.0
_clf_cache: dict[str, tuple[float, int]] = {}
_iso_cache: dict[str, tuple[float, int]] = {}


def _cached(
    cache: dict[str, tuple[float, int]],
    parse: Callable[[str], tuple[float, int] | None],
    text: str,
) -> tuple[float, int] | None:
    """One bounded cache per timestamp style: a busy log repeats each second many times."""
    hit = cache.get(text)
    if hit is not None:
        return hit
    value = parse(text)
    if value is not None:
        if len(cache) >= _CACHE_MAX:
            cache.clear()
        cache[text] = value
    return value


def parse_clf(text: str) -> tuple[float, int] | None:
    """`10/Oct/2000:13:55:36 -0700` (also with fractional seconds) → (epoch, offset minutes)."""
    return _cached(_clf_cache, _parse_clf, text)


def parse_clf_uncached(text: str) -> tuple[float, int] | None:
    """`parse_clf` for callers that keep their own cache (the fast lane): not cached twice."""
    return _parse_clf(text)


_day_cache: dict[tuple[str, str], tuple[float, int] | None] = {}


def _parse_clf(text: str) -> tuple[float, int] | None:
    try:
        if len(text) < 20 or text[2] != "/" or text[6] != "/" or text[11] != ":":
            return None
        hour, minute = int(text[12:14]), int(text[15:17])
        sec_text, _, zone = text[18:].partition(" ")
        seconds = float(sec_text)
        if not (0 <= hour < 24 and 0 <= minute < 60 and 0 <= seconds < 61):
            return None
        # Midnight of the day in UTC, per (date, zone): one calendar computation per day.
        day_key = (text[:11], zone)
        if day_key in _day_cache:
            midnight = _day_cache[day_key]
        else:
            midnight = _midnight(text[:11], zone)
            if len(_day_cache) >= _CACHE_MAX:
                _day_cache.clear()
            _day_cache[day_key] = midnight
        if midnight is None:
            return None
        epoch = midnight[0] + hour * 3600 + minute * 60 + seconds
        return (epoch, midnight[1]) if 0 <= epoch < MAX_EPOCH else None
    except (ValueError, KeyError, IndexError, OverflowError):
        return None


def _midnight(date: str, zone: str) -> tuple[float, int] | None:
    try:
        day, month, year = int(date[0:2]), _MONTHS[date[3:6]], int(date[7:11])
        offset = _zone_minutes(zone) if zone else 0
        if offset is None or not 1 <= day <= 31:
            return None
        return calendar.timegm((year, month, day, 0, 0, 0, 0, 0, 0)) - offset * 60, offset
    except (ValueError, KeyError, OverflowError):
        return None


def _zone_minutes(zone: str) -> int | None:
    zone = zone.strip()
    if zone in ("Z", "UTC", "GMT", "+0000", "-0000"):
        return 0
    if len(zone) == 6 and zone[3] == ":":
        zone = zone[:3] + zone[4:]
    if len(zone) != 5 or zone[0] not in "+-" or not (zone[1:].isascii() and zone[1:].isdigit()):
        return None
    hours, minutes = int(zone[1:3]), int(zone[3:5])
    if hours > 23 or minutes > 59:  # "+9999" is no offset (and no timezone() would take it)
        return None
    return -(hours * 60 + minutes) if zone[0] == "-" else hours * 60 + minutes


def parse_iso(text: str) -> tuple[float, int] | None:
    """ISO 8601 / RFC 3339 (`2026-10-10T13:55:36.123+02:00`, `...Z`, nanoseconds) → epoch, offset."""
    return _cached(_iso_cache, _parse_iso, text)


def _parse_iso(text: str) -> tuple[float, int] | None:
    t = text.strip()
    if len(t) < 19 or len(t) > 40:
        return None
    if t.endswith("Z"):
        t = t[:-1] + "+00:00"
    # Python 3.11 handles at most microseconds; trim longer fractions (Traefik writes nanoseconds).
    dot = t.find(".", 19)
    if dot != -1:
        end = dot + 1
        while end < len(t) and t[end].isdigit():
            end += 1
        t = t[: min(end, dot + 7)] + t[end:]
    try:
        dt = datetime.fromisoformat(t)
    except ValueError:
        return None
    return _epoch_of(dt)


def _epoch_of(dt: datetime) -> tuple[float, int] | None:
    """A datetime (naive ones are UTC) → (epoch, offset minutes), None outside 1970..9999."""
    offset = dt.utcoffset()
    if offset is None:
        epoch, minutes = calendar.timegm(dt.timetuple()) + dt.microsecond / 1e6, 0
    else:
        epoch, minutes = dt.timestamp(), int(offset.total_seconds() // 60)
    return (epoch, minutes) if 0 <= epoch < MAX_EPOCH else None


# strftime shorthands that Apache's `%{...}t` may use and `strptime` does not know.
_STRFTIME_SHORTHANDS = {"%T": "%H:%M:%S", "%F": "%Y-%m-%d", "%D": "%m/%d/%y", "%R": "%H:%M"}
_strftime_cache: dict[tuple[str, str], tuple[float, int] | None] = {}


def parse_strftime(text: str, fmt: str) -> tuple[float, int] | None:
    """A time written with a strftime format (Apache `%{%Y-%m-%dT%H:%M:%S%z}t`) → epoch, offset."""
    if len(text) > 64:  # no time is so long: keep hostile text out of the cache
        return None
    key = (fmt, text)
    if key in _strftime_cache:
        return _strftime_cache[key]
    for short, long in _STRFTIME_SHORTHANDS.items():
        fmt = fmt.replace(short, long)
    try:
        value = _epoch_of(datetime.strptime(text, fmt))
    except (ValueError, OverflowError):
        value = None
    if len(_strftime_cache) >= _CACHE_MAX:
        _strftime_cache.clear()
    _strftime_cache[key] = value
    return value


def parse_epoch(value: object) -> tuple[float, int] | None:
    """Seconds (or milli/micro/nanoseconds, told apart by size) since the epoch → (epoch, 0)."""
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    if not math.isfinite(x) or x <= 0:
        return None  # an infinite value would never shrink below the bound below
    while x > 1e11:  # ms, µs or ns
        x /= 1000.0
    return x, 0


def parse_any(text: str) -> tuple[float, int] | None:
    """Whichever of the above fits."""
    if not text:
        return None
    if text[0].isdigit() and len(text) > 4 and text[4] == "-":
        return parse_iso(text)
    if len(text) > 2 and text[2] == "/":
        return parse_clf(text)
    return parse_epoch(text)
