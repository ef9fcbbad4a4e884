"""Review 4: a purge of a letter's sender keeps the letter's deliveries (and their
payloads); an emptied letter payload is tampering, not the 6.5 purge."""

from yiyun.notices.models import Delivery
from yiyun.notices.tests.test_datalife import (  # noqa: F401
    _emptied,
    _line,
    _proof,
    _purge_finished,
    notices,
)
from yiyun.notices.datalife import purge_for
from yiyun.notices.choices import DeliveryState


def test_an_emptied_payload_of_a_letter_the_purged_customer_sent_is_a_mismatch(world, notices):
    letter = notices.sent  # written contract notice sent by customer A, kept with its payloads
    Delivery.objects.filter(notice=letter).update(state=DeliveryState.SENT)
    delivery = letter.deliveries.filter(sha256__gt="").exclude(organisation=world.customer_a).first()
    assert delivery is not None and bytes(delivery.payload)
    purge_for(world.customer_a)
    delivery.refresh_from_db()
    assert bytes(delivery.payload)  # the purge kept it
    _purge_finished(world.customer_a, notices.contract)
    Delivery.objects.filter(pk=delivery.pk).update(payload=b"")  # tampering afterwards
    text, rows = _proof(letter)
    assert _line(text, delivery).endswith(" MISMATCH")
    assert not rows[delivery.pk]["payload_deleted"]
