"""The async tailer: following, every kind of rotation, partial and overlong lines, stdin."""

from __future__ import annotations

import asyncio
import bz2
import gzip
import lzma
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable

import pytest

from logwatch.ingest import tail
from logwatch.ingest.tail import Follower, LineBatch


def line(i: int, pad: int = 40) -> bytes:
    return b"%08d " % i + b"x" * pad + b"\n"


def lines(a: int, b: int, pad: int = 40) -> bytes:
    return b"".join(line(i, pad) for i in range(a, b))


def append(path: os.PathLike[str] | str, data: bytes) -> None:
    with open(path, "ab") as f:
        f.write(data)


def numbers(got: list[bytes]) -> list[int]:
    return [int(x.split(b" ", 1)[0]) for x in got]


class Collector:
    """Consumes a Follower in a task, keeping every batch."""

    def __init__(self, follower: Follower) -> None:
        self.follower = follower
        self.batches: list[LineBatch] = []
        self.ended = False
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        async for batch in self.follower.batches():
            self.batches.append(batch)
        self.ended = True

    @property
    def lines(self) -> list[bytes]:
        return [x for b in self.batches for x in b.lines]

    @property
    def too_long(self) -> int:
        return sum(b.too_long for b in self.batches)

    async def wait(self, cond: Callable[[], bool], timeout: float = 10.0) -> None:
        """Wait until cond() holds (a deadline, not a speed assertion)."""
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while not cond():
            if self.task.done() and not cond():
                self.task.result()
                raise AssertionError("follower ended before the condition held")
            if loop.time() > end:
                raise AssertionError(f"timed out; got {len(self.lines)} lines")
            await asyncio.sleep(0.01)

    async def wait_count(self, n: int, timeout: float = 10.0) -> None:
        await self.wait(lambda: len(self.lines) >= n, timeout)

    async def settle(self, seconds: float = 0.3) -> None:
        """Give the follower time to (wrongly) deliver more; used before asserting 'no more'."""
        await asyncio.sleep(seconds)

    async def close(self) -> None:
        self.follower.stop()
        await asyncio.wait_for(self.task, 5)

    def state(self, name: str) -> str:
        for st in self.follower.states():
            if st.name == str(name):
                return st.state
        return "?"


def poll(paths: list[str], **kw: object) -> Follower:
    """A follower that polls quickly: deterministic in tests."""
    kw.setdefault("poll_interval", 0.02)
    kw.setdefault("force_polling", True)
    kw.setdefault("rotate_grace", 0.3)
    return Follower([str(p) for p in paths], **kw)  # type: ignore[arg-type]


def assert_exactly(got: list[int], a: int, b: int) -> None:
    missing = sorted(set(range(a, b)) - set(got))
    extra = len(got) - len(set(got))
    assert not missing, f"{len(missing)} lines lost, first {missing[:5]}"
    assert extra == 0, f"{extra} lines repeated"
    assert sorted(got) == list(range(a, b))


# --------------------------------------------------------------------------- plain following


async def test_history_from_start_then_follows(tmp_path):
    log = tmp_path / "access.log"
    log.write_bytes(lines(0, 100))
    c = Collector(poll([log], from_start=True))
    await c.wait_count(100)
    assert all(b.history for b in c.batches)
    assert c.follower.history_done
    append(log, lines(100, 150))
    await c.wait_count(150)
    assert not c.batches[-1].history
    assert numbers(c.lines) == list(range(150))
    assert c.batches[0].source == str(log)
    assert c.state(log) == "following"
    [st] = c.follower.states()
    assert st.lines == 150
    assert st.extra["history_bytes_done"] == st.extra["history_bytes_total"] == len(lines(0, 100))
    await c.close()


async def test_default_start_is_the_end(tmp_path):
    log = tmp_path / "access.log"
    log.write_bytes(lines(0, 10) + b"00000010 half")  # a writer is in the middle of a line
    c = Collector(poll([log]))
    await c.wait(lambda: c.state(log) == "following")
    append(log, b" done\n" + lines(11, 13))
    await c.wait_count(3)
    assert c.lines[0] == b"00000010 half done"
    assert numbers(c.lines) == [10, 11, 12]
    await c.close()


async def test_follow_false_reads_to_the_end_and_finishes(tmp_path):
    a, b = tmp_path / "a.log", tmp_path / "b.log"
    a.write_bytes(lines(0, 1000))
    b.write_bytes(lines(1000, 1010) + b"00001010 no newline at the end")
    c = Collector(poll([a, b], follow=False))
    await c.wait(lambda: c.ended)
    assert_exactly(numbers(c.lines), 0, 1011)
    from_b = [x for batch in c.batches if batch.source == str(b) for x in batch.lines]
    assert from_b[-1] == b"00001010 no newline at the end"  # the stream ended: handed out
    assert {s.state for s in c.follower.states()} == {"closed"}


async def test_batches_are_bounded_by_batch_lines(tmp_path):
    log = tmp_path / "a.log"
    log.write_bytes(lines(0, 2500))
    c = Collector(poll([log], follow=False, batch_lines=1000))
    await c.wait(lambda: c.ended)
    assert max(len(b.lines) for b in c.batches) <= 1000
    assert_exactly(numbers(c.lines), 0, 2500)


async def test_stop_ends_batches(tmp_path):
    log = tmp_path / "a.log"
    log.write_bytes(b"")
    c = Collector(poll([log]))
    await c.wait(lambda: c.state(log) == "following")
    c.follower.stop()
    await asyncio.wait_for(c.task, 5)
    assert c.ended


async def _following_with_an_unterminated_line(log, tail_text: bytes, **kw: object) -> Collector:
    """A follower of an empty `log` that has read three lines and then `tail_text`, which ends
    without a newline."""
    log.write_bytes(b"")
    c = Collector(poll([log], **kw))
    await c.wait(lambda: c.state(log) == "following")
    append(log, lines(0, 3) + tail_text)
    await c.wait_count(3)
    await c.wait(lambda: c.follower.states()[0].extra["lag_bytes"] == 0)
    return c


