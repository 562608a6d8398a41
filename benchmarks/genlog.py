"""Write an N-line synthetic access log for benchmarks and manual testing.

    python benchmarks/genlog.py 1M benchmarks/data/combined_1M.log
    python benchmarks/genlog.py 10M benchmarks/data/big.log --format combined_rt --rate 200
    python benchmarks/genlog.py 1M benchmarks/data/card.log --mode cardinality
    python benchmarks/genlog.py 100k benchmarks/data/fuzz.log --mode mutated --mutate-rate 0.2
    python benchmarks/genlog.py 2000 benchmarks/data/hostile.log --mode hostile

Same arguments, same bytes (see logwatch.synth). benchmarks/data/ is git-ignored.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from logwatch import synth

MODES = ("realistic", "cardinality", "hostile", "mutated")


def count(text: str) -> int:
    """'1M' → 1_000_000, '500k' → 500_000, '2500' → 2500."""
    t = text.strip().lower().replace("_", "")
    mult = {"k": 1_000, "m": 1_000_000, "g": 1_000_000_000}.get(t[-1:], 1)
    try:
        value = float(t[:-1] if mult != 1 else t) * mult
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not a line count: {text!r} (try 1000, 500k, 1M)"
        ) from None
    if value < 0:
        raise argparse.ArgumentTypeError("line count must be >= 0")
    return int(value)


def lines_for(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    if args.mode == "hostile":
        return synth.hostile(args.lines, seed=args.seed, start=args.start, rate=args.rate)
    mode = "cardinality" if args.mode == "cardinality" else "realistic"
    lines = synth.generate(
        args.lines,
        fmt=args.format,
        seed=args.seed,
        start=args.start,
        rate=args.rate,
        distinct_paths=args.distinct_paths,
        mode=mode,
    )
    if args.mode == "mutated":
        return synth.mutate_lines(lines, seed=args.seed, rate=args.mutate_rate)
    return lines


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("lines", type=count, help="how many lines: 1000, 500k, 1M, 10M")
    p.add_argument("path", type=Path, help="where to write ('-' for standard output)")
    p.add_argument("--format", default="combined", choices=synth.FORMATS)
    p.add_argument("--mode", default="realistic", choices=MODES)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--start", type=float, default=synth.DEFAULT_START, help="epoch of line one")
    p.add_argument("--rate", type=float, default=50.0, help="average requests per second")
    p.add_argument("--distinct-paths", type=count, default=None, help="page paths to draw from")
    p.add_argument("--mutate-rate", type=float, default=0.1, help="share of lines damaged")
    args = p.parse_args(argv)

    t0, c0 = time.perf_counter(), time.process_time()
    if str(args.path) == "-":
        try:
            sys.stdout.buffer.writelines(lines_for(args))
            sys.stdout.buffer.flush()
        except BrokenPipeError:  # `genlog.py ... - | head`
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    args.path.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.path.with_name(args.path.name + ".part")
    with open(tmp, "wb", buffering=1 << 20) as f:
        f.writelines(lines_for(args))
    os.replace(tmp, args.path)  # a half-written file never looks finished
    dt, cpu = time.perf_counter() - t0, time.process_time() - c0
    size = args.path.stat().st_size
    print(
        f"{args.path}: {args.lines:,} lines, {size / 1e6:.1f} MB in {dt:.1f} s wall, {cpu:.1f} s CPU "
        f"({args.lines / max(dt, 1e-9):,.0f} lines/s wall, {args.lines / max(cpu, 1e-9):,.0f} per CPU s)",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
