from yiyun.notices.services import inbox_send
from yiyun.notices.tests.factories import a_letter, an_announcement
from yiyun.testing.isolation import Operation, Page


def _message_for_admin_a(world) -> dict:
    (message,) = inbox_send(recipients=[world.admin_a.person], subject="测试")
    return {"pk": message.pk}


def _sent_a(world) -> dict:
    return {"pk": an_announcement(world).pk}


def _draft_a(world) -> dict:
    return {"pk": an_announcement(world, send=False).pk}


def _letter_a(world) -> dict:
    return {"pk": a_letter(world).pk}


def _create_data(world) -> dict:
    return {
        "kind": "announcement",
        "subject": "测试公告",
        "body": "正文",
        "channels": ["inbox"],
        "audience_organisations": [world.customer_a.pk],
        "action": "send",
    }


CASES = [
    Page("notices:inbox"),
    Page("notices:inbox_message", _message_for_admin_a, personal=True),
    Page("notices:list"),
    Page("notices:create", write=True, data=_create_data),
    Page("notices:maintenance"),
    Page("notices:detail", _sent_a),
    Page("notices:send", _draft_a, write=True),
    Page("notices:letter", _letter_a),
    Page("notices:proof", _sent_a),
    # The web announcement (4.5) is public: no login, the same for everybody.
    Page("notices:announcements", public=True),
    Page("notices:feed", public=True),
    Operation("notices_maintenance_list"),
    Operation("notices_inbox_list"),
    Operation(
        "notices_inbox_read",
        lambda w: {"message_id": _message_for_admin_a(w)["pk"]},
    ),
    Operation(
        "notices_notice_list",
        marker=lambda w: an_announcement(w, subject="仅限柯坪的公告").subject,
    ),
    Operation(
        "notices_notice_add",
        write=True,
        body=lambda w: {
            "kind": "announcement",
            "subject": "测试公告",
            "body": "正文",
            "channels": ["inbox"],
            "audience_organisations": [w.customer_a.pk],
            "send": True,
        },
    ),
    Operation("notices_notice_get", lambda w: {"notice_id": _sent_a(w)["pk"]}),
    Operation("notices_delivery_list", lambda w: {"notice_id": _sent_a(w)["pk"]}),
    Operation(
        "notices_notice_dispatch",
        lambda w: {"notice_id": _draft_a(w)["pk"]},
        write=True,
    ),
]
