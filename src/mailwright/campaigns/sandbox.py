"""The template sandbox with resource limits: what one render may cost.

Templates are code written by users, run in the web process (save check, preview) and in the
delivery worker (once per recipient). Jinja's sandbox stops them reaching Python internals but
not from asking for a 10-million-digit number, a 100 MB string or a billion loop iterations.
Here every operation that can make something large is checked *before* it runs (operators,
filters, method calls, string formatting, concatenation, output), and each render of a message
runs under a Budget: a deadline checked cooperatively (on every call, loop iteration, filter
and intercepted operator, so it works in any thread, unlike signals) and counters for loop
iterations and characters produced. Breaking a limit raises RenderLimitError.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from types import BuiltinMethodType, MethodType

from jinja2 import nodes, pass_context
from jinja2.compiler import CodeGenerator
from jinja2.environment import Template
from jinja2.exceptions import SecurityError
from jinja2.runtime import LoopContext, markup_join, str_join
from jinja2.sandbox import ImmutableSandboxedEnvironment, SandboxedFormatter
from jinja2.utils import _PassArg
from markupsafe import EscapeFormatter, Markup

from mailwright.campaigns.render_budget import (
    MAX_INT_BITS,
    MAX_ITEMS,
    MAX_STRING,
    RenderLimitError,
    budget,
    charge,
    check_text,
    check_value,
    current,
    guarded,
    int_arg,
    text_size,
    tick,
    too_long,
)

__all__ = ["LimitedSandbox", "RenderLimitError", "budget"]
LOOP_FILTER = "mw_loop_guard"

# --- operators ------------------------------------------------------------------------------


def _check_binop(operator: str, left, right) -> None:
    ints = isinstance(left, int) and isinstance(right, int)
    if operator == "**" and ints:
        if right > 0 and abs(left) > 1 and left.bit_length() * right > MAX_INT_BITS:
            raise RenderLimitError(f"numbers are limited to {MAX_INT_BITS:,} bits")
    elif operator == "*":
        if ints:
            if left.bit_length() + right.bit_length() > MAX_INT_BITS + 1:
                raise RenderLimitError(f"numbers are limited to {MAX_INT_BITS:,} bits")
            return
        seq, n = (left, right) if isinstance(right, int) else (right, left)
        if isinstance(n, int) and isinstance(seq, str | bytes | list | tuple):
            size = len(seq) * max(n, 0)
            if isinstance(seq, str | bytes) and size > MAX_STRING:
                raise too_long("the repeated string", size)
            if isinstance(seq, list | tuple) and size > MAX_ITEMS:
                raise RenderLimitError(f"lists are limited to {MAX_ITEMS:,} items")
    elif operator == "+":
        if isinstance(left, str | bytes) and isinstance(right, str | bytes):
            if len(left) + len(right) > MAX_STRING:
                raise too_long("the joined string", len(left) + len(right))
        elif isinstance(left, list | tuple) and isinstance(right, list | tuple):
            if len(left) + len(right) > MAX_ITEMS:
                raise RenderLimitError(f"lists are limited to {MAX_ITEMS:,} items")
    elif operator == "%" and isinstance(left, str):
        check_percent_format(left, right)


_PERCENT = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?[a-zA-Z%]")


def _width(digits: str) -> int:
    if digits == "*":
        raise RenderLimitError("'*' widths are not allowed in % formatting")
    if len(digits) > 7 or int(digits) > MAX_STRING:
        raise RenderLimitError(f"format widths are limited to {MAX_STRING:,}")
    return int(digits) if digits else 0


def check_percent_format(fmt: str, args) -> None:
    """`fmt % args` (the % operator, the format filter): widths and size, before it runs."""
    specs = _PERCENT.findall(fmt)
    if not specs:
        return
    widest = max(max(_width(w), _width(p)) for w, p in specs)
    if isinstance(args, Mapping):
        values = list(args.values())
    else:
        values = list(args) if isinstance(args, tuple) else [args]
    longest = max((4 * text_size(v) for v in values), default=0)
    size = len(fmt) + len(specs) * (longest + widest)
    if size > MAX_STRING:
        raise too_long("the formatted string", size)


def _check_spec(spec: str) -> None:
    for digits in re.findall(r"\d+", spec):
        _width(digits)


class _LimitedFormatter(SandboxedFormatter):
    """str.format in templates: each field's width is bounded and its text charged."""

    def format_field(self, value, format_spec: str):
        _check_spec(format_spec)
        check_text(value)
        rv = super().format_field(value, format_spec)
        charge(len(rv))
        return rv


