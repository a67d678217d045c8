"""Reading import files: formats, encodings, hostile files, limits, streaming, resuming."""

from __future__ import annotations

import gzip
import json
import random
import shutil
import struct
import sys
import tracemalloc
import unicodedata
import zipfile
import zlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailwright.imports.reading import (
    MAX_RECORD_CHARS,
    ImportFileError,
    Row,
    RowReader,
    sniff,
)

NAMES = {
    "pl": ["Łukasz Żółć", "Małgorzata Wiśniewska", "Grzegorz Brzęczyszczykiewicz", "Ewa Ślęzak"],
    "bg": ["Благовеста Иванова", "Стефан Петров", "Живко Цветков", "Йорданка Фъртунова"],
    "tr": ["Şükrü Çağlar", "Gülşen Yıldırım", "İsmail Öztürk", "Ayşe Doğan"],
    "vi": ["Nguyễn Thị Hương", "Trần Văn Đức", "Lê Thị Thanh Tâm", "Phạm Quốc Bảo"],
    "es": ["José Núñez", "María Gómez", "Íñigo Peña", "Begoña Muñoz"],
}


def to_cp1258(text: str) -> bytes:
    """Vietnamese as Windows-1258 holds it: the letters it has precomposed (â, ê, ô, ơ, ư, ă,
    đ …) and the tone as a combining mark, which is the only way Python's codec accepts it."""
    out = []
    for ch in text:
        try:
            ch.encode("cp1258")
            out.append(ch)
            continue
        except UnicodeEncodeError:
            pass
        base, *marks = unicodedata.normalize("NFD", ch)
        shape = "".join(m for m in marks if m in "\u0302\u0306\u031b")  # â ă ơ …
        tone = "".join(m for m in marks if m not in shape)
        out.append(unicodedata.normalize("NFC", base + shape) + tone)
    return "".join(out).encode("cp1258")


def csv_text(names: list[str], newline: str = "\n") -> str:
    lines = ["email,name"] + [f"p{i}@example.com,{name}" for i, name in enumerate(names)]
    return newline.join(lines) + newline


def rows(path: Path, **kwargs) -> list[Row]:
    return list(RowReader(path, sniff(path, **kwargs)))


def write(tmp_path: Path, data: bytes | str, name: str = "list.csv") -> Path:
    path = tmp_path / name
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8", newline="")
    else:
        path.write_bytes(data)
    return path


# --- formats ------------------------------------------------------------------------------


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_csv_quoted_values_embedded_newlines_and_line_numbers(tmp_path, newline):
    text = newline.join(
        [
            "Email,Name,Notes",
            'ana@x.pl,"Kowalska, Ana","first line' + newline + 'second line"',
            "",
            'bob@x.pl,Bob,"said ""hi"""',
        ]
    )
    path = write(tmp_path, text + newline)
    sniffed = sniff(path)
    assert (sniffed.format, sniffed.delimiter) == ("csv", ",")
    assert sniffed.headers == ["Email", "Name", "Notes"]
    got = list(RowReader(path, sniffed))
    assert [(r.number, r.line, r.error) for r in got] == [(1, 2, None), (2, 5, None)]
    assert got[0].values == {
        "Email": "ana@x.pl",
        "Name": "Kowalska, Ana",
        "Notes": "first line" + newline + "second line",
    }
    assert got[1].values["Notes"] == 'said "hi"'


@pytest.mark.parametrize(("delimiter", "fmt"), [(";", "csv"), ("\t", "tsv"), ("|", "csv")])
def test_delimiter_sniffed(tmp_path, delimiter, fmt):
    # Semicolons with decimal commas, as a Polish Excel writes them.
    text = f"email{delimiter}name{delimiter}score\nana@x.pl{delimiter}Ana{delimiter}3,5\n"
    path = write(tmp_path, text * 1)
    sniffed = sniff(path)
    assert (sniffed.format, sniffed.delimiter) == (fmt, delimiter)
    assert rows(path)[0].values == {"email": "ana@x.pl", "name": "Ana", "score": "3,5"}


def test_single_column_file(tmp_path):
    path = write(tmp_path, "email\nana@x.pl\nbob@x.pl\n")
    assert [r.values for r in rows(path)] == [{"email": "ana@x.pl"}, {"email": "bob@x.pl"}]


