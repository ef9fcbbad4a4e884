from django.core.management.base import BaseCommand, CommandError

from yiyun.core.audit import audit_verify


class Command(BaseCommand):
    help = "Audit log tools. `yiyun audit verify` checks the whole hash chain."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["verify"])

    def handle(self, *args, action, **options):
        report = audit_verify()
        if not report.ok:
            raise CommandError(
                f"audit chain broken at entry {report.bad_seq}: {report.reason} "
                f"({report.checked} entries before it are intact)"
            )
        self.stdout.write(f"audit chain intact: {report.checked} entries")