async def _stop_with_a_full_queue(log) -> tuple[Follower, list[bytes], list[bytes]]:
    """Follow `log` from its start with a small queue, take one batch, stop once the queue is
    full: (the follower, the lines taken before and after the stop, the lines left over)."""
    follower = poll([log], from_start=True, batch_lines=100, max_queue=4)
    batches = follower.batches()
    taken = (await anext(batches)).lines
    for _ in range(500):  # the reader fills the queue while nobody takes from it
        if follower._queue is not None and follower._queue.full():
            break
        await asyncio.sleep(0.01)
    follower.stop()
    taken += [x for batch in [b async for b in batches] for x in batch.lines]
    return follower, taken, [x for batch in follower.left_over for x in batch.lines]


async def test_stop_hands_over_a_settled_unterminated_last_line(tmp_path, monkeypatch):
    """A stop used to drop a file's last line when it had no newline yet; `report` counts one
    at a file's end. Settled (quiet for SETTLED_SECONDS), it is handed over in `left_over`."""
    monkeypatch.setattr(tail, "SETTLED_SECONDS", 0.1)
    log = tmp_path / "a.log"
    c = await _following_with_an_unterminated_line(log, b"00000003 no newline yet")
    await asyncio.sleep(0.2)
    await c.close()
    [left] = c.follower.left_over
    assert (left.source, left.lines, left.history) == (
        str(log),
        [b"00000003 no newline yet"],
        False,
    )
    assert c.follower.states()[0].lines == 4
    assert "unterminated_bytes" not in c.follower.states()[0].extra


async def test_stop_hands_over_the_batches_read_but_not_taken(tmp_path):
    """A stop emptied the queue of batches already read: complete lines `--headless` never
    counted in its final object. They are handed over in `left_over`, in order, first."""
    log = tmp_path / "a.log"
    log.write_bytes(lines(0, 5000))
    _, taken, left = await _stop_with_a_full_queue(log)
    assert len(left) >= 4 * 100
    got = numbers(taken + left)
    assert got == list(range(len(got)))  # in order, none lost or repeated


async def test_stop_hands_over_the_lines_of_a_chunk_still_being_queued(tmp_path):
    """The reader, blocked putting a chunk's batches into a full queue, was cancelled at a stop:
    its batch, and the chunk's batches after it, were lost, though the file's offset was past
    them (they are never read again) and the source's line count held them."""
    log = tmp_path / "a.log"
    log.write_bytes(lines(0, 5000))  # one chunk: 50 batches, while the queue holds 4
    follower, taken, left = await _stop_with_a_full_queue(log)
    assert numbers(taken + left) == list(range(5000))
    assert follower.states()[0].lines == 5000


async def test_a_settled_unterminated_end_of_the_history_is_handed_over_as_history(
    tmp_path, monkeypatch
):
    """The unterminated last line a file had at start is history: handed over as a live line,
    it told the engine the log was being written, and a stop on an old log put the final
    snapshot's windows on the wall clock (empty) where they had shown the log's own time."""
    monkeypatch.setattr(tail, "SETTLED_SECONDS", 0.1)
    log = tmp_path / "a.log"
    log.write_bytes(lines(0, 3) + b"00000003 no newline")
    c = Collector(poll([log], from_start=True))
    await c.wait_count(3)
    await c.wait(lambda: c.state(log) == "following")
    await asyncio.sleep(0.2)
    await c.close()
    [left] = c.follower.left_over
    assert (left.lines, left.history) == ([b"00000003 no newline"], True)


async def test_stop_leaves_a_growing_unterminated_line_and_says_so(tmp_path, monkeypatch):
    """Written a moment ago, the line may be half written: not counted, but reported."""
    monkeypatch.setattr(tail, "SETTLED_SECONDS", 60.0)
    log = tmp_path / "a.log"
    c = await _following_with_an_unterminated_line(log, b"00000003 half")
    await c.close()
    assert c.follower.left_over == []
    assert c.follower.states()[0].extra["unterminated_bytes"] == len(b"00000003 half")


async def test_stop_counts_no_half_line_whose_end_came_after_the_last_read(tmp_path, monkeypatch):
    """Quiet since it was read, the held line looked settled; but its end was written after the
    last read (the stop came before the next poll): the size last read was stale, and the
    first half was counted as a line of its own."""
    monkeypatch.setattr(tail, "SETTLED_SECONDS", 0.1)
    log = tmp_path / "a.log"
    c = await _following_with_an_unterminated_line(log, b"00000003 first half", poll_interval=0.3)
    await asyncio.sleep(0.15)
    append(log, b" and the rest\n")  # the follower has not looked since
    await c.close()
    assert c.follower.left_over == []
    assert c.follower.states()[0].lines == 3
    assert c.follower.states()[0].extra["unterminated_bytes"] == len(b"00000003 first half")


async def test_a_sources_lines_leave_out_blank_lines_as_the_totals_do(tmp_path, monkeypatch):
    """A source's `lines` (sources[].lines, logwatch_source_lines_total) counted blank lines,
    which the pipeline skips and the totals never count (14 against 10), so the sources did not
    add up to `lines`; and it left out an overlong line, which the totals count (malformed)."""
    from logwatch.ingest.formats import get_format
    from logwatch.pipeline import Pipeline

    monkeypatch.setattr(tail, "SETTLED_SECONDS", 0.1)
    nbsp, ideographic = "\u00a0".encode(), "\u3000".encode()
    blank = [b"", b"\r", b"   ", b"\t", b" \r", nbsp, ideographic + b" "]
    kept = [b"\r\r", b"\x0b", b"\xc2", b"-"]  # not blank: malformed lines, counted
    data = lines(0, 3) + b"\n".join(blank + kept) + b"\n" + b"Z" * 3000 + b"\n" + lines(3, 5)
    log = tmp_path / "a.log"
    log.write_bytes(data + b"\t")  # and an unterminated blank last line, counted at the stop
    c = Collector(poll([log], from_start=True, max_line_bytes=2000))
    await c.wait_count(5 + len(blank) + len(kept))
    await c.wait(lambda: c.state(log) == "following")
    await asyncio.sleep(0.2)
    await c.close()
    p = Pipeline(get_format("combined"))  # the numbered lines are malformed: lines all the same
    for batch in [*c.batches, *c.follower.left_over]:
        p.feed_block(batch.block, batch.source, batch.too_long)
    assert p.aggregator.lines == 5 + len(kept) + 1  # numbered, not blank, overlong
    assert c.follower.states()[0].lines == p.aggregator.lines


