"""Reading existing content fast: big chunks split on newlines, byte ranges, .gz and stdin.

Used by `logwatch report` and by the worker processes that read parts of a big file. Lines are
handed out in batches of bytes (without the newline); a line longer than the limit is never held
whole: it is cut, skipped to its newline and counted.
"""

from __future__ import annotations

import bz2
import glob
import gzip
import io
import lzma
import os
import sys
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any, BinaryIO

from logwatch.sanitize import MAX_LINE_BYTES, decode_lines

# 256 KiB per read: ~1,100 combined lines. Larger blocks cost no less CPU per line and hold more
# short-lived objects at once (1 MiB blocks: +6 MB of peak RSS on a 1M-line report).
CHUNK = 1 << 18


@dataclass(slots=True)
class Batch:
    lines: list[bytes]
    too_long: int = 0
    bytes_done: int = 0  # position reached in the input (compressed bytes for .gz)


# Compressed files are known by their first bytes, not their names: a ".gz" that holds plain
# text is read as text, and a rotated "access.log.2" that logrotate compressed is decompressed.
# (magic number, name, opener)
_COMPRESSIONS = (
    (b"\x1f\x8b", "gzip", gzip.open),
    (b"BZh", "bzip2", bz2.open),
    (b"\xfd7zXZ\x00", "xz", lzma.open),
)
MAGIC_BYTES = 6  # the longest magic number: enough of a stream's head to tell


def _compression(head: bytes) -> tuple[bytes, str, Any] | None:
    return next((c for c in _COMPRESSIONS if head.startswith(c[0])), None)


def compression_of(head: bytes) -> str | None:
    """ "gzip", "bzip2" or "xz" when a stream's first bytes are those of one; None for text."""
    found = _compression(head)
    return found[1] if found is not None else None


def too_short_to_tell(head: bytes) -> bool:
    """Whether more bytes could still make `head` a compressed stream's first ones (a pipe's
    first read may be a byte or two); text that cannot be one is known at once."""
    return any(len(head) < len(magic) and magic.startswith(head) for magic, *_ in _COMPRESSIONS)


class _Prefixed(io.RawIOBase):
    """A stream whose first bytes were read already, with them put back in front."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self._head = head
        self._rest = rest
        self._read = getattr(rest, "read1", rest.read)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._head[: len(buffer)] if self._head else self._read(len(buffer))
        self._head = self._head[len(data) :]
        buffer[: len(data)] = data
        return len(data)


def _open_stdin() -> BinaryIO:
    """Standard input, decompressed when its first bytes are gzip, bzip2 or xz (`report - <
    access.log.gz` quoted gzip bytes as "no known access-log format")."""
    stdin = sys.stdin.buffer
    peek = getattr(stdin, "peek", None)
    head = peek(MAGIC_BYTES)[:MAGIC_BYTES] if peek is not None else b""
    if len(head) < MAGIC_BYTES and (peek is None or too_short_to_tell(head)):
        # A short first read, or no peek: read enough to tell, and put it back in front.
        read = getattr(stdin, "read1", stdin.read)
        head = b""
        while len(head) < MAGIC_BYTES and (more := read(MAGIC_BYTES - len(head))):
            head += more
        stdin = io.BufferedReader(_Prefixed(head, stdin), CHUNK)
    found = _compression(head)
    return found[2](stdin, "rb") if found is not None else stdin


def open_input(path: str) -> BinaryIO:
    """Open a log for reading: `-` is stdin; gzip, bzip2 and xz are decompressed on the fly."""
    if path == "-":
        return _open_stdin()
    if os.path.isdir(path):
        raise IsADirectoryError(f"{path} is a directory, not a log file")
    raw = open(path, "rb")  # noqa: SIM115 - handed to the caller, which closes it
    found = _compression(raw.peek(MAGIC_BYTES)[:MAGIC_BYTES])
    if found is None:
        return raw
    raw.close()
    return found[2](path, "rb")


def is_compressed(path: str) -> bool:
    """Whether the file's first bytes are those of a compressed stream we read."""
    with open(path, "rb") as f:
        return _compression(f.read(MAGIC_BYTES)) is not None


def read_batches(
    stream: BinaryIO,
    *,
    start: int = 0,
    end: int | None = None,
    max_line: int = MAX_LINE_BYTES,
    chunk: int = CHUNK,
) -> Iterator[Batch]:
    """Batches of complete lines from `stream` (see `read_blocks` for `start`/`end`)."""
    blocks = read_blocks(stream, start=start, end=end, max_line=max_line, chunk=chunk)
    yield from _as_batches(blocks, max_line)


def _as_batches(blocks: Iterable[Block], max_line: int) -> Iterator[Batch]:
    for block in blocks:
        lines, too_long = split_block(block.data, max_line)
        too_long += block.too_long
        if lines or too_long:
            yield Batch(lines, too_long, block.bytes_done)


def split_block(data: bytes, max_line: int = MAX_LINE_BYTES) -> tuple[list[bytes], int]:
    """A block's lines, and how many were dropped as longer than `max_line`."""
    lines = data.split(b"\n") if data else []
    if lines and max(map(len, lines)) > max_line:
        kept = [line for line in lines if len(line) <= max_line]
        return kept, len(lines) - len(kept)
    return lines, 0


