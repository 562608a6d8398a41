"""Cost of classification per line, on a realistic mix or on a real log.

    python benchmarks/bench_classify.py                 # synthetic mix, 300k lines
    python benchmarks/bench_classify.py access.log ...  # your own logs (parsed first, not timed)

Reports µs per line for: a cold classifier (empty caches, first pass), a warm one (second pass
over the same records with the caches kept), and the cost of parsing alone for scale.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from logwatch import sanitize
from logwatch.classify import Classifier
from logwatch.ingest.formats import LogFormat, detect_format, get_format
from logwatch.model import Record

BROWSER_TEMPLATES = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{v}.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:{v}.0) Gecko/20100101 Firefox/{v}.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.{m} Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_{m} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.{m} Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; SM-S9{m}8B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{v}.0.6478.{m}2 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 14; Pixel {m} Build/AP3A.240617.008) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{v}.0.6478.122 Mobile Safari/537.36",
]
BOT_AGENTS = [
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm) Chrome/116.0.1938.76 Safari/537.36",
    "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)",
    "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
    "Mozilla/5.0 (compatible; SemrushBot/7~bl; +http://www.semrush.com/bot.html)",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "Mozilla/5.0 (compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)",
    "curl/8.5.0",
    "python-requests/2.31.0",
    "Go-http-client/1.1",
    "-",
]
PAGES = ["/", "/blog/", "/about", "/contact", "/pricing", "/docs/install", "/api/v1/items"]
ASSETS = [
    "/static/css/site.css",
    "/static/js/app.js",
    "/img/hero.webp",
    "/fonts/inter.woff2",
    "/favicon.ico",
    "/img/logo.svg",
]
PROBES = [
    "/.env",
    "/.git/config",
    "/wp-login.php",
    "/xmlrpc.php",
    "/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php",
    "/cgi-bin/.%2e/.%2e/bin/sh",
    "/phpmyadmin/",
    "/actuator/env",
    "/boaform/admin/formLogin",
]


def synthetic(n: int, seed: int = 7) -> list[Record]:
    """Roughly the shape of a busy site: 55% assets, 30% pages, 13% bots, 2% probes; thousands
    of distinct agents, tens of thousands of distinct paths and clients."""
    rnd = random.Random(seed)
    agents = [
        t.format(v=rnd.randint(100, 127), m=rnd.randint(0, 9))
        for t in BROWSER_TEMPLATES
        for _ in range(300)
    ]
    out = []
    ts = 1_700_000_000.0
    # clients come back: a pool of 30k addresses, a few of them busy (sessions, NAT, crawlers)
    pool = [
        f"10.{rnd.randint(0, 40)}.{rnd.randint(0, 255)}.{rnd.randint(1, 254)}"
        for _ in range(30_000)
    ]
    for _ in range(n):
        ts += 0.004
        r = rnd.random()
        client = (
            pool[min(int(rnd.paretovariate(0.6)) - 1, len(pool) - 1)]
            if rnd.random() < 0.5
            else rnd.choice(pool)
        )
        query = ""
        status = 200
        if r < 0.55:
            agent = rnd.choice(agents)
            path = rnd.choice(ASSETS)
            query = "v=" + str(rnd.randint(1, 30)) if rnd.random() < 0.3 else ""
        elif r < 0.85:
            agent = rnd.choice(agents)
            path = (
                rnd.choice(PAGES) if rnd.random() < 0.5 else f"/blog/post-{rnd.randint(1, 20000)}"
            )
            if rnd.random() < 0.15:
                query = f"page={rnd.randint(1, 50)}&q=term{rnd.randint(1, 5000)}"
        elif r < 0.98:
            agent = rnd.choice(BOT_AGENTS)
            path = f"/blog/post-{rnd.randint(1, 20000)}"
        else:
            agent = rnd.choice(agents + BOT_AGENTS)
            path = rnd.choice(PROBES)
            status = 404
        method = "GET"
        req = f"{method} {path}{'?' + query if query else ''} HTTP/1.1"
        out.append(
            Record(
                ts,
                client,
                method,
                path,
                query,
                "HTTP/1.1",
                status,
                1234,
                "https://example.org/",
                agent,
                req,
            )
        )
    return out


def load(paths: list[str], fmt_name: str | None) -> tuple[list[Record], float, LogFormat | None]:
    recs: list[Record] = []
    parse_time = 0.0
    fmt: LogFormat | None = get_format(fmt_name) if fmt_name else None
    for path in paths:
        lines = [
            sanitize.decode(x.rstrip(b"\r"))
            for x in Path(path).read_bytes().split(b"\n")
            if x.strip()
        ]
        f = fmt or detect_format(lines[:64]).format  # type: ignore[union-attr]
        best = float("inf")
        for _ in range(3):
            t = time.process_time()
            parsed = [f.parse(x) for x in lines]
            best = min(best, time.process_time() - t)
        parse_time += best
        recs += [r for r in parsed if isinstance(r, Record)]
        fmt = fmt or None
    return recs, parse_time, fmt


def run(recs: list[Record], label: str, parse_time: float | None = None) -> None:
    """Best of 3 (CPU time), so a busy machine distorts the figures less."""
    cold = warm = float("inf")
    for _ in range(3):
        c = Classifier()
        classify = c.classify
        t = time.process_time()
        for r in recs:
            classify(r)
        cold = min(cold, time.process_time() - t)
        t = time.process_time()
        for r in recs:
            classify(r)
        warm = min(warm, time.process_time() - t)
    n = len(recs)
    agents = len({r.user_agent for r in recs})
    paths = len({r.path for r in recs})
    print(f"{label}: {n} lines, {agents} distinct agents, {paths} distinct paths")
    print(f"  cold (empty caches): {cold / n * 1e6:6.2f} µs/line  ({n / cold:,.0f} lines/s)")
    print(f"  warm (caches kept):  {warm / n * 1e6:6.2f} µs/line  ({n / warm:,.0f} lines/s)")
    if parse_time:
        print(f"  parsing alone:       {parse_time / n * 1e6:6.2f} µs/line")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("logs", nargs="*")
    p.add_argument("--format")
    p.add_argument("-n", type=int, default=300_000)
    args = p.parse_args()
    if args.logs:
        recs, parse_time, _ = load(args.logs, args.format)
        run(recs, ", ".join(args.logs), parse_time)
    else:
        run(synthetic(args.n), "synthetic mix")


if __name__ == "__main__":
    main()
