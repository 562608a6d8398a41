"""Shared pieces of the hostile-input tests: nasty field values, line builders, output checks.

The checks here do not use `logwatch.sanitize`: a test that borrowed the code under test to
decide what is safe could not catch that code being wrong.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

SRC = Path(__file__).parents[2] / "src"

# Characters that must never reach a terminal or a log consumer raw: C0 controls but tab and
# newline, DEL, C1 controls, and the bidirectional overrides/isolates that reorder text.
FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")

# Markup that Textual/Rich would act on, and terminal escapes that would act on a terminal.
MARKUP = ("[@click=app.quit]", "[/foo]", "[bold red]", "[link=http://evil.example]x[/link]")
ESCAPES = (
    "\x1b]0;pwned-title\x07",  # OSC 0: retitle the window
    "\x1b]52;c;ZXZpbA==\x07",  # OSC 52: write the clipboard
    "\x1b[2J\x1b[31m",  # CSI: clear screen, red
    "\x9b31m",  # C1 CSI
    "\x9d0;c1-title\x9c",  # C1 OSC ... ST
    "\u202eevil\u202c",  # right-to-left override
    "\u2066iso\u2069",
    "\x00nul\x7fdel",
)


def assert_inert(text: str, where: str = "") -> None:
    """No forbidden character anywhere in `text` (newlines and tabs are layout, allowed)."""
    m = FORBIDDEN.search(text)
    assert m is None, f"{where}: raw control/bidi character {m.group()!r} at {m.start()}: " + repr(
        text[max(0, m.start() - 40) : m.start() + 40]
    )


def stamp(ts: float) -> str:
    return time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(ts))


def clf(
    ts: float,
    *,
    client: str = "203.0.113.7",
    method: str = "GET",
    path: str = "/",
    status: int = 200,
    referrer: str = "-",
    agent: str = "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0",
    user: str = "-",
) -> str:
    return (
        f'{client} - {user} [{stamp(ts)}] "{method} {path} HTTP/1.1" {status} 10 '
        f'"{referrer}" "{agent}"'
    )


def hostile_lines(ts: float) -> list[bytes]:
    """Combined-format lines carrying markup and escapes in every field a line has, as raw bytes
    (what an unescaping server or a forged log writes), as UTF-8 C1, and as invalid UTF-8."""
    out: list[str] = []
    for i, bad in enumerate(MARKUP + ESCAPES):
        nospace = bad.replace(" ", "")
        out.append(
            clf(
                ts + i,
                client=f"198.51.100.{i}{nospace}",
                path=f"/p{i}/{nospace}",
                referrer=f"http://ref{i}.example/{bad}",
                agent=f"Mozilla/5.0 {bad} Firefox/120.0",
                user=f"u{nospace}",
                status=404 if i % 2 else 200,
            )
        )
    raw = [s.encode("utf-8") for s in out]
    # A lone C1 byte and an ESC sequence that are not valid UTF-8 sequences at all.
    raw.append(clf(ts + 50, path="/x\x9b31m").encode("utf-8").replace(b"\xc2\x9b", b"\x9b"))
    raw.append(clf(ts + 51, agent="a\xff\xfe\x1b]2;t\x07").encode("latin-1"))
    return raw


def env(tmp_path: Path) -> dict[str, str]:
    """An environment for a logwatch subprocess that never reads the developer's config."""
    e = {**os.environ, "PYTHONPATH": str(SRC), "LOGWATCH_CONFIG_DIR": str(tmp_path)}
    e.pop("LOGWATCH_FORMAT", None)
    return e


def run_logwatch(
    tmp_path: Path, *args: str, timeout: float = 60, **kw
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "logwatch", *args],
        capture_output=True,
        timeout=timeout,
        env=env(tmp_path),
        cwd=tmp_path,
        **kw,
    )
