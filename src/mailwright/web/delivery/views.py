"""Staff pages of the Delivery area: relays, destination-domain policies, DKIM keys and the
DNS check, and the reputation and analytics of the sending streams. Thin views over
mailwright.delivery and the read models of mailwright.feedback."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mailwright.campaigns.models import Campaign
from mailwright.conf import RelayConfig
from mailwright.delivery import actions, dkim, dns_check, limits, relays
from mailwright.delivery.models import DkimKey, DomainPolicy, Relay, RelayState, UsageCounter
from mailwright.delivery.relays import redact_relay_url
from mailwright.feedback import reputation
from mailwright.feedback.reports import STREAM_WINDOW, stream_figures
from mailwright.web.delivery.forms import (
    DkimGenerateForm,
    DkimRotateForm,
    DnsCheckForm,
    DomainPolicyForm,
    RelayForm,
)
from mailwright.web.shell.alerts import alerts
from mailwright.web.shell.helpers import staff_actor


@login_required
@require_GET
def delivery_home(request):
    return redirect("web:relay_list")


# --- relays -----------------------------------------------------------------------------------


def _limits(url: str) -> tuple[dict, str]:
    """The limits written in a relay URL (as given there), or the reason it does not parse."""
    try:
        config = RelayConfig(url)
    except ImproperlyConfigured as exc:
        return {}, str(exc)
    query = {k: v[-1] for k, v in parse_qs(urlsplit(url).query).items()}
    rate = query.get("rate") or ""
    if rate and "/" not in rate:
        rate += "/s"
    return {
        "rate": rate,
        "concurrency": config.concurrency,
        "daily": config.daily,
        "host": config.host,
        "port": config.port,
        "tls": config.tls,
    }, ""


def _relay_rows(now) -> list[dict]:
    rows = list(Relay.objects.all())
    states = {s.key: s for s in RelayState.objects.filter(key__in=[r.name for r in rows])}
    out = []
    for relay in rows:
        parsed, error = _limits(relay.url)
        state = states.get(relay.name)
        used = limits.daily_used(relay.name)
        daily = parsed.get("daily")
        out.append(
            {
                "relay": relay,
                "display": redact_relay_url(relay.url),
                "limits": parsed,
                "error": redact_relay_url(error) if error else "",
                "used": used,
                "daily": daily,
                "daily_percent": min(100, round(100 * used / daily)) if daily else None,
                "throttled_until": state.throttled_until
                if state and state.throttled_until and state.throttled_until > now
                else None,
                "backoff_seconds": state.backoff_seconds if state else 0,
                "last_error": state.last_error if state else "",
            }
        )
    return out


def _workers_use() -> dict:
    """What relays.configured() gives the workers now, and where it comes from."""
    choices = relays.configured()
    ui_names = set(Relay.objects.filter(enabled=True).values_list("name", flat=True))
    from_ui = any(c.key in ui_names for c in choices)
    capture = (settings.CAPTURE_HOST, settings.CAPTURE_PORT)
    return {
        "from_ui": from_ui,
        "choices": [
            {
                "key": c.key,
                "display": redact_relay_url(c.config.display),
                "streams": sorted(c.streams),
                "weight": c.weight,
                "capture": (c.config.host, c.config.port) == capture,
            }
            for c in choices
        ],
    }


@login_required
@require_http_methods(["GET", "POST"])
def relay_list(request):
    form = RelayForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                relay = actions.do_save_relay(None, form.cleaned_data, by=staff_actor(request))
            except IntegrityError:
                form.add_error("name", "A relay with this name exists already.")
            else:
                messages.success(request, f"Relay “{relay.name}” added.")
                return redirect("web:relay_list")
        form.hide_secrets()
    context = {
        "rows": _relay_rows(timezone.now()),
        "workers": _workers_use(),
        "form": form,
        "delivery_tab": "relays",
    }
    return render(request, "web/delivery/relays.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def relay_edit(request, relay_id: int):
    relay = get_object_or_404(Relay, pk=relay_id)
    form = RelayForm(request.POST or None, relay=relay)
    if request.method == "POST":
        if form.is_valid():
            data = {k: v for k, v in form.cleaned_data.items() if k != "name"}
            actions.do_save_relay(relay, data, by=staff_actor(request))
            messages.success(request, f"Relay “{relay.name}” saved.")
            return redirect("web:relay_list")
        form.hide_secrets()
    context = {"relay": relay, "form": form, "delivery_tab": "relays"}
    return render(request, "web/delivery/relay_edit.html", context)


@login_required
@require_POST
def relay_toggle(request, relay_id: int, enable: bool):
    relay = get_object_or_404(Relay, pk=relay_id)
    actions.do_set_relay_enabled(relay, enable, by=staff_actor(request))
    if enable:
        messages.success(request, f"Relay “{relay.name}” enabled.")
    else:
        messages.success(request, f"Relay “{relay.name}” disabled: the workers stop using it.")
    return redirect("web:relay_list")


@login_required
@require_POST
def relay_delete(request, relay_id: int):
    relay = get_object_or_404(Relay, pk=relay_id)
    actions.do_delete_relay(relay, by=staff_actor(request))
    messages.success(request, f"Relay “{relay.name}” deleted.")
    return redirect("web:relay_list")


# --- destination domains ------------------------------------------------------------------------


def _policy_rows(now) -> list[dict]:
    policies = list(DomainPolicy.objects.all())
    window = limits.hour_start(now)
    used = dict(
        UsageCounter.objects.filter(
            scope__in=[f"domain-hour:{p.domain}" for p in policies], window_start=window
        ).values_list("scope", "used")
    )
    rows = []
    for policy in policies:
        cap = limits.hourly_cap(policy, now)
        rows.append(
            {
                "policy": policy,
                "cap": cap,
                "used": used.get(f"domain-hour:{policy.domain}", 0),
                "warming": cap < policy.hourly_cap,
            }
        )
    return rows


@login_required
@require_http_methods(["GET", "POST"])
def domain_list(request):
    form = DomainPolicyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            policy = actions.do_save_domain_policy(None, form.cleaned_data, by=staff_actor(request))
        except IntegrityError:
            form.add_error("domain", "There is a policy for this domain already.")
        else:
            messages.success(request, f"Policy for {policy.domain} added.")
            return redirect("web:domain_list")
    now = timezone.now()
    context = {
        "rows": _policy_rows(now),
        "hour": limits.hour_start(now),
        "form": form,
        "delivery_tab": "domains",
    }
    return render(request, "web/delivery/domains.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def domain_edit(request, policy_id: int):
    policy = get_object_or_404(DomainPolicy, pk=policy_id)
    form = DomainPolicyForm(request.POST or None, policy=policy)
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_save_domain_policy(policy, form.cleaned_data, by=staff_actor(request))
        except IntegrityError:
            form.add_error("domain", "There is a policy for this domain already.")
        else:
            messages.success(request, f"Policy for {policy.domain} saved.")
            return redirect("web:domain_list")
    context = {"policy": policy, "form": form, "delivery_tab": "domains"}
    return render(request, "web/delivery/domain_edit.html", context)


@login_required
@require_POST
def domain_delete(request, policy_id: int):
    policy = get_object_or_404(DomainPolicy, pk=policy_id)
    actions.do_delete_domain_policy(policy, by=staff_actor(request))
    messages.success(request, f"Policy for {policy.domain} deleted: its mail is no longer capped.")
    return redirect("web:domain_list")


@login_required
@require_POST
def domain_warmup(request, policy_id: int):
    policy = get_object_or_404(DomainPolicy, pk=policy_id)
    if not policy.warmup_start:
        messages.error(request, f"Set a warm-up start for {policy.domain} first.")
        return redirect("web:domain_edit", policy.pk)
    actions.do_start_warmup(policy, by=staff_actor(request))
    now = policy.warmup_started_at
    messages.success(
        request,
        f"Warm-up of {policy.domain} started: {limits.hourly_cap(policy, now):,} messages per"
        f" hour today, growing ×{policy.warmup_growth:g} a day up to {policy.hourly_cap:,}.",
    )
    return redirect("web:domain_list")


# --- DKIM -----------------------------------------------------------------------------------------


def _key_groups(now) -> list[dict]:
    groups: dict[str, list[dict]] = {}
    keys = DkimKey.objects.defer("private_key_pem").order_by("domain", "-created_at", "-id")
    for key in keys:
        name, value = dkim.dns_record(key)
        groups.setdefault(key.domain, []).append(
            {
                "key": key,
                "state": dkim.key_state(key, now),
                "record_name": name,
                "record_value": value,
                "retire_after": key.retired_at + dkim.RETIRING_PERIOD if key.retired_at else None,
            }
        )
    return [{"domain": domain, "keys": keys} for domain, keys in groups.items()]


@login_required
@require_http_methods(["GET", "POST"])
def dkim_list(request):
    form = DkimGenerateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            key = actions.do_generate_dkim_key(
                form.cleaned_data["domain"], form.cleaned_data["algorithm"], by=staff_actor(request)
            )
        except dkim.InvalidDomain as exc:
            form.add_error("domain", _sentence(exc))
        except dkim.UnknownAlgorithm as exc:
            form.add_error("algorithm", _sentence(exc))
        else:
            messages.success(
                request,
                f"Key {key.selector} made for {key.domain}. Publish its TXT record below before"
                " sending: mail is signed with it from now on.",
            )
            return redirect(f"{reverse('web:dkim_list')}#domain-{key.domain}")
    context = {
        "groups": _key_groups(timezone.now()),
        "form": form,
        "algorithms": DkimRotateForm.base_fields["algorithm"].choices,
        "delivery_tab": "dkim",
    }
    return render(request, "web/delivery/dkim.html", context)


def _sentence(exc: Exception) -> str:
    text = str(exc)
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


@login_required
@require_POST
def dkim_rotate(request):
    form = DkimRotateForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Could not rotate: choose a domain and an algorithm.")
        return redirect("web:dkim_list")
    domain, algorithm = form.cleaned_data["domain"], form.cleaned_data["algorithm"]
    if not algorithm:
        # "Same algorithm": that of the domain's newest key, even when none is active any more
        # (dkim.rotate would then choose Ed25519, which Gmail does not verify).
        newest = DkimKey.objects.filter(domain=domain.strip().lower()).order_by("-created_at")
        algorithm = newest.values_list("algorithm", flat=True).first() or dkim.RSA
    try:
        key = actions.do_rotate_dkim_key(domain, algorithm, by=staff_actor(request))
    except (dkim.InvalidDomain, dkim.UnknownAlgorithm) as exc:
        messages.error(request, f"Could not rotate: {exc}")
        return redirect("web:dkim_list")
    messages.success(
        request,
        f"New key {key.selector} for {key.domain}; the previous one is retiring. Publish the new"
        " TXT record now and keep the old one for 7 days.",
    )
    return redirect(f"{reverse('web:dkim_list')}#domain-{key.domain}")


@login_required
@require_GET
def dns_check_page(request):
    form = DnsCheckForm(request.GET or None)
    report = None
    if form.is_valid():
        try:
            report = dns_check.check(
                form.cleaned_data["domain"],
                resolver=dns_check.make_resolver(),
                relay_host=form.cleaned_data["relay_host"] or None,
            )
        except dkim.InvalidDomain as exc:
            form.add_error("domain", _sentence(exc))
    context = {"form": form, "report": report, "delivery_tab": "dkim"}
    return render(request, "web/delivery/dns_check.html", context)


# --- reputation -----------------------------------------------------------------------------------


@login_required
@require_GET
def reputation_page(request):
    reports = reputation.all_streams(timezone.now())
    paused = (
        Campaign.objects.filter(state=Campaign.State.PAUSED)
        .exclude(paused_reason="")
        .order_by("-id")
    )
    context = {
        "reports": reports,
        "alerts": alerts(reports),
        "paused": paused,
        "guard": {
            "min": settings.GUARD_MIN_DELIVERIES,
            "bounce": reputation.percent(settings.GUARD_BOUNCE_RATE),
            "complaint": reputation.percent(settings.GUARD_COMPLAINT_RATE),
        },
        "delivery_tab": "reputation",
    }
    return render(request, "web/delivery/reputation.html", context)


@login_required
@require_GET
def stream_analytics(request):
    context = {
        "streams": stream_figures(timezone.now()),
        "days": STREAM_WINDOW.days,
        "delivery_tab": "analytics",
    }
    return render(request, "web/delivery/analytics.html", context)
