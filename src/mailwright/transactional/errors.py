"""Why a service message was not accepted: a code, a message and the field it is about.
The API turns it into its error shape with `status`; the UI and the CLI show `message`."""

from __future__ import annotations


class SendError(ValueError):
    def __init__(self, code: str, message: str, field: str | None = None, *, status: int = 422):
        super().__init__(message)
        self.code, self.message, self.field, self.status = code, message, field, status
