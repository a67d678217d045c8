"""What kind of file an import was given: refusing what is not text (by its signature), and
detecting the text encoding from a bounded prefix (docs/importing.md, "File formats and
encodings")."""

from __future__ import annotations

import codecs
import re
import unicodedata
import zipfile
from collections import Counter
from pathlib import Path

import charset_normalizer


class ImportFileError(ValueError):
    """The whole file is unusable; the message says why, in words for the person importing."""


# Legacy code pages we detect, in order of preference when their scores tie. cp1252 is not in
# the list but is what Excel writes for Spanish, German and French on Windows;
# for those letters cp1254 decodes the same bytes to the same text.
LEGACY = ("cp1252", "cp1250", "cp1251", "cp1254", "cp1258")

_SAVE_AS_CSV = "save it as CSV (File → Save as → CSV UTF-8) and import that file"

# (signature at offset 0, what the file is). ZIP files are looked into (XLSX, ODS, DOCX).
_SIGNATURES = (
    (b"%PDF-", "a PDF document"),
    (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        f"an Excel 97–2003 workbook (.xls) or other Office file: {_SAVE_AS_CSV}",
    ),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"RIFF", "a media file (RIFF)"),
    (b"\x7fELF", "a program (ELF executable)"),
    (b"MZ", "a Windows program"),
    (b"\xcf\xfa\xed\xfe", "a macOS program"),
    (b"\x1f\x8b", "a gzip-compressed file: decompress it first"),
    (b"BZh", "a bzip2-compressed file: decompress it first"),
    (b"\xfd7zXZ\x00", "an xz-compressed file: decompress it first"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive: unpack it and import the CSV file inside"),
    (b"Rar!", "a RAR archive: unpack it and import the CSV file inside"),
    (b"SQLite format 3\x00", "an SQLite database"),
    (b"{\\rtf", "a rich-text (RTF) document"),
)
_MARKUP = re.compile(r"\s*<(!doctype\s+html|html|head|body|table|\?xml)\b", re.IGNORECASE)


def refuse_non_text(path: Path, prefix: bytes) -> None:
    """Raise ImportFileError when the prefix shows a known non-text file."""
    for magic, what in _SIGNATURES:
        if prefix.startswith(magic):
            raise ImportFileError(f"This file is {what}, not a CSV, TSV or JSON-lines file.")
    if prefix.startswith(b"PK\x03\x04") or prefix.startswith(b"PK\x05\x06"):
        raise ImportFileError(f"This file is {_zip_kind(path)}, not a CSV, TSV or JSON-lines file.")


