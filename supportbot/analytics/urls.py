from django.urls import path

from supportbot.analytics import experiment_views, views

urlpatterns = [
    path("", views.page, name="dashboard"),
    path("api/summary", views.summary, name="dashboard-summary"),
    path("api/daily", views.daily, name="dashboard-daily"),
    path("api/tables", views.tables, name="dashboard-tables"),
    path("api/conversations", views.conversations, name="dashboard-conversations"),
    path("api/engine", views.engine, name="dashboard-engine"),
    path("export.csv", views.export_csv, name="dashboard-export"),
    path("experiments/", experiment_views.index, name="dashboard-experiments"),
    path("experiments/<slug:name>", experiment_views.page, name="dashboard-experiment"),
    path("api/experiments", experiment_views.experiments, name="dashboard-experiments-api"),
    path(
        "api/experiments/<slug:name>", experiment_views.experiment, name="dashboard-experiment-api"
    ),
]
