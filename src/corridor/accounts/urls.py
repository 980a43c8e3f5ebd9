"""URLs of the accounts app: sign-in, sign-up, password reset, invitations, tokens."""

from django.contrib.auth import views as auth_views
from django.urls import path

from corridor.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("signup/", views.signup, name="signup"),
    path("", views.dashboard, name="dashboard"),
]
