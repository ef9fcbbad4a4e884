from yiyun.tenancy.services import api_token_create
from yiyun.testing.isolation import Page

CASES = [
    Page("portal:dashboard"),
    Page("portal:login", public=True),
    Page("portal:logout", post=True),
    Page("portal:password_change"),
    Page("portal:set_language", post=True, public=True),
    Page("portal:tokens"),
]
CASES.append(
    Page(
        "portal:token_revoke",
        lambda w: {"pk": api_token_create(user=w.admin_a, name="x")[0].pk},
        write=True,
        personal=True,
    )
)
CASES.append(Page("portal:audit"))