# --------------------------------------------------------------------------- rotation


def _burst_with_rename(log, n: int, rotate_at: int, late: int) -> None:
    """Write n lines fast; at rotate_at rename+create (logrotate default); keep `late` more lines
    going to the old file after the rename, as nginx does until it reopens."""
    fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    step = 1000
    i = 0
    while i < rotate_at:
        os.write(fd, lines(i, min(i + step, rotate_at)))
        i += step
    os.rename(log, str(log) + ".1")
    os.write(fd, lines(rotate_at, rotate_at + late))  # late writes to the renamed file
    os.close(fd)
    fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    i = rotate_at + late
    while i < n:
        os.write(fd, lines(i, min(i + step, n)))
        i += step
    os.close(fd)


async def test_rename_rotation_in_a_burst_of_100k_lines(tmp_path):
    log = tmp_path / "access.log"
    log.write_bytes(b"")
    c = Collector(poll([log], batch_lines=2000))
    await c.wait(lambda: c.state(log) == "following")
    writer = asyncio.create_task(asyncio.to_thread(_burst_with_rename, log, 100_000, 50_000, 500))
    await c.wait_count(100_000, timeout=20)
    await writer
    await c.settle()
    assert_exactly(numbers(c.lines), 0, 100_000)
    st = c.follower.states()[0]
    assert st.extra["rotations"] == 1
    await c.close()


async def test_a_name_missing_for_a_moment_then_recreated_is_a_rotation(tmp_path):
    """logrotate renames, then creates: a poll in between finds no file. The new file that
    takes the name is still a rotation, and the renamed file is read to its end."""
    log = tmp_path / "access.log"
    log.write_bytes(lines(0, 5))
    c = Collector(poll([log], from_start=True))
    await c.wait_count(5)
    os.rename(log, tmp_path / "access.log.1")
    append(tmp_path / "access.log.1", lines(5, 7))
    await c.wait(lambda: c.state(log) == "missing")
    log.write_bytes(lines(100, 103))
    await c.wait_count(10)
    assert sorted(numbers(c.lines)) == [*range(7), 100, 101, 102]
    assert c.follower.states()[0].extra["rotations"] == 1
    await c.close()


async def test_late_writes_to_the_renamed_file_after_the_switch(tmp_path):
    """nginx writes to the renamed file until it reopens: those lines are still read."""
    log = tmp_path / "access.log"
    log.write_bytes(lines(0, 5))
    c = Collector(poll([log], from_start=True, rotate_grace=1.0))
    await c.wait_count(5)
    old = os.open(log, os.O_WRONLY | os.O_APPEND)
    try:
        os.rename(log, tmp_path / "access.log.1")
        log.write_bytes(lines(100, 102))
        await c.wait_count(7)  # the follower has switched to the new file
        assert c.state(log) == "rotated"
        os.write(old, lines(5, 8))
    finally:
        os.close(old)
    await c.wait_count(10)
    append(log, lines(102, 103))
    await c.wait_count(11)
    await c.wait(lambda: c.state(log) == "following")  # the old file is let go after the grace
    got = numbers(c.lines)
    assert sorted(got) == [*range(8), 100, 101, 102]
    assert len(got) == len(set(got))
    await c.close()


async def test_late_writes_to_a_quiet_file_renamed_away_are_still_read(tmp_path):
    """The grace for late writes counts from the rotation: a file that was quiet for longer than
    the grace before it was renamed is still read out when nginx writes to it afterwards."""
    log = tmp_path / "access.log"
    log.write_bytes(lines(0, 5))
    c = Collector(poll([log], from_start=True, rotate_grace=2.0))
    await c.wait_count(5)
    await asyncio.sleep(2.2)  # a quiet server: no write for longer than the grace
    old = os.open(log, os.O_WRONLY | os.O_APPEND)
    try:
        os.rename(log, tmp_path / "access.log.1")
        log.write_bytes(lines(100, 101))
        await c.wait_count(6)  # the follower has switched to the new file
        os.write(old, lines(5, 6))  # before nginx reopens its log
    finally:
        os.close(old)
    await c.wait_count(7)
    assert sorted(numbers(c.lines)) == [*range(6), 100]
    await c.close()


async def test_a_renamed_file_rewritten_in_place_while_read_out_is_not_read_again(tmp_path):
    """After a rename rotation the old file is read out for a grace period. If it is then cut
    and rewritten in place (`cp access.log access.log.1`, a hand-made copytruncate), its new
    bytes are a copy of lines already read under the live name: they must not come twice."""
    log = tmp_path / "access.log"
    log.write_bytes(lines(0, 5))
    c = Collector(poll([log], from_start=True, rotate_grace=5.0))
    await c.wait_count(5)
    os.rename(log, tmp_path / "access.log.1")
    log.write_bytes(lines(100, 103))
    await c.wait_count(8)
    assert c.state(log) == "rotated"  # the old file is still being read out
    (tmp_path / "access.log.1").write_bytes(log.read_bytes())  # cut and rewritten in place
    os.truncate(log, 0)
    append(log, lines(200, 202))
    await c.wait_count(10)
    await c.settle()
    got = numbers(c.lines)
    assert sorted(got) == [*range(5), 100, 101, 102, 200, 201]
    await c.close()


