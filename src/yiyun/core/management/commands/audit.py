from django.core.management.base import BaseCommand, CommandError

from yiyun.core.audit import audit_acknowledge_cut, audit_anchor, audit_verify
from yiyun.core.errors import DomainError


class Command(BaseCommand):
    help = (
        "Audit log tools. `yiyun audit verify` checks the whole hash chain against itself "
        "and the anchor file; `yiyun audit anchor` appends the chain's head to that file "
        "now (the worker does so hourly); `yiyun audit acknowledge-cut --reason …` records, "
        "after restoring an older database backup, that the entries since are gone."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["verify", "anchor", "acknowledge-cut"])
        parser.add_argument(
            "--reason", default="", help="acknowledge-cut: why the chain is shorter"
        )

    def handle(self, *args, action, reason, **options):
        if action == "acknowledge-cut":
            try:
                anchor = audit_acknowledge_cut(reason=reason, by="command")
            except DomainError as error:
                raise CommandError(str(error)) from error
            self.stdout.write(
                f"cut acknowledged after entry {anchor['cut_after']}, as entry {anchor['seq']}"
            )
            return
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
