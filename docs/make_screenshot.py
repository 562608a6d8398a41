"""Regenerate docs/dashboard.svg: python docs/make_screenshot.py

Reads the bundled sample_logs/nginx_access.log up to the middle of its error spike, builds the
snapshot the engine would publish at that moment, and saves Textual's own SVG screenshot of the
dashboard. Deterministic: no clock, no terminal needed.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))  # works from a checkout, without installing

from logwatch import demo  # noqa: E402
from logwatch.model import SourceState  # noqa: E402
from logwatch.pipeline import Pipeline  # noqa: E402
from logwatch.tui.app import LogwatchApp  # noqa: E402

SIZE = (140, 45)
MINUTES = 28.0  # three minutes into the sample's 5xx spike


def build_snapshot():
    lines = demo.load_sample(ROOT / "sample_logs" / demo.SAMPLE)
    cut = lines[0][0] + MINUTES * 60
    pipeline = Pipeline()
    chunk = [line for ts, line in lines if ts <= cut]
    for i in range(0, len(chunk), 500):
        pipeline.feed(chunk[i : i + 500], "access.log")
    pipeline.flush()
    source = SourceState("/var/log/nginx/access.log", state="following", lines=len(chunk))
    return pipeline.snapshot(now=cut, sources=[source])


async def main(out: Path) -> None:
    app = LogwatchApp(snapshot=build_snapshot(), tz=UTC)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.pause()
        app.save_screenshot(out.name, path=str(out.parent))
    print(f"wrote {out}")


if __name__ == "__main__":
    asyncio.run(main(ROOT / "docs" / "dashboard.svg"))
