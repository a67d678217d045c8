"""ASGI entry point: the tracking fast path in front of the Django app."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mailwright.settings")
django_application = get_asgi_application()

from mailwright.feedback.tracking_views import TrackingFastPath  # noqa: E402 - after setup

# MW_TRACKING_FAST_PATH=0 sends tracking requests through Django too (the bench's baseline).
if os.environ.get("MW_TRACKING_FAST_PATH", "1") == "0":
    application = django_application
else:
    application = TrackingFastPath(django_application)
