"""`logwatch` with no path: what it says, and the demo it falls back to in a terminal."""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable

import pytest

from logwatch import cli, demo, discover


def test_no_logs_found_and_no_terminal_says_what_to_pass(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(discover, "find_default_logs", lambda *a, **k: [])
    assert cli.main([]) == 2
    err = capsys.readouterr().err
    assert "logwatch /path/to/access.log" in err and "logwatch demo" in err


def test_no_logs_found_in_a_terminal_starts_the_demo(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    started: list[list[str]] = []
    monkeypatch.setattr(discover, "find_default_logs", lambda *a, **k: [])
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True, raising=False)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True, raising=False)
    monkeypatch.setattr(demo, "main", lambda argv: started.append(argv) or 0)
    assert cli.main(["--theme", "light"]) == 0
    assert started == [["--theme", "light"]]
    assert "Starting the demo" in capsys.readouterr().err


def test_a_since_too_long_ago_is_a_usage_error_not_a_traceback() -> None:
    import pytest

    from logwatch.cli import UsageError, parse_since

    with pytest.raises(UsageError, match="--since"):
        parse_since("1" + "0" * 400 + "d")


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("1h30m", 5400.0), ("2h 15m", 8100.0), ("1.5h", 5400.0), ("90s", 90.0), (" 15M ", 900.0)],
)
def test_since_takes_every_duration_the_config_takes(value: str, seconds: float) -> None:
    # `--since 1h30m` was "not a window length" though `cooldown = "1h30m"` was fine.
    from logwatch.config import parse_duration

    assert cli.parse_since(value) == seconds == parse_duration(value)


def test_since_keeps_its_own_words_and_says_what_a_bad_value_lacks(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli.parse_since("all") is None and cli.parse_since("ALL") is None
    assert cli.parse_since("0") == 0.0
    assert cli.main(["report", "--since", "1h3x", "access.log"]) == 2
    err = capsys.readouterr().err
    assert err == "logwatch: --since: expected a duration like '90s', '5m' or '1h', got '1h3x'\n"


@pytest.mark.parametrize(
    ("argv", "reason"),
    [
        (["--bogus"], "unrecognized arguments: --bogus (see logwatch --help)"),
        (["--since"], "argument --since: expected one argument"),
        (["report", "--jobs", "x", "a.log"], "invalid int value: 'x' (see logwatch report --help)"),
        (["explain", "--nope"], "unrecognized arguments: --nope (see logwatch explain --help)"),
        (["check-config", "--x"], "(see logwatch check-config --help)"),
        (["demo", "--speed", "q"], "invalid float value: 'q' (see logwatch demo --help)"),
    ],
)
def test_unusable_arguments_are_one_line_and_exit_2(
    argv: list[str], reason: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The README promises one line on standard error; argparse printed its whole usage first."""
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("logwatch: ") and reason in err


@pytest.mark.parametrize("value", ["-5m", "+1h", "-.5h"])
def test_a_signed_since_says_what_is_wrong(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    """`--since -5m` was taken for an option: "expected one argument", whatever was meant."""
    assert cli.main(["--since", value, "access.log"]) == 2
    err = capsys.readouterr().err
    assert err == f"logwatch: --since: {value!r}: give how far back, unsigned (e.g. 5m)\n"


@pytest.mark.parametrize("interval", ["nan", "inf", "-1"])
def test_headless_refuses_an_interval_that_never_comes(
    interval: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # NaN compares false with every clock: headless ran printing nothing but its final object.
    assert cli.main(["--headless", "--interval", interval, "--since", "0", "-"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--interval" in err


def test_words_after_a_double_dash_are_paths_whatever_they_look_like() -> None:
    assert cli._bind_signed_since(["--since", "1h", "--", "--since", "-5m"]) == [
        "--since",
        "1h",
        "--",
        "--since",
        "-5m",
    ]


def test_the_dashboard_off_a_terminal_says_what_to_use(
    tmp_path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`logwatch access.log </dev/null 2>file` (cron, a script) spun the dashboard unseen, at
    full CPU, with no key to quit it."""
    log = tmp_path / "access.log"
    log.write_text("")
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False, raising=False)
    assert cli.main([str(log)]) == 2  # capsys: standard error is no terminal either
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--headless" in err


@pytest.mark.parametrize("headless", [[], ["--headless"]])
def test_a_directory_given_to_follow_is_exit_2(
    headless: list[str], tmp_path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--headless on a directory ran forever, reporting the source's error in every object.
    (Beside a log, a directory is named in error and the log is followed: test_faults.)"""
    assert cli.main([*headless, str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is a directory" in err and "*.log" in err


@pytest.mark.parametrize("parser", [cli.build_main_parser, cli.build_report_parser])
def test_format_help_names_every_format_the_readme_lists(
    parser: Callable[[], argparse.ArgumentParser],
) -> None:
    """The README's formats table has combined_extra and cloudflare; --help left them out, and
    so did the message shown when no format reads a log."""
    from logwatch.ingest.formats import FORMAT_NAMES, no_format_message

    help_text = parser().format_help()
    message = no_format_message("garbage")
    for name in FORMAT_NAMES:
        if name != "json":  # nginx_json's reader under a generic name
            assert re.search(rf"\b{name}\b", help_text), name
            assert re.search(rf"\b{name}\b", message), name
