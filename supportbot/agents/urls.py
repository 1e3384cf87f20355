from django.urls import path

from supportbot.agents import views

urlpatterns = [
    path("", views.console, name="agent-console"),
    path("login/", views.LoginView.as_view(), name="agent-login"),
    path("logout/", views.LogoutView.as_view(), name="agent-logout"),
]
