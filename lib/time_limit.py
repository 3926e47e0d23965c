"""A time limit on a piece of Python work in the current thread, without signals (cron
threads cannot receive them) and without killing the process: when the time is up, the
work is interrupted by an exception raised in its thread at its next Python instruction.
Work stuck in one long C call is interrupted only when that call returns."""

import ctypes
import threading
from contextlib import contextmanager


class TimeLimitExceeded(BaseException):
    """The work took longer than its time limit. Not an Exception: the work's own
    `except Exception` handlers (Odoo's parser has several) must not swallow it."""


@contextmanager
def time_limit(seconds):
    """Raise TimeLimitExceeded in this thread once `seconds` have passed inside the block
    (no limit when `seconds` is 0 or less)."""
    if not seconds or seconds <= 0:
        yield
        return
    thread_id = threading.get_ident()
    guard = threading.Lock()
    inside = [True]

    def interrupt():
        with guard:  # never once the block is left: the exception would land elsewhere
            if inside[0]:
                ctypes.pythonapi.PyThreadState_SetAsyncExc(
                    ctypes.c_ulong(thread_id), ctypes.py_object(TimeLimitExceeded)
                )

    timer = threading.Timer(seconds, interrupt)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        with guard:
            inside[0] = False
        timer.cancel()
