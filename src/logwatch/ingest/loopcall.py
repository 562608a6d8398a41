"""Calling into an event loop from any thread (sources are stopped from the UI's thread)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable


def call_on_loop(loop: asyncio.AbstractEventLoop, fn: Callable[[], None]) -> None:
    """Run `fn` on `loop`: right away when called on it, else scheduled thread-safely; nothing
    when the loop is already closed."""
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if running is loop:
        fn()
    elif not loop.is_closed():
        loop.call_soon_threadsafe(fn)