class _LimitedEscapeFormatter(_LimitedFormatter, EscapeFormatter):
    pass


# --- method calls and globals ---------------------------------------------------------------


def _arg(args, kwargs, index: int, name: str, default=None):
    return args[index] if len(args) > index else kwargs.get(name, default)


def _replace_size(s, old, new, count) -> int:
    if not isinstance(old, str | bytes) or not isinstance(new, str | bytes):
        return len(s)
    hits = s.count(old) if old else len(s) + 1
    if isinstance(count, int) and count >= 0:
        hits = min(hits, count)
    return len(s) + hits * max(len(new) - len(old), 0)


def _join_size(sep, items: list) -> int:
    if len(items) > MAX_ITEMS:
        raise RenderLimitError(f"lists are limited to {MAX_ITEMS:,} items")
    return sum(text_size(x) for x in items) + text_size(sep) * max(len(items) - 1, 0)


def _check_method(obj, args, kwargs):
    """Methods of str/bytes/int that can make something large from something small."""
    s, name = obj.__self__, obj.__name__
    if isinstance(s, int) and name == "to_bytes":
        int_arg(_arg(args, kwargs, 0, "length", 1), "to_bytes length")
    if not isinstance(s, str | bytes):
        return args
    if name in ("center", "ljust", "rjust", "zfill"):
        int_arg(_arg(args, kwargs, 0, "width"), "the width")
    elif name == "expandtabs":
        tab = _arg(args, kwargs, 0, "tabsize", 8)
        if (
            isinstance(tab, int)
            and len(s) + s.count("\t" if isinstance(s, str) else b"\t") * tab > MAX_STRING
        ):
            raise too_long("the expanded string", len(s) * tab)
    elif name == "replace" and len(args) >= 2:
        size = _replace_size(s, args[0], args[1], _arg(args, kwargs, 2, "count"))
        if size > MAX_STRING:
            raise too_long("the replaced string", size)
    elif name == "join" and args:
        items = list(guarded(iter(args[0])))
        size = _join_size(s, items)
        if size > MAX_STRING:
            raise too_long("the joined string", size)
        return (items, *args[1:])
    elif name == "translate":
        table = _arg(args, kwargs, 0, "table")
        longest = (
            max((text_size(v) for v in table.values()), default=1)
            if isinstance(table, Mapping)
            else 1
        )
        if len(s) * max(longest, 1) > MAX_STRING:
            raise too_long("the translated string", len(s) * longest)
    return args


def _lipsum_guard(lipsum):
    @functools.wraps(lipsum)
    def guarded(n=5, html=True, min=20, max=100):
        if isinstance(n, int) and isinstance(max, int) and n * max > 10_000:
            raise RenderLimitError("lipsum() is limited to 10,000 words")
        return lipsum(n, html, min, max)

    return guarded


# --- filters --------------------------------------------------------------------------------


def _pre_center(value, width=80, *a, **k):
    int_arg(width, "the width")


def _pre_indent(s, width=4, *a, **k):
    w = len(width) if isinstance(width, str) else width if isinstance(width, int) else 0
    lines = str(s).count("\n") + 1 if isinstance(s, str) else 1
    if text_size(s) + lines * w > MAX_STRING:
        raise too_long("the indented string", text_size(s) + lines * w)


def _pre_format(value, *args, **kwargs):
    if isinstance(value, str):
        check_percent_format(value, kwargs or args)


def _pre_join(value, d="", attribute=None, *a, **k):
    pass  # checked in _limited_join, which needs the items


