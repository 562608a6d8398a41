"""Run logwatch over real log files and print what it saw, one row a file.

For trying the parser and the classifier on traffic nobody here wrote (the files are read, never
copied into the project):

    python benchmarks/survey.py /path/to/access.log /path/to/dir/*.log
    python benchmarks/survey.py --markdown ../shared/realogs/*/*

Per file: the detected format, lines, parsed, malformed (with reasons), the class split, bots by
category, probe hits by family, and the parse rate of a single in-process pass.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from logwatch.ingest.formats import FormatError
from logwatch.pipeline import Pipeline
from logwatch.report import read_into


def survey(path: str) -> dict[str, object]:
    pipeline = Pipeline()
    start = time.process_time()
    try:
        errors = read_into(pipeline, [path], jobs=1)
    except FormatError:
        return {"file": path, "format": "no known format"}
    cpu = time.process_time() - start
    if errors:
        return {"file": path, "format": f"error: {errors[0][1]}"}
    snap = pipeline.snapshot()
    t = snap.totals
    return {
        "file": path,
        "format": snap.format,
        "lines": snap.lines,
        "parsed": snap.parsed,
        "malformed": snap.malformed,
        "reasons": dict(snap.malformed_reasons),
        "classes": {c: t.classes.get(c, 0) for c in ("human", "bot", "asset")},
        "bots": {c: n for c, n in t.bots.items() if n},
        "probes": t.probe_hits,
        "probe_rules": dict(sorted(t.probe_rules.items(), key=lambda kv: -kv[1])),
        "lines_per_s": round(snap.lines / cpu) if cpu > 0 else None,
    }


def pct(n: int, total: int) -> str:
    return f"{100 * n / total:.0f}%" if total else "-"


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("paths", nargs="+")
    ap.add_argument("--markdown", action="store_true", help="one markdown table")
    args = ap.parse_args()
    rows = [survey(p) for p in args.paths if Path(p).is_file() and not p.endswith(".md")]
    if args.markdown:
        print(
            "| file | format | lines | parsed | malformed | human / bot / asset | bots by category "
            "| probes | lines/s |"
        )
        print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        if "lines" not in r:
            print(f"| {r['file']} | {r['format']} |" if args.markdown else r)
            continue
        parsed = int(r["parsed"])  # type: ignore[call-overload]
        classes = r["classes"]
        assert isinstance(classes, dict)
        split = " / ".join(pct(classes[c], parsed) for c in ("human", "bot", "asset"))
        bots = ", ".join(f"{k} {v}" for k, v in r["bots"].items())  # type: ignore[attr-defined]
        if args.markdown:
            print(
                f"| {Path(str(r['file'])).name} | {r['format']} | {r['lines']} | {parsed} | "
                f"{r['malformed']} | {split} | {bots} | {r['probes']} | {r['lines_per_s']} |"
            )
        else:
            print(r)


if __name__ == "__main__":
    main()
