"""The small value types that flow between the rooms of the house.

sources ──lines──▶ parse ──Record──▶ classify ──Verdict──▶ aggregate ──Snapshot──▶ consumers

They carry data only; behaviour lives in the module that owns each step.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone

# The three classes every request falls into, and the bot categories of the design.
HUMAN = "human"
BOT = "bot"
ASSET = "asset"
CLASSES: tuple[str, ...] = (HUMAN, BOT, ASSET)

BOT_CATEGORIES: tuple[str, ...] = (
    "search",
    "ai",
    "seo",
    "social",
    "monitor",
    "feed",
    "library",
    "scanner",
    "other",
)

STATUS_CLASSES: tuple[str, ...] = ("2xx", "3xx", "4xx", "5xx", "other")


def status_class(status: int) -> str:
    """'2xx'..'5xx' for ordinary codes, 'other' for 1xx, 0 and nonsense (nginx's 499 is 4xx)."""
    if 200 <= status < 600:
        return _STATUS_CLASS_NAMES[status // 100]
    return "other"


_STATUS_CLASS_NAMES = {2: "2xx", 3: "3xx", 4: "4xx", 5: "5xx"}


@dataclass(slots=True)
class Record:
    """One parsed request. Every string field is already sanitised (see `logwatch.sanitize`).

    `ts` is seconds since the epoch (UTC); `tz_offset` keeps the offset the log was written in, in
    minutes, so the original local time can be shown. Sizes and times are None when the format does
    not carry them or the log wrote `-`.
    """

    ts: float
    client: str
    method: str
    path: str
    query: str
    protocol: str
    status: int
    size: int | None
    referrer: str
    user_agent: str
    # The raw request line as written ("GET /x HTTP/1.1", "-", or handshake bytes), for probe rules.
    request: str = ""
    tz_offset: int = 0
    vhost: str | None = None
    request_time: float | None = None  # seconds
    upstream_time: float | None = None  # seconds
    cache_status: str | None = None
    forwarded_for: str | None = None
    source: str = ""

    @property
    def time(self) -> datetime:
        """The request time as a timezone-aware datetime in the log's own offset."""
        tz = UTC if not self.tz_offset else timezone(timedelta(minutes=self.tz_offset))
        return datetime.fromtimestamp(self.ts, tz)


@dataclass(slots=True, frozen=True)
class Verdict:
    """What a request is, and why.

    `cls` is exactly one of human/bot/asset. `bot_category` is set only for bots. `probe` is
    independent of the class: a probe by a known search bot stays `bot/search`, otherwise it is
    `bot/scanner`. `reasons` are short sentences a person can read on drill-down.
    """

    cls: str
    bot_category: str | None = None
    bot_name: str | None = None
    probe: bool = False
    probe_rules: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()


@dataclass(slots=True, frozen=True)
class Malformed:
    """A line that did not become a request: the counted reason and the (sanitised) line."""

    reason: str
    line: str = ""
    source: str = ""


@dataclass(slots=True)
class SourceState:
    """The state of one input as the status bar and the JSON report show it."""

    name: str
    label: str = ""
    state: str = "starting"  # starting, reading, following, missing, rotated, closed, error
    message: str = ""
    lines: int = 0
    lag_seconds: float = 0.0
    extra: dict[str, object] = field(default_factory=dict)
