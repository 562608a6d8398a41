"""Hostile line shapes: how many lines per CPU second `Pipeline` keeps up with for each.

Every byte of a log line is the attacker's, and some shapes are slower to read and judge than
others: if one costs a hundred times an ordinary line, a modest flood of it makes logwatch fall
behind the log. Each shape below is N lines, every line distinct (so no cache hides the cost),
fed through `Pipeline(get_format(...))` in blocks of about 1 MiB, as the readers hand them over.
Only the feeding is timed (time.process_time); making the lines is not.

    baseline         an ordinary generated log (`logwatch.synth.generate`, combined)
    pct-dots         2 KB paths of `%2e%2e%2f` (the probe scan runs over several decoded forms)
    pct-letters      2 KB paths of `%41%42…`
    traversal        2 KB paths of `../`
    xff              a 30-address X-Forwarded-For list before the client
    xff-long         a 2,000-address X-Forwarded-For list before the client (about 30 KB)
    xff-junk         2,000 list entries shaped like addresses that are not, then the client
    nginx-json       nginx JSON lines (nginx_json) of 30-50 KB
    quoted-tail      combined lines followed by 5,000 quoted tokens
    controls         600 control characters a line (escaped at ingestion)
    invalid-bytes    800 invalid UTF-8 bytes a line

    python benchmarks/hostile_shapes.py                    # 20,000 lines of each shape
    python benchmarks/hostile_shapes.py --lines 5k --shape xff --shape quoted-tail
    python benchmarks/hostile_shapes.py --json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from logwatch import synth  # noqa: E402
from logwatch.ingest.formats import get_format  # noqa: E402
from logwatch.pipeline import Pipeline  # noqa: E402

RATE = 20.0  # lines per second of log time
BLOCK = 1 << 20  # what a reader hands over at most
AGENT = b"Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0"


def _stamp(i: int) -> bytes:
    return time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(synth.DEFAULT_START + i / RATE))


def _combined(i: int, path: bytes, agent: bytes = AGENT, head: bytes | None = None) -> bytes:
    client = head if head is not None else f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}".encode()
    return b'%s - - [%s] "GET %s HTTP/1.1" 404 153 "-" "%s"' % (
        client,
        _stamp(i).encode(),
        path,
        agent,
    )


def pct_dots(i: int) -> bytes:
    return _combined(i, b"/%d/" % i + b"%2e%2e%2f" * 227)


def pct_letters(i: int) -> bytes:
    letters = b"".join(b"%%%02X" % (0x41 + (i + k) % 26) for k in range(680))
    return _combined(i, b"/%d/" % i + letters)


def traversal(i: int) -> bytes:
    return _combined(i, b"/%d/" % i + b"../" * 680 + b"etc/passwd")


def xff(i: int) -> bytes:
    addresses = ", ".join(f"{(i + k) % 223 + 1}.{k}.{i >> 8 & 255}.{i & 255}" for k in range(30))
    return _combined(i, b"/page/%d" % i, head=addresses.encode())


def xff_long(i: int) -> bytes:
    addresses = ", ".join(
        f"{k % 223 + 1}.{k >> 8 & 255}.{i >> 8 & 255}.{i & 255}" for k in range(2000)
    )
    return _combined(i, b"/page/%d" % i, head=addresses.encode())


def xff_junk(i: int) -> bytes:
    # Each entry costs a failed address check: the most work a list can ask of the parser.
    junk = ", ".join(f"999.{k & 255}.{i >> 8 & 255}.{i & 255}" for k in range(2000))
    return _combined(i, b"/page/%d" % i, head=f"{junk} 10.0.{i >> 8 & 255}.{i & 255}".encode())


def nginx_json(i: int) -> bytes:
    # Headers are the attacker's to fill: controls arrive as \u00XX escapes, then are escaped
    # again by sanitize. 30-50 KB a line.
    size = 30_000 + (i * 7919) % 20_000
    unit = '\\u0001a\\"b/'
    blob = unit * (size // 2 // len(unit))
    when = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(synth.DEFAULT_START + i / RATE))
    head = (
        f'{{"time_iso8601":"{when}","remote_addr":"10.0.{i >> 8 & 255}.{i & 255}",'
        f'"request":"GET /item/{i} HTTP/1.1","status":"200","body_bytes_sent":"512",'
        f'"request_time":"0.012","http_referer":"https://example.org/{i}/'
    )
    return f'{head}{blob}","http_user_agent":"agent {i} {blob}"}}'.encode()


def quoted_tail(i: int) -> bytes:
    tail = " ".join(f'"{i}.{k}"' for k in range(5000))
    return _combined(i, b"/page/%d" % i) + b" " + tail.encode()


def controls(i: int) -> bytes:
    noise = bytes(1 + k % 31 for k in range(600)).replace(b"\n", b"\x0b").replace(b'"', b"'")
    return _combined(i, b"/page/%d" % i, agent=b"agent %d " % i + noise)


def invalid_bytes(i: int) -> bytes:
    return _combined(i, b"/page/%d/" % i + b"\xff\xfe" * 400)


def baseline(n: int) -> Iterator[bytes]:
    return (line.rstrip(b"\n") for line in synth.generate(n, seed=7, rate=RATE))


SHAPES: dict[str, tuple[str, Callable[[int], bytes] | None]] = {
    "baseline": ("combined", None),
    "pct-dots": ("combined", pct_dots),
    "pct-letters": ("combined", pct_letters),
    "traversal": ("combined", traversal),
    "xff": ("combined", xff),
    "xff-long": ("combined", xff_long),
    "xff-junk": ("combined", xff_junk),
    "nginx-json": ("nginx_json", nginx_json),
    "quoted-tail": ("combined", quoted_tail),
    "controls": ("combined", controls),
    "invalid-bytes": ("combined", invalid_bytes),
}


def lines_of(shape: str, n: int) -> Iterator[bytes]:
    make = SHAPES[shape][1]
    return baseline(n) if make is None else (make(i) for i in range(n))


def blocks(lines: Iterator[bytes]) -> Iterator[bytes]:
    """Lines joined by newlines, about BLOCK bytes a block."""
    batch: list[bytes] = []
    size = 0
    for line in lines:
        batch.append(line)
        size += len(line) + 1
        if size >= BLOCK:
            yield b"\n".join(batch)
            batch, size = [], 0
    if batch:
        yield b"\n".join(batch)


def run(shape: str, n: int) -> dict:
    pipeline = Pipeline(get_format(SHAPES[shape][0]))
    cpu = 0.0
    for block in blocks(lines_of(shape, n)):
        c0 = time.process_time()
        pipeline.feed_block(block, shape)
        cpu += time.process_time() - c0
    a = pipeline.aggregator
    return {
        "shape": shape,
        "lines": a.lines,
        "cpu_s": round(cpu, 3),
        "lines_per_cpu_s": round(a.lines / cpu) if cpu else 0,
        "parsed": a.parsed,
        "malformed": a.malformed,
    }


def lines_arg(text: str) -> int:
    text = text.lower()
    mult = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    return int(float(text[:-1] if mult > 1 else text) * mult)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--lines", type=lines_arg, default=20_000, help="lines per shape (20000)")
    p.add_argument("--shape", action="append", choices=list(SHAPES), help="only these shapes")
    p.add_argument("--json", action="store_true", help="JSON lines instead of a table")
    args = p.parse_args(argv)
    if not args.json:
        print("| shape | lines | CPU s | lines / CPU s | parsed | malformed |")
        print("|---|---|---|---|---|---|")
    for shape in args.shape or list(SHAPES):
        r = run(shape, args.lines)
        if args.json:
            print(json.dumps(r), flush=True)
        else:
            print(
                f"| {r['shape']} | {r['lines']:,} | {r['cpu_s']} | {r['lines_per_cpu_s']:,} "
                f"| {r['parsed']:,} | {r['malformed']:,} |",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