def test_jsonl_detected_from_content_not_extension(tmp_path):
    lines = [
        {"email": "ana@x.pl", "name": "Ana", "vip": True, "age": 31, "score": 2.5, "note": None},
        {"email": "bob@x.pl", "tags": ["vip", "2024"], "address": {"city": "Łódź"}},
        "not an object",
    ]
    text = "\n".join(json.dumps(line, ensure_ascii=False) for line in lines)
    path = write(tmp_path, text + '\n\n{"email": "cee@x.pl", broken\n', name="export.csv")
    sniffed = sniff(path)
    assert (sniffed.format, sniffed.delimiter) == ("jsonl", "")
    assert sniffed.headers == ["email", "name", "vip", "age", "score", "note", "tags", "address"]
    got = list(RowReader(path, sniffed))
    assert got[0].values["vip"] == "true" and got[0].values["age"] == "31"
    assert got[0].values["note"] == "" and got[0].values["tags"] == ""
    assert got[1].values["tags"] == "vip, 2024"
    assert got[1].values["address"] == '{"city":"Łódź"}'
    assert got[2].error == "not a JSON object but a string"
    assert got[3].line == 5 and got[3].error.startswith("not valid JSON (Expecting")
    assert [r.number for r in got] == [1, 2, 3, 4]


def test_hostile_json_lines(tmp_path):
    path = write(
        tmp_path,
        '{"email": "a@x.pl"}\n'
        + "[" * 100_000
        + "]" * 100_000
        + '\n{"email": "b@x.pl", "n": '
        + "9" * 5000
        + "}\n"
        + json.dumps({f"k{i}": i for i in range(600)})
        + '\n{"email": "c@x.pl", "note": "'
        + "x" * 70_000
        + '"}\n{"email": "d@x.pl", "nul": "\\u0000"}\n',
    )
    got = rows(path)
    assert [r.error for r in got] == [
        None,
        "not valid JSON (nested too deeply)",
        "not valid JSON (a number too long to read)",
        "600 fields, at most 500 can be imported",
        "field longer than 65,536 characters",
        "contains a NUL character",
    ]


def test_json_lines_with_too_many_keys_in_all(tmp_path):
    lines = [json.dumps({"email": f"p{i}@x.pl", f"k{i}": 1}) for i in range(600)]
    with pytest.raises(ImportFileError, match="more than 500 different keys"):
        sniff(write(tmp_path, "\n".join(lines)))


def test_format_can_be_forced(tmp_path):
    path = write(tmp_path, "email\tname\nana@x.pl\tAna, Maria\n", name="list.txt")
    assert sniff(path).format == "tsv"
    forced = sniff(path, format="csv")
    assert forced.format == "csv" and forced.delimiter == "\t"
    with pytest.raises(ImportFileError, match="Unknown format 'xls'"):
        sniff(path, format="xls")


def test_json_documents_that_are_not_json_lines(tmp_path):
    array = write(tmp_path, '[{"email": "ana@x.pl"}]', name="a.json")
    with pytest.raises(ImportFileError, match="JSON array, not JSON lines"):
        sniff(array)
    pretty = write(tmp_path, '{\n  "email": "ana@x.pl"\n}\n', name="b.json")
    with pytest.raises(ImportFileError, match="spread over several lines"):
        sniff(pretty)


def test_blank_and_repeated_header_names(tmp_path):
    path = write(tmp_path, "Email,,Name,Name\nana@x.pl,1,Ana,Maria\n")
    assert sniff(path).headers == ["Email", "column 2", "Name", "Name (2)"]


def test_wrong_field_count_is_a_row_error(tmp_path):
    path = write(tmp_path, "a,b,c,d,email\n1,2,3,4,ana@x.pl\n" + ",".join("x" * 27) + "\n1,2\n")
    path.write_text(path.read_text() + "1,2,3,4,bob@x.pl,,\n")  # trailing empty: fine
    got = rows(path)
    assert [r.error for r in got] == [
        None,
        "27 fields, the header has 5",
        "2 fields, the header has 5",
        None,
    ]
    assert got[3].values["email"] == "bob@x.pl"


# --- encodings ----------------------------------------------------------------------------

ENCODED = [
    ("utf-8", lambda t: t.encode("utf-8"), "pl"),
    ("utf-8-sig", lambda t: t.encode("utf-8-sig"), "vi"),
    ("utf-16", lambda t: t.encode("utf-16-le").join([b"\xff\xfe", b""]), "bg"),
    ("utf-16", lambda t: t.encode("utf-16-be").join([b"\xfe\xff", b""]), "tr"),
    ("utf-16-le", lambda t: t.encode("utf-16-le"), "pl"),
    ("utf-16-be", lambda t: t.encode("utf-16-be"), "es"),
    ("utf-16-le", lambda t: t.encode("utf-16-le"), "bg"),
    ("utf-16-be", lambda t: t.encode("utf-16-be"), "vi"),
    ("cp1250", lambda t: t.encode("cp1250"), "pl"),
    ("cp1251", lambda t: t.encode("cp1251"), "bg"),
    ("cp1254", lambda t: t.encode("cp1254"), "tr"),
    ("cp1258", to_cp1258, "vi"),
    ("cp1252", lambda t: t.encode("cp1252"), "es"),
]


