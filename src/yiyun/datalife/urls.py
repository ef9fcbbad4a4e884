from django.urls import path

from yiyun.datalife import views

app_name = "datalife"

urlpatterns = [
    # 6.3: the disclosure register
    path("disclosures/", views.disclosure_list, name="disclosures"),
    path("disclosures/<int:pk>/", views.disclosure_detail, name="disclosure"),
    path(
        "disclosures/<int:pk>/annotate/",
        views.disclosure_annotate_view,
        name="disclosure_annotate",
    ),
    # 2.11, 6.4: backups
    path("backups/", views.backup_overview, name="backups"),
    path("backups/data-sets/new/", views.data_set_new, name="data_set_new"),
    path("backups/data-sets/<int:pk>/", views.data_set_detail, name="data_set"),
    path(
        "backups/data-sets/<int:pk>/delete-file/",
        views.data_set_item_delete,
        name="data_set_item_delete",
    ),
    path("backups/policies/new/", views.policy_new, name="policy_new"),
    path("backups/policies/<int:pk>/", views.policy_detail, name="policy"),
    path("backups/policies/<int:pk>/update/", views.policy_update, name="policy_update"),
    path("backups/policies/<int:pk>/run/", views.policy_run, name="policy_run"),
    path("backups/runs/", views.run_list, name="runs"),
    path("backups/runs/<int:pk>/drill/", views.run_drill, name="run_drill"),
    path("backups/drills/", views.drill_list, name="drills"),
]
urlpatterns += [
    # 6.5, 6.6: end of service, export, deletion records
    path("service-ends/", views.service_end_list, name="service_ends"),
    path("service-ends/new/", views.service_end_new, name="service_end_new"),
    path("service-ends/<int:pk>/", views.service_end_detail, name="service_end"),
    path("exports/", views.export_list, name="exports"),
    path("exports/new/", views.export_new, name="export_new"),
    path("exports/<int:pk>/download/", views.export_download, name="export_download"),
    path("deletion-records/<int:pk>/", views.deletion_record_detail, name="deletion_record"),
    path("deletion-records/<int:pk>/pdf/", views.deletion_record_pdf, name="deletion_record_pdf"),
]
