"""The interpreter's thread switch interval: short for the whole of a web process, and while a dispatcher sends.

Why a web process sets it: bot.web.workers.settle_web_process.

A dispatcher's event loop shares the interpreter lock with the threads it hands database work to (claims,
loads, outcome writes). A thread that wants the lock gets it when the holder gives it up, at the latest
after the switch interval, 5 ms by default; the loop waits as long for it back while a claim's or a load's
rows are built. Each SMTP sender waits for the last outcome's commit before its next final dot, so every
such wait holds connections idle. On PostgreSQL, where a commit's round trip from the writer thread took
2-3 ms for 0.4 ms in the server, 0.5 ms took bench/dispatch.py (10 connections) from 0.97, 0.85 and 0.83
of the raw aiosmtplib loop to 1.13, 1.03 and 0.86 in alternating runs. The cost is more switching between
threads that both want the lock, which the loop wins back in shorter waits."""

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

WEB_SWITCH_INTERVAL = 0.001  # seconds; Python's default is 0.005
DISPATCH_SWITCH_INTERVAL = 0.0005

_lock = threading.Lock()
_users = 0
_saved = 0.0


@contextmanager
def short_switch_interval(seconds: float = DISPATCH_SWITCH_INTERVAL) -> Iterator[None]:
    """Within the block, threads switch at least every `seconds`; the process's own interval comes back when
    the last of any overlapping blocks ends."""
    global _users, _saved
    with _lock:
        if _users == 0:
            _saved = sys.getswitchinterval()
        _users += 1
        sys.setswitchinterval(min(seconds, _saved))
    try:
        yield
    finally:
        with _lock:
            _users -= 1
            if _users == 0:
                sys.setswitchinterval(_saved)
