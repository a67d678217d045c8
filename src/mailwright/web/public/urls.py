"""The public pages: subscription forms, double opt-in, unsubscribe, preferences, view
online, and the open/click tracking addresses."""

from django.urls import path

from mailwright.feedback import tracking_views
from mailwright.web.public import surveys, views

app_name = "consent"
urlpatterns = [
    path("subscribe/", views.subscribe_page, name="subscribe"),
    path("subscribe/json", views.subscribe_json, name="subscribe_json"),
    path("confirm/<str:token>", views.confirm, name="confirm"),
    path("u/<str:token>", views.unsubscribe, name="unsubscribe"),
    path("p/<str:token>", views.preferences, name="preferences"),
    path("v/<str:token>", views.view_online, name="view_online"),
    path("s/<str:token>", surveys.survey_page, name="survey"),
    path("t/o/<str:token>.gif", tracking_views.open_pixel, name="track_open"),
    path("t/c/<str:token>", tracking_views.click, name="track_click"),
]
