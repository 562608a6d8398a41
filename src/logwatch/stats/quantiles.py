"""Latency quantiles from log-scale histograms.

Request times are binned on a geometric scale (each bin 10% wider than the last), so a histogram
has at most a few hundred bins whatever the traffic, merges by adding counts, and a quantile is
off by at most 5%. Bins are cached per request-time string because logs repeat values a lot.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

_GROWTH = 1.1
_LOG_GROWTH = math.log(_GROWTH)
_FLOOR = 1e-4  # 0.1 ms: everything faster lands in bin 0
_MAX_BIN = 400  # ~ 5e12 s: a bound, never reached by real values


def bin_of(seconds: float) -> int:
    if seconds <= _FLOOR:
        return 0
    b = int(math.log(seconds / _FLOOR) / _LOG_GROWTH) + 1
    return b if b < _MAX_BIN else _MAX_BIN


def bin_value(b: int) -> float:
    """A representative value of a bin: its geometric middle."""
    if b <= 0:
        return _FLOOR
    return _FLOOR * _GROWTH ** (b - 0.5)


def quantile(hist: Mapping[int, int], q: float) -> float | None:
    total = sum(hist.values())
    if total <= 0:
        return None
    rank = q * total
    seen = 0
    for b in sorted(hist):
        seen += hist[b]
        if seen >= rank:
            return bin_value(b)
    return bin_value(max(hist))


def quantiles(hist: Mapping[int, int], qs: Iterable[tuple[str, float]]) -> dict[str, float]:
    out: dict[str, float] = {}
    for name, q in qs:
        value = quantile(hist, q)
        if value is not None:
            out[name] = value
    return out


STANDARD = (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))


def merge_into(target: dict[int, int], source: Mapping[int, int]) -> None:
    for b, n in source.items():
        target[b] = target.get(b, 0) + n
