"""Reading one file with several processes gives the same counts as one pass."""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import pytest

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


def test_a_log_without_agents_counts_like_one_pass_when_split(tmp_path: Path) -> None:
    """`common` logs no agent. A worker's warm-up judged the missing agent as a real empty one
    ("empty user agent → bot") and its classifier kept that judgement: every piece but the
    first counted its requests as bots."""
    from logwatch import synth

    log = tmp_path / "common.log"
    log.write_bytes(b"".join(synth.generate(20_000, fmt="common", seed=4, rate=20)))
    fmt = get_format("common")
    one = Pipeline(fmt)
    one.feed(log.read_bytes().split(b"\n")[:-1], str(log))
    many = backfill.read_parallel(
        str(log), fmt, jobs=2, pieces=4, stats=StatsConfig(), classify=ClassifyConfig()
    )
    a, b = one.snapshot().to_json(windows=False), many.snapshot().to_json(windows=False)
    assert a["classes"] == b["classes"] and a["bots"] == b["bots"]
    assert b["classes"]["human"] > b["classes"]["bot"]


def test_small_files_are_not_split(tmp_path: Path) -> None:
    log = tmp_path / "small.log"
    make_log(log, 100)
    assert not backfill.should_split(str(log), 2)


def test_lines_of_a_small_file_before_a_big_one_are_counted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from logwatch.report import read_into

    monkeypatch.setattr(backfill, "PARALLEL_MIN_BYTES", 100_000)
    small, big = tmp_path / "small.log", tmp_path / "big.log"
    make_log(small, 10)
    make_log(big, 5_000)
    pipeline = Pipeline()
    assert read_into(pipeline, [str(small), str(big)], jobs=2) == []
    snap = pipeline.snapshot()
    assert snap.lines == snap.parsed == 5_010


def test_plan_ranges_makes_exactly_the_pieces_asked_and_keeps_recent_at_the_end(
    tmp_path: Path,
) -> None:
    log = tmp_path / "big.log"
    make_log(log, 3_000)
    size = log.stat().st_size
    stats = StatsConfig(recent=50)  # the pieces within the last 50 KiB keep the ring
    whole = backfill.RangeJob(
        str(log), 0, size, "s", get_format("combined"), stats, ClassifyConfig()
    )
    for pieces in (2, 3, 8):
        jobs = backfill.plan_ranges(whole, pieces)
        assert len(jobs) == pieces and jobs[0].start == 0 and jobs[-1].end == size
        assert all(a.end == b.start for a, b in itertools.pairwise(jobs))
        # Each piece keeps what the merge may keep of it: the requests after it are at least
        # its distance to the end over RING_LINE_BYTES.
        assert [j.stats.recent for j in jobs] == [
            max(0, 50 - (size - j.end) // backfill.RING_LINE_BYTES) for j in jobs
        ]
        assert jobs[-1].stats.recent == 50 and jobs[0].stats.recent == 0
    agg = backfill.read_parallel(
        str(log), get_format("combined"), jobs=2, pieces=8, stats=stats, classify=ClassifyConfig()
    )
    # The ring comes back full (the last piece alone holds fewer), in the log's order.
    assert [r.ts for r, _ in agg.recent] == sorted(r.ts for r, _ in agg.recent)
    assert len(agg.recent) == 50 and agg.recent[-1][0].ts == agg.now


def test_the_next_file_is_classified_knowing_the_end_of_a_split_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The caller's classifier goes on to the next file: after a split read it must know the
    clients of the file's end (a prober there), as after a single pass."""
    from logwatch.report import read_into

    monkeypatch.setattr(backfill, "PARALLEL_MIN_BYTES", 100_000)
    big, small = tmp_path / "big.log", tmp_path / "small.log"
    make_log(big, 5_000)
    prober = '203.0.113.9 - - [10/Oct/2026:00:04:10 +0000] "GET /.env HTTP/1.1" 404 10 "-" "x"\n'
    with big.open("a") as f:
        f.write(prober)
    small.write_text(
        '203.0.113.9 - - [10/Oct/2026:00:04:20 +0000] "GET / HTTP/1.1" 200 10 "-" "curl/8.4.0"\n'
    )
    counts = []
    for jobs in (1, 2):
        pipeline = Pipeline()
        assert read_into(pipeline, [str(big), str(small)], jobs=jobs) == []
        counts.append(pipeline.snapshot().to_json(windows=False)["bots"])
        assert pipeline.classifier.clients.flagged("203.0.113.9", pipeline.aggregator.now)
    assert counts[0] == counts[1]  # the curl request a scanner's both ways


def test_a_split_file_is_classified_knowing_the_files_before_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`report access.log.1 access.log --jobs 2`: the first piece of the second file was read
    by a worker with a fresh classifier, so a client caught probing at the end of the first
    file came back as a person at the start of the second (one pass: still a scanner)."""
    from logwatch.report import read_into

    monkeypatch.setattr(backfill, "PARALLEL_MIN_BYTES", 100_000)
    old, big = tmp_path / "access.log.1", tmp_path / "access.log"
    old.write_text(
        '203.0.113.9 - - [10/Oct/2026:00:00:00 +0000] "GET /.env HTTP/1.1" 404 10 "-" "x"\n'
    )
    make_log(big, 5_000)
    visit = (
        '203.0.113.9 - - [10/Oct/2026:00:00:01 +0000] "GET /pricing HTTP/1.1" 200 10 "-" '
        f'"{AGENTS[0]}"\n'
    )
    big.write_text(visit + big.read_text())
    counts = []
    for jobs in (1, 2):
        pipeline = Pipeline()
        assert read_into(pipeline, [str(old), str(big)], jobs=jobs) == []
        counts.append(pipeline.snapshot().to_json(windows=False)["classes"])
    assert counts[0] == counts[1]
