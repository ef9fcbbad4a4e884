import os
import shutil
import sys

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "Run the production web server (gunicorn). Static files are served by whitenoise "
        "straight from the installed packages, so no collectstatic step is needed."
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("YIYUN_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("YIYUN_PORT", "8000")))
        parser.add_argument(
            "--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "2"))
        )

    def handle(self, *args, host, port, workers, **options):
        gunicorn = shutil.which("gunicorn", path=os.path.dirname(sys.executable)) or shutil.which(
            "gunicorn"
        )
        if gunicorn is None:
            raise CommandError("gunicorn is not installed in this environment")
        argv = [
            gunicorn,
            "yiyun.wsgi:application",
            "--bind",
            f"{host}:{port}",
            "--workers",
            str(workers),
            "--access-logfile",
            "-",
        ]
        sys.stdout.flush()
        os.execv(gunicorn, argv)  # noqa: S606 — replace this process with the server
