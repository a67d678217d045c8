"""Template context for every page: the organisation's name and the current nav section."""

from __future__ import annotations

from mailwright.consent import organisation

SECTIONS = (
    "contacts",
    "topics",
    "templates",
    "campaigns",
    "service",
    "outbox",
    "delivery",
    "privacy",
    "settings",
    "account",
    "feedback",
    "surveys",
)
# Pages of the Feedback area, whose paths do not start with "feedback/".
ALIASES = {"suppressions": "feedback", "inbound": "feedback", "webhooks": "feedback"}


def navigation(request):
    first = request.path.strip("/").split("/", 1)[0]
    first = ALIASES.get(first, first)
    section = first if first in SECTIONS else ("dashboard" if first == "" else "")
    found: list[str] = []

    def organisation_name() -> str:
        # A callable: templates call it only when they show the name, so pages that do not
        # (the public ones share this processor) make no query; one query per page at most.
        if not found:
            found.append(organisation.current().name)
        return found[0]

    return {"organisation_name": organisation_name, "nav_section": section}
