from django.urls import path

from yiyun.cloud import views

app_name = "cloud"

urlpatterns = [
    # 1.2: the entitlement against allocation and use
    path("", views.overview, name="overview"),
    path("contracts/<int:pk>/", views.contract_capacity, name="contract"),
    path("contracts/<int:pk>/import/", views.servers_import, name="import"),
    # servers
    path("servers/", views.server_list, name="servers"),
    path("servers/new/", views.server_new, name="server_new"),
    path("servers/<int:pk>/", views.server_detail, name="server"),
    path("servers/<int:pk>/resize/", views.server_resize, name="server_resize"),
    path("servers/<int:pk>/power/", views.server_power, name="server_power"),
    path("servers/<int:pk>/delete/", views.server_delete, name="server_delete"),
    path("hosts/", views.host_list, name="hosts"),
    path("hosts/new/", views.host_new, name="host_new"),
    # 1.3, 3.7: change requests
    path("changes/", views.change_list, name="changes"),
    path("changes/new/", views.change_new, name="change_new"),
    path("changes/<int:pk>/", views.change_detail, name="change"),
    path("changes/<int:pk>/approve/", views.change_approve, name="change_approve"),
    path("changes/<int:pk>/reject/", views.change_reject, name="change_reject"),
    path("changes/<int:pk>/withdraw/", views.change_withdraw, name="change_withdraw"),
    path("changes/<int:pk>/apply/", views.change_apply, name="change_apply"),
    # 1.3: the price catalogue
    path("prices/", views.catalogue, name="catalogue"),
    path("prices/new/", views.price_new, name="price_new"),
    # 2.7.4: overuse
    path("overuse/", views.finding_list, name="findings"),
    path("overuse/<int:pk>/", views.finding_detail, name="finding"),
    path("overuse/<int:pk>/respond/", views.finding_respond, name="finding_respond"),
    path("overuse/<int:pk>/measure/", views.finding_measure, name="finding_measure"),
    path("overuse/<int:pk>/close/", views.finding_close, name="finding_close"),
]
