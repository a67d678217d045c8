from django.urls import include, path

from mailwright.api.api import api
from mailwright.feedback import relay_views
from mailwright.ops.views import metrics

urlpatterns = [
    path("api/v1/", api.urls),
    path("metrics", metrics, name="metrics"),
    # Relay tracking webhooks: authenticated, stored raw, then processed (relay_views).
    path("webhooks/relay/<slug:relay>/tracking/", relay_views.tracking, name="relay_tracking"),
    path("", include("mailwright.web.public.urls")),
    path("", include("mailwright.web.urls")),
]

handler400 = "mailwright.web.shell.errors.bad_request"
handler404 = "mailwright.web.shell.errors.page_not_found"
handler500 = "mailwright.web.shell.errors.server_error"
