from django.urls import path

from . import views

app_name = "portal"

urlpatterns = [
    path("", views.PortalHomeView.as_view(), name="home"),
    path("login/", views.PortalLoginView.as_view(), name="login"),
    path("logout/", views.PortalLogoutView.as_view(), name="logout"),
    path("password-reset/", views.PasswordResetView.as_view(), name="password-reset"),
    path(
        "password-reset/sent/",
        views.PasswordResetSentView.as_view(),
        name="password-reset-sent",
    ),
    path(
        "set-password/<uidb64>/<token>/",
        views.SetPasswordView.as_view(),
        name="set-password",
    ),
    path(
        "set-password/done/",
        views.SetPasswordDoneView.as_view(),
        name="set-password-done",
    ),
    path(
        "members/<slug:slug>/change/",
        views.ChangeRequestView.as_view(),
        name="change-request",
    ),
    path(
        "members/<slug:slug>/change/logo/",
        views.ProposedLogoView.as_view(),
        name="proposed-logo",
    ),
    path("members/<slug:slug>/confirm/", views.VerifyView.as_view(), name="verify"),
    path(
        "members/<slug:slug>/withdraw/", views.WithdrawView.as_view(), name="withdraw"
    ),
]
urlpatterns += [
    path("two-factor/", views.TwoFactorView.as_view(), name="two-factor"),
]