@dataclass(slots=True)
class Block:
    """Complete lines joined by newlines, as read: lines are split only by whoever needs them
    (the pipeline's fast lane takes a plain block whole). Lines over the limit that crossed a
    chunk were dropped and counted in `too_long`; shorter chunks may still hold some."""

    data: bytes
    too_long: int = 0
    bytes_done: int = 0


def read_blocks(
    stream: BinaryIO,
    *,
    start: int = 0,
    end: int | None = None,
    max_line: int = MAX_LINE_BYTES,
    chunk: int = CHUNK,
) -> Iterator[Block]:
    """Blocks of complete lines from `stream`.

    With `start`/`end` (uncompressed files only) it reads the lines that *begin* in [start, end):
    a range that starts mid-line skips to the next newline, and the last line may run past
    `end`. Adjacent ranges therefore read every line exactly once.
    """
    if start:
        stream.seek(start - 1)
        # A line begins at `start` only if the byte before it is a newline.
        if stream.read(1) != b"\n":
            start = _skip_line(stream, chunk)
            if start < 0:
                return
    pos = start
    carry = b""
    skipping = False  # inside an overlong line: dropping bytes until its newline
    too_long = 0
    # read1: at most one read below, so a compressed stream that ends early (truncated .gz)
    # loses nothing already decoded; the error is raised after the lines before it.
    read = getattr(stream, "read1", stream.read)
    truncated: BaseException | None = None
    while end is None or pos < end:
        try:
            data = read(chunk if end is None else min(chunk, end - pos))
        except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
            truncated = exc
            break
        if not data:
            break
        pos += len(data)
        if skipping:
            nl = data.find(b"\n")
            if nl < 0:
                continue
            data = data[nl + 1 :]
            skipping = False
            too_long += 1
        if carry:
            data = carry + data
        nl = data.rfind(b"\n")
        if nl < 0:
            carry = data
            if len(carry) > max_line:
                skipping, carry = True, b""
            continue
        carry = data[nl + 1 :]
        if len(carry) > max_line:
            skipping, carry = True, b""
        yield Block(data[:nl], too_long, pos)
        too_long = 0
    if end is not None and (carry or skipping):
        # The last line began inside the range: read on to its newline.
        while True:
            data = stream.read(chunk)
            if not data:
                break
            nl = data.find(b"\n")
            piece = data if nl < 0 else data[:nl]
            if not skipping:
                carry += piece
                if len(carry) > max_line:
                    skipping, carry = True, b""
            if nl >= 0:
                break
    if skipping:
        too_long += 1
        carry = b""
    if carry or too_long:
        yield Block(carry, too_long, pos)
    if truncated is not None:
        raise EOFError(f"compressed data ends early or is corrupt ({truncated})")


def _skip_line(stream: BinaryIO, chunk: int) -> int:
    """Advance past the next newline; return the position after it (-1 at end of file)."""
    while True:
        data = stream.read(chunk)
        if not data:
            return -1
        nl = data.find(b"\n")
        if nl >= 0:
            here = stream.tell() - len(data) + nl + 1
            stream.seek(here)
            return here


def is_seekable_plain(path: str) -> bool:
    return path != "-" and os.path.isfile(path) and not is_compressed(path)


def sample_lines(patterns: Sequence[str], limit: int = 256) -> list[str]:
    """The first lines of the files the patterns name, decoded, for format detection."""
    out: list[str] = []
    for pattern in patterns:
        if pattern == "-":
            continue
        paths = sorted(glob.glob(pattern)) if glob.has_magic(pattern) else [pattern]
        for path in paths:
            if not os.path.isfile(path):
                continue
            try:
                with open_input(path) as f:
                    head = f.read(256 * 1024)
            except (OSError, EOFError, zlib.error):
                continue
            # Whole lines only: the read may have cut the last one.
            out += head_lines(head[: max(head.rfind(b"\n"), 0)], limit - len(out))
            if len(out) >= limit:
                return out
    return out


def head_lines(data: bytes, limit: int = 256) -> list[str]:
    """The first `limit` non-blank lines of `data` (whole lines joined by newlines), decoded:
    a sample to tell the format from."""
    pieces = data.split(b"\n", 4 * limit)
    if len(pieces) > 4 * limit:
        pieces.pop()  # the rest of the data, not one line
    kept = list(islice(filter(bytes.strip, pieces), limit))
    return decode_lines(kept) if kept else []  # (decode_lines of nothing is one empty line)


def read_all(path: str) -> Iterator[Batch]:
    """Every line of a file (or `-`), in batches."""
    yield from _as_batches(read_all_blocks(path), MAX_LINE_BYTES)


def read_all_blocks(path: str) -> Iterator[Block]:
    """Every line of a file (or `-`), in blocks."""
    stream = open_input(path)
    try:
        yield from read_blocks(stream)
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()


__all__ = [
    "Batch",
    "Block",
    "open_input",
    "read_all",
    "read_all_blocks",
    "read_batches",
    "read_blocks",
    "sample_lines",
]
