from django.urls import include, path

from mailwright.api.api import api
from mailwright.delivery.views import metrics
from mailwright.feedback.sns import verified_ses_tracking

urlpatterns = [
    path("api/v1/", api.urls),
    path("metrics", metrics, name="metrics"),
    # Amazon SES: our SNS signature check runs before anymail (which does not verify it).
    path("webhooks/relay/amazon_ses/tracking/", verified_ses_tracking, name="ses_tracking"),
    path("webhooks/relay/", include("anymail.urls")),
    path("", include("mailwright.consent.urls")),
    path("", include("mailwright.web.urls")),
]
