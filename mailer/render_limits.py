"""What rendering one mail may cost: loop steps, wall time, and the size of every value it builds.

Templates are code: staff write them, and more roles may preview them than may save them. Without
limits one preview held a server thread for minutes (nested loops) or answered 20 MB
('%020000000d'|format(1)). So a render runs against a Budget (steps, a deadline, characters built),
and wherever an argument decides how big a result gets (a width, a count, a format) the size is
estimated before it is built; every result is measured after. No single step then allocates more
than a small multiple of MAX_VALUE_CHARS, and all steps together no more than MAX_BUILT_CHARS.
"""
from __future__ import annotations

import re
import string
import time
from collections.abc import Iterator, Mapping, MappingView
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from jinja2 import Undefined
from jinja2.utils import Namespace

MAX_RANGE = 1_000  # items one range() may have
MAX_STEPS = 100_000  # loop iterations, calls and filters in one mail
MAX_SECONDS = 2.0  # wall time of one mail, all its parts
MAX_VALUE_CHARS = 256 * 1024  # one value, and one part's output
MAX_BUILT_CHARS = 8 * MAX_VALUE_CHARS  # everything written or returned by calls and filters
MAX_WIDTH = 10_000  # a width, padding, precision or count given to a filter or method
MAX_SEQUENCE_PRODUCT = 10_000  # 'x' * n and [..] * n: items (besides the size of the result)
MAX_EXPONENT = 64
MAX_INT_BITS = 4_096
MAX_NESTING = 48  # levels of the parsed template: compiling costs about the cube of the depth


class LimitExceeded(Exception):
    """Rendering would go past one of the limits above."""


@dataclass
class Budget:
    deadline: float
    steps: int = 0
    built: int = 0

    def step(self) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise LimitExceeded(f"more than {MAX_STEPS} loop iterations, calls and filters")
        self.check_deadline()

    def check_deadline(self) -> None:
        if time.monotonic() > self.deadline:
            raise LimitExceeded(f"rendering took longer than {MAX_SECONDS:g} s")

    def build(self, chars: int) -> None:
        self.built += chars
        if self.built > MAX_BUILT_CHARS:
            raise LimitExceeded(f"more than {MAX_BUILT_CHARS} characters built")


_ACTIVE: ContextVar[Budget | None] = ContextVar("template_render_budget", default=None)


@contextmanager
def render_budget():
    """One budget for everything rendered inside (the three parts of one mail)."""
    token = _ACTIVE.set(Budget(time.monotonic() + MAX_SECONDS))
    try:
        yield
    finally:
        _ACTIVE.reset(token)


def budget() -> Budget:
    """The budget of the render under way; outside one (Jinja folding constants while compiling),
    a throwaway one: the size checks still apply."""
    return _ACTIVE.get() or Budget(time.monotonic() + MAX_SECONDS)


def size_of(value, limit: int = MAX_VALUE_CHARS) -> int:
    """About how many characters `value` prints as, containers by their items (a repeated item each
    time); stops counting once past `limit`."""
    if type(value) is str:  # most values: what a template prints
        return len(value)
    total, pending = 0, [value]
    while pending and total <= limit:
        item = pending.pop()
        if isinstance(item, Undefined):
            continue
        if isinstance(item, (str, bytes)):
            total += len(item)
        elif isinstance(item, int):
            total += item.bit_length() // 3 + 1
        elif isinstance(item, Mapping):
            total += 2 + 2 * len(item)
            if total <= limit:
                pending.extend(item.keys())
                pending.extend(item.values())
        elif isinstance(item, (list, tuple, set, frozenset, range, MappingView)):
            total += 2 + len(item)
            if total <= limit:
                pending.extend(item)
        elif isinstance(item, Namespace):  # prints as its attributes
            pending.append(item._Namespace__attrs)
        else:
            total += 8
    return total


def check_size(value, what: str):
    if size_of(value) > MAX_VALUE_CHARS:
        raise LimitExceeded(f"{what} would be longer than {MAX_VALUE_CHARS} characters")
    return value


def check_width(number, what: str) -> int:
    """A width or count: at most MAX_WIDTH (a string used as a width: its length)."""
    number = len(number) if isinstance(number, str) else number
    if isinstance(number, (int, float)) and not abs(number) <= MAX_WIDTH:
        raise LimitExceeded(f"{what} is more than {MAX_WIDTH}")
    return int(number) if isinstance(number, (int, float)) else 0


def _digits(text: str) -> int:
    return int(text) if len(text) <= 6 else MAX_WIDTH + 1  # int() of thousands of digits is slow


def check_estimate(chars: int, what: str) -> None:
    if chars > MAX_VALUE_CHARS:
        raise LimitExceeded(f"{what} would be longer than {MAX_VALUE_CHARS} characters")


def bounded_list(items: Iterator, what: str) -> list:
    """An iterator's items as a list, refused as soon as they grow past the value limit."""
    out, chars = [], 0
    for item in items:
        budget().step()
        chars += size_of(item) + 1
        check_estimate(chars, what)
        out.append(item)
    return out