@pytest.mark.parametrize(("encoding", "encode", "lang"), ENCODED)
def test_encodings_detected(tmp_path, encoding, encode, lang):
    names = NAMES[lang]
    path = write(tmp_path, encode(csv_text(names, "\r\n")))
    sniffed = sniff(path)
    assert (sniffed.encoding, sniffed.encoding_detected) == (encoding, True)
    assert sniffed.headers == ["email", "name"]
    got = [unicodedata.normalize("NFC", r.values["name"]) for r in RowReader(path, sniffed)]
    assert got == names


@pytest.mark.parametrize(
    ("name", "encode", "encoding"),
    [
        ("Łukasz Żółć", lambda t: t.encode("cp1250"), "cp1250"),
        ("Благовеста Иванова", lambda t: t.encode("cp1251"), "cp1251"),
        ("Şükrü Çağlar", lambda t: t.encode("cp1254"), "cp1254"),
        ("Nguyễn Thị Hương", to_cp1258, "cp1258"),
    ],
)
def test_one_name_is_enough_to_tell_the_code_page(tmp_path, name, encode, encoding):
    path = write(tmp_path, encode(f"email,name\nx@example.com,{name}\n"))
    assert sniff(path).encoding == encoding
    assert unicodedata.normalize("NFC", rows(path)[0].values["name"]) == name


def test_encoding_can_be_forced(tmp_path):
    path = write(tmp_path, csv_text(NAMES["pl"]).encode("cp1250"))
    forced = sniff(path, encoding="windows-1250")
    assert (forced.encoding, forced.encoding_detected) == ("cp1250", False)
    # Forcing the wrong one: the header is ASCII, the rows say what is wrong with them.
    wrong = sniff(path, encoding="utf-8")
    assert [r.error for r in RowReader(path, wrong)][:2] == [
        "line 2: not valid utf-8 text",
        "line 3: not valid utf-8 text",
    ]
    with pytest.raises(ImportFileError, match="Unknown encoding 'latin-9000'"):
        sniff(path, encoding="latin-9000")
    with pytest.raises(ImportFileError, match="not a text encoding"):
        sniff(path, encoding="rot13")


def test_mixed_encodings_reject_only_the_foreign_lines(tmp_path):
    lines = [b"email,name"]
    for i in range(40):
        name = NAMES["pl"][i % 4]
        encoding = "cp1250" if i in (5, 17) else "utf-8"
        lines.append(f"p{i}@x.pl,{name}".encode(encoding))
    # and one far beyond what sniff reads
    filler = [f"f{i}@x.pl,Zażółć gęślą jaźń".encode() for i in range(10_000)]
    late = "late@x.pl,Łukasz Żółć".encode("cp1250")
    path = write(tmp_path, b"\n".join([*lines, *filler, late]) + b"\n")
    sniffed = sniff(path)
    assert sniffed.encoding == "utf-8"
    got = list(RowReader(path, sniffed))
    errors = [(r.number, r.line, r.error) for r in got if r.error]
    assert errors == [
        (6, 7, "line 7: not valid utf-8 text"),
        (18, 19, "line 19: not valid utf-8 text"),
        (10_041, 10_042, "line 10042: not valid utf-8 text"),
    ]
    assert sum(1 for r in got if r.values) == 40 - 2 + 10_000
    assert got[0].values["name"] == "Łukasz Żółć"


def test_bad_line_in_a_utf8_file_with_bom(tmp_path):
    data = "email,name\na@x.pl,Ana\n".encode("utf-8-sig") + "b@x.pl,Łukasz\n".encode("cp1250")
    path = write(tmp_path, data)
    assert sniff(path).encoding == "utf-8-sig"
    assert [r.error for r in rows(path)] == [None, "line 3: not valid utf-8 text"]


# --- files that are not tabular text ------------------------------------------------------


def _png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0\0\0\0"))
        + chunk(b"IEND", b"")
    )


