"""Fuzz the whole per-line path with a million mutated lines: no crash, every line accounted for.

Realistic synthetic traffic in several formats (`logwatch.synth.generate`) is damaged line by
line with `logwatch.synth.mutate` (truncations, random bytes, NULs, fields of up to 80 KB, broken
quoting, latin-1/cp1252/UTF-16 text, dropped and duplicated fields, control bytes, blank lines),
then fed through `Pipeline` (parse → classify → aggregate) with the format fixed, framed as a
source frames them (lines over `MAX_LINE_BYTES` are cut by the source and handed over as a
`too_long` count). Every 100k lines a snapshot is taken and rendered as the text and the JSON report.

Checks, after every batch: `lines == parsed + malformed` and `lines` equals the number of
non-blank lines fed. A crash, or a single line lost or counted twice, fails the run (exit 1).

    python benchmarks/fuzz.py                  # 1,000,000 lines, every one mutated
    python benchmarks/fuzz.py --lines 200k --rate 0.5 --seed 7

Prints lines, time, lines/s and peak RSS (ru_maxrss of this process), plus the malformed reasons.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import re
import resource
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from logwatch import synth  # noqa: E402
from logwatch.ingest.formats import get_format  # noqa: E402
from logwatch.pipeline import Pipeline  # noqa: E402
from logwatch.report import render_json, render_text  # noqa: E402
from logwatch.sanitize import MAX_LINE_BYTES  # noqa: E402

# synth format → the parser that reads it.
FORMATS: dict[str, str] = {
    "combined": "combined",
    "combined_rt": "combined_extra",
    "vhost_combined": "vhost_combined",
    "nginx_json": "nginx_json",
    "caddy_json": "caddy",
    "traefik_json": "traefik",
}
BATCH = 5000
# What the pipeline escapes before it decides a line is blank (tab stays whitespace).
_CONTROLS = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f]")


def _counted(raw: bytes) -> bool:
    """Would the pipeline count this line (it skips empty and whitespace-only lines)?"""
    if raw[-1:] == b"\r":
        raw = raw[:-1]
    text = _CONTROLS.sub("X", raw.decode("utf-8", "replace"))
    return bool(text) and not text.isspace()


def parse_count(text: str) -> int:
    text = text.strip().lower().replace("_", "")
    mult = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    return int(float(text[:-1] if mult > 1 else text) * mult)


def fuzz(n_lines: int, *, seed: int = 1, rate: float = 1.0, snapshot_every: int = 100_000) -> dict:
    """Run the fuzz; returns the figures. Raises AssertionError on a lost or doubled line."""
    rng = random.Random(seed)
    per_format = n_lines // len(FORMATS)
    t0 = time.perf_counter()
    results: dict[str, Any] = {"formats": {}, "lines_in": 0, "bytes_in": 0}
    for i, (synth_fmt, parser) in enumerate(FORMATS.items()):
        n = per_format + (n_lines - per_format * len(FORMATS) if i == 0 else 0)
        lines = synth.generate(n, fmt=synth_fmt, seed=seed + i)
        results["formats"][synth_fmt] = _fuzz_one(
            lines, synth_fmt, parser, rng, rate, snapshot_every, results
        )
    results["seconds"] = time.perf_counter() - t0
    results["counted"] = sum(f["lines"] for f in results["formats"].values())
    results["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return results


def _fuzz_one(
    lines: Iterator[bytes],
    source: str,
    parser: str,
    rng: random.Random,
    rate: float,
    snapshot_every: int,
    results: dict[str, Any],
) -> dict[str, Any]:
    pipeline = Pipeline(get_format(parser))
    agg = pipeline.aggregator
    expected = too_long = fed = 0
    batch: list[bytes] = []

    def flush() -> None:
        nonlocal too_long
        pipeline.feed(batch, source, too_long)
        too_long = 0
        batch.clear()
        assert agg.lines == agg.parsed + agg.malformed, (source, agg.lines, agg.parsed)
        assert agg.lines == expected, f"{source}: counted {agg.lines}, fed {expected} lines"

    for line in lines:
        if rng.random() < rate:
            line = synth.mutate(line, rng)
        # Framing as a source does it: split on newlines, drop the newline.
        for raw in line.rstrip(b"\n").split(b"\n"):
            results["bytes_in"] += len(raw) + 1
            results["lines_in"] += 1
            if len(raw) > MAX_LINE_BYTES:
                # A source never hands such a line over: it cuts it and counts it.
                too_long += 1
                expected += 1
                continue
            if _counted(raw):
                expected += 1
            batch.append(raw)
        fed += 1
        if len(batch) >= BATCH:
            flush()
        if fed % snapshot_every == 0:
            flush()
            snap = pipeline.snapshot()
            render_text(snap, out=io.StringIO())
            render_json(snap, out=io.StringIO())
    flush()
    snap = pipeline.snapshot()
    json.dumps(snap.to_json())
    return {
        "lines": snap.lines,
        "parsed": snap.parsed,
        "malformed": snap.malformed,
        "reasons": dict(sorted(snap.malformed_reasons.items(), key=lambda kv: -kv[1])),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--lines", default="1M", help="lines to generate and mutate (default 1M)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--rate", type=float, default=1.0, help="share of lines mutated (default 1)")
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = p.parse_args(argv)
    n = parse_count(args.lines)
    try:
        r = fuzz(n, seed=args.seed, rate=args.rate)
    except AssertionError as exc:
        print(f"FAIL: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(r, indent=1))
        return 0
    print(f"generated {n:,} lines, mutated share {args.rate:g}, seed {args.seed}")
    print(
        f"fed {r['lines_in']:,} raw lines ({r['bytes_in'] / 1e6:.0f} MB), counted {r['counted']:,} "
        f"(the rest blank), in {r['seconds']:.1f} s = {r['lines_in'] / r['seconds']:,.0f} lines/s"
    )
    print(f"peak RSS {r['peak_rss_mb']:.0f} MB; no exception; lines == parsed + malformed")
    for fmt, f in r["formats"].items():
        top = ", ".join(f"{k} {v}" for k, v in list(f["reasons"].items())[:4])
        print(f"  {fmt:<15} lines {f['lines']:>8,}  parsed {f['parsed']:>8,}  malformed: {top}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
