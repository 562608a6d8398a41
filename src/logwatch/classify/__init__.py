"""Classification: every Record gets exactly one class (human, bot, asset), maybe a probe flag, and
the reasons for both.

This is the interface the rest of the house calls. Until the full classifier lands (agents from
crawler-user-agents, probe rule files, behaviour table) this module holds a minimal, honest one:
user-agent tokens and asset extensions only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from logwatch.model import ASSET, BOT, HUMAN, Record, Verdict

_BOT_TOKENS = re.compile(r"bot|crawl|spider|slurp|curl|wget|python|go-http|java/|scan", re.I)
_ASSET_EXT = re.compile(
    r"\.(css|js|mjs|map|png|jpe?g|gif|webp|avif|svg|ico|woff2?|ttf|otf|eot|mp4|webm|mp3)$", re.I
)


@dataclass(frozen=True, slots=True)
class ClassifyConfig:
    extra_bot_patterns: tuple[str, ...] = ()
    allow_agents: tuple[str, ...] = ()


class Classifier:
    """Turns a Record into a Verdict. Stateful: it remembers recent client behaviour."""

    def __init__(self, config: ClassifyConfig | None = None) -> None:
        self.config = config or ClassifyConfig()

    def classify(self, rec: Record) -> Verdict:
        agent = rec.user_agent
        if not agent or agent == "-":
            return Verdict(BOT, "other", None, reasons=("empty user agent → bot",))
        if _BOT_TOKENS.search(agent):
            return Verdict(BOT, "other", None, reasons=("user agent has a bot token → bot",))
        if _ASSET_EXT.search(rec.path):
            return Verdict(ASSET, reasons=("static file extension → asset",))
        return Verdict(HUMAN, reasons=("no bot signal → human",))
