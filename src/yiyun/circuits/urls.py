from django.urls import path

from yiyun.circuits import views

app_name = "circuits"

urlpatterns = [
    path("", views.circuit_list, name="list"),
    path("<int:pk>/", views.circuit_detail, name="detail"),
    path("<int:pk>/configure/", views.circuit_configure_view, name="configure"),
]
