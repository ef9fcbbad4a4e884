from yiyun.tenancy.services import api_token_create
from yiyun.testing.isolation import Operation, Page

CASES = [
    Page("portal:organisation", lambda w: {"pk": w.customer_a.pk}),
    Page("portal:site", lambda w: {"pk": w.site_a.pk}),
    Page("portal:organisations"),
    Page("portal:people"),
    Operation("tenancy_me"),
    Operation("tenancy_organisation_list", marker=lambda w: w.customer_a.name),
    Operation("tenancy_organisation_get", lambda w: {"organisation_id": w.customer_a.pk}),
    Operation("tenancy_site_list", marker=lambda w: w.site_a2.name),
    Operation("tenancy_site_get", lambda w: {"site_id": w.site_a.pk}),
    Operation("tenancy_person_list", marker=lambda w: "a-member"),
    Operation("tenancy_person_get", lambda w: {"person_id": w.member_a.person.pk}),
    Operation(
        "tenancy_person_add",
        write=True,
        body=lambda w: {"organisation": w.customer_a.pk, "name": "新联系人"},
    ),
    Operation(
        "tenancy_person_change",
        lambda w: {"person_id": w.member_a.person.pk},
        write=True,
        body=lambda w: {"title": "信息员"},
    ),
    # Tokens are personal: the scoping is by user, checked in test_api_tokens.
    Operation("tenancy_token_list"),
    Operation("tenancy_token_add", write=False, body=lambda w: {"name": "ci"}),
    Operation(
        "tenancy_token_revoke",
        lambda w: {"token_id": api_token_create(user=w.admin_a, name="x")[0].pk},
    ),
]
