"""`mailwright hygiene check [--offline] [--summary] [FILE]`: one JSON verdict per address
(one address a line, from FILE or standard input), in input order, streamed (docs/hygiene.md).
"""

from __future__ import annotations

import ipaddress
import json
import os
import sys
from collections.abc import Iterator
from typing import BinaryIO

import dns.resolver
from django.core.management.base import BaseCommand, CommandError

from mailwright.contacts.hygiene import Checker, Summary, Verdict

MAX_LINE_BYTES = 4096
_SHOWN = 80  # characters of an unreadable line echoed back as its "address"


def _shown(raw: bytes) -> str:
    text = raw.decode("utf-8", "replace").strip()
    return text if len(text) <= _SHOWN else text[:_SHOWN] + "…"


def read_addresses(stream: BinaryIO) -> Iterator[str | Verdict]:
    """Each non-blank line as text, or an invalid Verdict for a line that is too long or not
    UTF-8. Reads at most MAX_LINE_BYTES + 1 bytes of a line at a time: a huge line (or a file
    without line breaks) never sits in memory."""
    first = True
    while chunk := stream.readline(MAX_LINE_BYTES + 1):
        if first and chunk.startswith(b"\xef\xbb\xbf"):
            chunk = chunk[3:]
        first = False
        if not chunk.endswith(b"\n") and len(chunk) > MAX_LINE_BYTES:
            while (rest := stream.readline(65536)) and not rest.endswith(b"\n"):
                pass  # skip the rest of the line
            yield Verdict.rejected(
                _shown(chunk), f"The line is longer than {MAX_LINE_BYTES} bytes."
            )
            continue
        raw = chunk.rstrip(b"\r\n")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            yield Verdict.rejected(
                _shown(raw),
                f"The line is not valid UTF-8 (byte 0x{raw[exc.start]:02x} at position "
                f"{exc.start + 1}).",
            )
            continue
        if text.strip():
            yield text


def _resolver(nameserver: str) -> dns.resolver.Resolver:
    host, port = nameserver, 53
    if nameserver.count(":") == 1 or nameserver.startswith("["):  # IPv4:PORT or [IPv6]:PORT
        host, _, port_text = nameserver.rpartition(":")
        host = host.strip("[]")
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise CommandError(f"--nameserver: bad port in {nameserver!r}")
        port = int(port_text)
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise CommandError(f"--nameserver must be an IP address, got {host!r}") from None
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [host]
    resolver.port = port
    return resolver


class Command(BaseCommand):
    help = (
        "Address hygiene: `hygiene check [--offline] [--summary] [FILE]` reads addresses, one "
        "a line, from FILE or standard input and prints one JSON verdict a line: address, "
        "valid, normalized, reasons, suggestion, risk (ok, role, disposable, typo, no_mx, "
        "invalid)."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", metavar="{check}")
        sub.required = True
        chk = sub.add_parser("check", help="check addresses, one a line")
        chk.add_argument("file", nargs="?", default="-", metavar="FILE", help="default: stdin")
        chk.add_argument("--offline", action="store_true", help="no DNS: syntax and lists only")
        chk.add_argument(
            "--timeout", type=float, default=2.0, help="seconds per domain for DNS (default 2)"
        )
        chk.add_argument(
            "--nameserver",
            metavar="IP[:PORT]",
            help="ask this DNS server instead of the system's resolvers",
        )
        chk.add_argument(
            "--summary", action="store_true", help="print a summary of the list to stderr"
        )

    def handle(self, *args, **opts):
        if opts["timeout"] <= 0:
            raise CommandError("--timeout must be more than 0 seconds")
        path = opts["file"]
        try:
            stream = sys.stdin.buffer if path == "-" else open(path, "rb")
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror or exc}") from None
        resolver = _resolver(opts["nameserver"]) if opts["nameserver"] else None
        checker = Checker(offline=opts["offline"], timeout=opts["timeout"], resolver=resolver)
        summary = Summary()
        try:
            for verdict in checker.check_many(read_addresses(stream)):
                summary.add(verdict)
                self.stdout.write(json.dumps(verdict.as_dict(), ensure_ascii=False))
            self.stdout.flush()
        except BrokenPipeError:  # `… | head`: the reader has seen enough
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return
        finally:
            if stream is not sys.stdin.buffer:
                stream.close()
        if opts["summary"]:
            self.stderr.write(json.dumps(summary.as_dict(), ensure_ascii=False))
