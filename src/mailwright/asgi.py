"""ASGI entry point: the tracking fast path in front of the Django app."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mailwright.settings")
django_application = get_asgi_application()

from mailwright.feedback.tracking_views import TrackingFastPath  # noqa: E402 - after setup

application = TrackingFastPath(django_application)
