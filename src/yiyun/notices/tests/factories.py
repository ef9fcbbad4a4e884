"""Test data for notices, made through the services (and the contracts app's loader)."""

from datetime import datetime
from itertools import count

from yiyun.contracts.dataformat import contract_read
from yiyun.contracts.services import SEED_CONTRACT, contract_load
from yiyun.notices.choices import ChannelKind, LetterKind, NoticeKind
from yiyun.notices.models import Channel
from yiyun.notices.services import channel_save, notice_create, notice_issue

_numbers = count(1)


def a_contract(world, *, number: str = ""):
    """The seed contract (keping-2024) between customer A and the world's provider."""
    data = contract_read(SEED_CONTRACT)
    data["number"] = number or f"TEST-{next(_numbers):04d}"
    data["parties"]["customer"]["name"] = world.customer_a.name
    data["parties"]["provider"]["name"] = world.provider.name
    contract, _created = contract_load(data=data, by="test")
    return contract


def an_announcement(world, *, by=None, subject="门诊系统升级公告", send=True, channels=None):
    """An announcement of customer A to its own people (written by A's admin)."""
    fields = {
        "by": by or world.admin_a,
        "kind": NoticeKind.ANNOUNCEMENT,
        "subject": subject,
        "body": "本周六门诊系统升级。",
        "channels": channels or [ChannelKind.INBOX],
        "audience_organisations": [world.customer_a],
    }
    return notice_issue(**fields) if send else notice_create(**fields)


def a_maintenance(world, *, starts_at: datetime, ends_at: datetime, send=True, **extra):
    """A routine maintenance notice of the provider to customer A."""
    fields = {
        "by": world.provider_admin,
        "kind": NoticeKind.ROUTINE_MAINTENANCE,
        "subject": extra.pop("subject", "云平台例行维护"),
        "body": "存储扩容，期间业务短暂中断。",
        "channels": extra.pop("channels", [ChannelKind.INBOX]),
        "audience_organisations": [world.customer_a],
        "window": {
            "starts_at": starts_at,
            "ends_at": ends_at,
            "affected_systems": ["HIS"],
            "impact": "HIS 中断约 30 分钟",
            **extra.pop("window", {}),
        },
        **extra,
    }
    acknowledge_late = fields.pop("acknowledge_late", False)
    if send:
        return notice_issue(acknowledge_late=acknowledge_late, **fields)
    return notice_create(**fields)


def a_letter(world, *, contract=None, letter_kind=LetterKind.VIOLATION, channels=None, **extra):
    """A written contract notice (by default of the provider to customer A)."""
    return notice_issue(
        by=extra.pop("by", world.provider_admin),
        kind=NoticeKind.LETTER,
        letter_kind=letter_kind,
        contract=contract or a_contract(world),
        subject=extra.pop("subject", "关于限期整改的书面通知"),
        body=extra.pop("body", "贵方网站存在违反合同第二条约定的内容，请于30日内整改。"),
        channels=channels or [ChannelKind.INBOX],
        **extra,
    )


def a_channel(organisation, kind: str, *, secrets=None, **fields) -> Channel:
    return channel_save(
        channel=Channel(
            organisation=organisation, kind=kind, name=fields.pop("name", kind), **fields
        ),
        by="test",
        secrets=secrets or {},
    )
