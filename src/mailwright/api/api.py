"""The REST API, /api/v1 (django-ninja). OpenAPI document at /api/v1/openapi.json."""

from ninja import NinjaAPI

from mailwright.api import campaigns, contacts, errors, outbox, templates, topics
from mailwright.api.auth import ApiKeyAuth

api = NinjaAPI(
    title="Mailwright API",
    version="1",
    urls_namespace="api",
    auth=ApiKeyAuth(),
    docs_url=None,
    description="Send `Authorization: Bearer KEY` (create one with `mailwright apikey create`).",
)
errors.install(api)
api.add_router("/topics", topics.router)
api.add_router("/contacts", contacts.router)
api.add_router("/templates", templates.router)
api.add_router("/campaigns", campaigns.router)
api.add_router("/outbox", outbox.router)
