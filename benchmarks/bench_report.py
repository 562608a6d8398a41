"""`logwatch report` against GoAccess on the same files, in the same run.

For each data set, each tool reads the whole file once as a child process; we measure wall time,
CPU time (user + system, from the child's rusage: honest on a busy machine), lines/s and peak RSS.
A markdown table goes to standard output and the full results to benchmarks/out/ as JSON.

    python benchmarks/bench_report.py                       # 1M synthetic combined lines
    python benchmarks/bench_report.py --lines 1M 5M 10M     # bigger files too
    python benchmarks/bench_report.py --real /path/a.log /path/b.log --lines 1M
    python benchmarks/bench_report.py --no-goaccess --runs 3

--real concatenates the given combined-format files (each shifted to start at the same moment, then
all sorted by time), then repeats them, each copy shifted later by the span of the whole, until the
target line count: the real mix of paths, agents and oddities at benchmark size. The copies are
placed to end on 10 Oct 2026 (synth's default start), in the past: a server's log is not dated
ahead of its clock (logwatch keeps lines over a year ahead out of its windows, the slow way). Small real logs are
sparse (a line every few minutes); --real-rate 20 squeezes their time to 20 lines/s, like a busy
server's. The files are read, never copied into the project.

Data sets are written to benchmarks/data/ (git-ignored) and reused while their name matches.
logwatch runs as `python -m logwatch report FILE --json` with PYTHONPATH=src, so it needs no
install; GoAccess runs only if the `goaccess` binary is on PATH.
"""

from __future__ import annotations

import argparse
import calendar
import datetime as dt
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from genlog import count  # noqa: E402

from logwatch import synth  # noqa: E402

DATA = ROOT / "benchmarks" / "data"
OUT = ROOT / "benchmarks" / "out"


# --------------------------------------------------------------------------------------------------
# Data sets


