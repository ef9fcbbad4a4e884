from django.core.management.base import BaseCommand, CommandError

from yiyun.core.audit import audit_anchor, audit_verify


class Command(BaseCommand):
    help = (
        "Audit log tools. `yiyun audit verify` checks the whole hash chain against itself "
        "and the anchor file; `yiyun audit anchor` appends the chain's head to that file "
        "now (the worker does so hourly)."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["verify", "anchor"])

    def handle(self, *args, action, **options):
        if action == "anchor":
            anchor = audit_anchor()
            self.stdout.write(
                f"anchored entry {anchor['seq']} {anchor['hash']}"
                if anchor
                else "the chain's head is anchored already"
            )
            return
        report = audit_verify()
        if not report.ok:
            raise CommandError(
                f"audit chain broken at entry {report.bad_seq}: {report.reason} "
                f"({report.checked} entries before it are intact)"
            )
        anchored = (
            f"{report.anchors} anchored entries hold"
            if report.anchors
            else "no anchors yet: newest entries cut off would not show"
        )
        self.stdout.write(f"audit chain intact: {report.checked} entries ({anchored})")