def _pre_replace(s, old, new, count=None, *a, **k):
    if isinstance(s, str):
        size = _replace_size(s, str(old), str(new), count)
        if size > MAX_STRING:
            raise too_long("the replaced string", size)


def _pre_sum(iterable, attribute=None, start=0, *a, **k):
    if not isinstance(start, int | float):
        raise RenderLimitError("sum() adds numbers only")


def _pre_count(value, n=None, *a, **k):
    int_arg(n, "the count", MAX_ITEMS)


def _pre_tojson(value, indent=None, *a, **k):
    if text_size(indent) > 16 or (isinstance(indent, int) and indent > 16):
        raise RenderLimitError("tojson indent is limited to 16")


def _pre_wordwrap(s, width=79, break_long_words=True, wrapstring=None, *a, **k):
    if isinstance(s, str) and isinstance(width, int) and wrapstring is not None:
        breaks = len(s) // max(width, 1) + s.count("\n") + 1
        if len(s) + breaks * text_size(wrapstring) > MAX_STRING:
            raise too_long("the wrapped string", len(s) + breaks * text_size(wrapstring))


def _pre_urlize(value, trim_url_limit=None, nofollow=False, target=None, rel=None, *a, **k):
    if text_size(target) > 200 or text_size(rel) > 200:
        raise RenderLimitError("urlize target and rel are limited to 200 characters")


PRECHECKS = {
    "center": _pre_center,
    "indent": _pre_indent,
    "format": _pre_format,
    "join": _pre_join,
    "replace": _pre_replace,
    "sum": _pre_sum,
    "batch": _pre_count,
    "slice": _pre_count,
    "tojson": _pre_tojson,
    "wordwrap": _pre_wordwrap,
    "urlize": _pre_urlize,
}


# Filters whose result is no larger than their input (or a fixed size) and whose work is
# linear in it: their input was checked when it was made, so they need no wrapper (the
# wrapper costs ~2 µs a call, and |default is in nearly every template).
NON_GROWING = frozenset(
    {
        "abs",
        "capitalize",
        "count",
        "d",
        "default",
        "e",
        "escape",
        "first",
        "float",
        "int",
        "last",
        "length",
        "lower",
        "round",
        "safe",
        "striptags",
        "title",
        "trim",
        "upper",
        "wordcount",
    }
)


def _limited_filter(name: str, func):
    precheck = PRECHECKS.get(name)
    skip = 0 if _PassArg.from_obj(func) is None else 1

    @functools.wraps(func)
    def limited(*args, **kwargs):
        tick()
        if len(args) > skip:
            check_text(args[skip], f"the input of |{name}")
        if precheck is not None:
            precheck(*args[skip:], **kwargs)
        if name == "join":
            args = _join_args(args, skip, kwargs)
        return check_value(func(*args, **kwargs))

    return limited


def _join_args(args, skip, kwargs):
    """|join: materialise the items (bounded) and check the joined length before joining."""
    value = args[skip]
    sep = _arg(args[skip + 1 :], kwargs, 0, "d", "")
    items = list(guarded(iter(value)))
    attribute = _arg(args[skip + 1 :], kwargs, 1, "attribute")
    if attribute is None:
        size = _join_size(sep, items)
        if size > MAX_STRING:
            raise too_long("the joined string", size)
    return (*args[:skip], items, *args[skip + 1 :])


@pass_context
def _loop_guard(context, iterable):
    """Wraps every {% for %} iterable: each iteration counts against the budget."""
    return _counted(iterable)


def _counted(iterable):
    b = current.get()
    if b is None:
        yield from iterable
        return
    for item in iterable:
        b.iterate()
        yield item


def _limited_concat(pieces) -> str:
    """Joins a render's (or a macro's, or a block's) output pieces."""
    # Joined before measuring: every printed piece was charged as it was printed
    # (_finalize), so the whole is bounded by the budget; the rest is the template's text.
    out = "".join(pieces)
    if len(out) > MAX_STRING:
        raise too_long("the output", len(out))
    charge(len(out))
    return out