def synthetic(n: int, fmt: str, seed: int, data_dir: Path) -> Path:
    path = data_dir / f"synth_{fmt}_{n}_seed{seed}.log"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        tmp = path.with_name(path.name + ".part")
        synth.write(tmp, n, fmt=fmt, seed=seed, rate=50.0)
        os.replace(tmp, path)
        print(f"wrote {path} in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return path


_CLF_TIME = re.compile(rb"\[(\d\d)/(\w{3})/(\d{4}):(\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)\]")
_MONTHS = {m: i for i, m in enumerate(synth._MONTHS, start=1)}


def _split_time(line: bytes) -> tuple[bytes, int, bytes, bytes] | None:
    """line → (before, epoch seconds, zone, after), or None when it has no CLF timestamp."""
    m = _CLF_TIME.search(line)
    if m is None or m.group(2) not in _MONTHS:
        return None
    d, mon, y, hh, mm, ss, sign, zh, zm = m.groups()
    local = calendar.timegm((int(y), _MONTHS[mon], int(d), int(hh), int(mm), int(ss)))
    offset = (int(zh) * 3600 + int(zm) * 60) * (1 if sign == b"+" else -1)
    zone = sign + zh + zm
    return line[: m.start()], local - offset, zone, line[m.end() :]


def _clf_stamp(epoch: int, zone: bytes) -> bytes:
    sign = 1 if zone[:1] == b"+" else -1
    offset = sign * (int(zone[1:3]) * 3600 + int(zone[3:5]) * 60)
    return b"[" + synth._clf_time(epoch + offset)[:-5] + zone + b"]"


def real(files: list[Path], n: int, data_dir: Path, rate: float = 0.0) -> Path:
    """Concatenate real logs, sort by time, repeat shifted in time until `n` lines.

    rate > 0 squeezes (or stretches) time so the lines arrive at `rate` per second on average,
    keeping their order and relative spacing: a month of a small site's log read as one busy day.
    """
    tag = "_".join(f"{p.parent.name}-{p.stem}"[:24] for p in files)[:120]
    path = data_dir / f"real_{tag}_{n}{f'_r{rate:g}' if rate > 0 else ''}_past.log"
    if path.exists():
        return path
    timed: list[tuple[int, bytes, bytes, bytes]] = []
    untimed: list[bytes] = []
    for f in files:
        mine: list[tuple[int, bytes, bytes, bytes]] = []
        for line in f.read_bytes().splitlines():
            if not line.strip():
                continue
            parts = _split_time(line)
            if parts is None:
                untimed.append(line)  # kept: a real log's garbage belongs in the benchmark
            else:
                before, epoch, zone, after = parts
                mine.append((epoch, before, zone, after))
        if mine:
            # Every file starts at the same moment, so logs years apart overlap like one server's.
            shift = int(synth.DEFAULT_START) - min(e for e, *_ in mine)
            timed += [(e + shift, b, z, a) for e, b, z, a in mine]
    if not timed:
        raise SystemExit("--real: no line with a [dd/Mon/yyyy:hh:mm:ss +zone] timestamp")
    timed.sort(key=lambda x: x[0])
    first, last = timed[0][0], timed[-1][0]
    if rate > 0 and last > first:
        k = len(timed) / rate / (last - first)
        timed = [(first + int((e - first) * k), b, z, a) for e, b, z, a in timed]
        last = timed[-1][0]
    span = last - first + 60
    base = len(timed) + len(untimed)
    # Lines per copy (the untimed ones spread through it), so the copies can end in the past.
    step = max(len(timed) // len(untimed), 1) if untimed else 0
    per_copy = len(timed) + (sum(1 for i in range(len(timed)) if i % step == 0) if step else 0)
    copies = -(-n // per_copy)
    start_shift = int(synth.DEFAULT_START) - (last + (copies - 1) * span)
    data_dir.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    written = 0
    with open(tmp, "wb", buffering=1 << 20) as out:
        copy = 0
        while written < n:
            shift = start_shift + copy * span
            cache: dict[tuple[int, bytes], bytes] = {}
            for i, (epoch, before, zone, after) in enumerate(timed):
                if written >= n:
                    break
                key = (epoch + shift, zone)
                stamp = cache.get(key)
                if stamp is None:
                    stamp = cache[key] = _clf_stamp(epoch + shift, zone)
                out.write(before + stamp + after + b"\n")
                written += 1
                # Spread the untimed lines through the copy rather than bunching them at the end.
                if untimed and i % max(len(timed) // len(untimed), 1) == 0 and written < n:
                    out.write(untimed[(i + copy) % len(untimed)] + b"\n")
                    written += 1
            copy += 1
    os.replace(tmp, path)
    print(f"wrote {path}: {written:,} lines from {base:,} real ones x{copy}", file=sys.stderr)
    return path


# --------------------------------------------------------------------------------------------------
# Running a tool


def run(cmd: list[str], env: dict[str, str] | None, stdout_path: Path) -> dict[str, Any]:
    """Run `cmd` as a child; wall time, CPU time and peak RSS from its own rusage.

    wait4's rusage covers the child and the descendants it waited for (a process pool's workers):
    CPU time adds up over all of them, peak RSS is the largest single process, not the sum.
    """
    with open(stdout_path, "wb") as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
    return {
        "cmd": cmd,
        "exit": proc.returncode,
        "wall_s": round(wall, 3),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 3),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),  # Linux reports KiB
        "stderr_tail": stderr[-800:],
    }


def run_logwatch(path: Path, python: str, work: Path) -> dict[str, Any]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")
    out = work / "logwatch.json"
    res = run([python, "-m", "logwatch", "report", str(path), "--json"], env, out)
    res["tool"] = "logwatch"
    try:
        summary = json.loads(out.read_bytes())
        res["lines_read"] = summary.get("lines")
        res["parsed"] = summary.get("parsed")
        res["classes"] = summary.get("classes")
        res["format"] = summary.get("format")
    except (ValueError, OSError) as e:
        res["error"] = f"no JSON summary on stdout: {e}"
    return res


def goaccess_version(binary: str) -> str:
    try:
        out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    return out.stdout.splitlines()[0].strip() if out.stdout else "?"


def run_goaccess(path: Path, binary: str, work: Path) -> dict[str, Any]:
    report = work / "goaccess.json"
    # --no-global-config: no /etc/goaccess.conf; no TTY is involved with -o, and no ~/.goaccessrc
    # is read unless asked for with -p.
    cmd = [binary, str(path), "--log-format=COMBINED", "--no-global-config", "--no-progress",
           "-o", str(report)]  # fmt: skip
    res = run(cmd, None, work / "goaccess.stdout")
    res["tool"] = "goaccess"
    try:
        general = json.loads(report.read_bytes())["general"]
        res["lines_read"] = general.get("total_requests")
        res["parsed"] = general.get("valid_requests")
    except (ValueError, OSError, KeyError) as e:
        res["error"] = f"no JSON report: {e}"
    return res


# --------------------------------------------------------------------------------------------------


def _count_lines(path: Path) -> int:
    n = 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 22):
            n += chunk.count(b"\n")
    return n


def table(results: list[dict[str, Any]]) -> str:
    head = (
        "| data set | tool | lines | MB | wall s | CPU s | lines/s (wall) | lines/s (CPU) "
        "| peak RSS MB | parsed | exit |"
    )
    rows = [head, "|" + "---|" * 11]
    for r in results:
        lines = r["file_lines"]
        rows.append(
            f"| {r['dataset']} | {r['tool']} | {lines:,} | {r['file_mb']:.0f} | {r['wall_s']:.1f} "
            f"| {r['cpu_s']:.1f} | {lines / max(r['wall_s'], 1e-9):,.0f} "
            f"| {lines / max(r['cpu_s'], 1e-9):,.0f} | {r['peak_rss_mb']:.0f} "
            f"| {r.get('parsed', '?')} | {r['exit']} |"
        )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--lines", type=count, nargs="+", default=[1_000_000], help="1M 5M 10M ...")
    p.add_argument("--real", type=Path, nargs="+", help="combined logs to repeat instead of synth")
    p.add_argument(
        "--real-rate",
        type=float,
        default=0.0,
        help="squeeze --real logs' time to this many lines/s (0: keep their own spacing)",
    )
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--runs", type=int, default=1, help="runs per tool and data set")
    p.add_argument("--no-goaccess", action="store_true")
    p.add_argument("--no-logwatch", action="store_true")
    p.add_argument("--goaccess", default="goaccess", help="goaccess binary")
    p.add_argument("--python", default=sys.executable, help="interpreter for logwatch")
    p.add_argument("--data-dir", type=Path, default=DATA)
    p.add_argument("--out-dir", type=Path, default=OUT)
    args = p.parse_args(argv)

    goaccess = None if args.no_goaccess else shutil.which(args.goaccess)
    if not args.no_goaccess and goaccess is None:
        print("goaccess not found: measuring logwatch alone", file=sys.stderr)

    results: list[dict[str, Any]] = []
    for n in args.lines:
        if args.real:
            missing = [f for f in args.real if not f.is_file()]
            if missing:
                print(f"--real: not a file: {missing[0]}", file=sys.stderr)
                return 2
            path = real(args.real, n, args.data_dir, args.real_rate)
            dataset = f"real {n:,}" + (f" at {args.real_rate:g}/s" if args.real_rate > 0 else "")
        else:
            path, dataset = synthetic(n, "combined", args.seed, args.data_dir), f"synth {n:,}"
        file_lines = _count_lines(path)
        file_mb = path.stat().st_size / 1e6
        tools: list[tuple[str, Any]] = []
        if not args.no_logwatch:
            tools.append(("logwatch", lambda w, path=path: run_logwatch(path, args.python, w)))
        if goaccess:
            tools.append(("goaccess", lambda w, path=path: run_goaccess(path, goaccess, w)))
        for run_no in range(args.runs):
            for name, fn in tools:
                with tempfile.TemporaryDirectory(prefix="lw-bench-") as work:
                    print(f"{dataset}: {name} run {run_no + 1}/{args.runs} ...", file=sys.stderr)
                    res = fn(Path(work))
                res.update(dataset=dataset, file=str(path), file_lines=file_lines,
                           file_mb=round(file_mb, 1), run=run_no + 1)  # fmt: skip
                if res["exit"] != 0 or "error" in res:
                    print(f"  {name} failed: exit {res['exit']} {res.get('error', '')}\n"
                          f"  {res['stderr_tail'][-400:]}", file=sys.stderr)  # fmt: skip
                results.append(res)

    print(table(results))
    args.out_dir.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    out = args.out_dir / f"bench_report-{stamp}.json"
    meta = {
        "when": stamp,
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "load_avg": os.getloadavg(),
        },
        "goaccess": goaccess_version(goaccess) if goaccess else None,
        "results": results,
    }
    out.write_text(json.dumps(meta, indent=2) + "\n")
    (args.out_dir / "bench_report-latest.json").write_text(json.dumps(meta, indent=2) + "\n")
    print(f"\nresults: {out}", file=sys.stderr)
    failed = any(r["exit"] != 0 or "error" in r for r in results)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