async def test_rename_rotation_with_rotated_name_also_matched(tmp_path):
    """access.log* with include_rotated: the renamed file is the same file, never read twice."""
    log = tmp_path / "access.log"
    log.write_bytes(lines(0, 10))
    c = Collector(poll([tmp_path / "access.log*"], from_start=True, include_rotated=True))
    await c.wait_count(10)
    os.rename(log, tmp_path / "access.log.1")
    append(tmp_path / "access.log.1", lines(10, 20))
    append(log, lines(20, 30))
    await c.wait_count(30)
    await c.settle(0.6)  # past rotate_grace: the old file is released and re-found by the glob
    append(tmp_path / "access.log.1", lines(30, 35))
    await c.wait_count(35)
    await c.settle()
    assert_exactly(numbers(c.lines), 0, 35)
    await c.close()


async def test_copytruncate(tmp_path):
    log = tmp_path / "access.log"
    log.write_bytes(lines(0, 100))
    c = Collector(poll([log], from_start=True))
    await c.wait_count(100)
    # logrotate copytruncate: copy, then truncate in place; the writer goes on at offset 0.
    (tmp_path / "access.log.1").write_bytes(log.read_bytes())
    os.truncate(log, 0)
    await c.settle(0.1)
    append(log, lines(100, 110))
    await c.wait_count(110)
    await c.settle()
    assert_exactly(numbers(c.lines), 0, 110)
    assert c.follower.states()[0].extra["truncations"] == 1
    await c.close()


async def test_copytruncate_regrown_past_the_old_size_before_we_look(tmp_path):
    log = tmp_path / "access.log"
    log.write_bytes(lines(0, 10))
    c = Collector(poll([log], from_start=True))
    await c.wait_count(10)
    # Truncate and write more than before with no await in between: the follower never sees the
    # short file, only a longer one whose bytes before our offset have changed.
    with open(log, "r+b") as f:
        f.truncate(0)
    append(log, lines(10, 40))
    await c.wait_count(40)
    await c.settle()
    assert_exactly(numbers(c.lines), 0, 40)
    await c.close()


async def test_copytruncate_while_far_behind_reads_the_rest_from_the_copy(tmp_path):
    """The file is copied and cut while the follower is still reading it (history, a backlog):
    what it had not read yet is in the copy, read from where the follower was, once."""
    log = tmp_path / "access.log"
    log.write_bytes(lines(0, 30_000))  # ~1.5 MB: more than one chunk
    follower = poll([log], from_start=True, batch_lines=100, max_queue=1)
    batches = follower.batches()
    got = numbers((await anext(batches)).lines)  # the reader now waits with its first chunk
    (tmp_path / "access.log.1").write_bytes(log.read_bytes())
    os.truncate(log, 0)
    append(log, lines(30_000, 30_010))

    async def rest() -> None:
        async for batch in batches:
            got.extend(numbers(batch.lines))
            if len(got) >= 30_010:
                return

    await asyncio.wait_for(rest(), 20)
    follower.stop()
    assert_exactly(got, 0, 30_010)
    assert follower.states()[0].extra["truncations"] == 1


@pytest.mark.parametrize("noticed_first", [True, False])
async def test_copytruncate_with_a_writer_that_does_not_append(tmp_path, noticed_first):
    """A writer without O_APPEND goes on at its old offset after the truncate: the file starts
    with a hole of NULs. The hole is no line, and the first line after it is not lost in it."""
    log = tmp_path / "access.log"
    fd = os.open(log, os.O_WRONLY | os.O_CREAT)
    try:
        os.write(fd, lines(0, 2000))  # ~100 KB: a hole longer than the longest line allowed
        c = Collector(poll([log], from_start=True))
        await c.wait_count(2000)
        os.truncate(log, 0)
        if noticed_first:
            await c.wait(lambda: c.follower.states()[0].extra.get("truncations") == 1)
        os.write(fd, lines(2000, 2010))
    finally:
        os.close(fd)
    await c.wait_count(2010)
    await c.settle()
    assert_exactly(numbers(c.lines), 0, 2010)
    assert c.too_long == 0
    await c.close()


async def test_delete_and_recreate(tmp_path):
    log = tmp_path / "access.log"
    log.write_bytes(lines(0, 5))
    c = Collector(poll([log], from_start=True))
    await c.wait_count(5)
    append(log, lines(5, 8))
    os.unlink(log)  # the lines just written are only in the deleted file: we still hold it open
    await c.wait(lambda: c.state(log) == "missing")
    log.write_bytes(lines(8, 12))
    await c.wait_count(12)
    await c.settle()
    assert_exactly(numbers(c.lines), 0, 12)
    await c.close()


async def test_symlink_repointed(tmp_path):
    a, b = tmp_path / "a.log", tmp_path / "b.log"
    link = tmp_path / "current.log"
    a.write_bytes(lines(0, 5))
    b.write_bytes(lines(100, 103))  # new target already has content: it is new to us, read it all
    link.symlink_to(a)
    c = Collector(poll([link], from_start=True))
    await c.wait_count(5)
    append(a, lines(5, 7))
    tmp = tmp_path / "tmp.lnk"
    tmp.symlink_to(b)
    os.replace(tmp, link)  # atomic re-point
    append(a, lines(7, 8))  # a late write to the old target is still read
    append(b, lines(103, 105))
    await c.wait_count(12)
    await c.settle()
    got = numbers(c.lines)
    assert sorted(got) == [*range(8), *range(100, 105)]
    assert len(got) == len(set(got))
    await c.close()


async def test_missing_then_appears(tmp_path):
    log = tmp_path / "later.log"
    c = Collector(poll([log]))
    await c.wait(lambda: c.state(log) == "missing")
    [st] = c.follower.states()
    assert "waiting" in st.message
    log.write_bytes(lines(0, 3))  # a file that appears is new: read from its start
    await c.wait_count(3)
    assert numbers(c.lines) == [0, 1, 2]
    assert not any(b.history for b in c.batches)
    assert c.state(log) == "following"
    await c.close()


async def test_missing_directory_then_appears(tmp_path):
    log = tmp_path / "sub" / "later.log"
    c = Collector(poll([log]))
    await c.wait(lambda: c.state(log) == "missing")
    log.parent.mkdir()
    log.write_bytes(lines(0, 2))
    await c.wait_count(2)
    await c.close()


