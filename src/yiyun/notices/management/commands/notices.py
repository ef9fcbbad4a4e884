"""`yiyun notices proof ID` prints a notice's delivery proof; `yiyun notices outbox` sends
what is due once (what `yiyun worker` does every few seconds)."""

import hashlib
import json

from django.core.management.base import BaseCommand, CommandError

from yiyun.core import clock
from yiyun.notices.models import Notice
from yiyun.notices.selectors import deliveries_purged


class Command(BaseCommand):
    help = "Notices: print the delivery proof of a notice (4.5), or run the outbox once."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        proof = sub.add_parser("proof", help="print every delivery of a notice (4.5)")
        proof.add_argument("notice_id", type=int)
        proof.add_argument("--json", action="store_true", help="one JSON document")
        proof.add_argument("--pdf", metavar="FILE", help="also write the PDF proof to FILE")
        sub.add_parser("outbox", help="send what is due now, once")

    def handle(self, *args, action, **options):
        if action == "outbox":
            from yiyun.notices.outbox import delivered_sweep, outbox_process

            report = outbox_process()
            delivered_sweep()
            self.stdout.write(json.dumps(report.as_dict()))
            return
        self._proof(options["notice_id"], as_json=options["json"], pdf=options["pdf"])

    def _proof(self, notice_id: int, *, as_json: bool, pdf: str | None) -> None:
        notice = (
            Notice.objects.select_related("organisation", "contract").filter(pk=notice_id).first()
        )
        if notice is None:
            raise CommandError(f"no notice {notice_id}")
        deliveries = list(
            notice.deliveries.select_related("recipient", "organisation").order_by("kind", "pk")
        )
        purged = deliveries_purged(deliveries)
        rows = []
        for delivery in deliveries:
            payload = bytes(delivery.payload)
            rows.append(
                {
                    "id": delivery.pk,
                    "channel": delivery.kind,
                    "recipient": delivery.recipient.name if delivery.recipient else "",
                    "organisation": delivery.organisation.name,
                    "address": delivery.address,
                    "state": delivery.state,
                    "sent_at": clock.local(delivery.sent_at).isoformat()
                    if delivery.sent_at
                    else None,
                    "attempts": delivery.attempts,
                    "status": delivery.response_status,
                    "message_id": delivery.response_id,
                    "sha256": delivery.sha256,
                    # The stored payload still hashes to the recorded value.
                    "intact": bool(delivery.sha256)
                    and hashlib.sha256(payload).hexdigest() == delivery.sha256,
                    # The purge deleted the copy (6.5), the hash stays; else an empty
                    # payload is a mismatch.
                    "payload_deleted": delivery.pk in purged,
                    "idempotency_key": delivery.idempotency_key,
                }
            )
        letter = getattr(notice, "letter", None) if notice.letter_kind else None
        head = {
            "notice": notice.pk,
            "kind": notice.kind,
            "letter_kind": notice.letter_kind,
            "subject": notice.subject,
            "from": notice.organisation.name,
            "contract": notice.contract.number if notice.contract else "",
            "sent_at": clock.local(notice.sent_at).isoformat() if notice.sent_at else None,
            "delivered_at": clock.local(notice.delivered_at).isoformat()
            if notice.delivered_at
            else None,
            "letter": {"reference": letter.reference, "sha256": letter.sha256} if letter else None,
        }
        if as_json:
            self.stdout.write(
                json.dumps({**head, "deliveries": rows}, ensure_ascii=False, indent=2)
            )
        else:
            self.stdout.write(
                f"notice #{notice.pk} [{notice.kind}] {notice.subject}\n"
                f"from {head['from']}  sent {head['sent_at']}  delivered (4.5) {head['delivered_at']}"
            )
            if letter:
                self.stdout.write(f"letter {letter.reference} sha256 {letter.sha256}")
            for row in rows:
                check = (
                    ""
                    if row["intact"] or not row["sha256"]
                    else " PAYLOAD DELETED (6.5)"
                    if row["payload_deleted"]
                    else " MISMATCH"
                )
                self.stdout.write(
                    f"{row['id']:>6} {row['channel']:<9} {row['state']:<8} "
                    f"{row['sent_at'] or '-':<32} attempts={row['attempts']} "
                    f"status={row['status'] or '-'} id={row['message_id'] or '-'} "
                    f"{row['recipient'] or row['organisation']} <{row['address']}> "
                    f"key={row['idempotency_key']} sha256={row['sha256'] or '-'}{check}"
                )
            self.stdout.write(f"{len(rows)} deliveries")
        if pdf:
            from yiyun.notices.pdf import proof_pdf

            with open(pdf, "wb") as out:
                out.write(
                    proof_pdf(
                        notice=notice,
                        deliveries=deliveries,
                        recipients=notice.recipients.select_related("organisation"),
                        at=clock.now(),
                    )
                )
