"""Counting: rolling windows of time buckets, bounded top-k, quantiles, and the Snapshot view."""

from logwatch.stats.filtered import filtered_view

__all__ = ["filtered_view"]
