"""Contacts → Segments: the list, the builder (new/edit), its live preview, delete."""

from django.urls import path

from mailwright.web.segments import views

urlpatterns = [
    path("contacts/segments/", views.segment_list, name="segment_list"),
    path("contacts/segments/new/", views.segment_edit, name="segment_new"),
    path("contacts/segments/preview/", views.segment_preview, name="segment_preview"),
    path("contacts/segments/<int:segment_id>/", views.segment_edit, name="segment_edit"),
    path("contacts/segments/<int:segment_id>/delete/", views.segment_delete, name="segment_delete"),
]
