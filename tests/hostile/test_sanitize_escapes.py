"""sanitize's escapes, character by character: what `clean` and `decode` give for every unsafe
character and every invalid byte (they are made in one `str.translate` pass, from a table)."""

from __future__ import annotations

import pytest

from logwatch import sanitize

UNSAFE = [
    *range(0x00, 0x09), *range(0x0A, 0x20), *range(0x7F, 0xA0), 0x061C, *range(0x200B, 0x2010),
    *range(0x2028, 0x202F), *range(0x2060, 0x206A), 0xFEFF, 0xD800, 0xDBFF, 0xDC80, 0xDFFF,
]  # fmt: skip


@pytest.mark.parametrize("code", UNSAFE)
def test_each_unsafe_character_is_escaped(code: int) -> None:
    want = f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
    assert sanitize.clean(f"a{chr(code)}b{chr(code)}") == f"a{want}b{want}"
    assert not sanitize.is_clean(chr(code))


def test_safe_characters_are_kept() -> None:
    text = "GET /é/€/😀?q=%00 \t\\x1b \u200a \u2030 \ufffd"
    assert sanitize.clean(text) is text


def test_invalid_bytes_become_backslash_x_and_controls_are_escaped() -> None:
    raw = b"\xff/\xc3\xa9/\xc3/\xe2\x80\xae/\xed\xa0\x80/\x1b[31m/\xf0\x9f\x98\x80/\xf0\x9f"
    assert sanitize.decode(raw) == ("\\xff/é/\\xc3/\\u202e/\\xed\\xa0\\x80/\\x1b[31m/😀/\\xf0\\x9f")
    assert sanitize.decode(b"\xff" * 1000 + b"\x01" * 1000) == "\\xff" * 1000 + "\\x01" * 1000


@pytest.mark.parametrize("code", [c for c in UNSAFE if c != 0x0A and not 0xD800 <= c <= 0xDFFF])
def test_a_batch_of_lines_escapes_what_one_line_does(code: int) -> None:
    # The batch decoder's own list of unsafe characters had missed the invisible ones: a
    # zero-width space in `/admin\u200b` came through a batch unescaped.
    raw = f"GET /admin{chr(code)}/".encode()
    assert sanitize.decode_lines([raw, "café".encode()]) == [sanitize.decode(raw), "café"]
