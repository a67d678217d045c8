"""Reading an import file (SPEC §2.3): `sniff` finds its format, encoding, delimiter and
columns from a bounded prefix; `RowReader` streams its records as `Row`s in bounded memory.
Pure Python, no database. Limits and choices: docs/importing.md, "File formats and encodings".
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

from mailwright.imports.detection import (
    ImportFileError,
    detect_encoding,
    refuse_markup,
    refuse_non_text,
    text_codec,
)

__all__ = [
    "FORMATS",
    "MAX_COLUMNS",
    "MAX_FIELD_CHARS",
    "MAX_RECORD_CHARS",
    "PREFIX_BYTES",
    "ImportFileError",
    "Row",
    "RowReader",
    "Sniffed",
    "sniff",
]

PREFIX_BYTES = 262_144  # what sniff reads: format, encoding, delimiter and header come from it
MAX_FIELD_CHARS = 65_536  # one value
MAX_COLUMNS = 500  # columns in the header (keys in a JSON object)
MAX_RECORD_CHARS = 1_048_576  # one record (a line, or several when a quoted value spans lines)
FORMATS = ("csv", "tsv", "jsonl")
DELIMITERS = (",", ";", "\t", "|")

_ESCAPE = "mailwright.imports.escape"
# Bytes the encoding cannot decode become lone surrogates U+DC00+byte (as "surrogateescape",
# but for every byte, which UTF-16 needs); no correctly decoded text contains them, so a line
# with one, or with a NUL, is a row error.
_BAD_TEXT = re.compile("[\x00\udc00-\udcff]")
_LOOKS_LIKE_ADDRESS = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def _escape_undecodable(exc: UnicodeError) -> tuple[str, int]:
    if isinstance(exc, UnicodeDecodeError):
        return "".join(chr(0xDC00 + b) for b in exc.object[exc.start : exc.end]), exc.end
    raise exc


codecs.register_error(_ESCAPE, _escape_undecodable)


@dataclass(frozen=True)
class Sniffed:
    format: str  # "csv" | "tsv" | "jsonl"
    encoding: str  # Python codec name, e.g. "utf-8-sig", "utf-16", "cp1250"
    encoding_detected: bool  # False when the caller forced it
    delimiter: str  # "," ";" "\t" "|" (csv/tsv); "" for jsonl
    headers: list[str]  # column names (jsonl: keys seen in the first rows, in order)
    size: int  # bytes


@dataclass(frozen=True, slots=True)
class Row:
    number: int  # 1-based record number (data records only; what `skip` counts)
    line: int  # physical line where the record starts
    values: dict[str, str] | None  # header -> text; None when the row is unusable
    error: str | None  # why the row is unusable


# Rows are made without the frozen dataclass's __init__ (one object.__setattr__ call per
# field): with the slots' own setters reading runs about 15 % faster.
_new_object = object.__new__
_set_number, _set_line = Row.number.__set__, Row.line.__set__  # type: ignore[attr-defined]
_set_values, _set_error = Row.values.__set__, Row.error.__set__  # type: ignore[attr-defined]


def _row(number: int, line: int, values: dict[str, str] | None, error: str | None) -> Row:
    row = _new_object(Row)
    _set_number(row, number)
    _set_line(row, line)
    _set_values(row, values)
    _set_error(row, error)
    return row


# --- sniff --------------------------------------------------------------------------------


def sniff(path: str | Path, *, format: str | None = None, encoding: str | None = None) -> Sniffed:
    """Format, encoding, delimiter and column names of the file at `path`, from at most
    PREFIX_BYTES of it; ImportFileError when the file cannot be imported at all."""
    path = Path(path)
    if format is not None and format not in FORMATS:
        raise ImportFileError(f"Unknown format {format!r}: use csv, tsv or jsonl.")
    try:
        size = path.stat().st_size
        with path.open("rb") as f:
            prefix = f.read(PREFIX_BYTES)
    except OSError as exc:
        raise ImportFileError(f"The file cannot be read ({exc.strerror}).") from None
    complete = len(prefix) >= size
    if not prefix.strip():
        raise ImportFileError("The file is empty.")
    refuse_non_text(path, prefix)
    if encoding:
        codec, detected = text_codec(encoding), False
    else:
        codec, detected = detect_encoding(prefix, complete=complete), True
    text = codecs.getincrementaldecoder(codec)(_ESCAPE).decode(prefix, final=complete)
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise ImportFileError("The file is empty.")
    if not complete:
        text = _whole_lines(text)
    refuse_markup(text)
    fmt = format or _detect_format(text)
    if fmt == "jsonl":
        return Sniffed("jsonl", codec, detected, "", _jsonl_keys(text, codec), size)
    delimiter = "\t" if fmt == "tsv" else _sniff_delimiter(text)
    if format is None and delimiter == "\t":
        fmt = "tsv"
    headers = _csv_headers(text, delimiter, codec)
    return Sniffed(fmt, codec, detected, delimiter, headers, size)


def _whole_lines(text: str) -> str:
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


def _detect_format(text: str) -> str:
    lines = [line.strip() for line in islice(io.StringIO(text, newline=""), 200)]
    lines = [line for line in lines if line][:20]
    first = lines[0]
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
        return json.loads(line)
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


def _sniff_delimiter(text: str) -> str:
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


def _csv_headers(text: str, delimiter: str, codec: str) -> list[str]:
    records = _records(text, delimiter)
    raw = next(records, None)
    if raw is None:
        raise ImportFileError("The file is empty.")
    if len(raw) > MAX_COLUMNS:
        raise ImportFileError(
            f"The header row has {len(raw):,} columns; at most {MAX_COLUMNS} can be imported."
        )
    if any(_BAD_TEXT.search(name) for name in raw):
        raise ImportFileError(
            f"The header row is not valid {codec} text: choose the file's encoding."
        )
    if any(_LOOKS_LIKE_ADDRESS.fullmatch(name.strip()) for name in raw):
        raise ImportFileError(
            "The first row holds data (an email address), not column names: add a first row "
            "naming the columns, e.g. email,name."
        )
    if next(records, None) is None:
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


def _jsonl_keys(text: str, codec: str) -> list[str]:
    keys: dict[str, None] = {}
    for line in islice(io.StringIO(text, newline=""), 1000):
        record = _json_or_none(line) if line.strip() else None
        if isinstance(record, dict):
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
    if any(_BAD_TEXT.search(key) for key in keys):
        raise ImportFileError(f"The keys are not valid {codec} text: choose the file's encoding.")
    return list(keys)


# --- reading rows -------------------------------------------------------------------------


class _TooLong(Exception):
    """A record passed MAX_RECORD_CHARS; the rest of its physical line has been skipped."""


class _Lines:
    """The physical lines of the text, at most MAX_RECORD_CHARS each, counted, and checked
    for undecodable bytes and NULs (noted for the record in progress, not raised)."""

    __slots__ = ("bad_line", "eof", "lines", "nul", "record_chars", "text")

    def __init__(self, text: io.TextIOWrapper) -> None:
        self.text = text
        self.lines = 0
        self.record_chars = 0
        self.bad_line = 0  # first line of the current record with undecodable bytes or a NUL
        self.nul = False
        self.eof = False

    def __iter__(self) -> Iterator[str]:
        readline = self.text.readline
        limit = MAX_RECORD_CHARS + 1
        search = _BAD_TEXT.search
        while True:
            line = readline(limit)
            if not line:
                self.eof = True
                return
            self.lines += 1
            self.record_chars += len(line)
            if self.record_chars > MAX_RECORD_CHARS:
                if len(line) == limit:
                    _skip_rest(readline, line)
                raise _TooLong
            if (not line.isascii() and search(line)) or "\x00" in line:
                if not self.bad_line:
                    self.bad_line = self.lines
                    self.nul = "\x00" in line
            yield line

    def start_record(self) -> None:
        self.record_chars = 0
        self.bad_line = 0


def _skip_rest(readline, line: str) -> None:
    """Read past the rest of an over-long physical line, a bounded piece at a time."""
    while line and line[-1] not in "\r\n":
        line = readline(MAX_RECORD_CHARS)


def _span(first: int, last: int) -> str:
    return f"line {first}" if first >= last else f"lines {first}–{last}"


class RowReader:
    """The records of a sniffed file as `Row`s, streamed: memory stays bounded (about
    MAX_RECORD_CHARS) whatever the file's size. `skip` = records already done (resuming)."""

    def __init__(self, path: str | Path, sniffed: Sniffed, *, skip: int = 0) -> None:
        self.path = Path(path)
        self.sniffed = sniffed
        self.skip = max(0, skip)
        self._raw: io.BufferedReader | None = None
        self._done = False

    @property
    def fraction(self) -> float:
        """0..1: bytes consumed / file size (to within a read buffer), for progress bars."""
        if self._done or self.sniffed.size <= 0:
            return 1.0 if self._done else 0.0
        raw = self._raw
        if raw is None or raw.closed:
            return 0.0
        return min(1.0, raw.tell() / self.sniffed.size)

    def __iter__(self) -> Iterator[Row]:
        self._done = False
        with self.path.open("rb") as raw:
            self._raw = raw
            text = io.TextIOWrapper(raw, encoding=self.sniffed.encoding, errors=_ESCAPE, newline="")
            try:
                if self.sniffed.format == "jsonl":
                    yield from self._jsonl_rows(text)
                else:
                    yield from self._csv_rows(text)
            finally:
                self._raw = None
        self._done = True

    def _csv_rows(self, text: io.TextIOWrapper) -> Iterator[Row]:
        headers = self.sniffed.headers
        width = len(headers)
        delimiter = self.sniffed.delimiter
        codec = self.sniffed.encoding
        skip = self.skip
        lines = _Lines(text)
        reader = csv.reader(lines, delimiter=delimiter)
        header_done = False
        number = 0
        while True:
            start = lines.lines + 1
            lines.start_record()
            ended_before = lines.eof
            error = None
            try:
                fields = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                fields = None
                error = self._csv_error(exc, start, lines.lines)
            except _TooLong:
                reader = csv.reader(lines, delimiter=delimiter)
                fields = None
                error = f"record longer than {MAX_RECORD_CHARS:,} characters"
                if lines.lines > start:
                    error = f"{_span(start, lines.lines)}: {error} (a quote that is never closed?)"
            else:
                if not any(fields):
                    continue  # a blank line, or only delimiters
            if not header_done:
                header_done = True
                continue
            number += 1
            if number <= skip:
                continue
            if error is None:
                if lines.bad_line:
                    what = "contains a NUL character" if lines.nul else f"not valid {codec} text"
                    error = f"line {lines.bad_line}: {what}"
                elif lines.eof and not ended_before:
                    error = (
                        f"{_span(start, lines.lines)}: a quoted value is not closed before the "
                        "end of the file"
                    )
                elif len(fields) != width and (len(fields) < width or any(fields[width:])):
                    error = f"{len(fields)} fields, the header has {width}"
                elif (
                    lines.record_chars > MAX_FIELD_CHARS and max(map(len, fields)) > MAX_FIELD_CHARS
                ):
                    error = f"field longer than {MAX_FIELD_CHARS:,} characters"
            if error is None:
                yield _row(number, start, dict(zip(headers, fields, strict=False)), None)
            else:
                yield _row(number, start, None, error)

    @staticmethod
    def _csv_error(exc: csv.Error, start: int, end: int) -> str:
        if "field larger than field limit" in str(exc):
            error = f"field longer than {MAX_FIELD_CHARS:,} characters"
            if end > start:
                error = f"{_span(start, end)}: {error} (a quote that is never closed?)"
            return error
        return f"not valid CSV ({exc})"

    def _jsonl_rows(self, text: io.TextIOWrapper) -> Iterator[Row]:
        readline = text.readline
        limit = MAX_RECORD_CHARS + 1
        blank = dict.fromkeys(self.sniffed.headers, "")
        codec = self.sniffed.encoding
        skip = self.skip
        line_no = number = 0
        while True:
            line = readline(limit)
            if not line:
                return
            line_no += 1
            too_long = len(line) == limit and line[-1] not in "\r\n"
            if too_long:
                _skip_rest(readline, line)
            elif line.isspace():
                continue
            number += 1
            if number <= skip:
                continue
            if too_long:
                yield _row(
                    number, line_no, None, f"record longer than {MAX_RECORD_CHARS:,} characters"
                )
                continue
            if not line.isascii() and _BAD_TEXT.search(line):
                yield _row(number, line_no, None, f"line {line_no}: not valid {codec} text")
                continue
            values, error = _json_values(line)
            if error is None:
                yield _row(number, line_no, {**blank, **values}, None)
            else:
                yield _row(number, line_no, None, error)


def _json_values(line: str) -> tuple[dict[str, str], str | None]:
    """A JSON line as header -> text: null is "", true/false as written, numbers as Python
    writes them, a list of plain values joined with ", ", any other nesting as JSON text."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        return {}, f"not valid JSON ({exc.msg} at column {exc.colno})"
    except RecursionError:
        return {}, "not valid JSON (nested too deeply)"
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
