from django.urls import include, path

from mailwright.api.api import api
from mailwright.feedback import relay_guard
from mailwright.feedback.sns import verified_ses_tracking

urlpatterns = [
    path("api/v1/", api.urls),
    # Amazon SES: our SNS signature check runs before anymail (which does not verify it).
    path(
        "webhooks/relay/amazon_ses/tracking/",
        relay_guard.guard(verified_ses_tracking, require_secret=False),
        name="ses_tracking",
    ),
    # Unauthenticated events are refused, broken payloads are a 400 (relay_guard.py).
    path("webhooks/relay/", include((relay_guard.urlpatterns(), "anymail"))),
    path("", include("mailwright.consent.urls")),
    path("", include("mailwright.web.urls")),
]
