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

import re
from collections.abc import Iterable

# The longest line we parse at all; longer lines are counted as `line_too_long`.
MAX_LINE_BYTES = 64 * 1024
# Per-field caps, chosen well above real traffic (long query strings, long user agents).
MAX_PATH = 2048
MAX_QUERY = 2048
MAX_AGENT = 1024
MAX_REFERRER = 1024
MAX_FIELD = 256
# What is kept of a request once it is classified (the counted paths, the ring of recent requests,
# the classifier's caches): classification sees a field up to its cap above, but a longer one is
# kept by its start. Real fields are nearly all shorter (of 31,236 real requests, 29 request
# lines and 1 path were over 256 characters; no agent and 3 referrers over 512), while hostile
# lines with every field at its cap would hold 8 KB each in the ring and every time slot.
KEEP_REQUEST = 256  # request line, path, query
KEEP_TEXT = 512  # user agent, referrer

# Lone surrogates too: a JSON log's `\ud800` escape decodes to one, and no UTF-8 output (the
# report, JSON Lines, a hook's stdin) can encode it. And the invisible ones: zero-width
# characters and the BOM make `/admin\u200b` look like `/admin`; the line and paragraph
# separators break a terminal's line as a newline would.
_UNSAFE_RANGES = (
    (0x00, 0x08),
    (0x0A, 0x1F),
    (0x7F, 0x9F),
    (0x061C, 0x061C),
    (0x200B, 0x200F),
    (0x2028, 0x202E),
    (0x2060, 0x2069),
    (0xFEFF, 0xFEFF),
    (0xD800, 0xDFFF),
)


def _char_class(ranges: Iterable[tuple[int, int]]) -> re.Pattern[str]:
    return re.compile("[" + "".join(f"\\U{lo:08x}-\\U{hi:08x}" for lo, hi in ranges) + "]")


_UNSAFE = _char_class(_UNSAFE_RANGES)


def _escaped(code: int) -> str:
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _table(escapes: dict[int, str]) -> list[int | str]:
    """A `str.translate` table: each unsafe character's visible form, every other character
    (below the highest unsafe one; above it, the list's IndexError keeps it) itself. A list:
    indexed faster than a dict is hashed."""
    table: list[int | str] = list(range(max(escapes) + 1))
    for code, escape in escapes.items():
        table[code] = escape
    return table


# Escaping in one C pass: `re.sub` with a function called Python once per character (a line of
# 600 control characters took a millisecond, ten times this).
_ESCAPES = _table({code: _escaped(code) for lo, hi in _UNSAFE_RANGES for code in range(lo, hi + 1)})
# For decoding with "surrogateescape": an invalid byte 0xHH arrives as U+DCHH and leaves as
# `\xHH` (the way nginx writes it); a UTF-8 decoder gives no other surrogate.
_DECODE_ESCAPES = _ESCAPES.copy()
for _byte in range(0x80, 0x100):
    _DECODE_ESCAPES[0xDC00 + _byte] = f"\\x{_byte:02x}"


def decode(raw: bytes) -> str:
    """Bytes of a log line → a safe str (invalid UTF-8 as `\\xHH`, controls escaped)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        # Invalid bytes as surrogates (a C fast path; an error handler in Python was called
        # once per bad byte), then every unsafe character and those surrogates escaped at once.
        return raw.decode("utf-8", "surrogateescape").translate(_DECODE_ESCAPES)
    return clean(text)


# The same characters but the newline, for checking many lines joined by newlines at once
# (made from the same ranges: a hand-written copy had missed the invisible ones).
_UNSAFE_BUT_NEWLINE = _char_class(
    (0x0B, hi) if lo == 0x0A else (lo, hi) for lo, hi in _UNSAFE_RANGES
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
    return text.translate(_ESCAPES)


def cap(text: str, limit: int, mark: str = "…") -> str:
    """Cut a field to `limit` characters, marking the cut so a reader knows."""
    if len(text) <= limit:
        return text
    return text[: limit - len(mark)] + mark


def lowercase(text: str) -> str:
    """`text.lower()`, in two parts for a long field that is ASCII but for its end: Python
    lowers a text that is not all ASCII a character at a time, and `cap`'s mark `…` makes a
    2 KB path such a text (~15 µs, ten times the ASCII pass). Nothing in the end looks back at
    the ASCII head but a capital sigma (Σ is ς at the end of a word)."""
    if text.isascii() or len(text) < 256:
        return text.lower()
    head = text[:-16]
    if not head.isascii() or "\u03a3" in text:
        return text.lower()
    return head.lower() + text[-16:].lower()


def is_clean(text: str) -> bool:
    """True when `text` holds no character that `clean` would escape (used by tests and asserts)."""
    return _UNSAFE.search(text) is None
