"""Strict JSON request bodies: what every supported database can store, or a clear error.

The standard library accepts NaN/Infinity (not JSON; PostgreSQL's jsonb refuses them), and
strings holding NUL or lone surrogates (PostgreSQL text and jsonb refuse both). Refusing
them here keeps the answer a 4xx on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import json
import math
import re

from ninja.parser import Parser

from mailwright import jsonsafe

_BAD_TEXT = re.compile("[\x00\ud800-\udfff]")


class BodyError(ValueError):
    """The request body cannot be accepted; `status` and `field` say how and where."""

    def __init__(self, message: str, *, status: int = 400, field: str | None = None) -> None:
        super().__init__(message)
        self.message, self.status, self.field = message, status, field


def _constant(name: str):
    raise BodyError(f"the request body is not valid JSON: {name} is not a JSON number")


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise BodyError(f"the request body is not valid JSON: {text} is out of range")
    return value


def _join(path: str, part: str | int) -> str:
    if isinstance(part, int):
        return f"{path}[{part}]"
    return f"{path}.{part}" if path else part


def _check_text(value, path: str) -> None:
    stack = [(value, path)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, str):
            if _BAD_TEXT.search(item):
                raise BodyError(
                    f"{where or 'body'}: text contains a NUL character or an unpaired"
                    " surrogate (\\u0000, \\ud800-\\udfff)",
                    status=422,
                    field=where or None,
                )
        elif isinstance(item, dict):
            for key, child in item.items():
                if _BAD_TEXT.search(key):
                    raise BodyError(
                        f"{where or 'body'}: a key contains a NUL character or an unpaired"
                        " surrogate",
                        status=422,
                        field=where or None,
                    )
                stack.append((child, _join(where, key)))
        elif isinstance(item, list):
            stack.extend((child, _join(where, i)) for i, child in enumerate(item))


class StrictJSONParser(Parser):
    def parse_body(self, request):
        try:
            text = request.body.decode("utf-8")
        except UnicodeDecodeError:
            raise BodyError("the request body is not UTF-8 text") from None
        try:
            data = jsonsafe.loads(text, parse_constant=_constant, parse_float=_float)
        except jsonsafe.TooDeep as exc:
            raise BodyError(f"the request body is {exc}") from None
        except json.JSONDecodeError as exc:
            raise BodyError(
                f"the request body is not valid JSON: {exc.msg}"
                f" (line {exc.lineno}, column {exc.colno})"
            ) from None
        _check_text(data, "")
        return data
