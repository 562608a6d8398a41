"""Bounded heavy-hitter counting.

A `BoundedCounter` is a dict of counts that never holds more than `2 * capacity` keys: when it
grows past that, it keeps the `capacity` largest and remembers the largest count it dropped
(`dropped_max`), which bounds the error of any count it still reports. Heavy hitters survive;
the long tail is forgotten. Memory depends on `capacity`, never on the number of lines.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping
from heapq import nsmallest
from typing import Any, Generic, TypeVar

K = TypeVar("K", bound=Hashable)


class BoundedCounter(Generic[K]):
    __slots__ = ("capacity", "data", "dropped_max", "limit")

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        # Pruning to half the limit makes its cost (a partial sort) amortise to O(log capacity)
        # per new key, which matters when long logs fold thousands of slots into the archive.
        self.limit = 2 * capacity
        self.data: dict[K, int] = {}
        self.dropped_max = 0

    def __len__(self) -> int:
        return len(self.data)

    def add(self, key: K, n: int = 1) -> None:
        data = self.data
        data[key] = data.get(key, 0) + n
        if len(data) > self.limit:
            self.prune()

    def update(self, counts: Mapping[K, int] | Iterable[tuple[K, int]]) -> None:
        data = self.data
        items = counts.items() if isinstance(counts, Mapping) else counts
        for key, n in items:
            data[key] = data.get(key, 0) + n
        if len(data) > self.limit:
            self.prune()

    def merge(self, other: BoundedCounter[K]) -> None:
        self.update(other.data)
        self.dropped_max = max(self.dropped_max, other.dropped_max)

    def prune(self) -> None:
        """Keep the `capacity` largest counts."""
        if len(self.data) <= self.capacity:
            return
        self.dropped_max = max(self.dropped_max, _keep_largest(self.data, self.capacity, list))

    def top(self, n: int) -> list[tuple[K, int]]:
        # Equal counts in key order: the same figures always show the same way. The sort keys
        # are built in one comprehension (a key function per entry cost twice as much).
        keyed = [(-count, key) for key, count in self.data.items()]
        return [(key, -negative) for negative, key in nsmallest(n, keyed)]

    def copy(self) -> BoundedCounter[K]:
        out: BoundedCounter[K] = BoundedCounter(self.capacity)
        out.data = dict(self.data)
        out.dropped_max = self.dropped_max
        return out


class BoundedTable(Generic[K]):
    """A BoundedCounter whose value is a short list of counts, ranked by the first one.

    One entry per key keeps a key's figures together. Spread over several keys (a client's hits
    by class, its errors), the small ones would be pruned again and again while the big one
    stays, and a heavy client would show no errors at all."""

    __slots__ = ("capacity", "data", "dropped_max", "limit")

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        self.limit = 2 * capacity
        self.data: dict[K, list[int]] = {}
        self.dropped_max = 0

    def __len__(self) -> int:
        return len(self.data)

    def merge(self, other: BoundedTable[K]) -> None:
        data = self.data
        for key, row in other.data.items():
            mine = data.get(key)
            if mine is None:
                data[key] = list(row)
            else:
                for i, n in enumerate(row):
                    mine[i] += n
        self.dropped_max = max(self.dropped_max, other.dropped_max)
        if len(data) > self.limit:
            self.prune()

    def prune(self) -> None:
        """Keep the `capacity` rows with the largest first count."""
        if len(self.data) > self.capacity:
            threshold = _keep_largest(self.data, self.capacity, _first_counts)
            self.dropped_max = max(self.dropped_max, threshold)


def _first_counts(rows: Iterable[list[int]]) -> list[int]:
    return [row[0] for row in rows]


def _keep_largest(
    data: dict[Any, Any], capacity: int, counts_of: Callable[[Any], list[int]]
) -> int:
    """Keep, in place (the hot paths hold references to `data`), the `capacity` entries with the
    largest counts; return the count at the cut. The threshold comes from a C-level sort of the
    counts, then one filtering pass: several times cheaper than a heap over the entries, and long
    logs prune the archive often."""
    counts = counts_of(data.values())
    ranked = sorted(counts, reverse=True)
    threshold = ranked[capacity - 1]
    room = capacity - ranked.index(threshold)  # entries at the threshold that still fit
    kept = []
    for key, value, n in zip(data.keys(), data.values(), counts, strict=True):
        if n > threshold:
            kept.append((key, value))
        elif n == threshold and room > 0:
            kept.append((key, value))
            room -= 1
    data.clear()
    data.update(kept)
    return threshold