# --------------------------------------------------------------------------- globs


async def test_glob_picks_up_new_files_but_not_rotated_ones(tmp_path):
    (tmp_path / "a.access.log").write_bytes(lines(0, 3))
    c = Collector(poll([tmp_path / "*access*"], from_start=True))
    await c.wait_count(3)
    (tmp_path / "b.access.log").write_bytes(lines(3, 5))
    await c.wait_count(5)
    # What logrotate leaves behind is not new traffic.
    (tmp_path / "a.access.log.1").write_bytes(lines(100, 101))
    (tmp_path / "a.access.log.2.gz").write_bytes(gzip.compress(lines(200, 201)))
    (tmp_path / "a.access.log-20240131").write_bytes(lines(300, 301))
    await c.settle()
    assert_exactly(numbers(c.lines), 0, 5)
    names = {s.name for s in c.follower.states()}
    assert names == {str(tmp_path / "a.access.log"), str(tmp_path / "b.access.log")}
    await c.close()


async def test_glob_with_no_match_yet(tmp_path):
    c = Collector(poll([tmp_path / "*.log"]))
    await c.wait(lambda: any(s.state == "missing" for s in c.follower.states()))
    assert "no file matches" in c.follower.states()[0].message
    (tmp_path / "x.log").write_bytes(lines(0, 2))
    await c.wait_count(2)
    assert [s.state for s in c.follower.states()] == ["following"]
    await c.close()


async def test_compressed_file_named_is_read_once(tmp_path):
    gz = tmp_path / "access.log.2.gz"
    gz.write_bytes(gzip.compress(lines(0, 50)))
    c = Collector(poll([gz]))
    await c.wait_count(50)
    await c.wait(lambda: c.state(gz) == "closed")
    assert all(b.history for b in c.batches)
    assert_exactly(numbers(c.lines), 0, 50)
    await c.close()


async def test_a_truncated_compressed_file_gives_every_line_before_the_cut(tmp_path):
    """A .gz cut short (a copy interrupted): the follower read it 1 MiB at a time with read(),
    which drops all that one call decompressed when the damaged end raises: 11,377 of 14,379
    lines came through, and none from a small file. What was read stands, as `report` has it."""
    gz = tmp_path / "access.log.1.gz"
    data = gzip.compress(lines(0, 40_000))
    gz.write_bytes(data[: len(data) // 2])
    with gzip.open(gz, "rb") as f:
        got = b""
        try:
            while chunk := f.read1(65536):
                got += chunk
        except EOFError:
            pass
    expected = got.split(b"\n")
    complete = len(expected) - 1  # the last piece is the cut line
    c = Collector(poll([gz]))
    await c.wait(lambda: c.state(gz) == "error")
    await c.settle()
    got_lines = c.lines
    assert numbers(got_lines[:complete]) == list(range(complete)) and complete > 1000
    assert len(got_lines) == complete + (1 if expected[-1] else 0)
    await c.close()


# --------------------------------------------------------------------------- line shapes


async def test_partial_line_waits_for_its_newline(tmp_path):
    log = tmp_path / "a.log"
    log.write_bytes(b"")
    c = Collector(poll([log]))
    await c.wait(lambda: c.state(log) == "following")
    append(log, b"first\r\nsec")
    await c.wait_count(1)
    await c.settle(0.2)
    assert c.lines == [b"first\r"]
    append(log, b"ond\n")
    await c.wait_count(2)
    assert c.lines == [b"first\r", b"second"]
    await c.close()


async def test_overlong_lines_are_cut_and_counted(tmp_path):
    log = tmp_path / "a.log"
    log.write_bytes(b"")
    c = Collector(poll([log], max_line_bytes=1000))
    await c.wait(lambda: c.state(log) == "following")
    append(log, b"ok1\n" + b"A" * 5000 + b"\nok2\n")  # overlong inside one chunk
    await c.wait_count(2)
    # A line that never seems to end: written in pieces, never held whole.
    for _ in range(10):
        append(log, b"B" * 700)
        await asyncio.sleep(0.03)
    await c.settle(0.1)
    assert c.too_long == 1
    append(log, b"B\nok3\n")
    await c.wait_count(3)
    assert c.lines == [b"ok1", b"ok2", b"ok3"]
    assert c.too_long == 2
    await c.close()


def test_splitter_never_holds_more_than_the_limit():
    from logwatch.ingest.tail import _Splitter

    s = _Splitter(100)
    for _ in range(50):
        assert s.feed(b"z" * 60) == (b"", 0, 0)
        assert len(s.pending) <= 100
    assert s.feed(b"zz\nnext") == (b"", 0, 1)
    got = s.feed(b"\n" + b"y" * 100 + b"\n" + b"w" * 101 + b"\n")
    assert got == (b"next\n" + b"y" * 100, 2, 1)
    assert s.feed(b"tail") == (b"", 0, 0)
    assert s.flush() == (b"tail", 1, 0)
    s.feed(b"q" * 200)
    assert s.flush() == (b"", 0, 1)


def test_splitter_hands_out_whole_lines_as_one_block():
    """A chunk's complete lines come out as they were written (one block, its line count), the
    unfinished end waits for the next chunk; empty lines count as lines."""
    from logwatch.ingest.tail import _Splitter

    s = _Splitter(100)
    assert s.feed(b"a\n\nb\nhal") == (b"a\n\nb", 3, 0)
    assert s.feed(b"f\n") == (b"half", 1, 0)
    assert s.feed(b"\n") == (b"", 1, 0)  # one empty line
    assert s.feed(b"") == (b"", 0, 0)  # nothing


def test_splitter_finds_an_overlong_line_anywhere_in_a_big_chunk():
    """Lines of exactly the limit pass; one byte more, at the start, middle or end of a chunk of
    many lines, is dropped and counted, and no other line is lost."""
    from logwatch.ingest.tail import _longer_than, _Splitter

    limit = 100
    for where in (0, 500, 999):
        lines = [b"%03d" % i + b"x" * (limit - 3) for i in range(1000)]
        assert not _longer_than(b"\n".join(lines), limit)
        lines[where] += b"!"
        assert _longer_than(b"\n".join(lines), limit)
        block, count, too_long = _Splitter(limit).feed(b"\n".join(lines) + b"\n")
        assert too_long == 1
        assert count == 999
        assert block.split(b"\n") == lines[:where] + lines[where + 1 :]


async def test_file_lines_reach_the_consumer_as_written(tmp_path):
    """Batches carry the file's bytes as they are (joined lines, no re-joining downstream)."""
    log = tmp_path / "a.log"
    data = b"".join(b"line %05d with some text\n" % i for i in range(3000))
    log.write_bytes(data)
    c = Collector(poll([log], follow=False, batch_lines=5000))
    await c.wait_count(3000)
    await c.close()
    assert b"\n".join(b.block for b in c.batches) + b"\n" == data
    assert sum(b.count for b in c.batches) == 3000


# --------------------------------------------------------------------------- stdin


async def test_stdin_pipe(tmp_path):
    r, w = os.pipe()
    try:
        c = Collector(Follower(["-"], stdin=r))
        os.write(w, lines(0, 3))
        await c.wait_count(3)
        os.write(w, lines(3, 5) + b"unterminated")
        os.close(w)
        w = -1
        await c.wait(lambda: c.ended)  # stdin closed: batches() ends, the partial line is kept
        assert numbers(c.lines[:-1]) == list(range(5))
        assert c.lines[-1] == b"unterminated"
        assert c.batches[0].source == "-"
        assert c.follower.states()[0].state == "closed"
    finally:
        os.close(r)
        if w >= 0:
            os.close(w)


async def test_stdin_is_read_from_since_as_a_files_history_is(monkeypatch):
    """`cat a.log | logwatch --headless --since 5m -` counted every line, `report --since 5m -`
    those of the last 5 minutes. Standard input's lines older than `since` are skipped up to its
    first line at or after it, as a stream's are in `report`; every line after that counts. The
    format is not known when the follower starts (a pipe's is learned from its lines): lines
    are dated by any known format's times."""
    monkeypatch.setattr(tail, "SETTLED_SECONDS", 0.1)
    now = time.time()

    def clf(ts: float, i: int) -> bytes:
        stamp = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(ts))
        return b'192.0.2.%d - - [%s] "GET /%08d HTTP/1.1" 200 1 "-" "x"\n' % (i, stamp.encode(), i)

    def numbered(got: list[bytes]) -> list[int]:
        return [int(x.split(b'"GET /')[1][:8]) if b"GET" in x else -1 for x in got]

    r, w = os.pipe()
    try:
        c = Collector(Follower(["-"], stdin=r, since=now - 301))
        os.write(w, b"".join(clf(now - 3600 + i, i) for i in range(50)))  # all older
        os.write(w, b"not dated\n" + b"".join(clf(now - 400 + 50 * i, 50 + i) for i in range(6)))
        await c.wait_count(4)
        os.write(w, clf(now - 4000, 99))  # older, but after the cut: counted
        os.write(w, clf(now - 10, 100).rstrip(b"\n"))
        await c.wait_count(5)
        await asyncio.sleep(0.2)
        await c.close()
        left = [x for b in c.follower.left_over for x in b.lines]
        assert numbered(c.lines + left) == [52, 53, 54, 55, 99, 100]
        assert c.follower.states()[0].lines == 6
        # An empty screen says why: so many lines came before `since`.
        assert c.follower.states()[0].extra["before_since_lines"] == 53
    finally:
        os.close(r)
        os.close(w)


async def test_stdin_from_a_subprocess(tmp_path):
    script = "import sys\nfor i in range(2000): sys.stdout.write('%08d from child\\n' % i)\n"
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE)
    assert proc.stdout is not None
    try:
        c = Collector(Follower(["-"], stdin=proc.stdout.fileno()))
        await c.wait(lambda: c.ended)
        assert_exactly(numbers(c.lines), 0, 2000)
    finally:
        proc.stdout.close()
        proc.wait()


