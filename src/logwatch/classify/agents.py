"""User agents → bot category and name.

The patterns of the crawler-user-agents package (tagged, case-sensitive) plus our own list in
`rules/agents.toml` (case-insensitive) and the user's, all as plain literals in one Aho-Corasick
automaton run over the lower-cased agent. A hit is then checked against the entry's own case and
anchors. Nothing here is cached: the classifier caches per distinct agent.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from typing import Any, NamedTuple

import ahocorasick

from logwatch.model import BOT_CATEGORIES

SCANNER_AGENT = "scanner-agent"

# A word ending in bot/crawler/spider/scraper, ended by / ; ) or the end: "FooBot/1.0",
# "(compatible; BarCrawler)". Not "CUBOT X30" (a phone). Bounded repeats, anchored at a word start:
# linear on hostile input.
_GENERIC = re.compile(
    r"(?<![\w.-])([\w.-]{0,40}?(?:bot|crawler|spider|scraper))(?=[/;)]|$)", re.IGNORECASE
)
_GENERIC_GATE = re.compile(r"bot|crawler|spider|scraper")
# A URL in an agent is how robots say who they are; browsers never carry one. The robot's name is
# its first product token, or (behind a "Mozilla/5.0 (compatible; ..." disguise) the word before
# the URL.
_BEFORE_URL = re.compile(r"(?<![\w.-])([A-Za-z][\w.-]{1,40}+)[ \d./;()+]{1,16}+(?:for )?https?://")
_PRODUCT = re.compile(r"[A-Za-z][\w.-]{0,40}")
# Android / Windows device models that end in "bot" (CUBOT, TBOT...) are phones, not robots.
_NOT_BOT_WORDS = frozenset({"cubot", "tbot", "robot", "irobot"})


class AgentInfo(NamedTuple):
    """What an agent says about its client. `category` None = no bot signal."""

    category: str | None
    name: str | None
    reason: str
    probe_rules: tuple[str, ...] = ()
    probe_reasons: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class _Entry:
    lower: str  # what the automaton matches (lower case)
    exact: str | None  # the case-sensitive literal to confirm, None = case-insensitive
    start: bool  # anchored at the start of the agent
    end: bool  # anchored at the end
    category: str
    name: str
    probe: bool  # also a scanner-agent probe
    source: str


def load_agent_data() -> dict[str, Any]:
    text = resources.files("logwatch.classify").joinpath("rules/agents.toml").read_text("utf-8")
    return tomllib.loads(text)


def _split_anchors(literal: str) -> tuple[str, bool, bool]:
    start = literal.startswith("^")
    if start:
        literal = literal[1:]
    end = literal.endswith("$")
    if end:
        literal = literal[:-1]
    return literal, start, end


_META = set(".^$*+?{}[]()|\\")


def upstream_literals(pattern: str) -> list[str] | None:
    """An upstream regex as the literals it stands for (`[wW]get` → Wget, wget), or None."""
    alternatives: list[str] = []
    for part in pattern.split("|") if "(" not in pattern else [pattern]:
        prefix = "^" if part.startswith("^") else ""
        body = part[1:] if prefix else part
        suffix = "$" if body.endswith("$") and not body.endswith("\\$") else ""
        if suffix:
            body = body[:-1]
        outs = [""]
        i = 0
        while i < len(body):
            ch = body[i]
            if ch == "\\":
                if i + 1 >= len(body) or body[i + 1].isalnum():
                    return None
                outs = [o + body[i + 1] for o in outs]
                i += 2
            elif ch == "[":
                j = body.find("]", i)
                chars = body[i + 1 : j]
                if j < 0 or any(c in chars for c in "\\-^"):
                    return None
                outs = [o + c for o in outs for c in chars]
                i = j + 1
            elif ch in _META:
                return None
            else:
                outs = [o + ch for o in outs]
                i += 1
        alternatives += [prefix + o + suffix for o in outs]
    return alternatives


def _name_from_literal(literal: str) -> str:
    name = literal.strip(" /;()!:,")
    return name[:40] or literal[:40]


def _upstream_entries(data: dict[str, Any]) -> list[_Entry]:
    import crawleruseragents

    up = data["upstream"]
    order = {tag: i for i, tag in enumerate(up["tag_order"])}
    tag_category: dict[str, str] = up["tag_category"]
    drop = set(up["drop"]["patterns"])
    replace: dict[str, list[str]] = up["replace"]
    entries: list[_Entry] = []
    for item in crawleruseragents.CRAWLER_USER_AGENTS_DATA:
        pattern = item["pattern"]
        if pattern in drop:
            continue
        tags = sorted(item.get("tags") or ["other"], key=lambda t: order.get(t, 99))
        category = tag_category.get(tags[0], "other")
        literals = replace.get(pattern) or upstream_literals(pattern)
        if not literals:
            continue  # unreachable with the shipped data; a test proves every pattern converts
        for lit in literals:
            body, start, end = _split_anchors(lit)
            entries.append(
                _Entry(
                    body.lower(),
                    body,
                    start,
                    end,
                    category,
                    _name_from_literal(body),
                    False,
                    "crawler-user-agents",
                )
            )
    return entries


def _own_entries(data: dict[str, Any]) -> list[_Entry]:
    probe_categories = set(data["scanners"]["probe_categories"])
    entries: list[_Entry] = []
    for category, table in data["bots"].items():
        if category not in BOT_CATEGORIES:
            raise ValueError(f"agents.toml: unknown bot category {category!r}")
        for name, literals in table.items():
            if isinstance(literals, str):
                literals = [literals]
            if not isinstance(literals, list) or not all(isinstance(x, str) for x in literals):
                raise ValueError(f"agents.toml: [bots.{category}] {name}: want a string or list")
            for lit in literals:
                body, start, end = _split_anchors(lit)
                entries.append(
                    _Entry(
                        body.lower(),
                        None,
                        start,
                        end,
                        category,
                        name,
                        category in probe_categories,
                        "logwatch",
                    )
                )
    return entries


def _config_entries(extra: tuple[tuple[str, str], ...]) -> list[_Entry]:
    """Users' patterns: case-insensitive substrings with ^/$ anchors, as the config documents
    them; they join the automaton. Never regexes: "C++ client" and "(beta)" are valid patterns
    (compiled, they raised at start), and no user regex runs on the per-line path unchecked."""
    entries = []
    for literal, category in extra:
        if category not in BOT_CATEGORIES:
            raise ValueError(f"unknown bot category {category!r} for agent pattern {literal!r}")
        body, start, end = _split_anchors(literal)
        if body:
            entries.append(
                _Entry(
                    body.lower(),
                    None,
                    start,
                    end,
                    category,
                    _name_from_literal(body),
                    category == "scanner",
                    "config",
                )
            )
    return entries


# Which wins when several entries hit: a user's entry, then an attack tool, then anything over an
# HTTP library (LinkedInBot fetches with Apache-HttpClient), then the one named first in the agent
# (Feedly says it is "like FeedFetcher-Google"), then ours over upstream (ours carry the short,
# stable names), then the longest.
_SOURCE_RANK = {"config": 2, "logwatch": 1, "crawler-user-agents": 0}


def _rank(hit: tuple[int, _Entry]) -> tuple[bool, bool, bool, int, int, int]:
    start, e = hit
    return (
        e.source == "config",
        e.probe,
        e.category != "library",
        -start,
        _SOURCE_RANK[e.source],
        len(e.lower),
    )


class AgentMatcher:
    def __init__(
        self,
        extra_bots: tuple[tuple[str, str], ...] = (),
        allow_agents: tuple[str, ...] = (),
        header_tokens: tuple[str, ...] = (),
    ) -> None:
        data = load_agent_data()
        config_entries = _config_entries(extra_bots)
        self.entries: list[_Entry] = _upstream_entries(data) + _own_entries(data) + config_entries
        automaton = ahocorasick.Automaton()
        for idx, entry in enumerate(self.entries):
            if automaton.exists(entry.lower):
                automaton.get(entry.lower).append(idx)
            else:
                automaton.add_word(entry.lower, [idx])
        automaton.make_automaton()
        self._automaton = automaton
        self._allow = tuple(a.lower() for a in allow_agents if a)
        self._header_tokens = header_tokens
        browsers = data.get("browsers", {}).get("no_version", ())
        self._slashless_starts = tuple(b[1:].lower() for b in browsers if b.startswith("^"))
        self._slashless_within = tuple(b.lower() for b in browsers if not b.startswith("^"))

    def _hits(self, agent: str, lower: str) -> list[tuple[int, _Entry]]:
        found = []
        for end, indices in self._automaton.iter(lower):
            for idx in indices:
                e = self.entries[idx]
                if e.exact is not None:
                    if e.start:
                        ok = agent.startswith(e.exact)
                    elif e.end:
                        ok = agent.endswith(e.exact)
                    else:
                        ok = e.exact in agent
                else:
                    ok = (not e.start or lower.startswith(e.lower)) and (
                        not e.end or lower.endswith(e.lower)
                    )
                if ok:
                    found.append((end - len(e.lower) + 1, e))
        return found

    def lookup(self, agent: str) -> AgentInfo:
        if not agent or agent == "-":
            return AgentInfo("other", "(no agent)", "empty user agent → bot")
        lower = agent.lower()
        probe_rules: tuple[str, ...] = ()
        probe_reasons: tuple[str, ...] = ()
        for token in self._header_tokens:
            if token in lower:
                probe_rules = ("shell-injection",)
                probe_reasons = (f"user agent carries {token} → shell-injection probe",)
                break
        if self._allow and any(a in lower for a in self._allow):
            return AgentInfo(
                None, None, "user agent allow-listed in config", probe_rules, probe_reasons
            )
        hits = self._hits(agent, lower)
        if hits:
            _start, best = max(hits, key=_rank)
            reason = f"user agent matches {best.name} → {best.category}"
            if best.probe:
                probe_rules += (SCANNER_AGENT,)
                probe_reasons += (
                    f"user agent {best.name} is an attack tool → scanner-agent probe",
                )
            return AgentInfo(best.category, best.name, reason, probe_rules, probe_reasons)
        m = _GENERIC.search(agent) if _GENERIC_GATE.search(lower) else None
        if m and m.group(1).lower() not in _NOT_BOT_WORDS:
            name = m.group(1)
            return AgentInfo(
                "other",
                name,
                f"user agent names a robot ({name}) → other",
                probe_rules,
                probe_reasons,
            )
        if "http://" in lower or "https://" in lower:
            pm = _PRODUCT.match(agent)
            name = pm.group() if pm else ""
            if not name or name == "Mozilla":
                um = _BEFORE_URL.search(agent)
                name = um.group(1) if um else "(url)"
            return AgentInfo(
                "other", name, "user agent carries a URL → other", probe_rules, probe_reasons
            )
        if "/" not in agent and not (
            lower.startswith(self._slashless_starts)
            or any(b in lower for b in self._slashless_within)
        ):
            pm = _PRODUCT.search(agent)
            name = pm.group() if pm else "(odd agent)"
            return AgentInfo(
                "other",
                name,
                "user agent is no browser's (no product/version) → other",
                probe_rules,
                probe_reasons,
            )
        return AgentInfo(None, None, "", probe_rules, probe_reasons)