def _limited_str_join(seq) -> str:  # the ~ operator without autoescape
    items = list(seq)
    size = sum(text_size(x) for x in items)
    if size > MAX_STRING:
        raise too_long("the joined string", size)
    return check_value(str_join(items))


def _limited_markup_join(seq) -> str:  # the ~ operator with autoescape
    items = list(seq)
    size = sum(text_size(x) for x in items)
    if size > MAX_STRING:
        raise too_long("the joined string", size)
    return check_value(markup_join(items))


def _finalize(value):
    """Every {{ expression }} passes here before it is printed (also inside macros)."""
    if type(value) is str or isinstance(value, str):
        b = _current_budget()
        if b is not None:
            b.chars -= len(value)
            if b.chars < 0:
                b.charge(0)
            if b.watch is not None:
                b.seen |= b.watch.get(id(value), 0)
    elif value is not None and not isinstance(value, int | float):
        size = text_size(value)
        if size > MAX_STRING:
            raise too_long("the printed value", size)
        charge(size)
    return value


_current_budget = current.get  # bound once: _finalize runs for every printed expression


# --- the environment ------------------------------------------------------------------------


class _LimitedCodeGenerator(CodeGenerator):
    def visit_Template(self, node, frame=None):
        for loop in node.find_all(nodes.For):
            if not (isinstance(loop.iter, nodes.Filter) and loop.iter.name == LOOP_FILTER):
                loop.iter = nodes.Filter(
                    loop.iter, LOOP_FILTER, [], [], None, None, lineno=loop.iter.lineno
                )
        super().visit_Template(node, frame)


class _LimitedTemplate(Template):
    @classmethod
    def _from_namespace(cls, environment, namespace, globals):
        namespace["str_join"] = _limited_str_join
        namespace["markup_join"] = _limited_markup_join
        return super()._from_namespace(environment, namespace, globals)


class LimitedSandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox with resource limits. A forbidden attribute is an error
    (the stock sandbox prints it as ''), so an unsafe template fails when it is saved."""

    intercepted_binops = frozenset({"+", "*", "**", "%"})
    code_generator_class = _LimitedCodeGenerator
    template_class = _LimitedTemplate
    concat = staticmethod(_limited_concat)

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("finalize", _finalize)
        super().__init__(*args, **kwargs)
        self.filters = {
            name: f if name in NON_GROWING else _limited_filter(name, f)
            for name, f in self.filters.items()
        }
        self.filters[LOOP_FILTER] = _loop_guard
        self.globals["lipsum"] = _lipsum_guard(self.globals["lipsum"])

    def unsafe_undefined(self, obj, attribute):
        raise SecurityError(
            f"access to attribute {attribute!r} of {type(obj).__name__!r} is not allowed"
        )

    def call_binop(self, context, operator, left, right):
        tick()
        _check_binop(operator, left, right)
        return check_value(self.binop_table[operator](left, right))

    def call(__self, __context, __obj, *args, **kwargs):
        tick()
        if isinstance(__obj, BuiltinMethodType | MethodType) and not isinstance(
            getattr(__obj, "__self__", None), type
        ):
            args = _check_method(__obj, args, kwargs)
        elif isinstance(__obj, LoopContext) and args:  # loop(children) in a recursive loop
            args = (_counted(args[0]), *args[1:])
        return check_value(super().call(__context, __obj, *args, **kwargs))

    def wrap_str_format(self, value):
        if super().wrap_str_format(value) is None:
            return None
        f_self = value.__self__
        is_format_map = value.__name__ == "format_map"
        if isinstance(f_self, Markup):
            formatter = _LimitedEscapeFormatter(self, escape=f_self.escape)
        else:
            formatter = _LimitedFormatter(self)
        str_type = type(f_self)

        def wrapper(*args, **kwargs):
            if is_format_map:
                if kwargs or len(args) != 1:
                    raise TypeError("format_map() takes exactly one argument")
                kwargs, args = args[0], ()
            return check_value(str_type(formatter.vformat(f_self, args, kwargs)))

        return functools.update_wrapper(wrapper, value)