async def _following_stdin_with_an_unterminated_line(r: int, w: int, tail_text: bytes) -> Collector:
    """A follower of the pipe `r` that has read three lines and then `tail_text`, which ends
    without a newline; the pipe stays open, as `tail -F` keeps it."""
    c = Collector(Follower(["-"], stdin=r))
    os.write(w, lines(0, 3) + tail_text)
    await c.wait_count(3)
    await c.wait(lambda: c.follower.bytes_read == len(lines(0, 3) + tail_text))
    return c


async def test_stop_hands_over_a_settled_unterminated_last_line_of_standard_input(monkeypatch):
    """Nothing more came for SETTLED_SECONDS: the last line read from the pipe is counted, as a
    file's settled end is. It was dropped, and the stop did not wait on the quiet pipe."""
    monkeypatch.setattr(tail, "SETTLED_SECONDS", 0.1)
    r, w = os.pipe()
    try:
        c = await _following_stdin_with_an_unterminated_line(r, w, b"00000003 no newline yet")
        await asyncio.sleep(0.2)
        began = time.monotonic()
        c.follower.stop()  # on the loop: the whole stop runs here
        stopping = time.monotonic() - began
        await asyncio.wait_for(c.task, 5)
        [left] = c.follower.left_over
        assert (left.source, left.lines, left.history) == ("-", [b"00000003 no newline yet"], False)
        [st] = c.follower.states()
        assert st.lines == 4 and "unterminated_bytes" not in st.extra
        assert stopping < tail._STDIN_READ_WAIT  # it did not wait on the read of a quiet pipe
    finally:
        os.close(r)
        os.close(w)


async def test_stop_reports_a_young_unterminated_line_of_standard_input(monkeypatch):
    """Read a moment ago, the line may be half written: not counted, but reported, as a file's."""
    monkeypatch.setattr(tail, "SETTLED_SECONDS", 60.0)
    r, w = os.pipe()
    try:
        c = await _following_stdin_with_an_unterminated_line(r, w, b"00000003 half")
        await c.close()
        assert c.follower.left_over == []
        [st] = c.follower.states()
        assert st.lines == 3 and st.extra["unterminated_bytes"] == len(b"00000003 half")
    finally:
        os.close(r)
        os.close(w)


