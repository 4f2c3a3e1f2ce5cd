"""The admin site: a password, and a one-time code from an authenticator app where required."""

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.urls import path
from django.utils.translation import gettext_lazy as _
from django_otp import devices_for_user, user_has_device
from django_otp.forms import OTPAuthenticationForm

from alliance.kernel.editor_images import body_image_upload


def second_factor_required(user):
    """Every staff user when ADMIN_REQUIRE_2FA is on; superusers who have a device always."""
    if settings.ADMIN_REQUIRE_2FA:
        return True
    return user.is_superuser and user_has_device(user)


class AdminLoginForm(OTPAuthenticationForm, AdminAuthenticationForm):
    """Staff only; the code is asked of those who have a device or must have one."""

    def clean_otp(self, user):
        if (
            user is not None
            and not second_factor_required(user)
            and not user_has_device(user)
        ):
            return
        super().clean_otp(user)

    def _chosen_device(self, user):
        # Most people have one authenticator: use it without asking them to pick it.
        device = super()._chosen_device(user)
        if device is None:
            devices = list(devices_for_user(user))
            if len(devices) == 1:
                device = devices[0]
        return device


class AllianceAdminSite(admin.AdminSite):
    site_header = _("Alliance administration")
    site_title = _("Alliance administration")
    # The login form has a field for the code; users without a device leave it empty.
    login_form = AdminLoginForm
    login_template = "admin/login_otp.html"

    def get_urls(self):
        return [
            path(
                "body-images/upload/",
                self.admin_view(body_image_upload),
                {"admin_site": self},
                name="editor-image-upload",
            ),
            *super().get_urls(),
        ]

    def has_permission(self, request):
        if not super().has_permission(request):
            return False
        if second_factor_required(request.user):
            return request.user.is_verified()
        return True