def _xlsx(path: Path) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        z.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships/>')
        z.writestr("xl/workbook.xml", '<?xml version="1.0"?><workbook/>')
        z.writestr("xl/worksheets/sheet1.xml", '<?xml version="1.0"?><worksheet/>')


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
HTML = "\n  <!DOCTYPE html>\n<html><head><title>Sign in</title></head><body>Log in</body></html>"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p.write_bytes(PDF), "a PDF document"),
        (
            _xlsx,
            r"an Excel workbook \(.xlsx\), not a CSV, TSV or JSON-lines file: save it as CSV first",
        ),
        (lambda p: p.write_bytes(_png()), "a PNG image"),
        (lambda p: shutil.copyfile(Path(sys.executable).resolve(), p), "a program"),
        (lambda p: p.write_bytes(random.Random(7).randbytes(100_000)), "not text"),
        (lambda p: p.write_text(HTML), "an HTML page"),
        (lambda p: p.write_bytes(gzip.compress(b"email\na@x.pl\n")), "gzip-compressed"),
    ],
)
def test_not_tabular_text(tmp_path, make, message):
    path = tmp_path / "contacts.csv"
    make(path)
    with pytest.raises(ImportFileError, match=message):
        sniff(path)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (b"\r\n  \n", "The file is empty."),
        (b"\xff\xfe", "The file is empty."),
        (b"email,name\r\n", "a header row but no data rows"),
        (b"email,name\n,\n\n", "a header row but no data rows"),
        (b"ana@x.pl,Ana\nbob@x.pl,Bob\n", "not column names"),
    ],
)
def test_empty_header_only_and_headerless(tmp_path, data, message):
    with pytest.raises(ImportFileError, match=message):
        sniff(write(tmp_path, data))


def test_leading_blank_lines_and_a_first_row_longer_than_the_sniffed_prefix(tmp_path):
    path = write(tmp_path, "\n" * 300 + "email,note\na@x.pl," + "n" * 300_000 + "\nb@x.pl,ok\n")
    sniffed = sniff(path)
    assert sniffed.headers == ["email", "note"]
    assert [(r.line, r.error) for r in RowReader(path, sniffed)] == [
        (302, "field longer than 65,536 characters"),
        (303, None),
    ]


# --- limits -------------------------------------------------------------------------------


