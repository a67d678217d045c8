"""The REST API, /api/v1 (django-ninja). OpenAPI document at /api/v1/openapi.json."""

from django.urls import URLPattern, re_path
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI

from mailwright.api import (
    attributes,
    audit,
    brand,
    campaign_audience,
    campaign_preview,
    campaign_schedule,
    campaigns,
    contacts,
    duplicates,
    errors,
    exclusion_groups,
    hygiene,
    imports,
    messages,
    organisation,
    outbox,
    segments,
    streams,
    suppressions,
    surveys,
    template_lint,
    templates,
    topics,
    webhooks,
)
from mailwright.api.auth import ApiKeyAuth
from mailwright.api.parser import StrictJSONParser


def _guard(view):
    """Refuse query parameters no database can compare (NUL), and give ninja's plain-text
    405 the API's error shape."""

    def wrapper(request, *args, **kwargs):
        for name, values in request.GET.lists():
            if any("\x00" in v for v in (name, *values)):
                return errors.json_error(
                    422, "invalid", f"{name}: contains a NUL character", name.replace("\x00", "")
                )
        response = view(request, *args, **kwargs)
        if response.status_code == 405 and response.get("Content-Type", "").startswith("text/"):
            allowed = response.get("Allow", "")
            out = errors.json_error(
                405,
                "method_not_allowed",
                f"{request.method} is not allowed here (allowed: {allowed})",
            )
            out["Allow"] = allowed
            return out
        return response

    wrapper.csrf_exempt = True
    return wrapper


@csrf_exempt
def _not_found(request, *args, **kwargs):
    return errors.json_error(404, "not_found", f"no API endpoint at {request.path}")


class MailwrightAPI(NinjaAPI):
    def _get_urls(self):
        urls = super()._get_urls()
        for pattern in urls:
            if isinstance(pattern, URLPattern):
                pattern.callback = _guard(pattern.callback)
        # Anything else under /api/v1/ is a JSON 404, not Django's HTML page.
        urls.append(re_path(r"^.*$", _not_found, name="not-found"))
        return urls


api = MailwrightAPI(
    title="Mailwright API",
    version="1",
    urls_namespace="api",
    auth=ApiKeyAuth(),
    parser=StrictJSONParser(),
    docs_url=None,
    description="Send `Authorization: Bearer KEY` (create one with `mailwright apikey create`).",
)
errors.install(api)
api.add_router("/topics", topics.router)
api.add_router("/contacts", duplicates.router)  # before /contacts/{id}
api.add_router("/contacts", contacts.router)
api.add_router("/attributes", attributes.router)
api.add_router("/segments", segments.router)
api.add_router("/templates", template_lint.router)  # before /templates/{id}
api.add_router("/brand", brand.router)
api.add_router("/organisation", organisation.router)
api.add_router("/templates", brand.starters_router)  # before /templates/{id}
api.add_router("/templates", templates.router)
api.add_router("/campaigns", campaigns.router)
api.add_router("/campaigns", campaign_schedule.router)  # unschedule, duplicate, A/B winner
api.add_router("/campaigns", campaign_audience.router)
api.add_router("/exclusion-groups", exclusion_groups.router)
campaign_audience.install(api)
exclusion_groups.install(api)
api.add_router(
    "/", campaign_preview.router
)  # /campaigns/{id}/preview|test, /templates/{id}/preview
api.add_router("/outbox", outbox.router)
api.add_router("/webhooks", webhooks.router)
api.add_router("/imports", imports.router)
api.add_router("/hygiene", hygiene.router)
api.add_router("/suppressions", suppressions.router)
api.add_router("/audit-log", audit.router)
api.add_router("/streams", streams.router)
api.add_router("/surveys", surveys.router)
api.add_router("/messages", messages.router)
