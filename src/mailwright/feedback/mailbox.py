"""Mailbox polling for operators who cannot run the inbound SMTP server: IMAP (with a
folder and a processed-message marker) or POP3, configured by a URL:

  imaps://user:pass@imap.example.com/Bounces?marker=flag           (default marker)
  imap://user:pass@127.0.0.1:1143/INBOX?tls=starttls&marker=move:Processed
  pop3s://user:pass@pop.example.com                                 (POP3: read, then delete)

Markers: `flag` sets the $MailwrightProcessed keyword (and \\Seen) and skips flagged mail;
`delete` deletes after processing; `move:FOLDER` copies to FOLDER then deletes. A message is
marked only after it is stored, so a crash means it is read again, never lost.
"""

from __future__ import annotations

import imaplib
import logging
import poplib
import ssl
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

from mailwright.feedback import processing
from mailwright.feedback.models import InboundMessage

log = logging.getLogger(__name__)
KEYWORD = "$MailwrightProcessed"
MAX_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class MailboxConfig:
    protocol: str  # imap | pop3
    host: str
    port: int
    tls: str  # none | starttls | tls
    username: str
    password: str
    folder: str
    marker: str  # flag | delete | move:FOLDER

    @classmethod
    def from_url(cls, url: str) -> MailboxConfig:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in {"imap", "imaps", "pop3", "pop3s"}:
            raise ImproperlyConfigured(
                "mailbox URL must start with imap://, imaps://, pop3:// or pop3s://"
            )
        if not parts.hostname or not parts.username:
            raise ImproperlyConfigured("mailbox URL needs a host and a user name")
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        protocol = "imap" if scheme.startswith("imap") else "pop3"
        tls = query.get("tls", "tls" if scheme.endswith("s") else "none")
        if tls not in {"none", "starttls", "tls"}:
            raise ImproperlyConfigured("mailbox URL tls= must be none, starttls or tls")
        default_port = {("imap", "tls"): 993, ("pop3", "tls"): 995}.get(
            (protocol, tls), 143 if protocol == "imap" else 110
        )
        marker = query.get("marker", "flag" if protocol == "imap" else "delete")
        if protocol == "pop3" and marker != "delete":
            raise ImproperlyConfigured("POP3 has no flags or folders: use marker=delete")
        if marker not in {"flag", "delete"} and not marker.startswith("move:"):
            raise ImproperlyConfigured("mailbox URL marker= must be flag, delete or move:FOLDER")
        return cls(
            protocol=protocol,
            host=parts.hostname,
            port=parts.port or default_port,
            tls=tls,
            username=unquote(parts.username),
            password=unquote(parts.password or ""),
            folder=unquote(parts.path.lstrip("/")) or "INBOX",
            marker=marker,
        )


def _ssl_context(verify: bool) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def _keep(raw: bytes, source: str, rcpt: str) -> InboundMessage:
    message = processing.store(raw[:MAX_BYTES], source=source, rcpt_to=rcpt)
    return processing.process(message)


def poll_imap(config: MailboxConfig, *, verify_tls: bool = True, timeout: float = 30) -> int:
    """Process every unprocessed message in the folder once; returns how many."""
    if config.tls == "tls":
        client = imaplib.IMAP4_SSL(
            config.host, config.port, ssl_context=_ssl_context(verify_tls), timeout=timeout
        )
    else:
        client = imaplib.IMAP4(config.host, config.port, timeout=timeout)
        if config.tls == "starttls":
            client.starttls(ssl_context=_ssl_context(verify_tls))
    count = 0
    try:
        client.login(config.username, config.password)
        client.select(_quote(config.folder))
        criteria = f"UNKEYWORD {KEYWORD}" if config.marker == "flag" else "ALL"
        _, data = client.uid("SEARCH", None, criteria)
        for uid in (data[0] or b"").split():
            _, fetched = client.uid("FETCH", uid, "(BODY.PEEK[])")
            raw = next((part[1] for part in fetched if isinstance(part, tuple)), None)
            if raw is None:
                continue
            _keep(raw, InboundMessage.Source.IMAP, config.username)
            if config.marker == "flag":
                client.uid("STORE", uid, "+FLAGS", f"({KEYWORD} \\Seen)")
            else:
                if config.marker.startswith("move:"):
                    client.uid("COPY", uid, _quote(config.marker[5:]))
                client.uid("STORE", uid, "+FLAGS", "(\\Deleted)")
            count += 1
        if config.marker != "flag":
            client.expunge()
    finally:
        try:
            client.logout()
        except (imaplib.IMAP4.error, OSError):
            pass
    return count


def poll_pop3(config: MailboxConfig, *, verify_tls: bool = True, timeout: float = 30) -> int:
    if config.tls == "tls":
        client = poplib.POP3_SSL(
            config.host, config.port, context=_ssl_context(verify_tls), timeout=timeout
        )
    else:
        client = poplib.POP3(config.host, config.port, timeout=timeout)
        if config.tls == "starttls":
            client.stls(context=_ssl_context(verify_tls))
    count = 0
    try:
        client.user(config.username)
        client.pass_(config.password)
        total, _ = client.stat()
        for number in range(1, total + 1):
            _, lines, _ = client.retr(number)
            _keep(b"\r\n".join(lines) + b"\r\n", InboundMessage.Source.POP3, config.username)
            client.dele(number)  # only after it is stored
            count += 1
    finally:
        try:
            client.quit()
        except (poplib.error_proto, OSError):
            pass
    return count


def poll(config: MailboxConfig, **kwargs) -> int:
    return (poll_imap if config.protocol == "imap" else poll_pop3)(config, **kwargs)


def _quote(folder: str) -> str:
    escaped = folder.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'
