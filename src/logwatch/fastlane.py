"""The pipeline's fast lane: plain combined lines, parsed and counted column by column.

Most lines of a web server's log are alike: a plain `GET /page` from a browser or a known crawler,
no probe, nothing odd. Building a Record and a Verdict for each and counting them one at a time
costs three times what the work needs, most of it in the interpreter's per-line overhead. The
fast lane works on a whole batch at once:

- it cuts every line at its quotes and spaces with `map` (a C loop), giving columns: client,
  "ident user [time] ", request, status, referrer, agent, trailing request times;
- timestamps, requests, agents and statuses are judged once per distinct value (a busy log
  repeats them endlessly) and looked up per line with `map(dict.__getitem__, …)`; a sparse log's
  new seconds are read from their day, parsed once;
- one short Python loop per line takes the classification decision: the agent's verdict for
  known bots, the client table's word for agents that look human (it must see them in order),
  the probe verdict for a plain request whose status sets off a rule (`/xmlrpc.php` → 404, which
  comes in floods);
- `collections.Counter` over zipped columns counts keys in C, and `Aggregator.add_counts` folds
  one update per distinct key.

Anything out of the ordinary (a shape the split does not take, a path, query, method or agent a
probe rule looks at whatever the status, a long line, a forwarded-for list, a date ahead of the
clock) goes through the general path, parse → classify → add, in its place in the batch, so the
classifier sees every line in order and both lanes give the same figures (tests run both on the
same lines). Records are built only for the lines the ring of recent requests keeps: the last
batches' last ones.
"""

from __future__ import annotations

import re
from collections import Counter, deque
from collections.abc import Callable, Iterable
from itertools import compress, filterfalse
from operator import attrgetter, itemgetter, methodcaller, not_
from typing import Any

from logwatch.classify import KIND_BOT, AgentEntry, Classifier, PathEntry
from logwatch.ingest.clients import normal_client
from logwatch.ingest.formats import ClfFormat, LogFormat, is_decimal, split_request
from logwatch.ingest.timeparse import MAX_EPOCH, parse_clf_uncached
from logwatch.kept import is_long, keep_short, kept_path
from logwatch.model import BOT, HUMAN, Record, Verdict
from logwatch.sanitize import KEEP_REQUEST, KEEP_TEXT, MAX_PATH
from logwatch.stats.aggregator import ARCHIVED, FINE, Aggregator, BatchCounts
from logwatch.stats.quantiles import bin_of

# Longer heads (client, ident, user, time) take the general path; each other field has its cap.
_MAX_HEAD = 512
_MAX_CLIENT = 256
_MAX_TAIL_KEPT = 64  # nginx's two request times, and room to spare
_CACHE = 16384  # distinct values kept per cache (cleared when full: hot values come straight back)
# Timestamps: a busy log repeats each second; a sparse one never comes back to an old one.
_TIME_CACHE = 4096

_QUOTES = methodcaller("split", '"')
_NEWLINES = methodcaller("count", "\n")
_FIRST_SPACE = methodcaller("partition", " ")
_BEFORE, _AFTER = itemgetter(0), itemgetter(2)  # of a partition
_STATUS = itemgetter(slice(1, 4))
# Two-digit fields as parse_clf reads them: 00-59 (an hour is checked < 24 where it is read) and
# seconds 00-60, as floats.
_TWO_DIGITS = {f"{i:02d}": i for i in range(60)}
_SECONDS = {f"{i:02d}": float(i) for i in range(61)}
_CLS = attrgetter("cls")
_TS, _SEC, _SLOT = itemgetter(0), itemgetter(2), itemgetter(3)
_KEPT_PATH, _CAMPAIGN = itemgetter(4), itemgetter(3)
# " 200 5120 " between the request and the referrer: a 3-digit status and a size or "-". A
# batch's are checked at once, joined by newlines (which no field holds): joined by nothing, a
# doubled field (" 200 5  200 5 ") would pass as two.
_MID_TEXT = r" [0-9]{3} (?:[0-9]{1,20}|-) "
_MIDS = re.compile(rf"{_MID_TEXT}(?:\n{_MID_TEXT})*")
_MID = re.compile(_MID_TEXT)
# A line the lane does not take, as columns: its empty time part sends it to the general path.
_ODD = ("", "", " 000 - ", "", " ", "", "")

