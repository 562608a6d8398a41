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

import functools
from collections import OrderedDict
from dataclasses import dataclass
from typing import NamedTuple

from logwatch.classify.agents import AgentMatcher
from logwatch.classify.behaviour import ClientTable
from logwatch.classify.probes import EMPTY_REQUEST_HIT, PROBE_FAMILIES, Hit, ProbeRules
from logwatch.model import ASSET, BOT, HUMAN, Record, Verdict
from logwatch.sanitize import KEEP_TEXT, lowercase

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

# Bot agents whose later requests take the `scanner` mark of a client that probed.
_MARKABLE = frozenset({"library", "other"})

_HUMAN = Verdict(HUMAN, reasons=("no bot signal → human",))


@dataclass(frozen=True, slots=True)
class ClassifyConfig:
    """What users can tune. Agent patterns are case-insensitive substrings (`^`/`$` anchor)."""

    # Extra bot agents, category `other`.
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


# What the classifier does with a request once no probe is involved, by agent.
KIND_TRACK = 0  # no bot signal: count it in the client table
KIND_BOT = 1  # a bot agent: its verdict stands
KIND_MARKABLE = 2  # a tool agent: a bot, but `scanner` when its client probed
KIND_TRUSTED = 3  # allow-listed (or behaviour off): asset or human by the path alone


class AgentEntry(NamedTuple):
    category: str | None
    name: str | None
    verdict: Verdict | None  # ready verdict for a bot agent without probes
    reason: str
    probe_rules: tuple[str, ...]
    probe_reasons: tuple[str, ...]
    kind: int
    plain: bool  # no probe in the agent itself


class PathEntry(NamedTuple):
    verdict: Verdict  # asset or human, when nothing else applies
    is_asset: bool
    hits: tuple[Hit, ...]
    conditional: tuple[tuple[frozenset[int], Hit], ...]
    plain: bool  # no unconditional probe rule, and a plain /path
    codes: frozenset[int]  # statuses that make a conditional rule count


_NO_AGENT_LOGGED = AgentEntry(None, None, None, "", (), (), KIND_TRACK, True)


def _put(cache: OrderedDict, key: str, value: object, cap: int) -> None:
    if len(key) > KEEP_TEXT:
        return  # a key this long is one of a kind: keeping it would only hold memory
    if len(cache) >= cap:
        cache.popitem(last=False)  # oldest first: cheap, and hot keys come straight back
    cache[key] = value


# Rules and the agent automaton never change once built, and building them is most of a
# classifier's start (about 70 ms): classifiers of one process share them, and a forked worker
# (backfill) inherits them ready.
@functools.lru_cache(maxsize=1)
def _probe_rules() -> ProbeRules:
    return ProbeRules()


@functools.lru_cache(maxsize=8)
def _agent_matcher(
    extra: tuple[tuple[str, str], ...], allow: tuple[str, ...], header_tokens: tuple[str, ...]
) -> AgentMatcher:
    return AgentMatcher(extra, allow, header_tokens)


