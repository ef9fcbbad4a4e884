"""Seeds and reads a database for the worker crash test (run in its own process).

    python -m yiyun.notices.tests.outbox_scenario seed GATEWAY_URL COUNT
    python -m yiyun.notices.tests.outbox_scenario report

`seed` migrates the database, makes a provider, a customer with COUNT people who have phone numbers, an SMS
channel pointing at the test's gateway, and one notice queued to all of them; it prints
the idempotency keys. `report` prints every delivery with its attempts.
"""

import json
import os
import sys


def _setup():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yiyun.settings")
    import django

    django.setup()


def seed(gateway: str, count: int) -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    from yiyun.notices.choices import ChannelKind, NoticeKind, SmsGateway
    from yiyun.notices.models import Channel, Delivery
    from yiyun.notices.services import channel_save, notice_issue
    from yiyun.tenancy.choices import OrganisationKind, Role
    from yiyun.tenancy.services import organisation_ensure, person_create

    provider = organisation_ensure(name="联通阿克苏", kind=OrganisationKind.PROVIDER)
    customer = organisation_ensure(name="柯坪县人民医院", kind=OrganisationKind.CUSTOMER)
    customer.served_by.add(provider)
    for number in range(count):
        person_create(
            organisation=customer,
            name=f"联系人{number:02d}",
            role=Role.CUSTOMER_MEMBER,
            phone=f"1380000{number:04d}",
        )
    channel_save(
        channel=Channel(
            organisation=provider,
            kind=ChannelKind.SMS,
            name="网关",
            sms_gateway=SmsGateway.HTTP,
            endpoint=gateway,
        ),
        by="test",
        secrets={"token": "scenario-token"},
    )
    notice = notice_issue(
        by="test",
        organisation=provider,
        kind=NoticeKind.ANNOUNCEMENT,
        subject="平台通知",
        body="测试批量发送。",
        channels=[ChannelKind.SMS],
        audience_organisations=[customer],
    )
    keys = list(Delivery.objects.filter(notice=notice).values_list("idempotency_key", flat=True))
    print(json.dumps({"notice": notice.pk, "keys": keys}))


def report() -> None:
    from yiyun.notices.models import Delivery

    rows = [
        {
            "key": delivery.idempotency_key,
            "state": delivery.state,
            "attempts": delivery.attempts,
            "logged_attempts": delivery.attempt_log.count(),
            "response_id": delivery.response_id,
            "sha256": delivery.sha256,
        }
        for delivery in Delivery.objects.order_by("pk")
    ]
    print(json.dumps(rows))


if __name__ == "__main__":
    _setup()
    if sys.argv[1] == "seed":
        seed(sys.argv[2], int(sys.argv[3]))
    else:
        report()
