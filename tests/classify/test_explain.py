"""`logwatch explain`: one JSON object per line, in order, with behaviour context kept."""

from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import subprocess
import sys

import pytest

from logwatch.explain import explain_lines, main, run_explain
from logwatch.ingest.formats import get_format

UA = '"Mozilla/5.0 (X11; Linux x86_64; rv:126.0) Gecko/20100101 Firefox/126.0"'
LINES = [
    f'198.51.100.4 - - [10/Jun/2025:08:00:00 +0000] "GET / HTTP/1.1" 200 512 "-" {UA}',
    f'198.51.100.4 - - [10/Jun/2025:08:00:01 +0000] "GET /.git/config HTTP/1.1" 404 10 "-" {UA}',
    "this is not a log line",
    f'198.51.100.4 - - [10/Jun/2025:08:00:02 +0000] "GET /about HTTP/1.1" 200 512 "-" {UA}',
    f'198.51.100.5 - - [10/Jun/2025:08:00:03 +0000] "GET /s.css HTTP/1.1" 200 512 "-" {UA}',
]


def run(lines: list[str] | list[bytes]) -> list[dict]:
    out = io.StringIO()
    assert run_explain(lines, None, out) == 0
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_one_object_per_line_in_order_with_context() -> None:
    results = run(LINES)
    assert [r["line"] for r in results] == [1, 2, 3, 4, 5]
    assert results[0]["class"] == "human" and results[0]["malformed"] is False
    assert results[1]["probe"] is True and results[1]["probe_rules"] == ["secret-file"]
    assert results[1]["reasons"] == ["path /.git/config → secret-file probe (/.git/)"]
    assert results[2]["malformed"] is True and results[2]["malformed_reason"]
    assert results[2]["class"] is None
    # the client probed two lines before: its next page is a bot request
    assert results[3]["class"] == "bot"
    assert results[3]["reasons"] == ["client: probed earlier (secret-file) → bot"]
    assert results[4]["class"] == "asset"
    for r in results:
        assert set(r) >= {
            "malformed",
            "malformed_reason",
            "class",
            "bot_category",
            "probe",
            "probe_rules",
            "reasons",
        }


def test_bytes_lines_and_hostile_bytes() -> None:
    raw = [line.encode() for line in LINES[:2]]
    raw.append(
        b'1.2.3.4 - - [10/Jun/2025:08:00:04 +0000] "GET /\x1b]0;pwned\x07 HTTP/1.1" 404 1 "-" "-"'
    )
    results = run(raw)
    assert len(results) == 3
    assert "\x1b" not in json.dumps(results[2], ensure_ascii=False)
    assert results[2]["class"] == "bot"


def test_too_long_lines_are_malformed_and_blank_ones_skipped() -> None:
    fmt = get_format("combined")
    big = b"x" * (70 * 1024)
    results = list(explain_lines([big, b"", b" \t\r\n", LINES[0].encode()], fmt))
    assert results[0]["malformed_reason"] == "line too long"
    assert [(r["line"], r["class"]) for r in results[1:]] == [(4, "human")]


def test_explain_skips_blank_lines_as_report_does(  # type: ignore[no-untyped-def]
    capsys, tmp_path, monkeypatch
) -> None:
    """report counted 5 lines, 0 malformed, where explain gave 7 objects, two of them
    malformed "empty line"."""
    from logwatch.cli import main as logwatch_main

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    good = [LINES[0], LINES[1], LINES[3], LINES[4], LINES[0]]
    log = tmp_path / "access.log"
    log.write_text("\n".join([*good[:3], "", "   ", *good[3:]]) + "\n")
    assert logwatch_main(["report", "--json", str(log)]) == 0
    report = json.loads(capsys.readouterr().out)
    results = run(log.read_text().splitlines(keepends=True))
    assert (report["lines"], report["malformed"]["count"]) == (len(results), 0) == (5, 0)
    assert [r["line"] for r in results] == [1, 2, 3, 6, 7]  # numbers stay the file's
    assert not any(r["malformed"] for r in results)


def test_no_format_is_exit_2(capsys) -> None:  # type: ignore[no-untyped-def]
    out = io.StringIO()
    assert run_explain(["garbage", "more garbage"], None, out) == 2
    assert "no known access-log format" in capsys.readouterr().err


def test_main_with_a_line_argument(capsys, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)  # no stray logwatch.toml
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert main(["--format", "combined", LINES[1]]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["probe_rules"] == ["secret-file"]


@pytest.mark.parametrize("pack", [bytes, gzip.compress, bz2.compress, lzma.compress])
def test_cli_reads_stdin(tmp_path, pack) -> None:  # type: ignore[no-untyped-def]
    """Compressed too, as `report -` reads it (`explain < access.log.2.gz` quoted gzip bytes)."""
    proc = subprocess.run(
        [sys.executable, "-m", "logwatch", "explain", "-"],
        input=pack("\n".join(LINES).encode()),
        capture_output=True,
        cwd=tmp_path,
        env={
            "PYTHONPATH": str(__import__("pathlib").Path(__file__).parents[2] / "src"),
            "HOME": str(tmp_path),
            "XDG_CONFIG_HOME": str(tmp_path),
        },
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    results = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    assert [r["class"] for r in results] == ["human", "bot", None, "bot", "asset"]


def test_explain_shows_clients_as_the_privacy_settings_keep_them(  # type: ignore[no-untyped-def]
    capsys, tmp_path, monkeypatch
) -> None:
    """explain printed every full client address whatever the privacy settings: the flags
    were refused and the config's anonymize_ip / hash_clients ignored."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    line = '203.0.113.77 - - [10/Oct/2026:00:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "Mozilla/5.0"'

    def client(*argv: str) -> str:
        assert main([line, *argv]) == 0
        return json.loads(capsys.readouterr().out)["client"]

    assert client() == "203.0.113.77"
    assert client("--anonymize-ip") == "203.0.113.0"
    assert client("--anonymize-ip", "16") == "203.0.0.0"
    assert client("--hash-clients").startswith("h:")
    config = tmp_path / "lw.toml"
    config.write_text("anonymize_ip = true\n")
    assert client("--config", str(config)) == "203.0.113.0"
    monkeypatch.setenv("LOGWATCH_ANONYMIZE_IP", "true")
    assert client() == "203.0.113.0"


def test_a_file_name_argument_says_how_to_read_the_file(  # type: ignore[no-untyped-def]
    capsys, tmp_path, monkeypatch
) -> None:
    """`logwatch explain access.log` read the name as a log line: "no known access-log format
    matches these lines". Arguments are lines; the file goes on standard input."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    (tmp_path / "access.log").write_text(LINES[0] + "\n")
    (tmp_path / "old log.1.gz").write_bytes(b"")
    assert main(["access.log"]) == 2
    assert capsys.readouterr().err == (
        "logwatch explain: 'access.log' is a file, not a log line; explain reads log lines from"
        " its arguments or standard input: logwatch explain < access.log\n"
    )
    assert main([LINES[0], "old log.1.gz"]) == 2
    assert "zcat 'old log.1.gz' | logwatch explain\n" in capsys.readouterr().err
    assert main([LINES[0]]) == 0  # a line is still a line
