"""Make hostile log bytes safe to hold, count and show.

Every byte of a log line is written by strangers. At ingestion we:
- decode as UTF-8, turning invalid bytes into `\\xHH` (the way nginx writes them), so nothing is lost
  silently and nothing undecodable travels further;
- replace control characters (C0 except tab, DEL, C1), the bidirectional overrides, invisible
  zero-width characters, line separators and lone surrogates with a visible `\\xHH` / `\\u202e`
  form, so no escape sequence reaches a terminal, no text is reordered or hidden and every output
  can be encoded;
- cap every field, so one line cannot grow memory without bound.

Rendering code must still treat these strings as plain text (never markup), but it may rely on them
containing no control characters.
"""

from __future__ import annotations

import codecs
import re

# The longest line we parse at all; longer lines are counted as `line_too_long`.
MAX_LINE_BYTES = 64 * 1024
# Per-field caps, chosen well above real traffic (long query strings, long user agents).
MAX_PATH = 2048
MAX_QUERY = 2048
MAX_AGENT = 1024
MAX_REFERRER = 1024
MAX_FIELD = 256

# Lone surrogates too: a JSON log's `\ud800` escape decodes to one, and no UTF-8 output (the
# report, JSON Lines, a hook's stdin) can encode it. And the invisible ones: zero-width
# characters and the BOM make `/admin\u200b` look like `/admin`; the line and paragraph
# separators break a terminal's line as a newline would.
_UNSAFE = re.compile(
    "[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ud800-\udfff]"
)


def _escape_char(match: re.Match[str]) -> str:
    ch = match.group()
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _backslash_bytes(err: UnicodeError) -> tuple[str, int]:
    assert isinstance(err, UnicodeDecodeError)
    bad = err.object[err.start : err.end]
    return "".join(f"\\x{b:02x}" for b in bad), err.end


codecs.register_error("logwatch-hex", _backslash_bytes)


def decode(raw: bytes) -> str:
    """Bytes of a log line → a safe str (invalid UTF-8 as `\\xHH`, controls escaped)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("utf-8", "logwatch-hex")
    return clean(text)


# The same characters but the newline, for checking many lines joined by newlines at once.
_UNSAFE_BUT_NEWLINE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)


# Every byte value but the C0 controls (tab and newline aside) and DEL.
_NOT_C0_OR_DEL = bytes(b for b in range(256) if b in (0x09, 0x0A) or 0x20 <= b != 0x7F)
_NOT_C0_OR_DEL_OR_NEWLINE = _NOT_C0_OR_DEL.replace(b"\n", b"")


def decode_lines(lines: list[bytes]) -> list[str]:
    """Many lines at once (the common case on the hot path): one decode and one scan for the
    whole batch; only a batch with something to escape falls back to line by line.
    A trailing `\r` (CRLF files) is dropped."""
    blob = b"\n".join(lines)
    if b"\r" in blob:
        return [decode(line[:-1] if line[-1:] == b"\r" else line) for line in lines]
    try:
        text = blob.decode("utf-8")
    except UnicodeDecodeError:
        return [decode(line) for line in lines]
    # C0 controls and DEL are bytes: deleting every other byte value (a C loop) leaves them.
    # C1 controls and bidi overrides are not ASCII: pure-ASCII text cannot hold them.
    if blob.translate(None, _NOT_C0_OR_DEL) or (
        not text.isascii() and _UNSAFE_BUT_NEWLINE.search(text) is not None
    ):
        return [clean(line) for line in text.split("\n")]
    return text.split("\n")


def decode_block(block: bytes) -> tuple[str, int] | None:
    """Complete lines joined by newlines → the text `decode_lines` would give, joined, and its
    number of newlines, when the block is plain ASCII with nothing to escape (the common case:
    nginx and Apache escape everything else); None when it needs the line-by-line way."""
    if not block.isascii():
        return None
    # One C pass leaves the newlines, carriage returns and unsafe bytes; all newlines: plain.
    controls = block.translate(None, _NOT_C0_OR_DEL_OR_NEWLINE)
    if controls.count(b"\n") != len(controls):
        return None
    return block.decode("ascii"), len(controls)


def clean(text: str) -> str:
    """Escape control and bidi-override characters in already-decoded text."""
    if _UNSAFE.search(text) is None:
        return text
    return _UNSAFE.sub(_escape_char, text)


def cap(text: str, limit: int) -> str:
    """Cut a field to `limit` characters, marking the cut so a reader knows."""
    if len(text) <= limit:
        return text
    return text[: limit - 1] + "…"


def is_clean(text: str) -> bool:
    """True when `text` holds no character that `clean` would escape (used by tests and asserts)."""
    return _UNSAFE.search(text) is None
