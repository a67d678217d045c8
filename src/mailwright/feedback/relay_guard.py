"""The door in front of the relay webhooks (django-anymail at /webhooks/relay/).

- Without MW_WEBHOOK_SECRET, anymail would accept *unauthenticated* events (only warning),
  so anyone could report bounces and complaints and suppress any address: those endpoints
  answer 403 until the secret is set. (Amazon SES is authenticated by its SNS signature
  instead; sns.py.)
- A relay whose own setting is missing (e.g. Mailgun's signing key) is 404 with the reason,
  not a 500 on every request.
- A payload anymail cannot parse (not UTF-8, not JSON, nested too deeply, fields missing) is
  a 400; the request was authenticated first, so this is logged.
"""

from __future__ import annotations

import functools
import logging

from anymail import urls as anymail_urls
from anymail.exceptions import AnymailConfigurationError
from django.conf import settings
from django.http import JsonResponse
from django.urls import URLPattern
from django.views.decorators.csrf import csrf_exempt

log = logging.getLogger(__name__)


def _error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message, "field": None}}, status=status)


def guard(view, *, require_secret: bool = True):
    @csrf_exempt
    @functools.wraps(view)
    def guarded(request, *args, **kwargs):
        if require_secret and not (settings.ANYMAIL or {}).get("WEBHOOK_SECRET"):
            return _error(
                403, "webhooks_off", "relay webhooks are off until MW_WEBHOOK_SECRET is set"
            )
        try:
            return view(request, *args, **kwargs)
        except AnymailConfigurationError as exc:
            log.warning("relay webhook %s is not configured: %s", request.path, exc)
            return _error(404, "not_configured", "this relay's webhook is not configured")
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
            log.warning(
                "refused a relay webhook payload at %s: %s: %s",
                request.path,
                type(exc).__name__,
                str(exc)[:200],
            )
            return _error(400, "bad_payload", "the webhook payload could not be read")

    return guarded


def urlpatterns() -> list[URLPattern]:
    """anymail's URL patterns, each view behind `guard`."""
    return [
        URLPattern(p.pattern, guard(p.callback), p.default_args, p.name)
        for p in anymail_urls.urlpatterns
    ]
