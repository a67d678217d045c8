"""The errors of an SMTP session: `SmtpError` and its kinds."""

from __future__ import annotations


class SmtpError(Exception):
    """The relay or the connection failed in a way that concerns the whole session."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class SmtpProtocolError(SmtpError):
    """The relay sent something that is not an SMTP reply, or an unexpected one."""


class StartTlsUnavailable(SmtpError):
    """tls="starttls" was configured but the relay does not offer STARTTLS."""


class InsecureAuthError(SmtpError):
    """Credentials would travel in clear text to a host that is not this machine."""


class AuthError(SmtpError):
    """The relay refused our login, or offers no mechanism we support."""


class _ServiceClosing(SmtpError):
    """The relay answered 421: it is closing the connection."""
