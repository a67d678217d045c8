"""What one render of a message may cost: the size limits and the per-render Budget (a
deadline read cooperatively, loop iterations, characters produced), with the checks the
sandbox (sandbox.py) applies before and after each operation that can make something large."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar

from jinja2.utils import Namespace

MAX_INT_BITS = 4096  # about 1,233 decimal digits
MAX_STRING = 2_000_000  # characters in any one string, a rendered part included
MAX_ITEMS = 100_000  # items in any one list, tuple or dict (Jinja's range() limit too)
MAX_LOOP_ITERATIONS = 50_000  # loop iterations in one message (subject, HTML and text)
MAX_RENDER_CHARS = 10_000_000  # characters one message may produce, output and strings built


class RenderLimitError(Exception):
    """A template broke a resource limit (size, loop count or render time)."""


class Budget:
    """`watch`: {id(value): bit} of values whose printing the caller wants to know about
    (the compliance links and address); `seen` collects their bits as they are printed."""

    __slots__ = ("chars", "deadline", "iterations", "seconds", "seen", "ticks", "watch")

    def __init__(self, seconds: float, watch: dict | None = None) -> None:
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds
        self.iterations = MAX_LOOP_ITERATIONS
        self.chars = MAX_RENDER_CHARS
        self.ticks = 0
        self.watch = watch
        self.seen = 0

    def check(self) -> None:
        # The clock is read every 16th time: each step in between is bounded by the size
        # limits, and reading it on every attribute access would slow every render.
        self.ticks += 1
        if self.ticks & 15 == 0 and time.monotonic() > self.deadline:
            raise RenderLimitError(
                f"rendering took longer than {self.seconds:g} s"
                " (MW_TEMPLATE_RENDER_SECONDS); simplify the template"
            )

    def charge(self, n: int) -> None:
        self.chars -= n
        if self.chars < 0:
            raise RenderLimitError(
                f"the template produces more than {MAX_RENDER_CHARS:,} characters"
            )

    def iterate(self) -> None:
        self.iterations -= 1
        if self.iterations < 0:
            raise RenderLimitError(f"loops run more than {MAX_LOOP_ITERATIONS:,} times")
        self.check()


current: ContextVar[Budget | None] = ContextVar("mailwright_render_budget", default=None)


@contextmanager
def budget(seconds: float):
    """Render under a fresh budget (deadline `seconds` from now)."""
    token = current.set(Budget(seconds))
    try:
        yield
    finally:
        current.reset(token)


def tick() -> None:
    b = current.get()
    if b is not None:
        b.check()


def charge(n: int) -> None:
    b = current.get()
    if b is not None:
        b.charge(n)


def too_long(what: str, size: int) -> RenderLimitError:
    return RenderLimitError(f"{what} would be {size:,} characters long; at most {MAX_STRING:,}")


def text_size(value, limit: int = MAX_STRING) -> int:
    """About how long str(value) is, without building it: containers are walked (without
    recursion, stopping once past `limit`), so a list of many references to one long string
    counts as long as it would print."""
    if isinstance(value, str | bytes):
        return len(value)
    total, stack = 0, [value]
    while stack and total <= limit:
        item = stack.pop()
        if isinstance(item, str | bytes):
            total += len(item) + 4
        elif isinstance(item, bool | float | None):
            total += 8
        elif isinstance(item, int):
            total += item.bit_length() // 3 + 2
        elif isinstance(item, Mapping):
            total += 2 + len(item)
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple | set | frozenset):
            total += 2 + len(item)
            stack.extend(item)
        elif isinstance(item, Namespace):
            total += 12
            stack.append(object.__getattribute__(item, "_Namespace__attrs"))
        else:
            total += 64
    return total


def check_value(value):
    """Refuse a value beyond the size limits; charge strings to the budget."""
    if isinstance(value, str | bytes):
        if len(value) > MAX_STRING:
            raise too_long("a string", len(value))
        charge(len(value))
    elif isinstance(value, int) and not isinstance(value, bool):
        if value.bit_length() > MAX_INT_BITS:
            raise RenderLimitError(f"numbers are limited to {MAX_INT_BITS:,} bits")
    elif isinstance(value, list | tuple | Mapping | set | frozenset):
        if len(value) > MAX_ITEMS:
            raise RenderLimitError(f"lists are limited to {MAX_ITEMS:,} items")
    elif isinstance(value, Iterator):
        return guarded(value)
    return value


def guarded(iterator):
    for count, item in enumerate(iterator, 1):
        if count > MAX_ITEMS:
            raise RenderLimitError(f"sequences are limited to {MAX_ITEMS:,} items")
        tick()
        yield item


def check_text(value, what: str = "the value as text") -> None:
    size = text_size(value)
    if size > MAX_STRING:
        raise too_long(what, size)


def int_arg(value, name: str, limit: int = MAX_STRING) -> None:
    if isinstance(value, int) and value > limit:
        raise RenderLimitError(f"{name} {value:,} is too large; at most {limit:,}")
