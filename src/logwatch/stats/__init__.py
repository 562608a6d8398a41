"""Counting: rolling windows of time buckets, bounded top-k, quantiles, and the Snapshot view."""
