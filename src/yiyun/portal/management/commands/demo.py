import subprocess
import sys

from django.core.management import call_command
from django.core.management.base import BaseCommand

from yiyun.obligations.services import tick_now
from yiyun.portal.demo import (
    demo_password,
    load_demo_people,
    load_demo_website,
    load_seed_contract,
)


class Command(BaseCommand):
    help = (
        "Migrate, load the seed contract as demo data (idempotent: a second run keeps "
        "everything), print the demo logins and start the web server."
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-serve", action="store_true", help="load data only")

    def handle(self, *args, host, port, no_serve, **options):
        call_command("migrate", interactive=False, verbosity=0)
        load_seed_contract()
        password = demo_password()
        logins = load_demo_people(password)
        load_demo_website()
        url = f"http://{host}:{port}/"
        self.stdout.write(self.style.SUCCESS(f"\n医云 yiyun demo: {url}\n"))
        self.stdout.write(f"Demo logins (password for all: {password})")
        for entry in logins:
            self.stdout.write(f"  {entry['username']:<16} {entry['role']:<18} {entry['name']}")
        self.stdout.write("")
        # Evaluate every clock once now, so the dashboard shows today's state at once.
        tick_now()
        if not no_serve:
            self._start_worker()
            call_command("serve", host=host, port=port)

    def _start_worker(self):
        # The worker runs beside the web server (deadlines, outbox, probes, backups) and
        # shares its terminal: Ctrl-C stops both.
        subprocess.Popen([sys.executable, "-m", "yiyun.cli", "worker"])  # noqa: S603
