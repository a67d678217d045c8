from __future__ import annotations

from ninja.security import HttpBearer

from mailwright.api import keys


class ApiKeyAuth(HttpBearer):
    def authenticate(self, request, token: str):
        record = keys.authenticate(token)
        if record is None:
            return None
        request.api_key = record
        return record
