"""Reading one file with several processes gives the same counts as one pass."""

from __future__ import annotations

import random
from pathlib import Path

from logwatch.classify import ClassifyConfig
from logwatch.ingest import backfill
from logwatch.ingest.formats import get_format
from logwatch.pipeline import Pipeline
from logwatch.stats.aggregator import StatsConfig

AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "curl/8.4.0",
]
PATHS = ["/", "/blog/a", "/static/app.js", "/.env", "/wp-login.php", "/api/items?id=1"]


def make_log(path: Path, n: int) -> None:
    rng = random.Random(7)
    with path.open("w") as f:
        for i in range(n):
            sec = i // 20
            f.write(
                f"10.0.{rng.randrange(4)}.{rng.randrange(250)} - - "
                f"[10/Oct/2026:{sec // 3600 % 24:02d}:{sec // 60 % 60:02d}:{sec % 60:02d} +0000] "
                f'"GET {rng.choice(PATHS)} HTTP/1.1" {rng.choice([200, 200, 404, 500])} 10 '
                f'"-" "{rng.choice(AGENTS)}"\n'
            )


def test_parallel_ranges_count_like_one_pass(tmp_path: Path) -> None:
    log = tmp_path / "big.log"
    make_log(log, 30_000)
    fmt = get_format("combined")
    one = Pipeline(fmt)
    with log.open("rb") as f:
        one.feed(f.read().split(b"\n")[:-1], str(log))
    many = backfill.read_parallel(
        str(log), fmt, jobs=3, stats=StatsConfig(), classify=ClassifyConfig()
    )
    a, b = one.snapshot().to_json(windows=False), many.snapshot().to_json(windows=False)
    for key in ("lines", "parsed", "malformed", "status", "status_codes", "top_paths"):
        assert a[key] == b[key], key
    assert a["classes"] == b["classes"]
    assert a["probes"]["count"] == b["probes"]["count"]


def test_small_files_are_not_split(tmp_path: Path) -> None:
    log = tmp_path / "small.log"
    make_log(log, 100)
    assert not backfill.should_split(str(log), 2)
