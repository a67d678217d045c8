from django.urls import include, path

from mailwright.api.api import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("", include("mailwright.consent.urls")),
    path("", include("mailwright.web.urls")),
]
