from __future__ import annotations

import re

from ninja.security import HttpBearer

from mailwright.api import keys
from mailwright.api.errors import ApiError
from mailwright.api.models import ApiKey

# What a key with scope "send" may call (paths under /api/v1): sending service messages,
# reading them back, and listing the service templates.
SEND_SCOPE = (
    ("POST", re.compile(r"^/messages/?$")),
    ("POST", re.compile(r"^/messages/batch/?$")),
    ("GET", re.compile(r"^/messages(/[0-9]+)?/?$")),
)


def allowed(record: ApiKey, request) -> bool:
    if record.scope != ApiKey.Scope.SEND:
        return True
    path = request.path_info
    path = path[len("/api/v1") :] if path.startswith("/api/v1") else path
    if request.method == "GET" and re.match(r"^/templates/?$", path):
        return request.GET.get("kind") == "service"
    return any(request.method == m and rx.match(path) for m, rx in SEND_SCOPE)


class ApiKeyAuth(HttpBearer):
    def authenticate(self, request, token: str):
        record = keys.authenticate(token)
        if record is None:
            return None
        if not allowed(record, request):
            raise ApiError(
                403,
                "forbidden_scope",
                f"this API key has the scope {record.scope!r}: it may only send service"
                " messages (POST /messages, /messages/batch), read them (GET /messages)"
                " and list the service templates (GET /templates?kind=service)",
            )
        request.api_key = record
        return record
