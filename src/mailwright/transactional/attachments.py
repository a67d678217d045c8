"""Attachments of a service message: checked, decoded and sanitised before anything is
queued. `[{"filename", "content_type", "content" (base64)}]`, at most MAX_FILES files and
MAX_TOTAL_BYTES decoded bytes; executables and scripts are refused by extension and type."""

from __future__ import annotations

import base64
import binascii
import re
import unicodedata

from mailwright.transactional.errors import SendError

MAX_FILES = 10
MAX_TOTAL_BYTES = 10 * 1024 * 1024

FORBIDDEN_EXTENSIONS = frozenset(
    "ade adp apk app appx bat cab chm cmd com cpl dll dmg exe hta inf ins isp iso jar js jse "
    "lib lnk msc msi msix msp mst nsh pif ps1 ps1xml ps2 psc1 psm1 reg scf scr sct sh shb sys "
    "vb vbe vbs vhd vxd wsc wsf wsh xll".split()
)
FORBIDDEN_TYPES = frozenset(
    {
        "application/x-msdownload",
        "application/x-msdos-program",
        "application/x-ms-installer",
        "application/x-msi",
        "application/x-dosexec",
        "application/x-executable",
        "application/x-sh",
        "application/x-bat",
        "application/x-csh",
        "application/java-archive",
        "application/x-java-archive",
        "application/javascript",
        "application/x-javascript",
        "text/javascript",
        "application/ecmascript",
        "text/vbscript",
        "application/x-vbscript",
        "application/hta",
        "application/vnd.microsoft.portable-executable",
        "application/x-apple-diskimage",
        "application/vnd.android.package-archive",
    }
)
_CONTENT_TYPE = re.compile(
    r"^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,63}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$"
)
_KEYS = {"filename", "content_type", "content"}


def sanitise_filename(raw: str) -> str:
    """The name alone (no directory), without control characters or line breaks, NFC,
    at most 150 characters (the extension kept)."""
    name = unicodedata.normalize("NFC", raw).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = " ".join(name.split()).strip(" .")
    if len(name) > 150:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 149 - len(ext)] + dot + ext) if dot and len(ext) <= 16 else name[:150]
    return name


def _extensions(filename: str) -> list[str]:
    # Every suffix counts: "invoice.pdf.exe" and "setup.exe.txt"-style tricks alike.
    return [part.lower() for part in filename.split(".")[1:]]


def check(items) -> list[dict]:
    """Return the attachments ready for the ledger ({"filename", "content_type",
    "content"}, content re-encoded as plain base64) or raise SendError naming the item."""
    if items is None:
        return []
    if not isinstance(items, list):
        raise SendError("invalid_attachment", "attachments must be a list", "attachments")
    if len(items) > MAX_FILES:
        raise SendError(
            "too_many_attachments",
            f"at most {MAX_FILES} attachments per message ({len(items)} given)",
            "attachments",
        )
    out, total = [], 0
    for i, item in enumerate(items):
        where = f"attachments[{i}]"
        if not isinstance(item, dict) or set(item) - _KEYS or "content" not in item:
            raise SendError(
                "invalid_attachment",
                f"{where}: must be an object with filename, content_type and content (base64)",
                where,
            )
        raw_name = item.get("filename")
        if not isinstance(raw_name, str) or not sanitise_filename(raw_name):
            raise SendError(
                "invalid_attachment",
                f"{where}.filename: a file name is required",
                f"{where}.filename",
            )
        filename = sanitise_filename(raw_name)
        content_type = item.get("content_type") or "application/octet-stream"
        if not isinstance(content_type, str) or not _CONTENT_TYPE.match(content_type.strip()):
            raise SendError(
                "invalid_attachment",
                f"{where}.content_type: not a MIME type (like application/pdf)",
                f"{where}.content_type",
            )
        content_type = content_type.strip().lower()
        bad_ext = [e for e in _extensions(filename) if e in FORBIDDEN_EXTENSIONS]
        if bad_ext or content_type in FORBIDDEN_TYPES:
            what = f".{bad_ext[0]} files" if bad_ext else content_type
            raise SendError(
                "forbidden_attachment",
                f"{where}: {what} may not be attached (executables and scripts are refused)",
                f"{where}.filename" if bad_ext else f"{where}.content_type",
            )
        content = item.get("content")
        if not isinstance(content, str):
            raise SendError(
                "invalid_attachment", f"{where}.content: must be base64 text", f"{where}.content"
            )
        if len(content) > (MAX_TOTAL_BYTES // 3 + 2) * 4 + len(content) // 38:
            raise SendError(
                "too_large",
                f"attachments are larger than {MAX_TOTAL_BYTES // (1024 * 1024)} MB in total",
                where,
                status=413,
            )
        try:
            data = base64.b64decode("".join(content.split()), validate=True)
        except (binascii.Error, ValueError):
            raise SendError(
                "invalid_attachment", f"{where}.content: not valid base64", f"{where}.content"
            ) from None
        total += len(data)
        if total > MAX_TOTAL_BYTES:
            raise SendError(
                "too_large",
                f"attachments are larger than {MAX_TOTAL_BYTES // (1024 * 1024)} MB in total"
                f" ({total} bytes decoded by {where})",
                where,
                status=413,
            )
        out.append(
            {
                "filename": filename,
                "content_type": content_type,
                "content": base64.b64encode(data).decode("ascii"),
                "size": len(data),
            }
        )
    return out
