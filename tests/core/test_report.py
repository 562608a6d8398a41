"""`logwatch report`: the JSON contract, the text report, malformed counting, exit codes."""

from __future__ import annotations

import gzip
import io
import json
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from logwatch.cli import main

UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36"


def line(i: int, path: str = "/", status: int = 200, ua: str = UA) -> str:
    return (
        f"192.0.2.{i % 250} - - [10/Oct/2026:13:{i // 60 % 60:02d}:{i % 60:02d} +0000] "
        f'"GET {path} HTTP/1.1" {status} 100 "-" "{ua}"'
    )


@pytest.fixture
def access_log(tmp_path: Path) -> Path:
    rows = [line(i, "/page" if i % 2 else "/style.css") for i in range(200)]
    rows += [line(300, "/x", 503, "curl/8.0"), "this is not a request", "\x00\x01binary junk"]
    p = tmp_path / "access.log"
    p.write_text("\n".join(rows) + "\n\n")
    return p


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict:
    assert main(["report", "--json", *args]) == 0
    return json.loads(capsys.readouterr().out)


def test_report_json_contract(access_log: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = run_json(capsys, str(access_log))
    for key in (
        "format",
        "lines",
        "parsed",
        "malformed",
        "classes",
        "status",
        "bots",
        "probes",
        "top_paths",
    ):
        assert key in out
    assert out["format"] == "combined"
    assert out["lines"] == 203 and out["parsed"] == 201
    assert out["lines"] == out["parsed"] + out["malformed"]["count"]
    assert sum(out["classes"].values()) == out["parsed"]
    assert sum(out["status"].values()) == out["parsed"]
    assert out["malformed"]["reasons"] == {"does not match combined": 2}
    assert out["status"]["5xx"] == 1
    assert out["classes"]["asset"] == 100


def test_gzip_and_stdin(
    access_log: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gz = tmp_path / "access.log.gz"
    gz.write_bytes(gzip.compress(access_log.read_bytes()))
    assert run_json(capsys, str(gz))["parsed"] == 201
    proc = subprocess.run(
        [sys.executable, "-m", "logwatch", "report", "--json", "-"],
        input=access_log.read_bytes(),
        capture_output=True,
        check=True,
        env={"PYTHONPATH": str(Path(__file__).parents[2] / "src")},
    )
    assert json.loads(proc.stdout)["parsed"] == 201


def _packed(kind: str, data: bytes) -> bytes:
    import bz2
    import lzma

    return {
        "gzip": gzip.compress,
        "bzip2": bz2.compress,
        "xz": lzma.compress,
        "two gzip members": lambda d: gzip.compress(d[:1000]) + gzip.compress(d[1000:]),
        "text": bytes,
    }[kind](data)


@pytest.mark.parametrize("kind", ["gzip", "bzip2", "xz", "two gzip members"])
def test_compressed_standard_input_is_decompressed(
    kind: str, access_log: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`report - < access.log.gz` exited 2 with "no known access-log format", quoting gzip
    bytes: standard input is known by its first bytes, as files are."""
    proc = subprocess.run(
        [sys.executable, "-m", "logwatch", "report", "--json", "-"],
        input=_packed(kind, access_log.read_bytes()),
        capture_output=True,
        env={"PYTHONPATH": str(Path(__file__).parents[2] / "src")},
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["parsed"] == 201


class _Trickle(io.RawIOBase):
    """A pipe that gives one byte a read."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if not self.data:
            return 0
        buffer[0], self.data = self.data[0], self.data[1:]
        return 1


@pytest.mark.parametrize("kind", ["gzip", "xz", "text"])
@pytest.mark.parametrize("buffered", [True, False])
def test_standard_input_told_from_its_first_bytes_however_few_a_read_gives(
    kind: str, buffered: bool, access_log: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from logwatch.ingest.reader import read_all_blocks

    data = access_log.read_bytes()
    raw = _Trickle(_packed(kind, data))
    stdin = io.BufferedReader(raw, 1) if buffered else raw  # peek gives one byte, or no peek
    monkeypatch.setattr(sys, "stdin", SimpleNamespace(buffer=stdin))
    assert b"\n".join(block.data for block in read_all_blocks("-")) + b"\n" == data


@pytest.mark.parametrize("name", ["access.log.bz2", "access.log.xz", "plain.gz", "access.log.2"])
def test_compressed_files_are_known_by_their_bytes_not_their_names(
    access_log: Path, tmp_path: Path, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """`report` read .bz2 and .xz as text ("no known format") though following read them, and
    a ".gz" holding plain text lost every line ("not a gzipped file")."""
    import bz2
    import lzma

    data = access_log.read_bytes()
    packed = {
        "access.log.bz2": bz2.compress(data),
        "access.log.xz": lzma.compress(data),
        "plain.gz": data,
        "access.log.2": gzip.compress(data),  # compressed by logrotate, named without a suffix
    }[name]
    path = tmp_path / name
    path.write_bytes(packed)
    assert run_json(capsys, str(path))["parsed"] == 201


def test_text_report_mentions_the_figures(
    access_log: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", str(access_log)]) == 0
    text = capsys.readouterr().out
    assert "format     combined" in text and "malformed 2" in text and "/page" in text


def test_unknown_format_exits_2_with_a_sample_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    p = tmp_path / "weird.log"
    p.write_text("alpha beta gamma\n" * 10)
    assert main(["report", str(p)]) == 2
    err = capsys.readouterr().err
    assert "alpha beta gamma" in err and "--format" in err


def test_missing_file_and_directory_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", str(tmp_path / "nope.log")]) == 2
    assert main(["report", str(tmp_path)]) == 2
    assert "directory" in capsys.readouterr().err


def test_one_bad_file_does_not_stop_the_others(
    access_log: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = run_json(capsys, str(tmp_path / "missing.log"), str(access_log))
    assert out["parsed"] == 201


def test_explicit_format_string(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = tmp_path / "t.log"
    p.write_text("\n".join(line(i) + " 0.5" for i in range(10)) + "\n")
    spec = (
        '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent '
        '"$http_referer" "$http_user_agent" $request_time'
    )
    out = run_json(capsys, "--format", spec, str(p))
    assert out["parsed"] == 10 and abs(out["latency"]["p50"] - 0.5) < 0.03


def test_json_splits_requests_by_source(
    access_log: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "other.log"
    other.write_text("\n".join(line(i, "/x", 404) for i in range(30)) + "\n")
    out = run_json(capsys, str(access_log), str(other))
    split = out["by_source"]
    assert split[str(other)]["requests"] == 30 and split[str(other)]["status"] == {"4xx": 30}
    assert split[str(access_log)]["requests"] == 201
    assert sum(s["requests"] for s in split.values()) == out["parsed"]


def test_anonymize_flag_does_not_swallow_the_path(
    access_log: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = run_json(capsys, "--anonymize-ip", str(access_log))
    assert out["parsed"] == 201
    assert all(c["client"].endswith(".0") for c in out["top_clients"])
    out = run_json(capsys, "--anonymize-ip", "16", str(access_log))
    assert all(c["client"].endswith(".0.0") for c in out["top_clients"])


def test_hashed_clients_follow_the_day_of_each_line() -> None:
    """The keyed hash rotates daily: history lines are hashed with their own day's key."""
    from logwatch.pipeline import Pipeline
    from logwatch.privacy import Anonymizer

    def at(day: int, hour: int) -> bytes:
        return (
            f'192.0.2.7 - - [{day:02d}/Oct/2026:{hour:02d}:00:00 +0000] "GET / HTTP/1.1" 200 1'
            f' "-" "{UA}"'
        ).encode()

    pipeline = Pipeline(client_transform=Anonymizer("hash").apply)
    pipeline.feed([at(10, 1), at(10, 23), at(11, 1)] * 30)
    pipeline.flush()
    clients = {c.client: c.hits for c in pipeline.snapshot().totals.top_clients}
    assert sorted(clients.values()) == [30, 60] and all(c.startswith("h:") for c in clients)


def test_truncated_and_corrupt_gzip_keep_what_was_read(
    access_log: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    whole = gzip.compress(("\n".join(line(i) for i in range(3000)) + "\n").encode())
    cut = tmp_path / "cut.log.gz"
    cut.write_bytes(whole[: len(whole) * 2 // 3])
    corrupt = tmp_path / "corrupt.log.gz"
    corrupt.write_bytes(whole[:20] + b"\xff" * 200 + whole[220:])
    assert main(["report", "--json", str(cut)]) == 0
    out = capsys.readouterr()
    assert 0 < json.loads(out.out)["parsed"] < 3000 and "cut.log.gz" in out.err
    assert main(["report", "--json", str(corrupt), str(access_log)]) == 0
    out = capsys.readouterr()
    assert json.loads(out.out)["parsed"] >= 201 and "corrupt.log.gz" in out.err


def test_a_file_given_twice_is_read_once(
    access_log: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`report a.log a.log`, or a link and its target, counted every line twice, where the
    dashboard and --headless read each file once."""
    link = tmp_path / "link.log"
    link.symlink_to(access_log)
    out = run_json(capsys, str(access_log), str(access_log), str(link))
    assert out["parsed"] == 201


def test_a_quoted_glob_is_expanded(
    access_log: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The README says report takes files and globs; a quoted glob (left to logwatch by the
    shell) was taken for a file name: "No such file or directory"."""
    gz = tmp_path / "access.log.1.gz"
    gz.write_bytes(gzip.compress(access_log.read_bytes()))
    out = run_json(capsys, str(tmp_path / "access.log*"))
    assert out["parsed"] == 2 * 201  # the log and its rotated, compressed copy


def dated(ts: float, i: int, path: str = "/page") -> str:
    when = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(ts))
    return f'192.0.2.{i % 250} - - [{when}] "GET {path} HTTP/1.1" 200 100 "-" "{UA}"'


@pytest.fixture
def three_hours(tmp_path: Path) -> tuple[Path, int]:
    """A log of one line a second over the three hours before now: (path, the newest second)."""
    now = int(time.time())
    p = tmp_path / "access.log"
    p.write_text("\n".join(dated(now - 3 * 3600 + k, k) for k in range(3 * 3600)) + "\n")
    return p, now - 1


def test_since_counts_only_the_last_stretch_of_every_kind_of_input(
    three_hours: tuple[Path, int], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """README lists --since among the common options; report refused it. Plain files are
    searched for the start, compressed files and standard input are read up to it."""
    log, _ = three_hours
    gz = tmp_path / "access.log.1.gz"
    gz.write_bytes(gzip.compress(log.read_bytes()))
    parsed = []
    for path in (log, gz):
        out = run_json(capsys, "--since", "1h", str(path))
        assert out["lines"] == out["parsed"]
        parsed.append(out["parsed"])
    piped = subprocess.run(
        [sys.executable, "-m", "logwatch", "report", "--json", "--since", "1h", "-"],
        input=log.read_bytes(),
        capture_output=True,
        check=True,
    )
    parsed.append(json.loads(piped.stdout)["parsed"])
    # One line a second: an hour's worth, less the seconds that passed between the runs.
    assert all(3600 - 60 <= n <= 3600 for n in parsed), parsed
    assert run_json(capsys, "--since", "all", str(log))["parsed"] == 3 * 3600


def test_since_takes_a_compound_duration(
    three_hours: tuple[Path, int], capsys: pytest.CaptureFixture[str]
) -> None:
    # `report --since 1h30m` exited 2: "not a window length".
    log, _ = three_hours
    assert 5400 - 60 <= run_json(capsys, "--since", "1h30m", str(log))["parsed"] <= 5400


def test_since_before_every_line_and_after_every_line(
    three_hours: tuple[Path, int], capsys: pytest.CaptureFixture[str]
) -> None:
    log, _ = three_hours
    assert run_json(capsys, "--since", "1d", str(log))["parsed"] == 3 * 3600
    # Nothing that recent: an empty summary of a known format, not "no lines to read".
    with log.open("a") as f:
        f.write(dated(time.time() - 7200, 0))  # an old, unterminated last line
    out = run_json(capsys, "--since", "0", str(log))
    assert out["format"] == "combined" and out["lines"] == out["parsed"] == 0


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_since_in_a_split_file_matches_one_pass(
    jobs: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """From a `since` inside a big file, split reads start there; the counts are the lines
    dated at or after it, whether one process reads or two."""
    from logwatch.ingest import backfill
    from logwatch.pipeline import Pipeline
    from logwatch.report import read_into

    monkeypatch.setattr(backfill, "PARALLEL_MIN_BYTES", 100_000)
    base = 1_790_000_000
    log = tmp_path / "big.log"
    log.write_text("\n".join(dated(base + k // 2, k, f"/p{k % 7}") for k in range(8_000)) + "\n")
    since = base + 1_000.0  # line 2,000 on
    pipeline = Pipeline()
    assert read_into(pipeline, [str(log)], jobs=int(jobs), since=since) == []
    snap = pipeline.snapshot()
    assert snap.parsed == snap.lines == 6_000
    assert snap.now - snap.totals.seconds == since


@pytest.mark.parametrize("option", ["--top", "--jobs"])
def test_a_negative_count_is_a_usage_error(
    option: str, access_log: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # --top -1 used to slice the last row off every list ([:-1]) and exit 0.
    assert main(["report", "--json", option, "-1", str(access_log)]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1 and option in captured.err


def test_top_bounds_the_lists_of_every_window_too(
    access_log: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The per-window lists kept 5 rows whatever --top said.
    out = run_json(capsys, "--top", "2", str(access_log))
    for name, window in out["windows"].items():
        for key in ("top_paths", "top_bots", "top_clients", "probe_clients"):
            assert len(window[key]) <= 2, (name, key)
    assert len(out["windows"]["1h"]["top_clients"]) == 2


def caddy_dated(ts: float, i: int) -> str:
    return json.dumps(
        {
            "ts": ts,
            "logger": "http.log.access",
            "request": {
                "remote_ip": f"198.51.100.{i % 200}",
                "method": "GET",
                "proto": "HTTP/1.1",
                "uri": "/doc",
                "headers": {"User-Agent": [UA]},
            },
            "status": 200,
            "size": 10,
        }
    )


def test_since_reads_each_file_by_its_own_dates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A Caddy log beside nginx's: its lines were searched with nginx's dates, read none,
    and the whole file was dropped as older; piped in, the same."""
    now = time.time()
    nginx, caddy = tmp_path / "nginx.log", tmp_path / "caddy.log"
    # A line a minute for two hours, each 30 s off the minute: the last 60 are in the last hour.
    stamps = [now - 7200 + 60 * k + 30 for k in range(120)]
    nginx.write_text("\n".join(dated(ts, k) for k, ts in enumerate(stamps)) + "\n")
    caddy.write_text("\n".join(caddy_dated(ts, k) for k, ts in enumerate(stamps)) + "\n")
    out = run_json(capsys, "--since", "1h", str(nginx), str(caddy))
    assert out["parsed"] == 120 and out["other_formats"] == {"caddy": 60}
    piped = subprocess.run(
        [sys.executable, "-m", "logwatch", "report", "--json", "--since", "1h", "-"],
        input=caddy.read_bytes(),
        capture_output=True,
        check=True,
    )
    assert json.loads(piped.stdout)["parsed"] == 60


def test_since_with_nothing_recent_on_a_stream_is_an_empty_summary(
    three_hours: tuple[Path, int],
) -> None:
    log, _ = three_hours
    piped = subprocess.run(
        [sys.executable, "-m", "logwatch", "report", "--json", "--since", "0", "-"],
        input=log.read_bytes(),
        capture_output=True,
        check=False,
    )
    assert piped.returncode == 0, piped.stderr
    out = json.loads(piped.stdout)
    assert out["format"] == "combined" and out["lines"] == 0


def test_since_judges_a_stream_as_a_searched_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A client caught probing just before `since` is still a scanner after it, whether the
    file is searched (and the classifier replays the bytes before the start) or read as a
    compressed stream (which now replays the lines it drops)."""
    now = time.time()
    rows = [dated(now - 1800 + k, k) for k in range(600)]
    rows += [  # probes 100 s before `since` (15 minutes ago)...
        dated(now - 1000 + k, 7, "/.env").replace("192.0.2.7 ", "203.0.113.9 ") for k in range(3)
    ]
    rows += [  # ... and curl after it, from the prober and from two others
        dated(now - 800 + k, k, "/api").replace("192.0.2.", "203.0.113.").replace(UA, "curl/8.0")
        for k in range(9, 12)
    ]
    rows += [dated(now - 790 + k, k) for k in range(300)]
    plain = tmp_path / "access.log"
    plain.write_text("\n".join(rows) + "\n")
    gz = tmp_path / "access.log.1.gz"
    gz.write_bytes(gzip.compress(plain.read_bytes()))
    bots = [run_json(capsys, "--since", "15m", str(path))["bots"] for path in (plain, gz)]
    assert bots[0] == bots[1] and bots[0]["scanner"] == 1  # 203.0.113.9's curl, marked


def test_a_late_logged_line_does_not_drop_a_streams_block() -> None:
    """Servers log a request when it ends, dated when it began: a long download's line can
    end a block of younger lines, which must not all go as older."""
    from logwatch.ingest.reader import Block
    from logwatch.ingest.since import guess_time, skip_older

    base = 1_790_000_000
    young = [dated(base + 100 + k, k) for k in range(60)]
    late = dated(base + 30, 99)  # began before `since`, logged after the others
    blocks = [Block("\n".join([*young, late]).encode()), Block(dated(base + 200, 1).encode())]
    kept = [b.data for b in skip_older(blocks, base + 100, guess_time)]
    assert kept[0].count(b"\n") == 60 and len(kept) == 2


def test_a_file_replaced_between_the_search_and_the_read_is_an_error_not_its_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """logrotate between finding where `since` begins and reading from there: the offset
    belongs to the old file, and the new one's lines must not be read from it."""
    from logwatch import report
    from logwatch.pipeline import Pipeline

    base = 1_790_000_000
    log = tmp_path / "access.log"
    log.write_text("\n".join(dated(base + k, k) for k in range(3000)) + "\n")
    search = report._since_offset

    def search_then_rotate(*args: object) -> int:
        offset = search(*args)  # type: ignore[arg-type]
        log.rename(tmp_path / "access.log.1")
        log.write_text("\n".join(dated(base + 4000 + k, k) for k in range(50)) + "\n")
        return offset

    monkeypatch.setattr(report, "_since_offset", search_then_rotate)
    pipeline = Pipeline()
    errors = report.read_into(pipeline, [str(log)], jobs=1, since=base + 2900.0)
    assert errors and "replaced" in errors[0][1]
    assert pipeline.snapshot().lines == 0


@pytest.mark.parametrize("fmt", [[], ["--format", "combined"]])
def test_an_empty_log_is_an_empty_summary_with_or_without_a_format(
    fmt: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Exit 2 without --format and 0 with it, for the same empty file (a log just rotated)."""
    empty = tmp_path / "access.log"
    empty.write_text("")
    out = run_json(capsys, *fmt, str(empty))
    assert out["lines"] == out["parsed"] == 0


def test_report_without_a_path_reads_the_logs_in_the_usual_places(
    access_log: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """design.md: `logwatch report [PATH ...]`, and `logwatch` alone looks in the usual places;
    report alone was refused ("the following arguments are required: PATH")."""
    from logwatch import discover

    monkeypatch.setattr(discover, "find_default_logs", lambda *a, **k: [str(access_log)])
    assert run_json(capsys)["parsed"] == 201
    monkeypatch.setattr(discover, "find_default_logs", lambda *a, **k: [])
    assert main(["report"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no access logs found" in err and "pass a path" in err


_FUTURE = '192.0.2.200 - - [10/Oct/2099:08:00:00 +0000] "GET /future HTTP/1.1" 200 5 "-" "curl/8"'
_DATED_JUNK = "junk [10/Nov/2026:15:00:00 +0000] that is no request"


@pytest.mark.parametrize(
    ("extra", "counted"), [(_FUTURE, 1), (_DATED_JUNK, 0), (f"{_FUTURE}\n{_DATED_JUNK}", 1)]
)
@pytest.mark.parametrize("where", ["last", "first"])
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_one_skewed_or_forged_line_does_not_empty_the_windows(
    extra: str,
    counted: int,
    where: str,
    jobs: str,
    access_log: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The windows end at the newest time counted. A request dated 2099 (past the limit of
    lines ahead of the clock, so counted in the totals only) or a dated line that is no
    request, at the end of a file, was taken for the end of its history: every line went to
    the totals, and every window showed 0 requests (the same line first in the file did not)."""
    from logwatch.ingest import backfill

    monkeypatch.setattr(backfill, "PARALLEL_MIN_BYTES", 1_000)  # --jobs 2 splits the file
    plain = run_json(capsys, "--jobs", jobs, str(access_log))
    text = access_log.read_text()
    access_log.write_text(f"{text}{extra}\n" if where == "last" else f"{extra}\n{text}")
    skewed = run_json(capsys, "--jobs", jobs, str(access_log))
    assert skewed["parsed"] == plain["parsed"] + counted
    assert skewed["time"] == plain["time"]
    assert skewed["windows"] == plain["windows"]
    assert plain["windows"]["1h"]["requests"] == plain["parsed"]


# Maps keyed by the data (sources, codes, reasons, clients): their keys are not the schema.
DATA_KEYED = {
    "by_source",
    "status",
    "status_codes",
    "reasons",
    "rules",
    "other_formats",
    "geo",
    "bot_claims",
    "bot_origins",
    "latency",
    "windows",
}


def key_paths(obj: Any, at: str = "") -> set[str]:
    """Every key path of a JSON object (list items merged under `[]`), where data-keyed maps
    count as one key each."""
    out: set[str] = set()
    if isinstance(obj, dict):
        for k, v in obj.items():
            path = f"{at}.{k}"
            out.add(path)
            if k == "windows" and isinstance(v, dict):
                for w in v.values():
                    out |= key_paths(w, f"{path}.*")
            elif k not in DATA_KEYED:
                out |= key_paths(v, path)
    elif isinstance(obj, list):
        for item in obj:
            out |= key_paths(item, f"{at}[]")
    return out


def test_the_json_has_every_key_before_there_is_any_data(tmp_path: Path) -> None:
    """One schema whatever the data: `by_source` came only with a second source or a named
    one, `latency` (totals and windows) only with request times, a path's `p95` likewise.
    A script or jq filter reading `--headless` objects found keys missing in the first ones."""
    from logwatch.ingest.formats import get_format
    from logwatch.pipeline import Pipeline

    now = time.time()

    def timed(i: int) -> bytes:
        stamp = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now - 30 + i))
        return f'192.0.2.{i} - - [{stamp}] "GET /p{i % 3} HTTP/1.1" 200 10 "-" "{UA}" 0.25'.encode()

    empty = Pipeline(get_format("combined_extra")).snapshot().to_json()
    fed = Pipeline(get_format("combined_extra"))
    fed.feed([timed(i) for i in range(20)], "access.log")
    full = json.loads(json.dumps(fed.snapshot(now).to_json()))
    # The data has them (a window's paths have a p95; the totals' never do).
    assert full["latency"] and full["windows"]["1m"]["top_paths"][0]["p95"] > 0.2
    # List items and per-window keys: only what the empty object can show (no items) is
    # left out of its side.
    items = {p for p in key_paths(full) if "[]" in p}
    assert key_paths(empty) == key_paths(full) - items
    assert empty["by_source"] == {} and empty["latency"] == {}
    assert all(w["latency"] == {} for w in empty["windows"].values())
    # A window with requests but no request times: its latency is {}, its paths' p95 null.
    untimed = Pipeline(get_format("combined"))
    untimed.feed([line(i).encode() for i in range(5)], "a.log")
    out = untimed.snapshot().to_json()
    assert out["latency"] == {} and out["windows"]["1h"]["top_paths"][0]["p95"] is None
    assert key_paths(out) == key_paths(full)
