"""Finding where `since` begins by binary search, without reading the whole file."""

from __future__ import annotations

import asyncio
import gzip
import os
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from logwatch.ingest.reader import Block
from logwatch.ingest.since import find_start, guess_time, last_time, skip_older
from logwatch.ingest.tail import Follower

T0 = 1_700_000_000


def time_of(line: bytes) -> float | None:
    """Lines are `<epoch> <seq> ...`; anything else has no readable time."""
    head = line.split(b" ", 1)[0]
    return float(head) if head.isdigit() else None


def make_log(path, n: int, every: int = 7) -> list[int]:
    """n lines, one second apart every `every` lines (so seconds repeat), with unreadable lines
    sprinkled in. Returns the byte offset where each numbered line starts."""
    offsets = []
    out = bytearray()
    for i in range(n):
        if i % 97 == 50:
            out += b"garbage line without a time\n"
        offsets.append(len(out))
        out += b"%d %08d GET /path/%d HTTP/1.1 200 %s\n" % (T0 + i // every, i, i, b"u" * (i % 50))
    path.write_bytes(bytes(out))
    return offsets


class Counting:
    def __init__(self, path) -> None:
        self.f = open(path, "rb")  # noqa: SIM115
        self.read = 0
        self.size = os.fstat(self.f.fileno()).st_size

    def __call__(self, offset: int, n: int) -> bytes:
        data = os.pread(self.f.fileno(), n, offset)
        self.read += len(data)
        return data


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    path = tmp_path_factory.mktemp("since") / "big.log"
    offsets = make_log(path, 300_000)  # ~25 MB
    return path, offsets


@pytest.mark.parametrize("seq", [0, 1, 6, 7, 8, 123_456, 150_001, 299_993, 299_999])
def test_finds_the_first_line_at_or_after_since(big, seq):
    path, offsets = big
    reader = Counting(path)
    first = seq - seq % 7  # the first line of that second
    offset, probed = find_start(reader, reader.size, T0 + seq // 7, time_of)
    assert offset == offsets[first]
    assert probed == reader.read
    # A few dozen small reads, not the 25 MB file.
    assert reader.read < 400_000 < reader.size // 50


def test_since_before_and_after_everything(big):
    path, _ = big
    reader = Counting(path)
    assert find_start(reader, reader.size, T0 - 10, time_of)[0] == 0
    assert find_start(reader, reader.size, T0 + 10**6, time_of)[0] == reader.size


def test_unterminated_last_line_is_where_following_starts(tmp_path):
    log = tmp_path / "a.log"
    log.write_bytes(b"%d a\n%d b\n%d c-unfinish" % (T0, T0 + 1, T0 + 2))
    reader = Counting(log)
    assert find_start(reader, reader.size, T0 + 5, time_of)[0] == len(b"%d a\n%d b\n" % (T0, T0))


def test_no_readable_time_at_all_reads_from_the_start(tmp_path):
    log = tmp_path / "a.log"
    log.write_bytes(b"no time here\n" * 50_000)
    reader = Counting(log)
    offset, _ = find_start(reader, reader.size, T0, time_of)
    assert offset == reader.size  # nothing is at or after `since`


async def test_follower_history_starts_at_since(big):
    path, offsets = big
    f = Follower([str(path)], since=T0 + 40_000, time_of=time_of, follow=False)
    got: list[bytes] = []
    async for batch in f.batches():
        assert batch.history
        got.extend(batch.lines)
    assert got[0].split(b" ")[1] == b"%08d" % 280_000
    assert got[-1].split(b" ")[1] == b"%08d" % 299_999
    size = os.path.getsize(path)
    assert f.bytes_read < 1.01 * (size - offsets[280_000]) + 400_000
    [st] = f.states()
    assert st.extra["since_probe_bytes"] < 400_000
    assert st.extra["history_bytes_done"] == st.extra["history_bytes_total"]
    assert st.extra["before_since_bytes"] == offsets[280_000]  # what an empty screen explains


async def test_follower_since_then_follows(tmp_path):
    log = tmp_path / "a.log"
    make_log(log, 1000, every=1)
    f = Follower(
        [str(log)], since=T0 + 990, time_of=time_of, poll_interval=0.02, force_polling=True
    )
    got: list[bytes] = []

    async def consume() -> None:
        async for batch in f.batches():
            got.extend(batch.lines)

    task = asyncio.create_task(consume())
    deadline = time.monotonic() + 10
    while len(got) < 10 and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    with open(log, "ab") as fh:
        fh.write(b"%d %08d live\n" % (T0 + 2000, 1000))
    while len(got) < 11 and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    f.stop()
    await asyncio.wait_for(task, 5)
    assert [int(x.split(b" ")[1]) for x in got] == list(range(990, 1001))


async def test_a_glob_reads_the_rotated_files_it_matches_as_history(tmp_path):
    """`report 'rot/access.log*'` read access.log.1 (and .2.gz) from `since` on, `--headless`
    skipped them (961 lines against 647): the follower left every rotated glob match out. Those
    present at start are history now, read from `since` as `report` reads them; their names
    are not followed (a rotated file is let go once quiet), nor are rotated files that come
    later (the live file renamed: its own source reads it out)."""

    def dated(first: int, last: int) -> bytes:
        return b"".join(b"%d %08d x\n" % (T0 + i, i) for i in range(first, last))

    (tmp_path / "access.log.2.gz").write_bytes(gzip.compress(dated(0, 100)))
    (tmp_path / "access.log.1").write_bytes(dated(100, 200))
    (tmp_path / "access.log").write_bytes(dated(200, 300))
    # Last written before `since`: nothing in it can count, and it is not even opened.
    (tmp_path / "access.log.4.gz").write_bytes(b"not read")
    os.utime(tmp_path / "access.log.4.gz", (T0 + 149, T0 + 149))
    f = Follower(
        [str(tmp_path / "access.log*")],
        since=T0 + 150,
        time_of=time_of,
        poll_interval=0.02,
        force_polling=True,
        rotate_grace=0.3,
    )
    got: list[tuple[int, bool]] = []

    async def consume() -> None:
        async for batch in f.batches():
            got.extend((int(x.split(b" ")[1]), batch.history) for x in batch.lines)

    def state(name: str) -> str:
        return next((s.state for s in f.states() if s.name == str(tmp_path / name)), "?")

    task = asyncio.create_task(consume())
    deadline = time.monotonic() + 10
    while state("access.log.1") != "closed" and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    assert sorted(got) == [(i, True) for i in range(150, 300)]
    # Let go: written to now, it is not read; a rotated file that comes later is not taken up.
    with open(tmp_path / "access.log.1", "ab") as fh:
        fh.write(dated(900, 901))
    (tmp_path / "access.log.3").write_bytes(dated(950, 951))
    with open(tmp_path / "access.log", "ab") as fh:
        fh.write(dated(300, 301))
    while len(got) < 151 and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.2)
    f.stop()
    await asyncio.wait_for(task, 5)
    assert sorted(got) == [(i, True) for i in range(150, 300)] + [(300, False)]
    assert {s.name.rsplit("/", 1)[1]: (s.state, s.lines) for s in f.states()} == {
        "access.log": ("following", 101),
        "access.log.1": ("closed", 50),
        "access.log.2.gz": ("closed", 0),
    }


def test_guess_time_reads_common_formats():
    clf = b'1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 1 "-" "-"'
    assert guess_time(clf) == 971211336.0
    assert guess_time(b'{"time":"2000-10-10T20:55:36Z","status":200}') == 971211336.0
    assert guess_time(b'{"ts":"2000-10-10T20:55:36.5+00:00"}') == 971211336.5
    assert guess_time(b"[not a date] nothing") is None
    assert guess_time(b"") is None


def test_last_time_reads_the_end_of_a_plain_file(tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    line = '1.2.3.4 - - [10/Oct/2026:13:55:{:02d} +0000] "GET / HTTP/1.1" 200 5 "-" "x"\n'
    log.write_text("".join(line.format(s) for s in range(30)) + "garbage without a time\n")
    assert last_time(str(log)) == datetime(2026, 10, 10, 13, 55, 29, tzinfo=UTC).timestamp()
    big = tmp_path / "big.log"
    big.write_text("x" * 300_000 + "\n" + line.format(7))  # the tail read starts mid-line
    assert last_time(str(big)) == datetime(2026, 10, 10, 13, 55, 7, tzinfo=UTC).timestamp()
    packed = tmp_path / "access.log.gz"
    packed.write_bytes(gzip.compress(log.read_bytes()))
    assert last_time(str(packed)) is None
    assert last_time(str(tmp_path / "missing.log")) is None
    (tmp_path / "undated.log").write_text("no dates here\n")
    assert last_time(str(tmp_path / "undated.log")) is None


def test_skip_older_drops_a_stream_up_to_its_first_line_since() -> None:
    """A stream cannot be searched: whole blocks that end older go unread, the block where
    `since` falls is cut at its first line at or after it, and everything after it stays
    (an older line there, out of order, included, as in a searched file)."""
    blocks = [
        Block(b"x undated\n" + f"{T0} a\n{T0 + 1} b".encode(), too_long=1),
        Block(b"junk"),  # nothing dated: no verdict
        Block(f"{T0 + 2} c\n{T0 + 5} d\n{T0 + 6} e".encode()),
        Block(f"{T0 + 4} f\n{T0 + 9} g".encode()),
    ]
    got = list(skip_older(blocks, T0 + 5, time_of))
    assert [b.data for b in got] == [f"{T0 + 5} d\n{T0 + 6} e".encode(), blocks[3].data]
    assert list(skip_older(blocks, T0 + 10, time_of)) == []
    # Undated lines before the first dated one go too, as before a searched file's start.
    first, *rest = skip_older(blocks, T0, time_of)
    assert first.data == f"{T0} a\n{T0 + 1} b".encode() and rest == blocks[1:]
