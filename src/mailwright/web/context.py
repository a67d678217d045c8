from django.conf import settings


def navigation(request):
    return {"organisation_name": settings.ORGANISATION_NAME}