def test_ten_million_column_header_refused_from_a_bounded_read(tmp_path):
    path = tmp_path / "wide.csv"
    with path.open("w") as f:
        for _ in range(100):
            f.write("c," * 100_000)
        f.write("c\nana@x.pl\n")
    tracemalloc.start()
    try:
        with pytest.raises(ImportFileError, match="more than 500 columns"):
            sniff(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8_000_000


def test_header_over_500_columns(tmp_path):
    path = write(tmp_path, ",".join(f"c{i}" for i in range(501)) + "\n" + "x," * 500 + "x\n")
    with pytest.raises(ImportFileError, match="501 columns; at most 500"):
        sniff(path)


def test_50_mb_line_is_streamed_past_and_reported(tmp_path):
    path = tmp_path / "long.csv"
    with path.open("w") as f:
        f.write("email,name\nana@x.pl,Ana\nbob@x.pl,")
        for _ in range(50):
            f.write("B" * 1_000_000)
        f.write("\ncee@x.pl,Cee\n")
    sniffed = sniff(path)
    tracemalloc.start()
    try:
        got = [(r.number, r.line, r.values, r.error) for r in RowReader(path, sniffed)]
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert got == [
        (1, 2, {"email": "ana@x.pl", "name": "Ana"}, None),
        (2, 3, None, f"record longer than {MAX_RECORD_CHARS:,} characters"),
        (3, 4, {"email": "cee@x.pl", "name": "Cee"}, None),
    ]
    assert peak < 12_000_000  # a few times the 1 MiB record limit, not 50 MB


def test_huge_fields(tmp_path):
    path = write(
        tmp_path,
        "email,note\na@x.pl," + "x" * 70_000 + '\nb@x.pl,"' + "y" * 300_000 + '"\nc@x.pl,fine\n',
    )
    got = rows(path)
    assert [(r.line, r.error) for r in got] == [
        (2, "field longer than 65,536 characters"),
        (3, "field longer than 65,536 characters"),
        (4, None),
    ]
    assert got[2].values == {"email": "c@x.pl", "note": "fine"}


def test_nul_bytes(tmp_path):
    path = write(tmp_path, b"email,name\na@x.pl,A\x00na\nb@x.pl,Bob\n")
    assert [(r.line, r.error) for r in rows(path)] == [
        (2, "line 2: contains a NUL character"),
        (3, None),
    ]
    mostly_nul = write(tmp_path, b"email,name\n" + b"\x00" * 5000, name="nul.csv")
    with pytest.raises(ImportFileError, match="not text"):
        sniff(mostly_nul)


def test_unbalanced_quote_at_end_of_file(tmp_path):
    path = write(tmp_path, 'email,name\na@x.pl,Ana\nb@x.pl,"Bob\nc@x.pl,Cee\n')
    got = rows(path)
    assert [(r.line, r.values, r.error) for r in got] == [
        (2, {"email": "a@x.pl", "name": "Ana"}, None),
        (3, None, "lines 3–4: a quoted value is not closed before the end of the file"),
    ]


def test_unbalanced_quote_mid_file_loses_only_a_bounded_stretch(tmp_path):
    good = "".join(f"p{i}@x.pl,Name {i}\n" for i in range(20_000))
    path = write(tmp_path, 'email,name\nq@x.pl,"Quote\n' + good)
    got = rows(path)
    assert got[0].line == 2
    assert got[0].error.endswith(
        "field longer than 65,536 characters (a quote that is never closed?)"
    )
    assert got[0].error.startswith("lines 2–")
    resumed = [r for r in got[1:] if r.values]
    assert len(resumed) > 10_000 and resumed[-1].values["email"] == "p19999@x.pl"


# --- streaming, resuming, progress --------------------------------------------------------


def _generated(path: Path, count: int) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        f.write("email,first_name,last_name,tags\r\n")
        for i in range(count):
            f.write(f'user{i}@example.com,Łukasz,Żółć {i},"vip,new"\r\n')
    return path


def _peak_while_reading(path: Path) -> tuple[int, int]:
    sniffed = sniff(path)
    tracemalloc.start()
    try:
        count = sum(1 for _ in RowReader(path, sniffed))
        return count, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_does_not_grow_with_the_row_count(tmp_path):
    small, small_peak = _peak_while_reading(_generated(tmp_path / "s.csv", 20_000))
    large, large_peak = _peak_while_reading(_generated(tmp_path / "l.csv", 200_000))
    assert (small, large) == (20_000, 200_000)
    assert large_peak < 2_000_000
    assert large_peak < small_peak * 1.5


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_skip_resumes_after_the_records_already_done(tmp_path, fmt):
    if fmt == "csv":
        text = "email,name\n" + "".join(
            f'p{i}@x.pl,"Name\n{i}"\n' if i % 7 != 3 else f"p{i}@x.pl,1,2\n\n" for i in range(100)
        )
    else:
        text = "".join(
            json.dumps({"email": f"p{i}@x.pl"}) + "\n" if i % 7 != 3 else "oops\n\n"
            for i in range(100)
        )
    path = write(tmp_path, text)
    sniffed = sniff(path)
    everything = list(RowReader(path, sniffed))
    assert len(everything) == 100 and sum(1 for r in everything if r.error) == 14
    for skip in (0, 1, 7, 50, 99, 100, 150):
        assert list(RowReader(path, sniffed, skip=skip)) == everything[skip:]


def test_fraction_reports_progress(tmp_path):
    path = _generated(tmp_path / "p.csv", 60_000)
    reader = RowReader(path, sniff(path))
    assert reader.fraction == 0.0
    seen = []
    for row in reader:
        if row.number % 10_000 == 0:
            seen.append(reader.fraction)
    assert reader.fraction == 1.0
    assert seen == sorted(seen)
    assert seen[2] == pytest.approx(0.5, abs=0.02)
    assert seen[-1] == pytest.approx(1.0, abs=0.02)


# --- never a crash ------------------------------------------------------------------------

_PIECES = st.sampled_from(
    [b"email", b"name", b"a@x.pl", b",", b";", b"\t", b"|", b'"', b"\n", b"\r", b"\r\n", b"{",
     b"}", b"[", b'"email": ', b"\x00", b"\xff\xfe", b"\xef\xbb\xbf", "Łó".encode(),
     "Łó".encode("cp1250"), "Ж".encode("cp1251"), b"\x81", b"\xc3", b" "]
)  # fmt: skip


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(pieces=st.lists(_PIECES, max_size=60), fmt=st.sampled_from([None, "csv", "tsv", "jsonl"]))
def test_any_bytes_give_a_file_error_or_rows(tmp_path, pieces, fmt):
    path = write(tmp_path, b"".join(pieces), name="fuzz.csv")
    try:
        sniffed = sniff(path, format=fmt)
    except ImportFileError as exc:
        assert str(exc)
        return
    for row in RowReader(path, sniffed):
        assert (row.values is None) != (row.error is None)
        assert row.number >= 1 and row.line >= 1
