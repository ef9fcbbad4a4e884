from yiyun.notices.services import inbox_send
from yiyun.testing.isolation import Page


def _message_for_admin_a(world) -> dict:
    (message,) = inbox_send(recipients=[world.admin_a.person], subject="测试")
    return {"pk": message.pk}


CASES = [
    Page("notices:inbox"),
    Page("notices:inbox_message", _message_for_admin_a, personal=True),
]