async def test_stop_takes_the_lines_of_a_read_of_standard_input_under_way(monkeypatch):
    """A stop came while the reading thread had bytes off the pipe but not yet put (its read
    returning, the thread waiting for the interpreter lock): they were lost. The stop waits for
    such a read (poll() said it would not block) and hands its lines over."""
    monkeypatch.setattr(tail, "_STDIN_READ_WAIT", 10.0, raising=False)  # let go well before
    r, w = os.pipe()
    read_under_way, read_may_return = threading.Event(), threading.Event()
    real_read = os.read

    def slow_read(fd: int, n: int) -> bytes:
        data = real_read(fd, n)
        if fd == r and data.startswith(b"00000003"):
            read_under_way.set()
            read_may_return.wait(10)
        return data

    monkeypatch.setattr(tail.os, "read", slow_read)
    try:
        c = Collector(Follower(["-"], stdin=r))
        os.write(w, lines(0, 3))
        await c.wait_count(3)
        os.write(w, lines(3, 6))
        assert await asyncio.to_thread(read_under_way.wait, 10)
        threading.Timer(0.1, read_may_return.set).start()  # while the stop waits for it
        await c.close()
        left = [x for batch in c.follower.left_over for x in batch.lines]
        assert numbers(c.lines + left) == list(range(6))
    finally:
        read_may_return.set()
        os.close(r)
        os.close(w)


async def test_stop_hands_over_the_lines_read_from_standard_input_but_not_taken():
    """Chunks read from the pipe ahead of a slow consumer were dropped at a stop: read once,
    their complete lines were counted nowhere. Every line that left the pipe whole is handed
    over, in order; the rest of the stream is still in the pipe."""
    total = lines(0, 20000)  # ~1 MB: far more than the queue, the chunks held and the pipe
    r, w = os.pipe()
    written = 0

    def write_all() -> None:
        nonlocal written
        view = memoryview(total)
        while written < len(total):
            written += os.write(w, view[written : written + 4096])
        os.close(w)

    writer = threading.Thread(target=write_all, daemon=True)
    writer.start()
    try:
        follower = Follower(["-"], stdin=r, batch_lines=100, max_queue=2)
        batches = follower.batches()
        taken = (await anext(batches)).lines
        # Nobody takes any more: everything fills up to the pipe, and the writer waits.
        loop = asyncio.get_running_loop()
        deadline, seen = loop.time() + 10, -1
        while seen != written:
            assert loop.time() < deadline, "the writer never had to wait"
            seen = written
            await asyncio.sleep(0.3)
        follower.stop()
        taken += [x for batch in [b async for b in batches] for x in batch.lines]
        counted = taken + [x for batch in follower.left_over for x in batch.lines]
        # What never left the pipe: read here (the follower reads no more after a stop).
        unread = b""
        while chunk := await asyncio.to_thread(os.read, r, 1 << 16):
            unread += chunk
        consumed = len(total) - len(unread)
        whole = total.count(b"\n", 0, consumed)
        assert numbers(counted) == list(range(whole))
        [st] = follower.states()
        assert st.lines == whole
        assert st.extra.get("unterminated_bytes", 0) == consumed - len(lines(0, whole))
    finally:
        writer.join(10)
        os.close(r)


@pytest.mark.parametrize(
    ("kind", "pack"),
    [("gzip", gzip.compress), ("bzip2", bz2.compress), ("xz", lzma.compress)],
)
async def test_compressed_standard_input_is_refused_saying_how_to_read_it(kind, pack):
    """Followed, a compressed stream's bytes were read as lines of junk (and the run stopped on
    "no known access-log format"): refused, with the reason and the ways that read it."""
    r, w = os.pipe()
    try:
        c = Collector(Follower(["-"], stdin=r))
        data = pack(lines(0, 50))
        os.write(w, data[:1])  # a pipe's first read may be a byte: too few to tell
        await asyncio.sleep(0.05)
        os.write(w, data[1:])
        await c.wait(lambda: c.ended)
        assert c.lines == []
        [st] = c.follower.states()
        assert st.state == "error" and f"standard input is {kind}-compressed" in st.message
        assert "logwatch report -" in st.message
        assert c.follower.fatal == st.message  # its one input: the run ends with it
    finally:
        os.close(r)
        os.close(w)


async def test_text_whose_first_bytes_may_begin_a_magic_number_is_text():
    """A first read of "B" may begin bzip2's "BZh": held until more bytes tell, then text."""
    r, w = os.pipe()
    try:
        c = Collector(Follower(["-"], stdin=r))
        os.write(w, b"B")
        await asyncio.sleep(0.05)
        os.write(w, b"Z is no bzip2\n" + lines(0, 2))
        await c.wait_count(3)
        os.write(w, b"\x1f")  # past the head: any byte is text
        os.close(w)
        w = -1
        await c.wait(lambda: c.ended)
        assert c.lines == [b"BZ is no bzip2", *lines(0, 2).splitlines(), b"\x1f"]
        assert c.follower.fatal is None and c.state("-") == "closed"
    finally:
        os.close(r)
        if w >= 0:
            os.close(w)


@pytest.mark.parametrize("ends", [True, False])
async def test_standard_input_of_a_few_bytes_that_may_begin_a_magic_number(ends, monkeypatch):
    """ "BZ" and no more: at the stream's end, or at a stop once settled, it is a line as any."""
    monkeypatch.setattr(tail, "SETTLED_SECONDS", 0.05)
    r, w = os.pipe()
    try:
        c = Collector(Follower(["-"], stdin=r))
        os.write(w, b"BZ")
        src = c.follower._sources  # the stream's first bytes are held there, not yet told apart
        await c.wait(lambda: "-" in src and getattr(src["-"].stdin, "head", None) == b"BZ")
        await asyncio.sleep(0.2)  # settled
        if ends:
            os.close(w)
            w = -1
            await c.wait(lambda: c.ended)
            got = c.lines
        else:
            await c.close()
            got = [x for batch in c.follower.left_over for x in batch.lines]
        assert got == [b"BZ"] and c.follower.fatal is None
    finally:
        os.close(r)
        if w >= 0:
            os.close(w)


