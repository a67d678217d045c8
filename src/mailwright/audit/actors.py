"""Who or what made a change, and from where: one value passed to every action."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    """`channel` is how the change came in (ui, api, cli, form, one_click, unsubscribe_page,
    preferences, mailto, complaint, bounce, relay_webhook, guard, worker, import, privacy);
    `actor` names who (a user name, "api key 3 (crm)", "recipient", a component); `kind` is
    one of KINDS; `ref` the user's or key's id."""

    channel: str
    actor: str = ""
    source_ip: str = ""
    user_agent: str = ""
    kind: str = "system"
    ref: str = ""

    KINDS = ("user", "api_key", "public_link", "system")

    @classmethod
    def from_user(cls, request, channel: str = "ui") -> Actor:
        user = request.user
        return cls(
            channel=channel,
            actor=user.get_username(),
            kind="user",
            ref=str(user.pk),
            **_where(request),
        )

    @classmethod
    def from_api_key(cls, request) -> Actor:
        key = getattr(request, "api_key", None)
        return cls(
            channel="api",
            actor=f"api key {key.id} ({key.name})" if key else "api",
            kind="api_key",
            ref=str(key.id) if key else "",
            **_where(request),
        )

    @classmethod
    def public(cls, request, channel: str) -> Actor:
        """A recipient acting through a signed public link or form."""
        return cls(channel=channel, actor="recipient", kind="public_link", **_where(request))

    @classmethod
    def system(cls, component: str, channel: str | None = None) -> Actor:
        return cls(channel=channel or component, actor=component, kind="system")


def _where(request) -> dict:
    return {
        "source_ip": request.META.get("REMOTE_ADDR", ""),
        "user_agent": request.META.get("HTTP_USER_AGENT", "")[:400],
    }
