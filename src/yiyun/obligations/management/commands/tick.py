import json
from datetime import datetime

from django.core.management.base import BaseCommand, CommandError

from yiyun.core import clock
from yiyun.core.clock import SHANGHAI
from yiyun.core.errors import DomainError
from yiyun.obligations.services import tick


class Command(BaseCommand):
    help = (
        "Evaluate the obligations once: reminders, breaches, lapses, renewals at expiry. "
        "--at ISO runs it as of that moment (a time without an offset is Beijing time); a "
        "moment earlier than the last tick is refused."
    )

    def add_arguments(self, parser):
        parser.add_argument("--at", help="ISO 8601 moment, e.g. 2026-12-01T00:00+08:00")

    def handle(self, *args, at=None, **options):
        if at:
            try:
                now = datetime.fromisoformat(at)
            except ValueError:
                raise CommandError(f"--at: not an ISO 8601 moment: {at!r}") from None
            if now.tzinfo is None:
                now = now.replace(tzinfo=SHANGHAI)
        else:
            now = clock.now()
        try:
            report = tick(now=now)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False))
