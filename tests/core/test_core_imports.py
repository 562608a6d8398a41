"""The core never imports textual or rich (design rule), checked in a clean interpreter."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

CORE_MODULES = [
    "logwatch.cli",
    "logwatch.model",
    "logwatch.sanitize",
    "logwatch.pipeline",
    "logwatch.report",
    "logwatch.ingest.formats",
    "logwatch.ingest.reader",
    "logwatch.classify",
    "logwatch.stats.aggregator",
    "logwatch.stats.snapshot",
    "logwatch.enrich",
]


def test_core_modules_do_not_import_textual_or_rich() -> None:
    src = Path(__file__).parents[2] / "src"
    code = (
        "import sys\n"
        f"for m in {CORE_MODULES!r}: __import__(m)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(src)},
        check=True,
    )
    assert out.stdout.strip() == ""


def test_report_command_does_not_import_textual(tmp_path: Path) -> None:
    src = Path(__file__).parents[2] / "src"
    log = tmp_path / "a.log"
    log.write_text('1.2.3.4 - - [10/Oct/2026:13:55:36 +0000] "GET / HTTP/1.1" 200 1 "-" "x"\n')
    code = (
        "import sys\nfrom logwatch.cli import main\n"
        f"main(['report', {str(log)!r}])\n"
        "print('LOADED', sorted(m for m in sys.modules if m.split('.')[0] in ('textual','rich')))\n"
        # a webhook's HTTP client is loaded when a webhook is sent, not by every start
        "print('HTTP', sorted(m for m in sys.modules if m in ('urllib.request', 'http.client')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(src)},
        check=True,
    )
    assert "LOADED []" in out.stdout
    assert "HTTP []" in out.stdout
