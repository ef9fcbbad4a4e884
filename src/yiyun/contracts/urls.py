from django.urls import path

from yiyun.contracts import views

app_name = "contracts"

urlpatterns = [
    path("", views.contract_list, name="list"),
    path("<int:pk>/", views.contract_detail, name="detail"),
    path("<int:pk>/notices/", views.notice_add, name="notice_add"),
    path("notices/<int:pk>/consent/", views.notice_consent, name="notice_consent"),
    path("notices/<int:pk>/document/", views.notice_document, name="notice_document"),
    path("payments/<int:pk>/", views.payment_add, name="payment_add"),
    path("parameters/<int:pk>/", views.parameter_set, name="parameter_set"),
    path("<int:pk>/shifts/", views.shift_add, name="shift_add"),
    path("<int:pk>/penalties/", views.penalty_add, name="penalty_add"),
]

# Contract import (issue 11): text → draft → review → check → approve (import_views.py).
from yiyun.contracts import import_views  # noqa: E402

urlpatterns += [
    path("imports/", import_views.draft_list, name="import_list"),
    path("imports/new/", import_views.draft_new, name="import_new"),
    path("imports/<int:pk>/", import_views.draft_review, name="import_review"),
    path("imports/<int:pk>/save/", import_views.draft_save, name="import_save"),
    path("imports/<int:pk>/approve/", import_views.draft_approve, name="import_approve"),
    path("imports/<int:pk>/reject/", import_views.draft_reject, name="import_reject"),
    path("imports/<int:pk>/json/", import_views.draft_json, name="import_json"),
]

# Acceptance (1.3) and billing (二.1, 二.2, 5.3, 6.5), issue 10: billing_views.py.
from yiyun.contracts import billing_views  # noqa: E402

urlpatterns += [
    path("billing/", billing_views.billing_index, name="billing_index"),
    path("<int:pk>/acceptance/", billing_views.acceptance_list, name="acceptance_list"),
    path("<int:pk>/acceptance/new/", billing_views.acceptance_new, name="acceptance_new"),
    path("acceptance/<int:pk>/", billing_views.acceptance_detail, name="acceptance_detail"),
    path(
        "acceptance/<int:pk>/criteria/",
        billing_views.acceptance_criterion_add,
        name="acceptance_criterion_add",
    ),
    path(
        "acceptance/criteria/<int:pk>/",
        billing_views.acceptance_criterion_record,
        name="acceptance_criterion_record",
    ),
    path(
        "acceptance/<int:pk>/cloud-check/",
        billing_views.acceptance_cloud_check,
        name="acceptance_cloud_check",
    ),
    path(
        "acceptance/<int:pk>/conclude/",
        billing_views.acceptance_conclude,
        name="acceptance_conclude",
    ),
    path("acceptance/<int:pk>/sign/", billing_views.acceptance_sign, name="acceptance_sign"),
    path(
        "acceptance/<int:pk>/rectification/",
        billing_views.acceptance_rectification,
        name="acceptance_rectification",
    ),
    path(
        "acceptance/<int:pk>/rectification/done/",
        billing_views.acceptance_rectification_done,
        name="acceptance_rectification_done",
    ),
    path("acceptance/<int:pk>/scan/", billing_views.acceptance_scan, name="acceptance_scan"),
    path(
        "acceptance/<int:pk>/scan/file/",
        billing_views.acceptance_scan_file,
        name="acceptance_scan_file",
    ),
    path("acceptance/<int:pk>/pdf/", billing_views.acceptance_pdf, name="acceptance_pdf"),
    path("acceptance/<int:pk>/verify/", billing_views.acceptance_verify, name="acceptance_verify"),
    path("<int:pk>/billing/", billing_views.billing_overview, name="billing"),
    path("<int:pk>/billing/export.xlsx", billing_views.billing_export, name="billing_export"),
    path(
        "<int:pk>/billing/statements/",
        billing_views.billing_statement_issue,
        name="billing_statement_issue",
    ),
    path(
        "billing/statements/<int:pk>/",
        billing_views.billing_statement,
        name="billing_statement",
    ),
    path(
        "billing/schedule/<int:pk>/pay/",
        billing_views.billing_payment_add,
        name="billing_payment_add",
    ),
    path(
        "<int:pk>/billing/finance-contacts/",
        billing_views.billing_finance_contact_add,
        name="billing_finance_contact_add",
    ),
    path(
        "<int:pk>/billing/finance-contacts/remove/",
        billing_views.billing_finance_contact_remove,
        name="billing_finance_contact_remove",
    ),
    path(
        "<int:pk>/billing/settlement/",
        billing_views.billing_settlement,
        name="billing_settlement",
    ),
    path(
        "<int:pk>/billing/settlement.pdf",
        billing_views.billing_settlement_pdf,
        name="billing_settlement_pdf",
    ),
]
