"""URLs of the accounts app: sign-in, sign-up, password reset, invitations, tokens, privacy."""

from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from corridor.accounts import auth_views as auth_throttled
from corridor.accounts import two_factor, views
from corridor.accounts.forms import QueuedPasswordResetForm

app_name = "accounts"
urlpatterns = [
    path("login/", auth_throttled.ThrottledLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("signup/", views.signup, name="signup"),
    path(
        "password/reset/",
        auth_throttled.ThrottledPasswordResetView.as_view(
            form_class=QueuedPasswordResetForm,
            email_template_name="registration/password_reset_email.txt",
            subject_template_name="registration/password_reset_subject.txt",
            success_url=reverse_lazy("accounts:password_reset_done"),
        ),
        name="password_reset",
    ),
    path(
        "password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            success_url=reverse_lazy("accounts:password_reset_complete"),
            post_reset_login=True,
            post_reset_login_backend="corridor.accounts.backends.AccountBackend",
        ),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path(
        "password/change/",
        auth_views.PasswordChangeView.as_view(
            success_url=reverse_lazy("accounts:password_change_done")
        ),
        name="password_change",
    ),
    path(
        "password/change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("", views.dashboard, name="dashboard"),
    path("profile/", views.profile, name="profile"),
    path("tokens/", views.tokens, name="token_create"),
    path("two-factor/", two_factor.setup, name="two_factor"),
    path("tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
    path("invitations/", views.invitation_list, name="invitations"),
    path("invitation/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("my-data/", views.data_export, name="data_export"),
    path("delete/", views.account_delete, name="delete"),
]
