"""JSON from outside, read without recursing to the interpreter's limit.

`json.loads` recurses once per level of nesting and stops at the recursion limit with a
RecursionError. Catching that is not enough: a thread that deep has no room left for anything
that happens meanwhile (a garbage collection running a finaliser, a warning, a log record),
and those fail in turn. So every body from outside is measured first, in linear time, and one
nested deeper than any real payload is refused before it is parsed.
"""

from __future__ import annotations

import json
import re
from typing import Any

# Real payloads (API bodies, relay events, an editor's design, an imported line) nest a few
# dozen levels at most.
MAX_DEPTH = 200

_STRING = re.compile(r'"(?:[^"\\]|\\.)*+"')
_STRING_BYTES = re.compile(rb'"(?:[^"\\]|\\.)*+"')
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_BRACKETS = re.compile(r"[\[\]{}]")


class TooDeep(ValueError):
    """The document nests deeper than the limit; it was not parsed."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"nested deeper than {limit} levels")
        self.limit = limit


def nesting(document: str | bytes) -> int:
    """How deep the arrays and objects of a JSON document go (brackets in strings skipped)."""
    if isinstance(document, bytes):
        brackets = _STRING_BYTES.sub(b"", document).translate(None, _NOT_BRACKETS).decode()
    else:
        brackets = "".join(_BRACKETS.findall(_STRING.sub("", document)))
    depth = deepest = 0
    for bracket in brackets:
        if bracket in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth = max(depth - 1, 0)
    return deepest


def loads(document: str | bytes, *, max_depth: int = MAX_DEPTH, **options: Any) -> Any:
    """json.loads, refusing a document nested deeper than max_depth with TooDeep (a
    ValueError) before parsing it. Other errors are json's own."""
    if nesting(document) > max_depth:
        raise TooDeep(max_depth)
    return json.loads(document, **options)
