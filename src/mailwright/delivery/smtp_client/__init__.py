"""A lean, pipelined SMTP client for the bulk-sending path.

One `SmtpClient` is one connection to a relay. `send_batch()` sends a list of envelopes
(one sender, one recipient, pre-built message bytes each) and returns one `SendResult` per
envelope, in order. With PIPELINING (RFC 2920) each message costs one write and one round
trip: MAIL/RCPT/DATA go out together, and the message content goes out together with the
next message's MAIL/RCPT/DATA group. Without PIPELINING it falls back to lock-step.

Classification (see docs/delivery.md):

- 2xx after the content: "sent".
- 5xx to RCPT, to DATA or after the content: "permanent" (hard bounce), except 503 (bad
  sequence) and 530 (authentication required), which are about our session, not the address.
- 4xx anywhere: "temporary".
- anything refused at MAIL FROM (or AUTH): "temporary", never a bounce: the relay refused
  *our* sender, which is not the recipient's fault.
- 421, a broken connection, a malformed reply or a timeout: "temporary" for every message
  not yet answered; the connection is dropped and the next `send_batch()` reconnects.
- an address that can never be put on the wire (CR, LF, NUL, "<", ">"), a non-ASCII address
  when the relay lacks SMTPUTF8, or a message above the relay's SIZE limit: "unsupported",
  and nothing is sent for that message.

The message bytes must use CRLF line endings; they are dot-stuffed here.
"""

from __future__ import annotations

from mailwright.delivery.results import Envelope
from mailwright.delivery.smtp_client.client import SmtpClient
from mailwright.delivery.smtp_client.errors import (
    AuthError,
    InsecureAuthError,
    SmtpError,
    SmtpProtocolError,
    StartTlsUnavailable,
)
from mailwright.delivery.smtp_client.wire import dot_stuff

__all__ = [
    "AuthError",
    "Envelope",
    "InsecureAuthError",
    "SmtpClient",
    "SmtpError",
    "SmtpProtocolError",
    "StartTlsUnavailable",
    "dot_stuff",
]
