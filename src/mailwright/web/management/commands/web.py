import uvicorn
from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the web app (ASGI, uvicorn) on MW_HTTP_ADDR."

    def add_arguments(self, parser):
        parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")

    def handle(self, *args, **opts):
        uvicorn.run(
            "mailwright.asgi:application",
            host=settings.HTTP_HOST,
            port=settings.HTTP_PORT,
            workers=opts["workers"],
            log_level="info",
            proxy_headers=True,
            lifespan="auto",
            # MW_LOG_FORMAT=json: uvicorn's lines go through Django's LOGGING (JSON) too.
            **({"log_config": None} if settings.LOG_FORMAT == "json" else {}),
        )
