"""Classification: every Record gets exactly one class (human, bot, asset), maybe a probe flag, and
the reasons for both.

Order of judgement for one request:
1. the user agent (cached per distinct agent): a known bot gives the class and category;
2. the path (cached per distinct path): asset by extension, probe rules; then the status-dependent
   rules (admin paths only when answered 403/404), the query string (cached), the request line
   (only when its method, target or protocol is out of the ordinary) and the referrer;
3. a probe makes the request a bot: category `scanner` unless the agent is a known bot of another
   category (a probing search bot stays `search`; a probing curl becomes `scanner`), and marks the
   client so its later requests are bots too;
4. otherwise a client whose behaviour gives it away (ClientTable) is a bot; else asset or human.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from logwatch.classify.agents import AgentMatcher
from logwatch.classify.behaviour import ClientTable
from logwatch.classify.probes import PROBE_FAMILIES, Hit, ProbeRules
from logwatch.model import ASSET, BOT, HUMAN, Record, Verdict

__all__ = ["PROBE_FAMILIES", "Classifier", "ClassifyConfig"]

DEFAULT_ASSET_EXTENSIONS: tuple[str, ...] = (
    # stylesheets and scripts
    "css", "js", "mjs", "cjs", "map",
    # images
    "png", "jpg", "jpeg", "gif", "webp", "avif", "svg", "ico", "bmp", "tif", "tiff", "apng", "jxl",
    # fonts
    "woff", "woff2", "ttf", "otf", "eot",
    # audio and video
    "mp4", "webm", "ogv", "mov", "m4v", "mp3", "ogg", "oga", "wav", "flac", "aac", "m4a", "opus",
    "vtt",
    # web app manifest
    "webmanifest",
)  # fmt: skip
DEFAULT_ASSET_NAMES: tuple[str, ...] = ("favicon.ico", "site.webmanifest", "browserconfig.xml")
DEFAULT_ASSET_PREFIXES: tuple[str, ...] = ("apple-touch-icon", "android-chrome-", "mstile-")

# Probe families too easily produced by a person (a mistyped /admin) to brand the whole client.
_WEAK_FAMILIES = frozenset({"admin-probe"})
# Agent categories that a probe turns into `scanner`: they are tools, not crawlers with a job.
_TOOL_CATEGORIES = frozenset({None, "library", "other", "scanner"})

_HUMAN = Verdict(HUMAN, reasons=("no bot signal → human",))


@dataclass(frozen=True, slots=True)
class ClassifyConfig:
    """What users can tune. Agent patterns are case-insensitive substrings (`^`/`$` anchor)."""

    # Extra bot agents, category `other`: plain text, or a regex when it has regex syntax (run once
    # per distinct agent, so keep it simple).
    extra_bot_patterns: tuple[str, ...] = ()
    extra_bots: tuple[tuple[str, str], ...] = ()  # (pattern, category) pairs
    allow_agents: tuple[str, ...] = ()  # agents that are never bots (your own tools, say)
    asset_extensions: tuple[str, ...] = DEFAULT_ASSET_EXTENSIONS
    asset_names: tuple[str, ...] = DEFAULT_ASSET_NAMES
    asset_prefixes: tuple[str, ...] = DEFAULT_ASSET_PREFIXES
    behaviour: bool = True
    client_table_size: int = 20_000
    behaviour_horizon: float = 600.0  # seconds a client's counters (and a bot mark) last
    max_404s: int = 20  # distinct 404 paths within the horizon
    rate_window: float = 60.0
    max_rate: int = 300  # pages (non-assets) per rate_window
    max_pages_without_assets: int = 50
    agent_cache_size: int = 8192
    path_cache_size: int = 16384
    query_cache_size: int = 4096


class _Agent(NamedTuple):
    category: str | None
    name: str | None
    verdict: Verdict | None  # ready verdict for a bot agent without probes
    reason: str
    probe_rules: tuple[str, ...]
    probe_reasons: tuple[str, ...]
    allowed: bool


class _Path(NamedTuple):
    verdict: Verdict  # asset or human, when nothing else applies
    is_asset: bool
    hits: tuple[Hit, ...]
    conditional: tuple[tuple[frozenset[int], Hit], ...]


_NO_AGENT_LOGGED = _Agent(None, None, None, "", (), (), False)


def _put(cache: dict, key: str, value: object, cap: int) -> None:
    if len(cache) >= cap:
        del cache[next(iter(cache))]  # oldest first: cheap and good enough for a hot set
    cache[key] = value


class Classifier:
    """Turns a Record into a Verdict. Stateful: it remembers recent client behaviour, so feed it
    the lines of one log in order."""

    def __init__(self, config: ClassifyConfig | None = None) -> None:
        self.config = cfg = config or ClassifyConfig()
        self.rules = ProbeRules()
        extra = tuple((p, "other") for p in cfg.extra_bot_patterns) + tuple(cfg.extra_bots)
        self.agents = AgentMatcher(extra, cfg.allow_agents, self.rules.header_tokens)
        self._header_tokens = self.rules.header_tokens
        self._normal_methods = self.rules.normal_methods
        self._protocols = self.rules.protocols
        self._asset_ext = frozenset(e.lower().lstrip(".") for e in cfg.asset_extensions)
        self._asset_names = frozenset(n.lower() for n in cfg.asset_names)
        self._asset_prefixes = tuple(p.lower() for p in cfg.asset_prefixes)
        # Set False for formats that log no agent (common): then "" says nothing about the client.
        self.agents_logged = True
        self._agent_cache: dict[str, _Agent] = {}
        self._path_cache: dict[str, _Path] = {}
        self._query_cache: dict[str, tuple[Hit, ...]] = {}
        self._asset_verdicts: dict[str, Verdict] = {}
        self._flag_verdicts: dict[tuple[str, str], Verdict] = {}
        self.clients = ClientTable(
            size=cfg.client_table_size,
            horizon=cfg.behaviour_horizon,
            max_404s=cfg.max_404s,
            rate_window=cfg.rate_window,
            max_rate=cfg.max_rate,
            max_pages_without_assets=cfg.max_pages_without_assets,
        )

    # -- caches -------------------------------------------------------------------------------

    def _agent(self, agent: str) -> _Agent:
        info = self.agents.lookup(agent)
        verdict = None
        if info.category is not None:
            verdict = Verdict(BOT, info.category, info.name, reasons=(info.reason,))
        allowed = info.category is None and bool(info.reason)
        entry = _Agent(
            info.category,
            info.name,
            verdict,
            info.reason,
            info.probe_rules,
            info.probe_reasons,
            allowed,
        )
        _put(self._agent_cache, agent, entry, self.config.agent_cache_size)
        return entry

    def _asset_reason(self, path: str) -> str | None:
        lower = path.lower()
        base = lower[lower.rfind("/") + 1 :]
        if base in self._asset_names:
            return base
        if base.startswith(self._asset_prefixes):
            return base
        dot = base.rfind(".")
        if dot >= 0 and base[dot + 1 :] in self._asset_ext:
            return "extension " + base[dot:]
        return None

    def _path(self, path: str) -> _Path:
        hits, conditional = self.rules.path_hits(path) if path else ((), ())
        what = self._asset_reason(path)
        verdict = _HUMAN
        if what is not None:
            cached = self._asset_verdicts.get(what)
            if cached is None:
                cached = Verdict(ASSET, reasons=(f"{what} → asset",))
                if len(self._asset_verdicts) < 1024:
                    self._asset_verdicts[what] = cached
            verdict = cached
        entry = _Path(verdict, what is not None, hits, conditional)
        _put(self._path_cache, path, entry, self.config.path_cache_size)
        return entry

    def _query(self, query: str) -> tuple[Hit, ...]:
        hits = self.rules.query_hits(query)
        _put(self._query_cache, query, hits, self.config.query_cache_size)
        return hits

    # -- the one call per line ------------------------------------------------------------------

    def classify(self, rec: Record) -> Verdict:
        agent = self._agent_cache.get(rec.user_agent)
        if agent is None:
            if not rec.user_agent and not self.agents_logged:
                agent = _NO_AGENT_LOGGED
            else:
                agent = self._agent(rec.user_agent)
        path = rec.path
        p = self._path_cache.get(path)
        if p is None:
            p = self._path(path)
        hits = p.hits
        if p.conditional:
            status = rec.status
            hits += tuple(hit for codes, hit in p.conditional if status in codes)
        query = rec.query
        if query:
            q = self._query_cache.get(query)
            if q is None:
                q = self._query(query)
            if q:
                hits += q
        method = rec.method
        if (
            method not in self._normal_methods
            or rec.protocol not in self._protocols
            or not path.startswith("/")
        ):
            hits += self.rules.request_hits(
                method, path, rec.protocol, rec.request, rec.status, rec.vhost
            )
        referrer = rec.referrer
        if "{" in referrer:
            lower = referrer.lower()
            for token in self._header_tokens:
                if token in lower:
                    hits += (
                        ("shell-injection", f"referrer carries {token} → shell-injection probe"),
                    )
                    break
        if agent.probe_rules:
            hits += tuple(zip(agent.probe_rules, agent.probe_reasons, strict=True))

        if hits:
            return self._probe(rec, agent, hits)
        if agent.verdict is not None:
            return agent.verdict
        if agent.allowed or not self.config.behaviour:
            return p.verdict
        flagged = self.clients.observe(rec.client, rec.ts, p.is_asset, rec.status, path)
        if flagged is None:
            return p.verdict
        flag_verdict = self._flag_verdicts.get(flagged)
        if flag_verdict is None:
            flag_verdict = Verdict(BOT, flagged[1], None, reasons=("client: " + flagged[0],))
            if len(self._flag_verdicts) < 1024:
                self._flag_verdicts[flagged] = flag_verdict
        return flag_verdict

    def _probe(self, rec: Record, agent: _Agent, hits: tuple[Hit, ...]) -> Verdict:
        families = tuple(dict.fromkeys(f for f, _ in hits))
        reasons = tuple(dict.fromkeys(r for _, r in hits))
        category = "scanner" if agent.category in _TOOL_CATEGORIES else agent.category
        if agent.category is not None:
            reasons = (agent.reason, *reasons)
        strong = [f for f in families if f not in _WEAK_FAMILIES]
        if rec.request in ("-",) and families == ("bad-request-line",):
            strong = []  # browsers' idle preconnects are logged as "-" too
        if strong and self.config.behaviour and not agent.allowed:
            self.clients.flag(
                rec.client, rec.ts, f"probed earlier ({', '.join(strong)}) → bot", "scanner"
            )
        return Verdict(BOT, category, agent.name, True, families, reasons)
