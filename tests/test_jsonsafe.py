"""JSON from outside is measured before it is parsed: nesting deeper than any real payload is
refused without json recursing to the interpreter's limit."""

from __future__ import annotations

import json
import sys

import pytest

from mailwright import jsonsafe


@pytest.mark.parametrize("as_bytes", [False, True])
def test_nesting_counts_arrays_and_objects_and_skips_strings(as_bytes):
    def depth(text: str) -> int:
        return jsonsafe.nesting(text.encode() if as_bytes else text)

    assert depth("1") == 0
    assert depth("{}") == 1
    assert depth('{"a": [1, {"b": []}]}') == 4
    assert depth(json.dumps({"tag": "[[[[{{{{" * 100, "quote": 'say "[["'})) == 1
    assert depth("[" * 64 + "]" * 64) == 64
    assert depth("]]]]][[") == 2  # stray closers do not go below zero
    assert depth('"unterminated [[[') == 3  # not JSON, and json will say so


def test_loads_refuses_past_the_limit_without_recursing():
    assert jsonsafe.loads("[" * 200 + "]" * 200) == json.loads("[" * 200 + "]" * 200)
    # Far deeper than the recursion limit: refused before parsing, with the reason.
    for document in ("[" * (sys.getrecursionlimit() * 20), b'{"a":' * 50_000):
        with pytest.raises(jsonsafe.TooDeep, match="nested deeper than 200 levels"):
            jsonsafe.loads(document)
    assert issubclass(jsonsafe.TooDeep, ValueError)
    with pytest.raises(json.JSONDecodeError):
        jsonsafe.loads('{"a": ')
