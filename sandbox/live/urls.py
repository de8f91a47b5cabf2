from __future__ import annotations

from django.urls import path

from sandbox.live import views

app_name = "live"

urlpatterns = [
    path("runs/new/", views.run_new, name="run_new"),
    path("runs/<uuid:run_id>/", views.run_detail, name="run_detail"),
    path("runs/<uuid:run_id>/design.json", views.run_design, name="run_design"),
    path("runs/<uuid:run_id>/series.json", views.run_series, name="run_series"),
    path("runs/<uuid:run_id>/frames.json", views.run_frames, name="run_frames"),
    path("runs/<uuid:run_id>/replay.json", views.run_replay, name="run_replay"),
    path("runs/<uuid:run_id>/export.csv", views.run_export_csv, name="run_export_csv"),
    path("runs/<uuid:run_id>/export.json", views.run_export_json, name="run_export_json"),
]