# --------------------------------------------------------------------------- errors and limits


async def test_bad_sources_report_and_others_go_on(tmp_path):
    good = tmp_path / "good.log"
    good.write_bytes(b"")
    adir = tmp_path / "adir"
    adir.mkdir()
    secret = tmp_path / "secret.log"
    secret.write_bytes(lines(0, 1))
    secret.chmod(0)
    c = Collector(poll([adir, secret, good]))
    await c.wait(lambda: c.state(good) == "following")
    append(good, lines(0, 2))
    await c.wait_count(2)
    states = {s.name: s for s in c.follower.states()}
    assert states[str(adir)].state == "error"
    assert "is a directory" in states[str(adir)].message
    if os.geteuid() != 0:  # root reads anything
        assert states[str(secret)].state == "error"
        assert "permission denied" in states[str(secret)].message
    await c.close()


async def test_vanishing_file_is_reported_missing(tmp_path):
    log = tmp_path / "a.log"
    log.write_bytes(lines(0, 2))
    c = Collector(poll([log], from_start=True))
    await c.wait_count(2)
    log.unlink()
    await c.wait(lambda: c.state(log) == "missing")
    assert "waiting" in c.follower.states()[0].message
    await c.close()


async def test_backpressure_bounds_memory_and_reports_lag(tmp_path):
    log = tmp_path / "big.log"
    data = lines(0, 200_000)  # ~10 MB
    log.write_bytes(data)
    f = poll([log], from_start=True, max_queue=2, batch_lines=1000)
    batches = f.batches()
    first = await anext(batches)  # then consume nothing for a while
    await asyncio.sleep(0.3)
    # The readers wait for the consumer: the file is the buffer, not memory.
    assert f.bytes_read <= 3 * (1 << 20)
    [st] = f.states()
    assert st.state == "reading"
    assert st.extra["lag_bytes"] >= len(data) - f.bytes_read
    assert 0 < st.extra["history_bytes_done"] < st.extra["history_bytes_total"]
    got = list(first.lines)
    async for b in batches:
        got.extend(b.lines)
        if len(got) >= 200_000:
            break
    assert_exactly(numbers(got), 0, 200_000)
    assert f.states()[0].extra["lag_bytes"] == 0
    f.stop()
    await batches.aclose()


# --------------------------------------------------------------------------- notification


async def test_watchfiles_notification_wakes_the_follower(tmp_path):
    log = tmp_path / "access.log"
    log.write_bytes(b"")
    # A poll interval far beyond the deadline: only a change notification can deliver in time.
    c = Collector(Follower([str(log)], poll_interval=30.0))
    await c.wait(lambda: c.state(log) == "following")
    await asyncio.sleep(0.2)  # let the watcher settle
    append(log, lines(0, 3))
    await c.wait_count(3, timeout=8)
    (tmp_path / "new.log").write_bytes(b"")
    os.rename(log, tmp_path / "access.log.1")
    log.write_bytes(lines(3, 5))
    await c.wait_count(5, timeout=8)
    assert_exactly(numbers(c.lines), 0, 5)
    await c.close()


async def test_one_file_under_two_names_is_read_once(tmp_path):
    real = tmp_path / "real.log"
    real.write_bytes(lines(0, 5))
    link = tmp_path / "link.log"
    link.symlink_to(real)
    c = Collector(poll([real, link], from_start=True))
    await c.wait_count(5)
    append(real, lines(5, 10))
    await c.wait_count(10)
    await c.settle()
    assert_exactly(numbers(c.lines), 0, 10)
    messages = [s.message for s in c.follower.states()]
    assert any("same file as" in m for m in messages)
    await c.close()


async def test_stop_from_another_thread(tmp_path):
    log = tmp_path / "a.log"
    log.write_bytes(b"")
    c = Collector(poll([log]))
    await c.wait(lambda: c.state(log) == "following")
    await asyncio.to_thread(c.follower.stop)
    await asyncio.wait_for(c.task, 5)
    assert c.ended


async def test_a_deleted_glob_match_is_dropped_and_refound(tmp_path):
    a = tmp_path / "a.log"
    a.write_bytes(lines(0, 2))
    c = Collector(poll([tmp_path / "*.log"], from_start=True))
    await c.wait_count(2)
    a.unlink()
    # Once the old file is let go, only the pattern is left, waiting for a match.
    await c.wait(lambda: [s.name for s in c.follower.states()] == [str(tmp_path / "*.log")])
    assert c.follower.states()[0].state == "missing"
    a.write_bytes(lines(2, 4))  # a new file under the old name: read from its start
    await c.wait_count(4)
    assert_exactly(numbers(c.lines), 0, 4)
    await c.close()


async def test_history_reader_stopping_mid_line_leaves_no_line_counted_twice(tmp_path) -> None:
    """A history reader that stops short at an offset inside a line (failed workers): the
    follower goes on from the next line start, so every line arrives exactly once."""
    from logwatch.ingest.tail import Follower

    log = tmp_path / "access.log"
    lines = [f"line {i:06d} " + "x" * (i % 50) for i in range(3000)]
    log.write_text("\n".join(lines) + "\n")
    data = log.read_bytes()
    cut = len(data) // 2 + 7  # somewhere inside a line
    counted = data[:cut].count(b"\n") + 1  # lines beginning before the cut, as a range reader does

    async def reader(path, start, end, progress, ident):  # type: ignore[no-untyped-def]
        return cut, counted

    follower = Follower(
        [str(log)], from_start=True, follow=False, history_reader=reader, parallel_min_bytes=1000
    )
    seen: list[bytes] = []
    async for batch in follower.batches():
        seen.extend(batch.lines)
    assert len(seen) + counted == 3000
    assert seen[0] == lines[counted].encode()
