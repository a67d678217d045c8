from django.urls import include, path

from mailwright.api.api import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("webhooks/relay/", include("anymail.urls")),
    path("", include("mailwright.consent.urls")),
    path("", include("mailwright.web.urls")),
]