# (ts, tz offset, second, 10-second slot); _NO_TIME for a head the lane does not take.
_When = tuple[float, int, int, int]
_NO_TIME: _When = (0.0, 0, -1, -1)
# (path, statuses that make a probe rule count, the classifier's PathEntry, campaign query or "",
# the path as it is counted and kept); _NO_REQUEST for requests the general path must judge.
_Request = tuple[str, frozenset[int], PathEntry | None, str, str]
_NO_REQUEST: _Request = ("", frozenset(), None, "", "")
_SKIP = Verdict("")  # the verdict column's mark for lines counted by the general path
_Pending = tuple[list[Verdict], dict[int, tuple[Record, Verdict]], Callable[[int], Record]]
# A line's request and upstream times as written, and the request time's latency bin (-1: none).
_Times = tuple[str | None, str | None, int]
_NO_TIMES: _Times = (None, None, -1)
_BAD_TAIL: _Times = (None, None, -2)  # a tail split_clf would not take: the general path's
_BAD_TAIL_ID = id(_BAD_TAIL)
_BIN = itemgetter(2)
_SKIP_ID, _NO_REQUEST_ID = id(_SKIP), id(_NO_REQUEST)
_CODES = itemgetter(1)


class FastLane:
    """Counts the plain lines of a batch in bulk; hands the others to `general` in order."""

    def __init__(
        self,
        classifier: Classifier,
        aggregator: Aggregator,
        general: Callable[[str, str], tuple[Record, Verdict] | None],
        client_transform: Callable[[str, float], str] | None = None,
    ) -> None:
        self.classifier = classifier
        self.aggregator = aggregator
        self.general = general  # (line, source) → the counted request, or None (malformed)
        self.client_transform = client_transform
        self._times: dict[str, _When] = {}
        # A usual head less its "HH:MM:SS" → its day's midnight and UTC offset.
        self._days: dict[str, tuple[float, int]] = {}
        self._tail_times: dict[str, _Times] = {"": _NO_TIMES}
        self._requests: dict[str, _Request] = {}
        self._agents: dict[str, AgentEntry] = {}
        self._bot_verdicts: dict[str, Verdict | None] = {}
        self._statuses: dict[str, int] = {}
        # The last batches' requests, not yet Records (_defer_recent), with their number:
        # verdicts, the general path's (Record, Verdict) by line, how to make line i's Record.
        self._pending: deque[tuple[int, _Pending]] = deque()
        self._pending_requests = 0

    @staticmethod
    def suits(fmt: LogFormat | None) -> bool:
        """The lane reads combined lines (with or without nginx's request times at the end)."""
        return type(fmt) is ClfFormat and not fmt.vhost and fmt.has_agent

    # --- per distinct value ------------------------------------------------------------------

    def _fill_times(self, rests: Iterable[str]) -> None:
        """ "ident user [time] " → when. The same checks as `formats.split_clf` on a head.

        A busy log repeats each second (one dict lookup); a sparse one has a new second on nearly
        every line. For those, the usual "- - [10/Oct/2000:13:55:36 -0700] " is read from its day
        (parsed once) and three two-digit lookups, a third of a full parse."""
        times = self._times
        if len(times) >= _TIME_CACHE:
            times.clear()
        days = self._days
        if len(days) >= _TIME_CACHE:
            days.clear()
        # filterfalse probes the cache as it goes: a value repeated in the batch is filled once.
        for rest in filterfalse(times.__contains__, rests):
            day = days.get(rest[:17] + rest[25:])  # all but "HH:MM:SS"
            if day is not None and rest[19] == ":" and rest[22] == ":":
                of_day = _time_of_day(rest)
                ts = day[0] + of_day if of_day is not None else -1.0
                if 0 <= ts < MAX_EPOCH:
                    sec = int(ts)
                    times[rest] = (ts, day[1], sec, sec // FINE)
                    continue
            when = times[rest] = _head_when(rest)
            if when is not _NO_TIME and len(rest) == 33 and rest[:5] == "- - [" and rest[25] == " ":
                # The usual shape: remember its day (when less the time of day). Its colons are
                # not checked: parse_clf ignores those two characters too.
                of_day = _time_of_day(rest)
                if of_day is not None:
                    days[rest[:17] + rest[25:]] = (when[0] - of_day, when[1])

    def _fill_requests(self, requests: Iterable[str]) -> list[str]:
        """Judge the batch's new requests into the cache; returns the long ones (they are one
        of a kind, or an analytics beacon's: the caller drops them once it has looked them up)."""
        cache = self._requests
        if len(cache) >= _CACHE:
            cache.clear()
        plain = self.classifier.plain_request_entry
        long = []
        for request in filterfalse(cache.__contains__, requests):
            if len(request) > KEEP_TEXT:
                long.append(request)
            method, path, query, protocol = split_request(request)
            entry = plain(method, path, query, protocol) if path else None
            if entry is None:
                cache[request] = _NO_REQUEST
                continue
            campaign = query if "utm_" in query else ""
            kept = path if len(path) <= KEEP_REQUEST else kept_path(path)
            cache[request] = (path, entry.codes, entry, campaign, kept)
        return long

    def _fill_agents(self, agents: Iterable[str]) -> None:
        cache = self._agents
        if len(cache) >= _CACHE:
            cache.clear()
            self._bot_verdicts.clear()
        bots = self._bot_verdicts
        entry = self.classifier.agent_entry
        for agent in filterfalse(cache.__contains__, agents):
            a = cache[agent] = entry(agent)
            # A known bot's verdict stands whoever sends it; None: decided line by line.
            bots[agent] = a.verdict if a.kind == KIND_BOT and a.plain else None

    def _fill_statuses(self, texts: Iterable[str]) -> None:
        cache = self._statuses
        if len(cache) >= _CACHE:
            cache.clear()
        for text in filterfalse(cache.__contains__, texts):
            # Odd lines' slices may be anything; those lines go the general way regardless.
            cache[text] = int(text) if text.isascii() and text.isdigit() else -1

    # --- one batch ---------------------------------------------------------------------------

    def run(self, lines: list[str], source: str) -> None:
        """Count `lines` (decoded, sanitised, without newlines) of one source."""
        if not lines:
            return
        parts = list(map(_QUOTES, lines))
        if list(map(len, parts)).count(7) != len(lines):
            parts = [p if len(p) == 7 else _ODD for p in parts]
        columns = list(map(list, zip(*parts, strict=True)))
        self._count(columns, lines.__getitem__, source)

    def run_text(self, text: str, source: str, newlines: int | None = None) -> None:
        """Count the lines of `text` (decoded, sanitised, joined by newlines) of one source;
        `newlines`: how many it holds, when the caller counted them already.

        When every line has its six quotes, one split of the whole text gives every column:
        pieces 1-5 of each six are a line's request, status and size, referrer, separator and
        agent, and the sixth holds one line's end and the next line's head around a newline."""
        pieces = text.split('"')
        n = (text.count("\n") if newlines is None else newlines) + 1
        joints = pieces[6:-1:6]
        if len(pieces) != 6 * n + 1 or list(map(_NEWLINES, joints)).count(1) != n - 1:
            self.run(text.split("\n"), source)  # some line has another number of quotes
            return
        # Each joint holds exactly one newline (checked above): split together, they alternate.
        halves = "\n".join(joints).split("\n") if joints else []
        tails = halves[0::2]
        heads = halves[1::2]
        heads.insert(0, pieces[0])
        tails.append(pieces[-1])

        def line_of(i: int) -> str:
            return '"'.join((heads[i], *pieces[6 * i + 1 : 6 * i + 6], tails[i]))

        columns = [
            heads,
            pieces[1::6],
            pieces[2::6],
            pieces[3::6],
            pieces[4::6],
            pieces[5::6],
            tails,
        ]
        self._count(columns, line_of, source)

    def _count(self, columns: list[list[str]], line_of: Callable[[int], str], source: str) -> None:
        """Judge and count a batch given as columns (head, request, " status size ", referrer,
        separator, agent, tail); `line_of(i)` gives line i back for the general path."""
        heads, requests, mids, refs, seps, agents, tails = columns
        n = len(heads)
        # Two itemgetter passes: cheaper than transposing with zip(*…) (an iterator per line).
        split_heads = list(map(_FIRST_SPACE, heads))
        clients, rests = list(map(_BEFORE, split_heads)), list(map(_AFTER, split_heads))
        odd = self._odd_lines(heads, clients, requests, mids, refs, seps, agents)
        times = self._tails(tails, odd) if tails.count("") != n else []
        for i in odd:
            rests[i] = ""  # no time: the line goes the general way
            requests[i] = agents[i] = ""  # its fields may be long: kept out of the caches

        self._fill_times(rests)
        long_requests = self._fill_requests(requests)
        self._fill_agents(agents)
        status_texts = list(map(_STATUS, mids))
        self._fill_statuses(status_texts)
        whens = list(map(self._times.__getitem__, rests))
        rqs = list(map(self._requests.__getitem__, requests))
        for request in long_requests:
            del self._requests[request]
        statuses = list(map(self._statuses.__getitem__, status_texts))

        if self.client_transform is not None:
            clients = list(map(self.client_transform, clients, map(_TS, whens)))
        elif ":" in "".join(clients):  # IPv6 among them: one key per address (IPv4 pays nothing)
            clients = list(map(normal_client, clients))

        def record_of(i: int) -> Record:
            """Line i's Record from its columns (checked already: no need to parse it again),
            whole, as the classifier reads it."""
            rt, ut, _ = times[i] if times else _NO_TIMES
            method, path, query, protocol = split_request(requests[i])
            size = mids[i][5:-1]
            return Record(
                whens[i][0],
                clients[i],
                method,
                path,
                query,
                protocol,
                statuses[i],
                int(size) if size != "-" else None,
                refs[i] if refs[i] != "-" else "",
                agents[i],
                requests[i],
                whens[i][1],
                None,
                float(rt) if rt else None,
                float(ut) if ut and ut != "-" else None,
                None,
                None,
                source,
            )

        verdicts, counted, skipped, lane_probes = self._classify(
            line_of, record_of, source, whens, rqs, agents, clients, statuses, refs
        )
        counting = len(verdicts) - (skipped - len(counted))  # the batch's requests

        def kept_record_of(i: int) -> Record:
            rec = record_of(i)
            if is_long(rec):
                keep_short(rec)
            return rec

        self._defer_recent(counting, (verdicts, counted, kept_record_of))
        # The lane's own lines only, in new lists: record_of still reads the whole columns.
        lane: tuple[list[Any], ...] = (verdicts, whens, rqs, clients, statuses, refs, times)
        if skipped:
            fast = list(map(_SKIP_ID.__ne__, map(id, verdicts)))
            lane = tuple(list(compress(column, fast)) if column else column for column in lane)
        # Probes of both lanes, in line order: the probing clients' table keeps order.
        probe_details = _probe_details(lane_probes, counted, verdicts, whens, rqs, clients)
        if counted:
            self.aggregator.add_many(counted.values(), keep_recent=False, probe_details=False)
        if lane[0] or probe_details:
            until = self.aggregator.archive_until()
            batch = _batch(*lane, archive_until=until) if lane[0] else BatchCounts()
            batch.probe_details = probe_details
            self.aggregator.add_counts(batch, source)

    def _defer_recent(self, requests: int, batch: _Pending) -> None:
        """Records for the ring of recent requests are made only for the requests it keeps:
        batches wait (as columns) until the ring is read; a batch is dropped unseen once the
        batches after it hold enough requests to fill the ring. (Small batches, a tailer's,
        would otherwise each become Records only to be pushed out by the next ones.)"""
        keep = self.aggregator.recent.maxlen or 0
        if not keep:
            return
        pending = self._pending
        pending.append((requests, batch))
        self._pending_requests += requests
        while self._pending_requests - pending[0][0] >= keep:
            self._pending_requests -= pending.popleft()[0]
        self.aggregator.pending_recent = self.settle_recent

    def settle_recent(self) -> None:
        """Turn the waiting batches' last requests into Records in the ring, oldest first."""
        pending = self._pending
        self.aggregator.pending_recent = None
        keep = self.aggregator.recent.maxlen or 0
        newest_first: list[list[tuple[Record, Verdict]]] = []
        while pending and keep > 0:
            part = _last_requests(keep, *pending.pop()[1])
            newest_first.append(part)
            keep -= len(part)
        pending.clear()
        self._pending_requests = 0
        for part in reversed(newest_first):
            self.aggregator.recent.extend(part)

    def _odd_lines(
        self,
        heads: list[str],
        clients: list[str],
        requests: list[str],
        mids: list[str],
        refs: list[str],
        seps: list[str],
        agents: list[str],
    ) -> set[int]:
        """Indexes of lines whose fields the lane cannot take as they are (each test is one C
        pass over the batch; the per-line search runs only when the pass finds something).
        Requests up to their cap are the lane's (analytics beacons are long; the lane keeps
        their cut path); agents and referrers longer than are kept (sanitize.KEEP_TEXT) go the
        general way, which cuts them, so the lane's agent caches hold no long keys."""
        odd: set[int] = set()
        for column, cap in (
            (heads, _MAX_HEAD),
            (requests, MAX_PATH),
            (refs, KEEP_TEXT),
            (agents, KEEP_TEXT),
        ):
            if max(map(len, column)) > cap:
                odd.update(i for i, field in enumerate(column) if len(field) > cap)
        if seps.count(" ") != len(seps):
            odd.update(i for i, sep in enumerate(seps) if sep != " ")
        if _MIDS.fullmatch("\n".join(mids)) is None:
            odd.update(i for i, mid in enumerate(mids) if _MID.fullmatch(mid) is None)
        if max(map(len, clients)) > _MAX_CLIENT or "," in "".join(clients) or "" in clients:
            odd.update(
                i for i, c in enumerate(clients) if not c or len(c) > _MAX_CLIENT or "," in c
            )
        return odd

    def _tails(self, tails: list[str], odd: set[int]) -> list[_Times]:
        """nginx's `$request_time $upstream_response_time` after the agent, as `split_clf`
        takes them, judged once per distinct tail; other tails make odd lines."""
        cache = self._tail_times
        if len(cache) >= _CACHE:
            cache.clear()
        long: dict[str, _Times] = {}  # judged, not kept: hostile tails may be kilobytes each
        for tail in filterfalse(cache.__contains__, tails):
            (cache if len(tail) <= _MAX_TAIL_KEPT else long)[tail] = _judge_tail(tail)
        found = (
            list(map(cache.__getitem__, tails))
            if not long
            else [cache[tail] if tail in cache else long[tail] for tail in tails]
        )
        if list(map(id, found)).count(_BAD_TAIL_ID):
            odd.update(i for i, t in enumerate(found) if t is _BAD_TAIL)
        return found

    def _classify(
        self,
        line_of: Callable[[int], str],
        record_of: Callable[[int], Record],
        source: str,
        whens: list[_When],
        rqs: list[_Request],
        agents: list[str],
        clients: list[str],
        statuses: list[int],
        refs: list[str],
    ) -> tuple[list[Verdict], dict[int, tuple[Record, Verdict]], int, list[int]]:
        """The verdict of every line. A known bot's comes from its agent, whoever sends it;
        the other lines are decided here, in order (the client table must see them so). Lines
        the lane does not take are counted by the general path (`counted`, by index) and
        marked `_SKIP`; the lane's own probes are listed by index."""
        n = len(agents)
        verdicts: list[Verdict | None] = list(map(self._bot_verdicts.__getitem__, agents))
        future = self.aggregator.future_limit()
        # Lines that may need the general path, found by C passes over the batch; the loop
        # below looks at them closely.
        special: set[int] = set()
        secs = list(map(_SEC, whens))  # _NO_TIME's is -1 (ints compare faster than tuples)
        if min(secs) < 0 or max(secs) > future:
            special.update(i for i, w in enumerate(whens) if w is _NO_TIME or w[2] > future)
        request_ids = list(map(id, rqs))
        if request_ids.count(_NO_REQUEST_ID):
            special.update(compress(range(n), map(_NO_REQUEST_ID.__eq__, request_ids)))
        special.update(compress(range(n), map(_CODES, rqs)))  # rules for some statuses
        if "{" in "".join(refs):
            special.update(i for i, ref in enumerate(refs) if "{" in ref)
        for i in special:
            verdicts[i] = None

        by_kind = self.classifier.verdict_by_kind
        agent_entry = self._agents.__getitem__
        general = self.general
        classify = self.classifier.classify
        status_probe = self.classifier.status_probe
        counted: dict[int, tuple[Record, Verdict]] = {}
        lane_probes: list[int] = []
        skipped = 0
        todo = list(map(not_, verdicts))
        for i, agent, when, rq, client, status in zip(
            compress(range(n), todo),
            map(agent_entry, compress(agents, todo)),
            compress(whens, todo),
            compress(rqs, todo),
            compress(clients, todo),
            compress(statuses, todo),
            strict=True,
        ):
            entry = rq[2]
            if (
                entry is None  # _NO_REQUEST
                or not agent.plain
                or (
                    i in special
                    and (when is _NO_TIME or status in rq[1] or when[2] > future or "{" in refs[i])
                )
            ):
                if when is _NO_TIME:  # a line whose fields the lane did not take: parse it
                    pair = general(line_of(i), source)
                    if pair is not None:
                        counted[i] = pair
                elif (
                    entry is not None
                    and agent.plain
                    and status in rq[1]
                    and when[2] <= future
                    and "{" not in refs[i]
                ):  # a plain request whose status sets off a probe rule (xmlrpc.php 404): the
                    # lane counts it (floods of them are common)
                    verdicts[i] = status_probe(agent, entry, client, when[0], status)
                    lane_probes.append(i)
                    continue
                else:  # well-formed, but for the whole classifier (a probe, say)
                    rec = record_of(i)
                    verdict = classify(rec)
                    if is_long(rec):
                        keep_short(rec)
                    counted[i] = (rec, verdict)
                verdicts[i] = _SKIP
                skipped += 1
            else:
                verdicts[i] = by_kind(agent, entry, client, when[0], status, rq[0])
        return verdicts, counted, skipped, lane_probes  # type: ignore[return-value]


def _last_requests(
    keep: int,
    verdicts: list[Verdict],
    counted: dict[int, tuple[Record, Verdict]],
    record_of: Callable[[int], Record],
) -> list[tuple[Record, Verdict]]:
    """A batch's last `keep` requests, oldest first."""
    recent: list[tuple[Record, Verdict]] = []
    i = len(verdicts)
    while len(recent) < keep and i > 0:
        i -= 1
        v = verdicts[i]
        if v is not _SKIP:
            recent.append((record_of(i), v))
        elif i in counted:
            recent.append(counted[i])
    recent.reverse()
    return recent


def _time_of_day(rest: str) -> float | None:
    """A usual head's "HH:MM:SS" (characters 17-25) in seconds, read as parse_clf reads it;
    None unless each field is two digits in its range."""
    hour = _TWO_DIGITS.get(rest[17:19], 99)
    minute = _TWO_DIGITS.get(rest[20:22])
    second = _SECONDS.get(rest[23:25])
    if hour < 24 and minute is not None and second is not None:
        return hour * 3600 + minute * 60 + second
    return None


def _head_when(rest: str) -> _When:
    """ "ident user [time] " → when, or _NO_TIME where `formats.split_clf` would not take it."""
    lb = rest.find(" [")
    if (
        lb >= 0
        and rest[:1] != "["
        and rest[-2:] == "] "
        and len(rest) - lb <= 68
        and rest.count(" ", 0, lb) == 1
    ):
        parsed = parse_clf_uncached(rest[lb + 2 : -2])
        if parsed is not None:
            sec = int(parsed[0])
            return (parsed[0], parsed[1], sec, sec // FINE)
    return _NO_TIME


def _probe_details(
    lane_probes: list[int],
    counted: dict[int, tuple[Record, Verdict]],
    verdicts: list[Verdict],
    whens: list[_When],
    rqs: list[_Request],
    clients: list[str],
) -> list[tuple[int, str, str, float, tuple[str, ...]]]:
    """Each probe of the batch, both lanes', in line order: (slot, client, path, ts, rules)."""
    general = [i for i, (_, v) in counted.items() if v.probe]
    hits = []
    for i in sorted(lane_probes + general) if general else lane_probes:
        pair = counted.get(i)
        if pair is None:
            hits.append((whens[i][3], clients[i], rqs[i][4], whens[i][0], verdicts[i].probe_rules))
        else:
            rec, v = pair
            path = rec.path or rec.request
            hits.append((int(rec.ts) // FINE, rec.client, path, rec.ts, v.probe_rules))
    return hits


def _batch(
    verdicts: list[Verdict],
    whens: list[_When],
    rqs: list[_Request],
    clients: list[str],
    statuses: list[int],
    refs: list[str],
    times: list[_Times],
    *,
    archive_until: int,
) -> BatchCounts:
    """The lane's lines (columns of equal length) counted by their keys; lines all older than
    `archive_until` under one second and one slot, `ARCHIVED` (the totals take them whole)."""
    batch = BatchCounts()
    secs = list(map(_SEC, whens))
    classes = list(map(_CLS, verdicts))
    ids = list(map(id, verdicts))
    by_id = dict(zip(ids, verdicts, strict=True))  # the few distinct verdicts, by identity
    if max(secs) < archive_until:  # a long history's bulk: a path or client is one key
        stamps = list(map(_TS, whens))
        batch.oldest = min(stamps)
        batch.newest = {ARCHIVED: max(stamps)}
        secs = slots = [ARCHIVED] * len(secs)
    else:
        slots = list(map(_SLOT, whens))
        for when in set(whens):
            sec, ts = when[2], when[0]
            if batch.newest.get(sec, -1.0) < ts:
                batch.newest[sec] = ts
            if batch.oldest is None or ts < batch.oldest:
                batch.oldest = ts
    seconds: dict[tuple[int, str, int], int] = {}
    bots: dict[tuple[int, str, str], int] = {}
    bot_seconds: dict[tuple[int, str], int] = {}
    probes: dict[int, int] = {}
    for (sec, vid, status), k in Counter(zip(secs, ids, statuses, strict=True)).items():
        v = by_id[vid]
        key = (sec, v.cls, status)
        seconds[key] = seconds.get(key, 0) + k
        if v.cls == BOT:  # a probe's verdict is always a bot's (Classifier._probe_verdict)
            category = v.bot_category or "other"
            bot = (sec // FINE, v.bot_name or category, category)
            bots[bot] = bots.get(bot, 0) + k
            second = (sec, category)
            bot_seconds[second] = bot_seconds.get(second, 0) + k
            if v.probe:
                probes[sec] = probes.get(sec, 0) + k
    batch.seconds = seconds
    batch.bots = bots
    batch.bot_seconds = bot_seconds
    batch.probes = probes
    batch.paths = Counter(zip(slots, map(_KEPT_PATH, rqs), classes, statuses, strict=True))
    batch.clients = Counter(zip(slots, clients, classes, statuses, strict=True))
    human = list(map(HUMAN.__eq__, classes))
    if True in human:
        batch.referrers = {
            key: k
            for key, k in Counter(compress(zip(slots, refs, strict=True), human)).items()
            if key[1] and key[1] != "-"
        }
        campaigns = list(map(_CAMPAIGN, rqs))
        if campaigns.count("") != len(campaigns):
            batch.campaigns = {
                key: k
                for key, k in Counter(compress(zip(slots, campaigns, strict=True), human)).items()
                if key[1]
            }
    if times:
        bins = list(map(_BIN, times))
        batch.latency = {
            key: k for key, k in Counter(zip(secs, bins, strict=True)).items() if key[1] >= 0
        }
        if True in human:
            found = Counter(compress(zip(slots, map(_KEPT_PATH, rqs), bins, strict=True), human))
            batch.path_latency = {key: k for key, k in found.items() if key[2] >= 0}
    return batch


def _judge_tail(tail: str) -> _Times:
    words = tail.split(" ")
    if len(words) in (2, 3) and not words[0] and is_decimal(words[1]):
        if len(words) == 2:
            return (words[1], None, bin_of(float(words[1])))
        if is_decimal(words[2]) or words[2] == "-":
            return (words[1], words[2], bin_of(float(words[1])))
    return _BAD_TAIL