class Classifier:
    """Turns a Record into a Verdict. Stateful: it remembers recent client behaviour, so feed it
    the lines of one log in order."""

    def __init__(self, config: ClassifyConfig | None = None) -> None:
        self.config = cfg = config or ClassifyConfig()
        self.rules = _probe_rules()
        extra = tuple((p, "other") for p in cfg.extra_bot_patterns) + tuple(
            (pattern, category) for pattern, category in cfg.extra_bots
        )
        self.agents = _agent_matcher(extra, tuple(cfg.allow_agents), self.rules.header_tokens)
        self._header_tokens = self.rules.header_tokens
        self._normal_methods = self.rules.normal_methods
        self._protocols = self.rules.protocols
        self._asset_ext = frozenset(e.lower().lstrip(".") for e in cfg.asset_extensions)
        self._asset_names = frozenset(n.lower() for n in cfg.asset_names)
        self._asset_prefixes = tuple(p.lower() for p in cfg.asset_prefixes)
        self._agents_logged = True
        # OrderedDicts: popping the oldest key of a plain dict rescans deleted slots (quadratic).
        self._agent_cache: OrderedDict[str, AgentEntry] = OrderedDict()
        self._path_cache: OrderedDict[str, PathEntry] = OrderedDict()
        self._query_cache: OrderedDict[str, tuple[Hit, ...]] = OrderedDict()
        self._asset_verdicts: dict[str, Verdict] = {}
        self._flag_verdicts: dict[tuple[str, str], Verdict] = {}
        self._probe_cache: OrderedDict[tuple, tuple[Verdict, str | None]] = OrderedDict()
        self.clients = clients = ClientTable(
            size=cfg.client_table_size,
            horizon=cfg.behaviour_horizon,
            max_404s=cfg.max_404s,
            rate_window=cfg.rate_window,
            max_rate=cfg.max_rate,
            max_pages_without_assets=cfg.max_pages_without_assets,
        )
        self._observe = clients.observe

    @property
    def agents_logged(self) -> bool:
        """False for formats that log no agent (common): then "" says nothing about the client."""
        return self._agents_logged

    @agents_logged.setter
    def agents_logged(self, logged: bool) -> None:
        if logged != self._agents_logged:
            self._agent_cache.pop("", None)  # judged under the other setting
            self._agents_logged = logged

    def adopt_clients(self, table: ClientTable) -> None:
        """Go on from another classifier's behaviour table (a worker reading a file that one
        pass would have read after others: it must know their clients)."""
        self.clients = table
        self._observe = table.observe

    def classify_logged(self, rec: Record, agents_logged: bool) -> Verdict:
        """`classify` for a record of a format that does (or does not) log agents, whatever
        the run's format does: a line read by a second format (`OtherFormats`)."""
        if agents_logged == self._agents_logged:
            return self.classify(rec)
        self.agents_logged = agents_logged
        try:
            return self.classify(rec)
        finally:
            self.agents_logged = not agents_logged

    # -- caches -------------------------------------------------------------------------------

    def _agent_of(self, agent: str) -> AgentEntry:
        if not agent and not self._agents_logged:
            return _NO_AGENT_LOGGED
        info = self.agents.lookup(agent)
        verdict = None
        allowed = info.category is None and bool(info.reason)
        if info.category is not None:
            verdict = Verdict(BOT, info.category, info.name, reasons=(info.reason,))
            markable = info.category in _MARKABLE and self.config.behaviour
            kind = KIND_MARKABLE if markable else KIND_BOT
        else:
            kind = KIND_TRUSTED if allowed or not self.config.behaviour else KIND_TRACK
        entry = AgentEntry(
            info.category,
            info.name,
            verdict,
            info.reason,
            info.probe_rules,
            info.probe_reasons,
            kind,
            not info.probe_rules,
        )
        _put(self._agent_cache, agent, entry, self.config.agent_cache_size)
        return entry

    def _asset_reason(self, path: str) -> str | None:
        # Only the last segment lowered, a long one by sanitize.lowercase (a 2 KB path capped
        # with `…` is not ASCII): the same as lowering all, as no character lowers to a `/` and
        # a `/` stops the look-back of a final sigma.
        base = path[path.rfind("/") + 1 :]
        base = base.lower() if len(base) < 256 else lowercase(base)
        if base in self._asset_names:
            return base
        if base.startswith(self._asset_prefixes):
            return base
        dot = base.rfind(".")
        if dot >= 0 and base[dot + 1 :] in self._asset_ext:
            return "extension " + base[dot:]
        return None

    def _path(self, path: str) -> PathEntry:
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
        plain = not hits and path.startswith("/")
        codes = frozenset(c for statuses, _ in conditional for c in statuses)
        entry = PathEntry(verdict, what is not None, hits, conditional, plain, codes)
        _put(self._path_cache, path, entry, self.config.path_cache_size)
        return entry

    def _query(self, query: str) -> tuple[Hit, ...]:
        hits = self.rules.query_hits(query)
        _put(self._query_cache, query, hits, self.config.query_cache_size)
        return hits

    # -- what the pipeline's fast lane reads (see logwatch.fastlane) ------------------------

    def agent_entry(self, agent: str) -> AgentEntry:
        """The cached judgement of a user agent."""
        entry = self._agent_cache.get(agent)
        return entry if entry is not None else self._agent_of(agent)

    def plain_request_entry(
        self, method: str, path: str, query: str, protocol: str
    ) -> PathEntry | None:
        """The cached judgement of a path when the request around it holds nothing a probe rule
        looks at (an ordinary method and protocol, a plain path, a query without hits); None
        otherwise. With a plain agent, a status outside `codes` and no `{` in the referrer, such a
        request is judged by `classify`'s first branch alone: the agent's kind decides."""
        if method not in self._normal_methods or protocol not in self._protocols:
            return None
        p = self._path_cache.get(path)
        if p is None:
            p = self._path(path)
        if not p.plain:
            return None
        if query:
            q = self._query_cache.get(query)
            if q is None:
                q = self._query(query)
            if q:
                return None
        return p

    # -- the one call per line ------------------------------------------------------------------

    def classify(self, rec: Record) -> Verdict:
        agent = self._agent_cache.get(rec.user_agent)
        if agent is None:
            agent = self._agent_of(rec.user_agent)
        path = rec.path
        p = self._path_cache.get(path)
        if p is None:
            p = self._path(path)
        # The common case in a few cheap tests: no probe anywhere, so the cached verdicts stand.
        if (
            p.plain
            and agent.plain
            and rec.method in self._normal_methods
            and rec.protocol in self._protocols
            and "{" not in rec.referrer
            and rec.status not in p.codes
        ):
            query = rec.query
            if query:
                q = self._query_cache.get(query)
                if q is None:
                    q = self._query(query)
                if q:
                    return self._slow(rec, agent, p)
            return self.verdict_by_kind(agent, p, rec.client, rec.ts, rec.status, path)
        return self._slow(rec, agent, p)

    def _slow(self, rec: Record, agent: AgentEntry, p: PathEntry) -> Verdict:
        path = rec.path
        hits = p.hits
        if p.conditional:
            status = rec.status
            hits += tuple(hit for codes, hit in p.conditional if status in codes)
        query = rec.query
        if query:
            q = self._query_cache.get(query)
            if q is None:
                q = self._query(query)
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
            return self._probe(rec.client, rec.ts, agent, hits)
        return self.verdict_by_kind(agent, p, rec.client, rec.ts, rec.status, path)

    def verdict_by_kind(
        self, agent: AgentEntry, p: PathEntry, client: str, ts: float, status: int, path: str
    ) -> Verdict:
        """The verdict of a request no probe rule hit: its agent's kind decides."""
        kind = agent.kind
        if kind == KIND_TRACK:
            flagged = self._observe(client, ts, p.is_asset, status, path)
            return p.verdict if flagged is None else self.flag_verdict(flagged)
        if kind == KIND_BOT:
            return agent.verdict  # type: ignore[return-value]
        if kind == KIND_MARKABLE:
            return self.markable_verdict(client, ts, agent)
        return p.verdict  # allow-listed, or behaviour off

    def markable_verdict(self, client: str, ts: float, agent: AgentEntry) -> Verdict:
        """A tool (curl, an empty agent) from a client that probed is that scanner again."""
        mark = self.clients.flagged(client, ts)
        if mark is not None and mark[1] == "scanner":
            return Verdict(
                BOT, "scanner", agent.name, False, (), (agent.reason, "client: " + mark[0])
            )
        return agent.verdict  # type: ignore[return-value]

    def flag_verdict(self, flagged: tuple[str, str]) -> Verdict:
        verdict = self._flag_verdicts.get(flagged)
        if verdict is None:
            verdict = Verdict(BOT, flagged[1], None, reasons=("client: " + flagged[0],))
            if len(self._flag_verdicts) < 1024:
                self._flag_verdicts[flagged] = verdict
        return verdict

    def status_probe(
        self, agent: AgentEntry, p: PathEntry, client: str, ts: float, status: int
    ) -> Verdict:
        """`classify`'s verdict for a request that `plain_request_entry` passed, from a plain
        agent, with no `{` in its referrer, whose status sets off a rule of its path
        (`status in p.codes`: `/xmlrpc.php` answered 404, say). The fast lane's way for them."""
        hits = tuple(hit for codes, hit in p.conditional if status in codes)
        return self._probe(client, ts, agent, hits)

    def _probe(self, client: str, ts: float, agent: AgentEntry, hits: tuple[Hit, ...]) -> Verdict:
        # Probes come in floods (one client, one path, thousands of times): cache the verdict.
        key = (agent.category, agent.name, agent.reason, hits)
        cached = self._probe_cache.get(key)
        if cached is None:
            cached = self._probe_verdict(agent, hits)
            _put(self._probe_cache, key, cached, 4096)  # type: ignore[arg-type]
        verdict, mark = cached
        if mark is not None and self.config.behaviour and agent.kind != KIND_TRUSTED:
            self.clients.flag(client, ts, mark, "scanner")
        return verdict

    @staticmethod
    def _probe_verdict(agent: AgentEntry, hits: tuple[Hit, ...]) -> tuple[Verdict, str | None]:
        if len(hits) > 1 and any(f == "admin-probe" for f, _ in hits):
            # "/boaform/admin/...", "/cgi-bin/x?ip=;wget": the stronger family says it all
            hits = tuple(h for h in hits if h[0] != "admin-probe") or hits
        families = tuple(dict.fromkeys(f for f, _ in hits))
        reasons = tuple(dict.fromkeys(r for _, r in hits))
        category = "scanner" if agent.category in _TOOL_CATEGORIES else agent.category
        if agent.category is not None:
            reasons = (agent.reason, *reasons)
        strong = [f for f, r in hits if f not in _WEAK_FAMILIES and (f, r) != EMPTY_REQUEST_HIT]
        mark = f"probed earlier ({', '.join(dict.fromkeys(strong))}) → bot" if strong else None
        return Verdict(BOT, category, agent.name, True, families, reasons), mark
