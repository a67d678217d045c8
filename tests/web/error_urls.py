"""The real URLs plus views that fail, for the 500 page tests (ROOT_URLCONF in those tests)."""

from django.db import OperationalError
from django.urls import path
from django.views import defaults

from mailwright import urls as real


def broken_view(request):
    raise RuntimeError("a bug")


def database_down(request):
    raise OperationalError("could not connect to server: Connection refused")


urlpatterns = [
    path("test-only/broken/", broken_view),
    path("test-only/database-down/", database_down),
    path("api/v1/test-only/broken/", broken_view),
    *real.urlpatterns,
]
handler404 = getattr(real, "handler404", defaults.page_not_found)
handler500 = getattr(real, "handler500", defaults.server_error)
