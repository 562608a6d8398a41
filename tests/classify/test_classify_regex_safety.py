"""Every regex on the per-line path must return promptly on 100 KB of hostile text.

Not a timing test: it proves the patterns do not backtrack catastrophically (a bad one would take
hours on these inputs); the bound is generous on purpose."""

from __future__ import annotations

import re
import time

import pytest

from logwatch.classify import agents, probes

SIZE = 100_000

REGEXES: list[re.Pattern[str]] = [
    agents._GENERIC,
    agents._BEFORE_URL,
    agents._PRODUCT,
    *probes.ProbeRules().regexes,
]

# Characters the patterns repeat over, alone and in the mixes that make backtracking engines loop.
ATTACKS = [
    "a" * SIZE,
    "/" * SIZE,
    "." * SIZE,
    " " * SIZE,
    "=" * SIZE,
    "bot" * (SIZE // 3),
    "a-" * (SIZE // 2),
    "a1 " * (SIZE // 3),
    "union " * (SIZE // 6),
    "union" + " " * SIZE,
    "union" + "-" * SIZE,
    "union" + "- " * (SIZE // 2),
    "=http://" * (SIZE // 8),
    "=http://" + "a" * SIZE,
    "=http://1.1.1." * (SIZE // 14),
    "page=http://" + "?" * SIZE + "x",
    ("a" * 40 + " 1.0; ") * (SIZE // 46),
    "/backup" * (SIZE // 7),
]


@pytest.mark.parametrize("rx", REGEXES, ids=lambda r: r.pattern[:40])
def test_regex_is_linear_on_hostile_input(rx: re.Pattern[str]) -> None:
    for text in ATTACKS:
        start = time.perf_counter()
        rx.search(text)
        assert time.perf_counter() - start < 5.0, (rx.pattern, text[:20])


def test_whole_classifier_on_hostile_fields() -> None:
    from classify_util import rec

    from logwatch.classify import Classifier

    c = Classifier()
    for text in ATTACKS[:8]:
        start = time.perf_counter()
        c.classify(rec("/" + text, query=text, agent=text, referrer="{" + text))
        assert time.perf_counter() - start < 10.0
