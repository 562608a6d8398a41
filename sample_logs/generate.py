"""Regenerate the bundled sample logs: python sample_logs/generate.py

The files are deterministic (fixed seeds and start time), so regenerating without code changes
reproduces them byte for byte. `logwatch demo` replays them shifted to the present, so they are
dense: about one request a second over an hour or two.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))  # works from a checkout, without installing

from logwatch import synth  # noqa: E402

# 2026-10-10 08:00 UTC: a working-day morning.
START = synth.DEFAULT_START + 8 * 3600


def main() -> None:
    outputs = {
        # nginx combined + $request_time $upstream_response_time; about 95 minutes, with a burst of
        # 5xx errors 25 minutes in and a scanner's probe burst 50 minutes in.
        "nginx_access.log": synth.generate(
            5000,
            fmt="combined_rt",
            seed=2026,
            start=START,
            rate=0.8,
            spikes=(
                synth.Spike(at=25 * 60, duration=4 * 60, kind="errors", share=0.7),
                synth.Spike(at=50 * 60, duration=60, kind="probes", share=0.5),
            ),
        ),
        # Apache combined (Apache escaping), about 40 minutes.
        "apache_access.log": synth.generate(
            2500, fmt="combined", seed=7, start=START, rate=1.0, apache=True
        ),
        # Caddy's JSON access log, about 20 minutes.
        "caddy_access.log": synth.generate(1200, fmt="caddy_json", seed=11, start=START, rate=1.0),
        # Hostile: markup, terminal escapes, bidi overrides, NULs, invalid UTF-8, a 200 KB line.
        "hostile.log": synth.hostile(1200, seed=13, start=START, rate=1.0),
    }
    for name, lines in outputs.items():
        path = HERE / name
        with open(path, "wb") as f:
            f.writelines(lines)
        print(f"{path.relative_to(HERE.parent)}: {path.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
