from django.urls import path

from yiyun.websites import views

app_name = "websites"

urlpatterns = [
    path("", views.website_list, name="list"),
    path("new/", views.website_new, name="create"),
    path("<int:pk>/", views.website_detail, name="detail"),
    path("<int:pk>/edit/", views.website_edit, name="edit"),
    path("<int:pk>/token/", views.website_token, name="token"),
    path("<int:pk>/filings/", views.filing_new, name="filing_add"),
    path("filings/<int:pk>/renew/", views.filing_renew_view, name="filing_renew"),
    path("<int:pk>/holds/", views.hold_new, name="hold_add"),
    path("holds/<int:pk>/release/", views.hold_release, name="hold_release"),
    path("<int:pk>/logs/", views.log_search, name="logs"),
    path("<int:pk>/export/", views.export_new, name="export"),
    path("exports/<int:pk>/<str:name>", views.export_download, name="export_file"),
    # 2.4: HTTP bulk ingest for shippers; authenticated by the website's token.
    path("ingest/", views.ingest, name="ingest"),
]
