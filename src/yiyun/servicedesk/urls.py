from django.urls import path

from yiyun.servicedesk import views

app_name = "servicedesk"

urlpatterns = [
    path("", views.ticket_list, name="ticket_list"),
    path("new/", views.ticket_new, name="ticket_new"),
    path("<int:pk>/", views.ticket_detail, name="ticket_detail"),
    path("<int:pk>/act/", views.ticket_act, name="ticket_act"),
    path("<int:pk>/clocks/", views.ticket_clocks, name="ticket_clocks"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment"),
    path("contacts/", views.contact_changes, name="contact_changes"),
    path("contacts/new/", views.contact_change_new, name="contact_change_new"),
    path("contacts/<int:pk>/", views.contact_change_detail, name="contact_change_detail"),
    path("contacts/<int:pk>/act/", views.contact_change_act, name="contact_change_act"),
    path("complaints/", views.complaint_list, name="complaint_list"),
    path("complaints/new/", views.complaint_new, name="complaint_new"),
    path("complaints/<int:pk>/", views.complaint_detail, name="complaint_detail"),
    path("complaints/<int:pk>/act/", views.complaint_act, name="complaint_act"),
    path("violations/", views.violation_list, name="violation_list"),
    path("violations/new/", views.violation_new, name="violation_new"),
    path("violations/<int:pk>/", views.violation_detail, name="violation_detail"),
    path("violations/<int:pk>/act/", views.violation_act, name="violation_act"),
    path("roster/", views.roster, name="roster"),
    path("reports/<int:pk>/", views.sla_report, name="sla_report"),
    path("reports/<int:pk>/pdf/", views.sla_report_pdf, name="sla_report_pdf"),
    path("reports/verify/", views.sla_verify, name="sla_verify"),
]