def _zip_kind(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()[:200]
    except (zipfile.BadZipFile, OSError, ValueError):
        names = []
    if any(name.startswith("xl/") for name in names):
        return f"an Excel workbook (.xlsx): {_SAVE_AS_CSV}"
    if "content.xml" in names and "mimetype" in names:
        return f"an OpenDocument file (.ods): {_SAVE_AS_CSV}"
    if any(name.startswith("word/") for name in names):
        return "a Word document (.docx)"
    return "a ZIP archive: unpack it and import the CSV file inside"


def refuse_markup(text: str) -> None:
    """An HTML page (often a 'download' that was really a login or error page) or XML."""
    match = _MARKUP.match(text[:2000])
    if match:
        what = "an XML document" if match.group(1) == "?xml" else "an HTML page"
        raise ImportFileError(
            f"This file is {what}, not a CSV, TSV or JSON-lines file "
            "(a page saved from the browser instead of the exported file?)."
        )


def text_codec(name: str) -> str:
    """The Python name of a text encoding the caller forced, or ImportFileError."""
    try:
        info = codecs.lookup(name)
    except (LookupError, TypeError):
        raise ImportFileError(f"Unknown encoding {name!r}.") from None
    if not getattr(info, "_is_text_encoding", True):
        raise ImportFileError(f"{name!r} is not a text encoding.")
    return info.name


# --- encoding detection -------------------------------------------------------------------


def detect_encoding(prefix: bytes, *, complete: bool) -> str:
    """The encoding of a file from its first bytes (`complete`: the prefix is the whole file).

    Order: a byte-order mark; UTF-16 without one (every other byte zero); valid UTF-8 wins
    (also when most lines are UTF-8 and a few are not: those become row errors); otherwise
    the legacy code page whose decoding gives the letters of its languages (see `_score`).
    """
    if prefix.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if prefix.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32"
    if prefix.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    bomless = _bomless_utf16(prefix)
    if bomless:
        return bomless
    _refuse_binary(prefix)
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(prefix, final=complete)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    if _mostly_utf8(prefix):
        return "utf-8"
    return _best_legacy(prefix)


def _bomless_utf16(prefix: bytes) -> str | None:
    sample = prefix[:8192]
    half = len(sample) // 2
    if half < 8:
        return None
    even_zeros = sample[0::2].count(0) / half
    odd_zeros = sample[1::2].count(0) / half
    # Latin text in UTF-16 has a zero in (nearly) every other byte; Cyrillic or Vietnamese
    # has none, and is left to the BOM (which every Windows program writes).
    if odd_zeros > 0.4 and even_zeros < 0.05:
        return "utf-16-le"
    if even_zeros > 0.4 and odd_zeros < 0.05:
        return "utf-16-be"
    return None


_CONTROL = bytes(c for c in range(32) if c not in (9, 10, 12, 13))


def _refuse_binary(prefix: bytes) -> None:
    sample = prefix[:65536]
    if not sample:
        return
    controls = len(sample) - len(sample.translate(None, _CONTROL))
    # A few stray NULs or control characters in a text file are row errors; this many means
    # the file is not text at all.
    if controls / len(sample) > 0.02:
        raise ImportFileError(
            "This file is not text (it looks like binary data), so it is not a CSV, TSV or "
            "JSON-lines file."
        )


def _mostly_utf8(prefix: bytes) -> bool:
    """More lines with valid non-ASCII UTF-8 than lines that are not UTF-8: a UTF-8 file with
    a few lines pasted from elsewhere."""
    good = bad = 0
    for line in prefix.splitlines()[:-1] or prefix.splitlines():
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
            good += 1
        except UnicodeDecodeError:
            bad += 1
    return good > bad


# Letters expected in each code page's languages: weight 2 for letters that only that
# language uses, 1 for letters it shares. A wrong code page turns the bytes into letters of
# another alphabet or into symbols, which score -1.
_POLISH = "ąćęłńśźżĄĆĘŁŃŚŹŻ"
_CENTRAL = "óÓáéíúýčďěňřšťžůÁÉÍÚÝČĎĚŇŘŠŤŽŮőűŐŰăâîşţĂÂÎŞŢ"
_TURKISH = "ğıİşŞĞ"
_WESTERN = "áéíóúñüÁÉÍÓÚÑÜàèìòùÀÈÌÒÙâêîôûÂÊÎÔÛäëïöÄËÏÖçÇßœŒæÆøØåÅãõÃÕÿ"
_VIETNAMESE = "ăđơưĂĐƠƯ\u0300\u0301\u0303\u0309\u0323"
_VIETNAMESE_SHARED = "âêôÂÊÔàáèéìíòóùúýÀÁÈÉÌÍÒÓÙÚÝ"
# Typography that every one of these code pages has; it says nothing about which one.
_NEUTRAL = set("€‚„…†‡‰‹›‘’“”•–—™°±§©®«»¶·×÷¿¡¢£¥¤¦¨¬\u00a0\u00ad")


def _weights() -> dict[str, dict[str, int]]:
    def table(*groups: tuple[str, int]) -> dict[str, int]:
        out: dict[str, int] = {}
        for letters, weight in groups:
            for ch in letters:
                out.setdefault(ch, weight)
        return out

    cyrillic = "".join(chr(c) for c in range(0x400, 0x460))
    return {
        "cp1250": table((_POLISH, 2), (_CENTRAL, 1)),
        "cp1251": table((cyrillic, 2)),
        "cp1252": table((_WESTERN, 1)),
        "cp1254": table((_TURKISH, 2), (_WESTERN, 1)),
        "cp1258": table((_VIETNAMESE, 2), (_VIETNAMESE_SHARED, 1)),
    }


_WEIGHTS = _weights()


def _score(codec: str, counts: Counter[int]) -> int:
    weights = _WEIGHTS[codec]
    total = 0
    for byte, count in counts.items():
        try:
            char = bytes((byte,)).decode(codec)
        except UnicodeDecodeError:
            total -= 3 * count  # a byte this code page does not define
            continue
        if char in _NEUTRAL:
            continue
        weight = weights.get(char)
        if weight is None:
            weight = -1 if unicodedata.category(char)[0] in "LMS" else 0
        total += weight * count
    return total


def _best_legacy(prefix: bytes) -> str:
    counts = Counter(prefix.translate(None, bytes(range(128))))
    scores = {codec: _score(codec, counts) for codec in LEGACY}
    best = max(scores.values())
    tied = [codec for codec in LEGACY if scores[codec] == best]
    if len(tied) == 1 and best > 0:
        return tied[0]
    # Our letter tables cannot tell (another language, or symbols only): ask a general
    # detector, restricted to the candidates our tables could not separate.
    candidates = tied if best > 0 else list(LEGACY)
    guess = charset_normalizer.from_bytes(prefix[:65536], cp_isolation=candidates).best()
    if guess is not None and guess.encoding in candidates:
        return guess.encoding
    return candidates[0]