_PRINTF_SPEC = re.compile(r"[#0 +-]*(\*|\d+)?(?:\.(\*|\d*))?[hlL]?(.?)", re.S)


def _printf_specs(fmt: str) -> tuple[int, int]:
    """(conversions, widest width or precision) of a %-format, read the way Python reads it."""
    count, widest, pos = 0, 0, fmt.find("%")
    while pos != -1:
        pos += 1
        if fmt.startswith("(", pos):  # %(key)s: the key may hold balanced parentheses
            depth = 0
            while pos < len(fmt):
                depth += {"(": 1, ")": -1}.get(fmt[pos], 0)
                pos += 1
                if depth == 0:
                    break
        spec = _PRINTF_SPEC.match(fmt, pos)
        for number in spec.group(1, 2):
            if number == "*":
                raise LimitExceeded("a '*' width in a % format is not allowed")
            widest = max(widest, check_width(_digits(number), "a % format width") if number else 0)
        count += spec.group(3) != "%"
        pos = fmt.find("%", spec.end())
    return count, widest


def check_printf(fmt: str, args) -> None:
    """fmt % args: refused when the result could pass the value limit."""
    count, widest = _printf_specs(fmt)
    if isinstance(args, tuple):  # each conversion takes its own argument
        estimate = len(fmt) + count * widest + size_of(args)
    else:  # one argument, or a mapping whose values may each be used many times
        estimate = len(fmt) + count * (widest + size_of(args))
    check_estimate(estimate, "a % format")


def check_str_format(fmt: str, args, kwargs) -> None:
    """fmt.format(...) and fmt.format_map(...): refused when the result could pass the value limit."""
    fields, widest = 0, 0
    for _literal, field, spec, _conversion in string.Formatter().parse(fmt):
        if field is None:
            continue
        fields += 1
        if "{" in (spec or ""):
            raise LimitExceeded("a format spec taken from an argument is not allowed")
        for number in re.findall(r"\d+", spec or ""):
            widest = max(widest, check_width(_digits(number), "a format width"))
    largest = max((size_of(a) for a in (*args, *kwargs.values())), default=0)
    check_estimate(len(fmt) + fields * (widest + largest), "a str.format result")


def argument(args: tuple, kwargs: dict, index: int, name: str, default=None):
    """Argument `name` of a call, given by keyword or at position `index`."""
    return kwargs[name] if name in kwargs else args[index] if len(args) > index else default


def check_replace(text: str, old, new, count) -> None:
    if not (isinstance(old, str) and isinstance(new, str)):
        return
    hits = text.count(old) if old else len(text) + 1
    if isinstance(count, int) and count >= 0:
        hits = min(hits, count)
    check_estimate(len(text) + hits * max(0, len(new) - len(old)), "a replace() result")


def check_str_call(text: str, name: str, args: tuple, kwargs: dict) -> None:
    """Before a str method runs: refuse arguments that would make its result too big."""
    what = f"str.{name}()"
    if name in ("format", "format_map"):
        check_str_format(text, args, kwargs)
    elif name in ("center", "ljust", "rjust", "zfill"):
        check_width(argument(args, kwargs, 0, "width", 0), f"the width given to {what}")
    elif name == "expandtabs":
        tab = check_width(argument(args, kwargs, 0, "tabsize", 8), f"the tab size given to {what}")
        check_estimate(len(text) + text.count("\t") * tab, what)
    elif name == "replace":
        old, new = argument(args, kwargs, 0, "old"), argument(args, kwargs, 1, "new")
        check_replace(text, old, new, argument(args, kwargs, 2, "count"))
    elif name == "join" and args and hasattr(args[0], "__len__"):
        check_estimate(size_of(args[0]) + len(args[0]) * len(text), what)
    elif name == "translate" and args and isinstance(args[0], Mapping):
        longest = max((size_of(v) for v in args[0].values()), default=1)
        check_estimate(len(text) * max(1, longest), what)


def check_binop(operator: str, left, right) -> None:
    if operator == "**":
        if not (isinstance(right, int) and abs(right) <= MAX_EXPONENT):
            raise LimitExceeded("exponent too large")
        if isinstance(left, int) and left.bit_length() * abs(right) > MAX_INT_BITS:
            raise LimitExceeded("number too large")
    elif operator == "*":
        for seq, n in ((left, right), (right, left)):
            if isinstance(seq, (str, list, tuple)) and isinstance(n, int) and n > 0 and (
                    len(seq) * n > MAX_SEQUENCE_PRODUCT or size_of(seq) * n > MAX_VALUE_CHARS):
                raise LimitExceeded("repetition too large")
        if isinstance(left, int) and isinstance(right, int) and left.bit_length() + right.bit_length() > MAX_INT_BITS:
            raise LimitExceeded("number too large")
    elif operator == "+" and isinstance(left, (str, list, tuple)) and isinstance(right, (str, list, tuple)):
        check_estimate(size_of(left) + size_of(right), "a + result")
    elif operator == "%" and isinstance(left, str):
        check_printf(left, right)
