"""`?`: every key and the filter language, on one page."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

KEYS: tuple[tuple[str, str], ...] = (
    ("tab / shift+tab", "move between panels"),
    ("↑ ↓ pgup pgdn", "move within a panel"),
    ("enter", "drill down: a path, client, bot or status code"),
    ("escape", "go back (on the main screen: clear the filter)"),
    ("/", "filter every panel (see below)"),
    ("w", "cycle the window: 1m 5m 15m 1h"),
    ("v", "cycle the class view: all human bot asset"),
    ("s", "sort the focused panel by its next column"),
    ("p", "pause / resume the display (reading and alerting go on)"),
    ("m", "mark now (a deploy): status codes and error rates show before/after"),
    ("M", "clear the mark"),
    ("a", "alerts: active and history"),
    ("t", "next theme"),
    ("?", "this help"),
    ("q", "quit"),
)

FILTERS: tuple[tuple[str, str], ...] = (
    ("status:5xx  status:404,503", "status class or code; status:>=500"),
    ("class:bot  class:human,asset", "request class"),
    ("path:/api  path:*.php", "path prefix (/…), glob, or substring"),
    ("ip:203.0.113.  ip:10.0.0.0/8", "client prefix or network"),
    ("bot:gptbot  bot:ai", "bot name or category"),
    ("probe:yes  probe:secret", "probes, or a probe rule"),
    ("source:shop  method:POST", "log source, method; also agent: ref: host: query:"),
    ("-class:asset", "a leading - or ! negates a term"),
    ("wp-login", "anything else: free text over path, client, agent, referrer"),
)


def help_text() -> Text:
    t = Text(end="")
    t.append("Keys\n", style="bold underline")
    for key, what in KEYS:
        t.append(f"  {key:<18}", style="bold")
        t.append(f"{what}\n")
    t.append("\nFilter  ", style="bold underline")
    t.append("terms are combined with AND\n", style="dim")
    for example, what in FILTERS:
        t.append(f"  {example:<32}", style="bold")
        t.append(f"{what}\n")
    t.append("\nLog text is always shown as plain text.", style="dim")
    return t


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar = [
        Binding("escape", "close", "Close"),
        Binding("question_mark", "close", "Close", show=False),
        Binding("q", "close", "Close", show=False),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box") as box:
            box.border_title = "logwatch · help"
            box.border_subtitle = "escape to close"
            yield Static(help_text(), id="help-text")

    def action_close(self) -> None:
        self.dismiss()
