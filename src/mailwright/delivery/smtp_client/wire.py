"""What goes on the wire: command constants, dot-stuffing, the address checks made before
sending, and the classification of a refusal into a `SendResult`."""

from __future__ import annotations

from mailwright.delivery.results import SendResult

TEXT_LIMIT = 1000
_BAD_ADDRESS_CHARS = ("\r", "\n", "\x00", "<", ">")
_DATA = b"DATA\r\n"
_RSET = b"RSET\r\n"
_END_ONLY = b".\r\n"


def dot_stuff(data: bytes) -> bytes:
    """The DATA payload for `data`: dot-stuffed, CRLF-terminated, followed by ".\\r\\n"."""
    if data[:1] == b".":
        data = b"." + data
    data = data.replace(b"\r\n.", b"\r\n..")
    if data[-2:] != b"\r\n":
        return data + b"\r\n.\r\n"
    return data + b".\r\n"


def _address_problem(address: str, *, sender: bool) -> str | None:
    if not address and not sender:
        return "empty recipient address"
    for ch in _BAD_ADDRESS_CHARS:
        if ch in address:
            return f"address cannot be sent over SMTP (contains {ch!r}): {address!r}"[:TEXT_LIMIT]
    return None


def _text(code: int, text: bytes) -> str:
    return f"{code} {text.decode('utf-8', 'replace')}"[:TEXT_LIMIT]


def _refusal(code: int, text: bytes) -> SendResult:
    """The result for a refused RCPT, DATA or end of data."""
    if 500 <= code < 600 and code not in (503, 530):
        return SendResult("permanent", code, _text(code, text))
    return SendResult("temporary", code, _text(code, text))


def _sender_refused(code: int, text: bytes) -> SendResult:
    return SendResult("temporary", code, f"sender refused: {_text(code, text)}"[:TEXT_LIMIT])
