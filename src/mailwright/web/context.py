"""Template context for every page: the organisation's name and the current nav section."""

from __future__ import annotations

from django.conf import settings

SECTIONS = ("contacts", "topics", "templates", "campaigns", "outbox", "account")


def navigation(request):
    first = request.path.strip("/").split("/", 1)[0]
    section = first if first in SECTIONS else ("dashboard" if first == "" else "")
    return {"organisation_name": settings.ORGANISATION_NAME, "nav_section": section}
