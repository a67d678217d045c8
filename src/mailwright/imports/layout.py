"""The shape of an import file's text: its format, delimiter and column names (from the
sniffed prefix), the reading limits, and JSON lines as text values. Used by `reading`."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from itertools import islice

from mailwright import jsonsafe
from mailwright.imports.detection import ImportFileError

PREFIX_BYTES = 262_144  # what sniff reads: format, encoding, delimiter and header come from it
MAX_FIELD_CHARS = 65_536  # one value
MAX_COLUMNS = 500  # columns in the header (keys in a JSON object)
MAX_RECORD_CHARS = 1_048_576  # one record (a line, or several when a quoted value spans lines)
FORMATS = ("csv", "tsv", "jsonl")
DELIMITERS = (",", ";", "\t", "|")

# What the reader's decoding error handler makes of undecodable bytes (lone surrogates), and NUL.
BAD_TEXT = re.compile("[\x00\udc00-\udcff]")
_LOOKS_LIKE_ADDRESS = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def whole_lines(text: str) -> str:
    """The prefix up to its last line break; refuses a first line longer than the prefix."""
    end = max(text.rfind("\n"), text.rfind("\r"))
    if end >= 0:
        return text[: end + 1]
    if max(text.count(d) for d in DELIMITERS) >= MAX_COLUMNS:
        raise ImportFileError(
            f"The first line has more than {MAX_COLUMNS} columns; at most {MAX_COLUMNS} "
            "columns can be imported."
        )
    raise ImportFileError(
        f"The first line is longer than {PREFIX_BYTES // 1024} KB, so it cannot be a header "
        "row of column names."
    )


def detect_format(text: str) -> str:
    stripped = (line.strip() for line in io.StringIO(text, newline=""))
    lines = list(islice((line for line in stripped if line), 20))
    first = lines[0]  # the caller made sure the text is not blank
    if first.startswith("[") and (len(first) == 1 or first[1] in '{[" '):
        raise ImportFileError(
            "This is a JSON array, not JSON lines: write one JSON object per line "
            "(or export the list as CSV)."
        )
    if first.startswith("{"):
        if any(isinstance(_json_or_none(line), dict) for line in lines):
            return "jsonl"
        if first == "{" or not first.endswith("}"):
            raise ImportFileError(
                "This looks like a JSON document spread over several lines; JSON lines needs "
                "one complete object on each line."
            )
    return "csv"


def _json_or_none(line: str) -> object:
    try:
        return jsonsafe.loads(line)
    except ValueError:
        return None


def _records(text: str, delimiter: str) -> Iterator[list[str]]:
    """Non-blank records of a decoded sample (the last may be cut short)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error:
            continue
        if any(record):
            yield record


def sniff_delimiter(text: str) -> str:
    """The delimiter that splits the header into most columns and the rows into as many."""
    sample = text[:65_536]
    best, best_key = ",", (0.0, 0)
    for delimiter in DELIMITERS:
        widths = [len(record) for record in islice(_records(sample, delimiter), 100)]
        if not widths or widths[0] < 2:
            continue
        consistent = sum(1 for width in widths if width == widths[0]) / len(widths)
        key = (consistent, widths[0])
        if key > best_key:
            best, best_key = delimiter, key
    return best


def csv_headers(text: str, delimiter: str, codec: str, *, complete: bool) -> list[str]:
    records = _records(text, delimiter)
    raw = next(records, None)
    if raw is None:
        raise ImportFileError("The file is empty.")
    if len(raw) > MAX_COLUMNS:
        raise ImportFileError(
            f"The header row has {len(raw):,} columns; at most {MAX_COLUMNS} can be imported."
        )
    if any(BAD_TEXT.search(name) for name in raw):
        raise ImportFileError(
            f"The header row is not valid {codec} text: choose the file's encoding."
        )
    if any(_LOOKS_LIKE_ADDRESS.fullmatch(name.strip()) for name in raw):
        raise ImportFileError(
            "The first row holds data (an email address), not column names: add a first row "
            "naming the columns, e.g. email,name."
        )
    if complete and next(records, None) is None:
        raise ImportFileError("The file has a header row but no data rows.")
    return _unique_names(raw)


def _unique_names(raw: list[str]) -> list[str]:
    """Header names stripped; a blank one becomes "column N", a repeated one "name (2)"."""
    names: list[str] = []
    seen: set[str] = set()
    for index, name in enumerate(raw, 1):
        base = name.strip() or f"column {index}"
        candidate, n = base, 1
        while candidate in seen:
            n += 1
            candidate = f"{base} ({n})"
        seen.add(candidate)
        names.append(candidate)
    return names


def jsonl_keys(text: str, codec: str) -> list[str]:
    keys: dict[str, None] = {}
    for line in islice(io.StringIO(text, newline=""), 1000):
        record = _json_or_none(line) if line.strip() else None
        # An object with too many keys is that row's error, not the file's.
        if isinstance(record, dict) and len(record) <= MAX_COLUMNS:
            keys.update(dict.fromkeys(record))
            if len(keys) > MAX_COLUMNS:
                raise ImportFileError(
                    f"The objects in this file have more than {MAX_COLUMNS} different keys; "
                    f"at most {MAX_COLUMNS} can be imported."
                )
    if not keys:
        raise ImportFileError(
            f"No line of the file's beginning is a JSON object with fields (read as {codec})."
        )
    if any(BAD_TEXT.search(key) for key in keys):
        raise ImportFileError(f"The keys are not valid {codec} text: choose the file's encoding.")
    return list(keys)


def json_values(line: str) -> tuple[dict[str, str], str | None]:
    """A JSON line as header -> text: null is "", true/false as written, numbers as Python
    writes them, a list of plain values joined with ", ", any other nesting as JSON text."""
    try:
        record = jsonsafe.loads(line)
    except json.JSONDecodeError as exc:
        return {}, f"not valid JSON ({exc.msg} at column {exc.colno})"
    except jsonsafe.TooDeep:
        return {}, "not valid JSON (nested too deeply)"
    except ValueError:  # an integer with more digits than Python converts (4,300)
        return {}, "not valid JSON (a number too long to read)"
    if not isinstance(record, dict):
        kind = {list: "a list", str: "a string"}.get(type(record), "a plain value")
        return {}, f"not a JSON object but {kind}"
    if len(record) > MAX_COLUMNS:
        return {}, f"{len(record):,} fields, at most {MAX_COLUMNS} can be imported"
    values = {}
    for key, value in record.items():
        text = _json_text(value)
        if len(text) > MAX_FIELD_CHARS:
            return {}, f"field longer than {MAX_FIELD_CHARS:,} characters"
        if "\x00" in text or "\x00" in key:
            return {}, "contains a NUL character"
        values[key] = text
    return values, None


def _json_text(value: object) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list) and all(
        isinstance(item, str | int | float | bool) for item in value
    ):
        return ", ".join(_json_text(item) for item in value)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
