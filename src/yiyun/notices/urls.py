from django.urls import path

from yiyun.notices import views

app_name = "notices"

urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/<int:pk>/", views.inbox_message, name="inbox_message"),
]
