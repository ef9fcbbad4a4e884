from django.urls import path

from yiyun.obligations import views

app_name = "obligations"

urlpatterns = [
    path("", views.obligation_list, name="list"),
    path("<int:pk>/", views.obligation_detail, name="detail"),
    path("<int:pk>/action/", views.obligation_action, name="action"),
    path("panel/", views.panel, name="panel"),
    path("contract/<int:pk>/clauses/", views.contract_clauses, name="contract_clauses"),
]
