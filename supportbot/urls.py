from django.contrib import admin
from django.urls import include, path

from supportbot.chat import articles, views
from supportbot.ops import views as ops_views

urlpatterns = [
    path("", views.demo, name="demo"),
    path("api/conversations", views.create_conversation, name="create-conversation"),
    path("healthz", ops_views.healthz, name="healthz"),
    path("help/<slug:slug>/<str:language>/", articles.article, name="kb-article"),
    path("readyz", ops_views.readyz, name="readyz"),
    path("metrics", ops_views.metrics, name="metrics"),
    path("agent/", include("supportbot.agents.urls")),
    path("dashboard/", include("supportbot.analytics.urls")),
    path("admin/", admin.site.urls),
]
