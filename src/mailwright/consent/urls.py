from django.urls import path

from mailwright.consent import views

app_name = "consent"
urlpatterns = [
    path("subscribe/", views.subscribe_page, name="subscribe"),
    path("subscribe/json", views.subscribe_json, name="subscribe_json"),
    path("confirm/<str:token>", views.confirm, name="confirm"),
    path("u/<str:token>", views.unsubscribe, name="unsubscribe"),
    path("p/<str:token>", views.preferences, name="preferences"),
    path("v/<str:token>", views.view_online, name="view_online"),
]
