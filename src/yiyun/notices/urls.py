from django.urls import path

from yiyun.notices import views

app_name = "notices"

urlpatterns = [
    path("", views.notice_list, name="list"),
    path("new/", views.notice_create, name="create"),
    path("maintenance/", views.maintenance, name="maintenance"),
    path("announcements/", views.announcements, name="announcements"),
    path("announcements/feed.atom", views.feed, name="feed"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/<int:pk>/", views.inbox_message, name="inbox_message"),
    path("<int:pk>/", views.notice_detail, name="detail"),
    path("<int:pk>/send/", views.notice_send, name="send"),
    path("<int:pk>/letter.pdf", views.notice_letter, name="letter"),
    path("<int:pk>/proof.pdf", views.notice_proof, name="proof"),
]
